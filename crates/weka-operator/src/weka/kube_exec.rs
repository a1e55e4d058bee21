//! [`PodExec`] over the Kubernetes `pods/exec` subresource (kube-rs, websocket).

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::Client;
use kube::api::{Api, AttachParams};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::exec::{ExecError, ExecOutput, ExecTarget, PodExec};

/// Execs through the API server with the operator's client.
#[derive(Clone)]
pub struct KubePodExec {
    client: Client,
}

impl KubePodExec {
    pub fn new(client: Client) -> Self {
        KubePodExec { client }
    }

    async fn run(&self, target: &ExecTarget, argv: &[String]) -> Result<ExecOutput, ExecError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &target.namespace);
        let params = AttachParams::default()
            .container(target.container.clone())
            .stdin(false)
            .stdout(true)
            .stderr(true)
            .tty(false);
        let mut process =
            pods.exec(&target.pod, argv.to_vec(), &params).await.map_err(classify_connect)?;
        let status = process.take_status();
        let (stdout, stderr) = tokio::join!(read_all(process.stdout()), read_all(process.stderr()));
        let status = match status {
            Some(status) => status.await,
            None => None,
        };
        process.join().await.map_err(|e| ExecError::Stream(e.to_string()))?;
        let exit_code = exit_code(status)?;
        Ok(ExecOutput { stdout: stdout?, stderr: stderr?, exit_code })
    }
}

#[async_trait]
impl PodExec for KubePodExec {
    async fn exec(
        &self,
        target: &ExecTarget,
        argv: &[String],
        timeout: Duration,
    ) -> Result<ExecOutput, ExecError> {
        // Dropping the attached process on timeout aborts its streaming task.
        tokio::time::timeout(timeout, self.run(target, argv))
            .await
            .unwrap_or(Err(ExecError::Timeout(timeout)))
    }
}

async fn read_all(reader: Option<impl AsyncRead + Unpin>) -> Result<String, ExecError> {
    let mut bytes = Vec::new();
    if let Some(mut reader) = reader {
        reader.read_to_end(&mut bytes).await.map_err(|e| ExecError::Stream(e.to_string()))?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The exit code from the status channel: `Success` is 0, `NonZeroExitCode` carries the code
/// in its `ExitCode` cause; any other failure (or no status at all) means it did not run.
fn exit_code(status: Option<Status>) -> Result<i32, ExecError> {
    let Some(status) = status else {
        return Err(ExecError::Stream("the exec ended without an exit status".to_string()));
    };
    if status.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    if status.reason.as_deref() == Some("NonZeroExitCode") {
        let code = status
            .details
            .iter()
            .flat_map(|d| d.causes.iter().flatten())
            .find(|c| c.reason.as_deref() == Some("ExitCode"))
            .and_then(|c| c.message.as_deref()?.trim().parse().ok());
        if let Some(code) = code {
            return Ok(code);
        }
    }
    Err(classify_message(status.message.unwrap_or_default()))
}

/// Errors before streaming starts: the API server's answer to the upgrade request.
fn classify_connect(error: kube::Error) -> ExecError {
    match error {
        kube::Error::Api(status)
            if status.code == 404 && !is_container_message(&status.message) =>
        {
            ExecError::PodNotFound(status.message)
        }
        kube::Error::Api(status) => classify_message(status.message),
        other => ExecError::Stream(other.to_string()),
    }
}

fn classify_message(message: String) -> ExecError {
    if is_container_message(&message) {
        ExecError::ContainerNotFound(message)
    } else {
        ExecError::Stream(message)
    }
}

/// The kubelet says `container not found ("weka-container")`; the API server says
/// `container weka-container is not valid for pod ...`.
fn is_container_message(message: &str) -> bool {
    message.contains("container not found") || message.contains("is not valid for pod")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    use super::*;

    fn failure(reason: &str, message: &str, causes: Vec<StatusCause>) -> Status {
        Status {
            status: Some("Failure".to_string()),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            details: Some(StatusDetails { causes: Some(causes), ..StatusDetails::default() }),
            ..Status::default()
        }
    }

    #[test]
    fn the_status_channel_gives_the_exit_code() {
        let success = Status { status: Some("Success".to_string()), ..Status::default() };
        assert_eq!(exit_code(Some(success)), Ok(0));
        let cause = StatusCause {
            reason: Some("ExitCode".to_string()),
            message: Some("3".to_string()),
            ..StatusCause::default()
        };
        let failed = failure("NonZeroExitCode", "command terminated with exit code 3", vec![cause]);
        assert_eq!(exit_code(Some(failed)), Ok(3));
    }

    #[test]
    fn a_missing_container_and_a_missing_status_are_not_exit_codes() {
        let gone = failure("InternalError", "container not found (\"weka-container\")", vec![]);
        assert!(matches!(exit_code(Some(gone)), Err(ExecError::ContainerNotFound(_))));
        assert!(matches!(exit_code(None), Err(ExecError::Stream(_))));
    }

    #[test]
    fn api_errors_name_the_pod_or_the_container() {
        let status = |code: u16, message: &str| {
            kube::Error::Api(
                kube::core::Status::failure(message, "NotFound").with_code(code).boxed(),
            )
        };
        let pod = classify_connect(status(404, "pods \"drive-0\" not found"));
        assert!(matches!(pod, ExecError::PodNotFound(_)), "{pod:?}");
        let container =
            classify_connect(status(400, "container weka-container is not valid for pod drive-0"));
        assert!(matches!(container, ExecError::ContainerNotFound(_)), "{container:?}");
        assert!(matches!(classify_connect(status(500, "boom")), ExecError::Stream(_)));
    }
}
