//! What `Ready` means for each mode, once the flow has run to its end.

use weka_api::WekaContainer;
use weka_api::wekacontainer::WekaContainerStatus;

use crate::pod::ModeTraits;

/// Why a container whose flow completed is not ready (yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotReady {
    pub reason: &'static str,
    pub message: String,
}

/// `Ok` with the Ready message, or why not:
/// - one-off modes (discovery, ad-hoc operations, drivers loader and builder) are ready when
///   their results are processed (`status.status = Completed`);
/// - modes that join the WEKA cluster (backends, clients, protocols) when WEKA reports the
///   container running (`weka local ps`) and its cluster identity is known;
/// - the other WEKA containers (envoy, telemetry, SSD proxy, drivers distribution) when WEKA
///   reports them running.
pub fn check(container: &WekaContainer) -> Result<&'static str, NotReady> {
    let mode = container.spec.mode;
    let status = container.status.clone().unwrap_or_default();
    let not_ready = |reason, message: String| Err(NotReady { reason, message });
    if mode.is_one_off() {
        if status.status == WekaContainerStatus::COMPLETED {
            return Ok("the operation completed");
        }
        return not_ready(
            "ResultsPending",
            format!("the {mode} operation has not completed (status {})", status.status),
        );
    }
    if status.status != WekaContainerStatus::RUNNING {
        return not_ready(
            "NotRunning",
            format!("WEKA reports the container as {:?}, not Running", status.status),
        );
    }
    if mode.should_join_cluster() && status.container_id.is_none() {
        return not_ready("NotJoined", "the container has not joined a WEKA cluster yet".into());
    }
    Ok(if mode.should_join_cluster() {
        "the container runs and is a member of its WEKA cluster"
    } else {
        "the container runs"
    })
}

#[cfg(test)]
mod tests {
    use weka_api::wekacontainer::ContainerMode;

    use super::*;

    fn container(mode: ContainerMode, status: &str, id: Option<isize>) -> WekaContainer {
        let mut c: WekaContainer = serde_json::from_value(serde_json::json!({
            "apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaContainer",
            "metadata": {"name": "c"},
            "spec": {"name": "c", "mode": mode.as_str(), "image": "i", "numCores": 1}
        }))
        .unwrap();
        c.status = Some(WekaContainerStatus {
            status: status.into(),
            container_id: id,
            ..Default::default()
        });
        c
    }

    #[test]
    fn a_backend_is_ready_when_running_and_joined() {
        assert!(check(&container(ContainerMode::Drive, "Running", Some(3))).is_ok());
        let err = check(&container(ContainerMode::Drive, "Running", None)).unwrap_err();
        assert_eq!(err.reason, "NotJoined");
        let err = check(&container(ContainerMode::Compute, "PodRunning", Some(1))).unwrap_err();
        assert_eq!(err.reason, "NotRunning");
    }

    #[test]
    fn helpers_need_only_to_run_and_one_offs_to_complete() {
        assert!(check(&container(ContainerMode::Envoy, "Running", None)).is_ok());
        assert!(check(&container(ContainerMode::DriversDist, "Running", None)).is_ok());
        let err = check(&container(ContainerMode::Discovery, "PodRunning", None)).unwrap_err();
        assert_eq!(err.reason, "ResultsPending");
        assert!(check(&container(ContainerMode::AdhocOp, "Completed", None)).is_ok());
    }
}
