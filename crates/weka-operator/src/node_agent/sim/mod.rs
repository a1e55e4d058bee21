//! The node agent in the simulator: [`SimHost`] answers from wekasim's world, and
//! [`NodeAgentBehaviour`] runs the agent in kubesim's `node-agent` containers. [`register`]
//! installs it; `simulate` and tests call it next to `wekasim::runtime::register`.

mod behaviour;
mod daemonset;
mod host;

use std::sync::Arc;

use kubesim::nodes::behaviour::{BehaviourRegistry, Selector};
use wekasim::runtime::WekaRuntime;

pub use behaviour::NodeAgentBehaviour;
pub use daemonset::{DAEMONSET_YAML, DeployError, daemonset, deploy, install};
pub use host::SimHost;

use super::protocol::{CONTAINER_NAME, POD_LABEL_APP};

/// Runs the node agent in every container named `node-agent`, and in the containers of pods
/// labelled `app: weka-node-agent`, over `runtime`'s world. Returns the behaviour (tests reach
/// the running agents through it).
pub fn register(registry: &BehaviourRegistry, runtime: WekaRuntime) -> Arc<NodeAgentBehaviour> {
    let behaviour = Arc::new(NodeAgentBehaviour::new(runtime));
    let (label, value) = POD_LABEL_APP;
    let selector = Selector::Custom(Arc::new(move |pod, container| {
        container.name == CONTAINER_NAME
            || pod.metadata.labels.as_ref().and_then(|l| l.get(label)).is_some_and(|v| v == value)
    }));
    registry.register(selector, behaviour.clone());
    behaviour
}

#[cfg(test)]
mod tests;
