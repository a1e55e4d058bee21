//! Reaching the node agent of the container's node from a step: the agent pod (from the pod
//! cache), the shared token and the client, and what several flows ask it — the active
//! wekafs mounts of a frontend (upstream `funcs_active_mounts.go`).

use std::sync::Arc;

use kube::runtime::events::EventType;
use serde_json::Value;

use crate::controllers::container::state::{ContainerState, node_is_ready};
use crate::engine::StepError;
pub use crate::node_agent_client::agent_namespace;
use crate::node_agent_client::{AgentEndpoint, AgentError, AgentPods, NodeAgentClient, locate};
use crate::pod::ModeTraits;

/// The node agent of one node, ready to be called.
pub struct Agent {
    pub client: Arc<NodeAgentClient>,
    pub endpoint: AgentEndpoint,
    pub token: String,
}

impl Agent {
    /// A JSON-RPC call to the local WEKA container of the WekaContainer `uid`.
    pub async fn jsonrpc(
        &self,
        uid: &str,
        method: &str,
        params: impl serde::Serialize,
    ) -> Result<Value, AgentError> {
        self.client.jsonrpc(&self.endpoint, &self.token, uid, method, params).await
    }
}

/// The node the container runs on: its node affinity, else its pod's node.
pub fn container_node(s: &ContainerState) -> Option<String> {
    s.node_affinity().map(str::to_string).or_else(|| {
        s.pod.as_ref().and_then(|p| p.spec.as_ref()?.node_name.clone()).filter(|n| !n.is_empty())
    })
}

/// The running agent pod of `node`: from the shared pod cache when the operator watches
/// the agents' namespace (or every namespace), else from the API.
pub async fn agent_endpoint(s: &ContainerState, node: &str) -> Result<AgentEndpoint, AgentError> {
    let config = &s.ctx.config;
    let namespace = agent_namespace(config);
    let image = &config.identity.operator_image;
    let store;
    let pods = match config.scope.namespace() {
        Some(watched) if watched != namespace => AgentPods::Api(&s.ctx.client),
        _ => {
            store = s.ctx.reflectors.get::<crate::runtime::CachedPod>().store();
            AgentPods::Cache(&store)
        }
    };
    locate(pods, &namespace, node, image).await
}

/// The agent of `node`.
pub async fn agent_on(s: &ContainerState, node: &str) -> Result<Agent, AgentError> {
    let config = &s.ctx.config;
    let namespace = agent_namespace(config);
    let endpoint = agent_endpoint(s, node).await?;
    let client = s.shared.agent_client(&s.ctx).map_err(AgentError::Client)?;
    let secret = &config.metrics_collection.node_agent_token_secret;
    let token = client.token.get(&s.ctx.client, &namespace, secret).await?;
    Ok(Agent { client, endpoint, token })
}

/// The agent of the container's node.
pub async fn agent(s: &ContainerState) -> Result<Agent, AgentError> {
    let node = container_node(s).ok_or_else(|| AgentError::PodNotFound { node: String::new() })?;
    agent_on(s, &node).await
}

/// An agent problem as the step's failure: which agent, and what to do when there is none.
pub fn step_error(reason: &'static str, err: AgentError) -> StepError {
    match &err {
        AgentError::PodNotFound { .. } => StepError::failed(
            reason,
            format!("{err} (the node-agent DaemonSet of the operator's install runs one per node)"),
        ),
        _ => StepError::failed(reason, err),
    }
}

/// Upstream's `GetActiveMounts`: the frontend's active wekafs mounts as the node agent reads
/// them; a node without the wekafs driver (agent answers 404) has none.
pub async fn active_mounts(s: &ContainerState) -> Result<i64, AgentError> {
    let agent = agent(s).await?;
    let name = s.spec().name.clone();
    match agent.client.active_mounts(&agent.endpoint, &agent.token, &name, s.uid()).await {
        Err(err) if err.is_not_found() => Ok(0),
        other => other,
    }
}

/// Whether the node can still have mounts through this container: a node that is gone or
/// NotReady cannot be asked, and nothing on it can be protected by waiting.
pub fn node_reachable(s: &ContainerState) -> bool {
    !s.node_missing && s.node.as_deref().is_some_and(node_is_ready)
}

/// Upstream's `noActiveMountsRestriction`: a frontend with mounts must not be stopped. No
/// restriction for protocol containers, containers not in the cluster yet, or with
/// `overrides.skipActiveMountsCheck`; otherwise mounts are an error (with a Warning
/// `ActiveMounts`, at most one a minute).
pub async fn no_active_mounts_restriction(s: &ContainerState) -> Result<(), String> {
    let skip = s.spec().overrides.as_ref().and_then(|o| o.skip_active_mounts_check) == Some(true);
    if s.mode().is_protocol() || s.status().container_id.is_none() || skip {
        return Ok(());
    }
    let mounts = active_mounts(s).await.map_err(|e| format!("active mounts unknown: {e}"))?;
    if mounts != 0 {
        let message = format!("{mounts} mounts are still active");
        s.warn("ActiveMounts", &message).await;
        return Err(message);
    }
    Ok(())
}

/// Records the frontend's mount count in `status.stats.activeMounts` and the printer column
/// (in memory; the pass's status write carries it).
pub fn record_active_mounts(s: &mut ContainerState, mounts: i64) {
    let status = s.status_mut();
    status.stats.get_or_insert_with(Default::default).active_mounts = Some(mounts);
    status.printer.get_or_insert_with(Default::default).active_mounts = Some(mounts.to_string());
}

/// Publishes a Normal event at most once a minute.
pub async fn note(s: &ContainerState, reason: &str, message: &str) {
    s.event_throttled(EventType::Normal, reason, message, std::time::Duration::from_secs(60)).await;
}
