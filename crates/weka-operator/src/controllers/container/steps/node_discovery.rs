//! Node discovery before a pod is built (upstream's `GetNodeInfo`, which `ensurePod` runs
//! through the discover-node operation): the pod builder needs the node's facts (OS,
//! hyper-threading, init-container image, boot ID), which only something running on the node
//! can find. They are recorded on the node as `weka.io/discovery.json`; a node without a
//! current record (none, unreadable, an older schema, or one written before the node's last
//! boot) gets a discovery WekaContainer `weka-dsc-<node>` in the asking container's
//! namespace, owned by it (unless one for the node runs in any namespace), and the pod waits
//! for the record.
//!
//! The discovery container records the facts and deletes itself (`oneoff`), so the node's
//! annotation changing is what ends the wait: the node watch wakes the containers pinned to
//! the node and, when a record turns current, those not placed yet (`node_triggers`); a slow
//! poll covers the rest. A discovery container that never reports keeps its node's pods
//! waiting, with the reason in their condition, as upstream.

use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

use super::helper_containers as helpers;
use crate::controllers::container::ContainerObject;
use crate::controllers::container::node_info::discovery_is_current;
use crate::controllers::container::state::ContainerState;
use crate::engine::StepError;

/// How often a container waiting on a discovery looks again without being woken.
const DISCOVERY_RECHECK: Duration = Duration::from_secs(10);

/// How long a started discovery keeps others from starting it again while the cache may not
/// show its container yet (it shows it within milliseconds; after this long a discovery
/// that vanished is started again).
const DISCOVERY_START_WINDOW: Duration = Duration::from_secs(5);

/// Upstream's name for a node's discovery container.
pub fn discovery_container_name(node: &str) -> String {
    format!("weka-dsc-{node}")
}

/// `Ok` once `node` carries a current discovery record; otherwise its discovery container
/// exists (see [`discovery_pending`]) and the caller waits.
pub async fn ensure_node_discovered(s: &ContainerState, node: &Node) -> Result<(), StepError> {
    match discovery_pending(s, node).await? {
        None => Ok(()),
        Some(message) => {
            Err(StepError::poll("NodeDiscovery", message, helpers::recheck(s, DISCOVERY_RECHECK)))
        }
    }
}

/// `None` when `node` carries a current discovery record; otherwise what is awaited, its
/// discovery container having been created unless the cache shows one or this operator
/// started one moments ago.
pub async fn discovery_pending(
    s: &ContainerState,
    node: &Node,
) -> Result<Option<String>, StepError> {
    if discovery_is_current(node) {
        return Ok(None);
    }
    let node_name = node.name_any();
    let name = discovery_container_name(&node_name);
    // One discovery per node does, in whichever namespace it was started: the operator's
    // own helpers (drivers loaders, in its namespace) and the containers of clusters in other
    // namespaces would otherwise each start one. The whole cache is looked through only
    // while the node has no current record.
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    let cached = store.get(&ObjectRef::new(&name).within(s.namespace())).or_else(|| {
        store.state().into_iter().find(|c| c.metadata.name.as_deref() == Some(name.as_str()))
    });
    let message = match cached {
        Some(existing) if existing.metadata.deletion_timestamp.is_some() => format!(
            "node {node_name} has no current discovery record; waiting for the finished discovery container {name} to go"
        ),
        Some(_) => {
            format!("waiting for discovery container {name} to record node {node_name}'s facts")
        }
        None if !s.shared.start_discovery(&start_key(node), DISCOVERY_START_WINDOW) => {
            format!("waiting for the discovery of node {node_name}, just started")
        }
        None => {
            helpers::create(s, &discovery_container(s, &node_name, &name)?).await?;
            format!(
                "node {node_name} has no current discovery record: started discovery container {name}"
            )
        }
    };
    Ok(Some(message))
}

/// A node's discovery is started once per boot (a node re-created under its name, or
/// rebooted, is another).
fn start_key(node: &Node) -> String {
    format!("{}/{}", node.name_any(), crate::controllers::container::node_info::boot_id(node))
}

/// The discovery container for `node`: the asking container's image, pull secret,
/// tolerations and service account (what its own pod would run with), its labels with the
/// discovery mode, and the asking container as controller, so it goes with it.
fn discovery_container(
    s: &ContainerState,
    node: &str,
    name: &str,
) -> Result<WekaContainer, StepError> {
    let spec = s.spec();
    let body = json!({
        "name": "discovery",
        "image": spec.image,
        "imagePullSecret": spec.image_pull_secret,
        "numCores": 0,
        "hugepages": 0,
        "nodeAffinity": node,
        "tolerations": spec.tolerations,
        "serviceAccountName": spec.service_account_name,
    });
    helpers::owned_helper(s, name, ContainerMode::Discovery, body)
}
