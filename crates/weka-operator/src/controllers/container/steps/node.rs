//! The container's node: loading it, reacting to it being NotReady, cordoned or gone, the
//! opt-in clean-ups when the container no longer fits it, and binding the container to the
//! node its pod was scheduled to.

use k8s_openapi::api::core::v1::{Node, Taint, Toleration};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams};
use kube::runtime::events::EventType;
use weka_api::wekacontainer::ContainerMode;

use super::termination::delete_pod;
use super::{QUARTER_MINUTE, pod_is_running, pod_is_terminating};
use crate::controllers::container::object::ContainerObject;
use crate::controllers::container::state::{ContainerState, api_error, node_is_ready};
use crate::engine::{StepError, StepFuture};
use crate::pod::{ModeTraits, pod_tolerations};

/// `GetNode`: the node named by the node affinity, from the cache (none when not pinned).
pub fn get_node(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        load_node(s);
        Ok(())
    })
}

fn load_node(s: &mut ContainerState) {
    let affinity = s.node_affinity().map(str::to_string);
    s.node = affinity.as_deref().and_then(|name| s.cached_node(name));
    s.node_missing = affinity.is_some() && s.node.is_none();
}

/// Whether the node named `name` does not exist, asked of the API server (decisions that
/// delete things do not trust a cache).
async fn node_is_gone(s: &ContainerState, name: &str) -> Result<bool, StepError> {
    let api: Api<Node> = Api::all(s.ctx.client.clone());
    let node =
        api.get_opt(name).await.map_err(|e| api_error("NodeReadFailed", "read the node", e))?;
    Ok(node.is_none())
}

/// `deleteIfNoNode`: the node of a container owned by a cluster or client left Kubernetes:
/// the container is deleted (backends only with `CLEANUP_REMOVED_NODES`).
pub fn delete_if_no_node(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let owned = s.container.metadata.owner_references.as_ref().is_some_and(|o| !o.is_empty());
        if s.is_marked_for_deletion()
            || !s.node_missing
            || (!owned && s.mode() != ContainerMode::DriversLoader)
            || (s.mode().is_backend() && !s.ctx.config.cleanup.removed_nodes)
        {
            return Ok(());
        }
        let node = s.node_affinity().unwrap_or_default().to_string();
        if !node_is_gone(s, &node).await? {
            return Ok(());
        }
        let message = format!("node {node} no longer exists: deleting the container");
        s.event(EventType::Warning, "NodeNotFound", &message).await;
        match s.api().delete(s.name(), &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(st)) if st.code == 404 => s.gone = true,
            Err(e) => return Err(api_error("DeleteFailed", "delete the WekaContainer", e)),
        }
        Err(StepError::wait("NodeNotFound", message))
    })
}

/// Owned containers that are not already being torn down.
fn may_clean_up(s: &ContainerState) -> bool {
    use weka_api::wekacontainer::ContainerState as State;
    let owned = s.container.metadata.owner_references.as_ref().is_some_and(|o| !o.is_empty());
    let state = s.spec().state.unwrap_or_default();
    owned && !s.is_marked_for_deletion() && !matches!(state, State::Deleting | State::Destroying)
}

/// `deleteIfTolerationsMismatch` (opt-in): the node has a taint the pod does not tolerate.
pub fn delete_if_tolerations_mismatch(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = s.node.clone() else { return Ok(()) };
        if !may_clean_up(s) || is_tolerated(s, &node) {
            return Ok(());
        }
        let message = format!(
            "node {} has taints the container does not tolerate: deleting it",
            node.name_any()
        );
        s.event(EventType::Normal, "TolerationMismatch", &message).await;
        s.set_state_deleting().await?;
        Err(StepError::wait("TolerationMismatch", message))
    })
}

/// `deleteIfNodeSelectorMismatch` (opt-in): the node's labels no longer match the selector.
pub fn delete_if_node_selector_mismatch(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = s.node.clone() else { return Ok(()) };
        let selector = s.spec().node_selector.clone().unwrap_or_default();
        let matches = selector.iter().all(|(k, v)| node.labels().get(k) == Some(v));
        if !may_clean_up(s) || matches {
            return Ok(());
        }
        let message = format!(
            "node {} no longer matches the node selector: deleting the container",
            node.name_any()
        );
        s.event(EventType::Normal, "NodeSelectorMismatch", &message).await;
        s.set_state_deleting().await?;
        Err(StepError::wait("NodeSelectorMismatch", message))
    })
}

/// Upstream's `isTolerated`: every NoSchedule/NoExecute taint of the node (except the
/// configured ignored ones) is tolerated by the pod's tolerations.
fn is_tolerated(s: &ContainerState, node: &Node) -> bool {
    let config = &s.ctx.config.tolerations;
    let ignored: Vec<String> = if config.mismatch_enable_ignored_taints {
        config.mismatch_ignored_taints.0.clone()
    } else {
        Vec::new()
    };
    let settings = s.shared.pod_settings(&s.ctx);
    let spec_tolerations = s.spec().tolerations.clone().unwrap_or_default();
    // Includes the key-less NoSchedule tolerations of clients (upstream expands them here).
    let tolerations = pod_tolerations(s.mode(), &spec_tolerations, settings);
    let taints = node.spec.as_ref().and_then(|spec| spec.taints.clone()).unwrap_or_default();
    taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .filter(|t| !ignored.contains(&t.key))
        .all(|taint| tolerations.iter().any(|t| tolerates(t, taint)))
}

