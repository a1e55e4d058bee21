//! The stop permission handed to the runtime through the node agent (upstream
//! `sendStopInstructionsViaAgent`): for pods the operator cannot exec into (cri-o nodes, a
//! terminating container on some runtimes). The agent pod mounts the node's shared WEKA
//! directory, where the runtime of the WEKA pod polls for `shutdown_instructions.json` under
//! its container, pod and boot IDs (the boot ID keeps an instruction from outliving a reboot).

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::ResourceExt;

use super::node_agent::{agent_endpoint, agent_namespace};
use super::termination::Stop;
use crate::controllers::container::state::ContainerState;
use crate::node_agent::protocol::CONTAINER_NAME;
use crate::weka::ExecTarget;
use crate::weka::files::{ShutdownInstructions, shutdown_instructions_dir};

impl From<Stop> for ShutdownInstructions {
    fn from(stop: Stop) -> Self {
        ShutdownInstructions {
            allow_stop: stop == Stop::Graceful,
            allow_force_stop: stop == Stop::Force,
        }
    }
}

/// Hands `stop` for `pod` to the agent of `node`. Best effort, as upstream: without a running
/// agent (or a boot ID to file it under) only the exec path remains.
pub async fn send_via_agent(s: &ContainerState, pod: &Pod, node: &Node, stop: Stop) {
    let node_name = node.name_any();
    let boot_id = node.status.as_ref().and_then(|st| st.node_info.as_ref()).map(|i| &i.boot_id);
    let Some(boot_id) = boot_id.filter(|b| !b.is_empty()) else {
        tracing::debug!(node = %node_name, "no boot ID: no shutdown instructions via the agent");
        return;
    };
    let namespace = agent_namespace(&s.ctx.config);
    let agent = match agent_endpoint(s, &node_name).await {
        Ok(agent) => agent,
        Err(err) => {
            tracing::debug!(node = %node_name, error = %err, "no shutdown instructions via the agent");
            return;
        }
    };
    let pod_uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let dir = shutdown_instructions_dir(s.uid(), pod_uid, boot_id);
    let cli = s.cli().for_target(ExecTarget::in_container(&namespace, &agent.pod, CONTAINER_NAME));
    match cli.write_shutdown_instructions(&dir, stop.into()).await {
        Ok(()) => {
            tracing::info!(agent = %agent.pod, ?stop, "stop instructions handed to the node agent")
        }
        Err(err) => {
            tracing::warn!(agent = %agent.pod, error = %err, "stop instructions via the node agent failed")
        }
    }
}
