//! Finding the node-agent pod of a node (upstream `GetNodeAgentPod`): the agents run as a
//! DaemonSet in the operator's namespace, labelled `app: weka-node-agent`; the pod cache the
//! controllers already share answers without an API call.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::runtime::reflector::Store;

use super::AgentError;
use crate::node_agent::protocol::{
    CONTAINER_NAME, DEFAULT_PORT, POD_LABEL_APP, POD_LABEL_CONTROL_PLANE,
};
use crate::runtime::CachedPod;

/// Where an agent answers: its pod and `http://<pod IP>:8090`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentEndpoint {
    pub pod: String,
    pub namespace: String,
    pub node: String,
    pub base_url: String,
}

fn is_agent(pod: &Pod, namespace: &str, node: &str) -> bool {
    is_agent_on(pod, pod.spec.as_ref().and_then(|s| s.node_name.as_deref()), namespace, node)
}

fn is_agent_on(pod: &impl ResourceExt, on: Option<&str>, namespace: &str, node: &str) -> bool {
    let labels = pod.labels();
    pod.namespace().as_deref() == Some(namespace)
        && on == Some(node)
        && [POD_LABEL_APP, POD_LABEL_CONTROL_PLANE]
            .iter()
            .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.phase.as_deref())
}

fn agent_image(pod: &Pod) -> Option<&str> {
    let spec = pod.spec.as_ref()?;
    spec.containers.iter().find(|c| c.name == CONTAINER_NAME).and_then(|c| c.image.as_deref())
}

/// Where agent pods are looked up: the operator's pod cache when it covers the agents'
/// namespace, else the API (an operator watching one namespace does not cache the others).
pub enum AgentPods<'a> {
    Cache(&'a Store<CachedPod>),
    Api(&'a kube::Client),
}

/// The running agent pod on `node`, from the cache or the API.
pub async fn locate(
    pods: AgentPods<'_>,
    namespace: &str,
    node: &str,
    operator_image: &str,
) -> Result<AgentEndpoint, AgentError> {
    match pods {
        AgentPods::Cache(store) => find_agent(store, namespace, node, operator_image),
        AgentPods::Api(client) => {
            let api: kube::Api<Pod> = kube::Api::namespaced(client.clone(), namespace);
            let labels = [POD_LABEL_APP, POD_LABEL_CONTROL_PLANE]
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            let params = kube::api::ListParams::default()
                .labels(&labels)
                .fields(&format!("spec.nodeName={node}"));
            let list = api.list(&params).await.map_err(|e| AgentError::Transport {
                pod: String::new(),
                path: format!("list node-agent pods in {namespace}"),
                message: e.to_string(),
            })?;
            let candidates: Vec<Arc<Pod>> = list
                .items
                .into_iter()
                .filter(|p| is_agent(p, namespace, node))
                .map(Arc::new)
                .collect();
            pick(&candidates, namespace, node, operator_image)
        }
    }
}

/// The running agent pod on `node`. `operator_image`, when set, must be the agent's image:
/// an agent from another operator version may speak another protocol (upstream refuses it
/// too). A terminating pod is skipped: the DaemonSet's replacement is the one to talk to.
pub fn find_agent(
    pods: &Store<CachedPod>,
    namespace: &str,
    node: &str,
    operator_image: &str,
) -> Result<AgentEndpoint, AgentError> {
    let candidates: Vec<Arc<Pod>> = pods
        .state()
        .into_iter()
        .filter(|p| is_agent_on(p.as_ref(), p.node_name(), namespace, node))
        .filter_map(|p| p.pod().ok())
        .map(Arc::new)
        .collect();
    pick(&candidates, namespace, node, operator_image)
}

fn pick(
    candidates: &[Arc<Pod>],
    namespace: &str,
    node: &str,
    operator_image: &str,
) -> Result<AgentEndpoint, AgentError> {
    if candidates.is_empty() {
        return Err(AgentError::PodNotFound { node: node.to_string() });
    }
    let running = candidates.iter().find(|p| {
        phase(p) == Some("Running")
            && p.metadata.deletion_timestamp.is_none()
            && p.status.as_ref().and_then(|s| s.pod_ip.as_deref()).is_some_and(|ip| !ip.is_empty())
    });
    let Some(pod) = running else {
        return Err(AgentError::PodNotRunning { node: node.to_string() });
    };
    let image = agent_image(pod).unwrap_or_default();
    if !operator_image.is_empty() && image != operator_image {
        return Err(AgentError::ImageMismatch {
            pod: pod.name_any(),
            agent: image.to_string(),
            operator: operator_image.to_string(),
        });
    }
    let ip = pod.status.as_ref().and_then(|s| s.pod_ip.as_deref()).unwrap_or_default();
    Ok(AgentEndpoint {
        pod: pod.name_any(),
        namespace: namespace.to_string(),
        node: node.to_string(),
        base_url: format!("http://{}:{DEFAULT_PORT}", bracket_v6(ip)),
    })
}

/// IPv6 literals go in brackets in a URL.
fn bracket_v6(ip: &str) -> String {
    if ip.contains(':') { format!("[{ip}]") } else { ip.to_string() }
}

#[cfg(test)]
mod tests {
    use kube::runtime::reflector::store::Writer;
    use kube::runtime::watcher::Event;
    use serde_json::json;

    use super::*;

    fn pod(name: &str, node: &str, phase: &str, ip: &str, image: &str) -> CachedPod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "weka-operator-system",
                "labels": {"app": "weka-node-agent", "control-plane": "weka-node-agent"}},
            "spec": {"nodeName": node, "containers": [{"name": "node-agent", "image": image}]},
            "status": {"phase": phase, "podIP": ip}
        }))
        .unwrap()
    }

    fn store(pods: Vec<CachedPod>) -> Store<CachedPod> {
        let mut writer = Writer::<CachedPod>::default();
        for p in pods {
            writer.apply_watcher_event(&Event::Apply(p));
        }
        writer.as_reader()
    }

    const NS: &str = "weka-operator-system";

    #[test]
    fn the_running_agent_of_the_node_is_found() {
        let s = store(vec![
            pod("a1", "n1", "Running", "10.244.0.5", "op:1"),
            pod("a2", "n2", "Running", "10.244.1.5", "op:1"),
        ]);
        let agent = find_agent(&s, NS, "n2", "op:1").unwrap();
        assert_eq!(agent.pod, "a2");
        assert_eq!(agent.base_url, "http://10.244.1.5:8090");
    }

    #[test]
    fn missing_pending_and_mismatched_agents_are_told_apart() {
        let s = store(vec![
            pod("a1", "n1", "Pending", "", "op:1"),
            pod("a2", "n2", "Running", "10.244.1.5", "op:0"),
        ]);
        assert!(matches!(find_agent(&s, NS, "n3", ""), Err(AgentError::PodNotFound { .. })));
        assert!(matches!(find_agent(&s, NS, "n1", ""), Err(AgentError::PodNotRunning { .. })));
        assert!(matches!(find_agent(&s, NS, "n2", "op:1"), Err(AgentError::ImageMismatch { .. })));
        // Without a configured operator image (development), any agent image is accepted.
        assert!(find_agent(&s, NS, "n2", "").is_ok());
    }

    #[test]
    fn agents_of_other_namespaces_do_not_count() {
        let mut other = pod("a1", "n1", "Running", "10.244.0.5", "op:1");
        other.metadata.namespace = Some("default".into());
        let s = store(vec![other]);
        assert!(matches!(find_agent(&s, NS, "n1", ""), Err(AgentError::PodNotFound { .. })));
    }
}