/// Kubernetes' `ToleratesTaint`.
fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect_ok = toleration.effect.as_deref().is_none_or(|e| e.is_empty() || e == taint.effect);
    let key_ok = toleration.key.as_deref().is_none_or(|k| k.is_empty() || k == taint.key);
    let value_ok = match toleration.operator.as_deref() {
        Some("Exists") => true,
        _ => {
            toleration.value.as_deref().unwrap_or_default()
                == taint.value.as_deref().unwrap_or_default()
        }
    };
    let empty_key_needs_exists = toleration.key.as_deref().unwrap_or_default().is_empty()
        && toleration.operator.as_deref() != Some("Exists");
    effect_ok && key_ok && value_ok && !empty_key_needs_exists
}

/// `ReportNodeUnschedulable`: a cordoned node is reported (at most once a minute).
pub fn report_node_unschedulable(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let node = s.node.as_ref().map(|n| n.name_any()).unwrap_or_default();
        s.warn("NodeUnschedulable", &format!("node {node} is unschedulable")).await;
        Ok(())
    })
}

/// `HandleNodeNotReady`: nothing more can be done on a node that is NotReady or gone. A
/// running pod on a NotReady node is deleted so that it is replaced once the node is back.
pub fn handle_node_not_ready(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.node.is_none() {
            load_node(s);
        }
        if s.node_missing {
            let node = s.node_affinity().unwrap_or_default().to_string();
            let message = format!("node {node} does not exist");
            s.warn("NodeNotFound", &message).await;
            return Err(StepError::wait("NodeNotFound", message));
        }
        let Some(node) = s.node.clone() else {
            return Err(StepError::wait("NodeUnknown", "the container is not bound to a node yet"));
        };
        if node_is_ready(&node) {
            return Ok(());
        }
        let message = format!("node {} is not ready", node.name_any());
        s.warn("NodeNotReady", &message).await;
        if let Some(pod) = s.pod.clone()
            && pod_is_running(&pod)
            && !pod_is_terminating(&pod)
        {
            tracing::info!(node = %node.name_any(), "deleting the pod on a NotReady node");
            delete_pod(s, &pod).await?;
        }
        Err(StepError::poll("NodeNotReady", message, QUARTER_MINUTE))
    })
}

/// `enforceNodeAffinity` (modes that must own their node): the first container of its kind
/// on the node keeps it; a container that lost the race moves to deletion.
pub fn enforce_node_affinity(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = scheduled_node(s) else {
            return Err(not_scheduled(s));
        };
        if s.spec().drop_affinity_constraints != Some(true) {
            let lock = s.shared.node_lock(&format!("{node}-{}", s.mode()));
            let _held = lock.lock().await;
            if let Some(other) = node_taken_by(s, &node) {
                tracing::info!(%other, %node, "another container already owns the node");
                s.set_state_deleting().await?;
                return Err(StepError::wait(
                    "SchedulingRace",
                    format!("{other} already runs on node {node}: deleting this container"),
                ));
            }
            return bind_to_node(s, &node).await;
        }
        bind_to_node(s, &node).await
    })
}

/// Another WekaContainer of the same kind bound to `node` (same mode and labels; for protocol
/// containers, unless several are allowed per node, any frontend).
fn node_taken_by(s: &ContainerState, node: &str) -> Option<String> {
    let protocol_exclusive =
        s.mode().is_protocol() && !s.ctx.config.pods.allow_multiple_protocols_per_node;
    let own_labels = s.container.labels().clone();
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    store
        .state()
        .into_iter()
        .filter(|other| other.namespace().as_deref() == Some(s.namespace()))
        .filter(|other| other.uid().as_deref() != Some(s.uid()))
        .filter(|other| other.status_node_affinity() == Some(node))
        .find(|other| {
            if protocol_exclusive {
                matches!(other.mode(), Some("client" | "s3" | "nfs"))
            } else {
                let same_mode = other.mode() == Some(s.mode().as_str());
                same_mode && own_labels.iter().all(|(k, v)| other.labels().get(k) == Some(v))
            }
        })
        .map(|other| other.name_any())
}

/// The node the pod was scheduled to.
fn scheduled_node(s: &ContainerState) -> Option<String> {
    s.pod.as_ref()?.spec.as_ref()?.node_name.clone().filter(|n| !n.is_empty())
}

/// The pod is not placed yet; the scheduler's reason when it gave one.
fn not_scheduled(s: &ContainerState) -> StepError {
    let why = s
        .pod
        .as_ref()
        .and_then(|p| p.status.as_ref()?.conditions.clone())
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        .and_then(|c| c.message);
    let message = match why {
        Some(why) => format!("the pod is not scheduled to a node yet: {why}"),
        None => "the pod is not scheduled to a node yet".to_string(),
    };
    StepError::wait("PodNotScheduled", message)
}

/// `setNodeAffinityStatus`: records the node the pod was scheduled to.
pub fn set_node_affinity_status(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = scheduled_node(s) else {
            return Err(not_scheduled(s));
        };
        bind_to_node(s, &node).await
    })
}

async fn bind_to_node(s: &mut ContainerState, node: &str) -> Result<(), StepError> {
    if s.cached_node(node).is_none() && node_is_gone(s, node).await? {
        return Err(StepError::failed("NodeNotFound", format!("node {node} not found")));
    }
    let status = s.status_mut();
    status.node_affinity = Some(node.to_string());
    status.printer.get_or_insert_with(Default::default).node_affinity = Some(node.to_string());
    tracing::info!(node, "binding to the node");
    s.persist_status().await?;
    load_node(s);
    Ok(())
}

/// `clearStatusOnNodeNotFound` (drivers containers placed by the scheduler): their node is
/// gone, so they start over elsewhere.
pub fn clear_status_on_node_not_found(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let node = s.node_affinity().unwrap_or_default().to_string();
        if node.is_empty() || !node_is_gone(s, &node).await? {
            return Ok(());
        }
        s.clear_status().await?;
        Err(StepError::wait("NodeNotFound", format!("node {node} not found: status cleared")))
    })
}
