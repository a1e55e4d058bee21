//! The node agents of a simulated cluster: the install's own DaemonSet
//! (`deploy/node-agent/daemonset.yaml`), created through the API as `kubectl apply -k` would,
//! with the image the simulated operator reports.

use k8s_openapi::api::apps::v1::DaemonSet;
use kube::Client;
use kube::api::{Api, PostParams};

/// The DaemonSet of the real install.
pub const DAEMONSET_YAML: &str = include_str!("../../../../../deploy/node-agent/daemonset.yaml");

/// Why the DaemonSet could not be created.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("node-agent token: {0}")]
    Token(#[from] crate::node_agent_client::AgentError),
    #[error("deploy/node-agent/daemonset.yaml does not parse: {0}")]
    Manifest(#[from] serde_yaml::Error),
    #[error("creating the node-agent DaemonSet: {0}")]
    Api(#[from] kube::Error),
}

/// The DaemonSet for `namespace`, running `image`. The priority class of the install is left
/// out: the simulator does not create the install's PriorityClasses.
pub fn daemonset(namespace: &str, image: &str) -> Result<DaemonSet, DeployError> {
    let mut ds: DaemonSet = serde_yaml::from_str(DAEMONSET_YAML)?;
    ds.metadata.namespace = Some(namespace.to_string());
    if let Some(pod) = ds.spec.as_mut().and_then(|s| s.template.spec.as_mut()) {
        pod.priority_class_name = None;
        for container in &mut pod.containers {
            container.image = Some(image.to_string());
        }
    }
    Ok(ds)
}

/// The token Secret (as the operator makes it at start) and then the DaemonSet, so that the
/// agents are Ready before any operator runs (without the Secret, their pods wait in
/// ContainerCreating, as on a real node).
pub async fn install(client: &Client, namespace: &str, image: &str) -> Result<(), DeployError> {
    let secret = crate::node_agent::protocol::DEFAULT_TOKEN_SECRET_NAME;
    crate::node_agent_client::ensure_secret(client, namespace, secret).await?;
    deploy(client, namespace, image).await
}

/// Creates the DaemonSet (an existing one is kept).
pub async fn deploy(client: &Client, namespace: &str, image: &str) -> Result<(), DeployError> {
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), namespace);
    match api.create(&PostParams::default(), &daemonset(namespace, image)?).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_agent::protocol::{CONTAINER_NAME, POD_LABEL_APP, POD_LABEL_CONTROL_PLANE};

    #[test]
    fn the_install_manifest_is_what_the_operator_looks_for() {
        let ds = daemonset("ops", "op:1").unwrap();
        let template = ds.spec.unwrap().template;
        let labels = template.metadata.unwrap().labels.unwrap();
        for (k, v) in [POD_LABEL_APP, POD_LABEL_CONTROL_PLANE] {
            assert_eq!(labels.get(k).map(String::as_str), Some(v));
        }
        let pod = template.spec.unwrap();
        let agent = pod.containers.iter().find(|c| c.name == CONTAINER_NAME).unwrap();
        assert_eq!(agent.image.as_deref(), Some("op:1"));
        let token = pod.volumes.unwrap().into_iter().find(|v| v.name == "token").unwrap();
        assert_eq!(token.secret.unwrap().secret_name.as_deref(), Some("weka-node-agent-secret"));
    }
}
