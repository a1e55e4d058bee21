//! The pod: found in the cache, created under the container's name, its metadata and
//! tolerations patched in place, replaced (through the stop protocol) when it must change in
//! a way Kubernetes does not allow on a running pod, and its state reflected in status.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use serde_json::json;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::joining::refreshed_join_ips;
use super::node_discovery;
use super::termination::delete_pod;
use super::upgrade::chosen_image;
use super::{MINUTE, QUARTER_MINUTE, pod_is_running, pod_is_terminating};
use crate::controllers::container::node_info::node_info;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};
use crate::pod::{MAIN_CONTAINER, ModeTraits, PodBuildError, PodContext, PodDrift, ReplaceReason};

/// `refreshPod`: the pod of the same name, from the shared cache.
pub fn refresh_pod(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        s.pod = s.cached_pod();
        Ok(())
    })
}

/// The pod the builder wants, with `image`, for a pod on `node`, owned by the container;
/// `join_ips` replace the spec's (`JOIN_IPS` is not compared with a live pod's, so only the
/// pod about to be created needs them).
fn desired_pod(
    s: &ContainerState,
    image: &str,
    node: Option<&Node>,
    join_ips: Option<Vec<String>>,
) -> Result<Pod, PodBuildError> {
    let settings = s.shared.pod_settings(&s.ctx);
    let mut ctx = PodContext::new(&s.container, node_info(node), settings).with_image(image);
    if let Some(join_ips) = join_ips {
        ctx = ctx.with_join_ips(join_ips);
    }
    let mut pod = crate::pod::build_pod(&s.container, &ctx)?;
    let mut owner = s
        .container
        .controller_owner_ref(&())
        .ok_or(PodBuildError::MissingMetadata { field: "uid" })?;
    owner.block_owner_deletion = Some(true);
    pod.metadata.owner_references = Some(vec![owner]);
    Ok(pod)
}

/// The node a live pod runs on, from the cache.
fn node_of(s: &ContainerState, pod: &Pod) -> Option<Arc<Node>> {
    let name = pod.spec.as_ref()?.node_name.as_deref()?;
    s.cached_node(name)
}

/// The condition, reason and wait of a pod that cannot be built: the spec (or the settings)
/// must change first.
fn build_problem(err: &PodBuildError) -> (&'static str, &'static str) {
    match err {
        PodBuildError::UnsupportedMode { .. } => (cond::UNSUPPORTED_MODE, "UnsupportedMode"),
        PodBuildError::MissingImage => (cond::DEGRADED, "MissingImage"),
        PodBuildError::MissingMetadata { .. } => (cond::DEGRADED, "MissingMetadata"),
        PodBuildError::InvalidSpec { .. } => (cond::DEGRADED, "InvalidSpec"),
        PodBuildError::MissingSetting { .. } => (cond::DEGRADED, "MissingSetting"),
        PodBuildError::MissingNodeInfo { .. } => (cond::DEGRADED, "MissingNodeInfo"),
    }
}

/// Records a pod that cannot be built: condition, Warning event, status `Error`; the flow
/// waits for the spec to change (no retries: nothing else would fix it).
async fn report_build_problem(s: &mut ContainerState, err: PodBuildError) -> StepError {
    let (condition, reason) = build_problem(&err);
    let message = format!("cannot build the pod: {err}");
    let generation = s.container.metadata.generation;
    s.set_condition_now(
        Desired::new(condition, Status::True, reason, &message).observed(generation),
    );
    s.warn(reason, &message).await;
    if let Err(write) = s.set_error_status().await {
        return write;
    }
    s.needs_spec_change = true;
    StepError::wait(reason, message)
}

/// A pod could be built again: earlier problem conditions are resolved.
fn clear_build_problems(s: &mut ContainerState) {
    for condition in [cond::UNSUPPORTED_MODE, cond::DEGRADED] {
        if weka_api::conditions::is_true(crate::engine::FlowState::conditions(s), condition) {
            s.set_condition_now(Desired::new(condition, Status::False, "Resolved", ""));
        }
    }
}

/// Upstream's `pickMatchingNode`: a node matching `spec.nodeSelector`, for the node facts of
/// a container not pinned yet (the first by name, so the choice is stable).
fn pick_matching_node(s: &ContainerState) -> Option<Arc<Node>> {
    let selector = s.spec().node_selector.clone().unwrap_or_default();
    let mut nodes: Vec<Arc<Node>> = s
        .ctx
        .reflectors
        .get::<Node>()
        .store()
        .state()
        .into_iter()
        .filter(|node| selector.iter().all(|(k, v)| node.labels().get(k) == Some(v)))
        .collect();
    nodes.sort_by_key(|node| node.name_any());
    nodes.into_iter().next()
}

/// `validateSpec` (ours): before anything acts on the container (drivers, allocation, the
/// pod), its node must exist and its pod must be buildable; otherwise the flow stops with a
/// condition and an event that say why, until the spec (or the node) changes.
pub fn validate_spec(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.node_missing {
            let node = s.node_affinity().unwrap_or_default().to_string();
            let message = format!("node {node} does not exist");
            s.warn("NodeNotFound", &message).await;
            return Err(StepError::wait("NodeNotFound", message));
        }
        let node = s.node.clone();
        match desired_pod(s, &chosen_image(s), node.as_deref(), None) {
            Ok(_) => {
                clear_build_problems(s);
                Ok(())
            }
            Err(err) => Err(report_build_problem(s, err).await),
        }
    })
}

/// `ensurePod`: creates the pod, named like the container and owned by it.
pub fn ensure_pod(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.node_unschedulable() {
            let node = s.node.as_ref().map(|n| n.name_any()).unwrap_or_default();
            return Err(StepError::poll(
                "NodeUnschedulable",
                format!("node {node} is unschedulable: the pod is not created"),
                Duration::from_secs(10),
            ));
        }
        if s.node_missing {
            let node = s.node_affinity().unwrap_or_default().to_string();
            let message = format!("node {node} does not exist: the pod is not created");
            s.warn("NodeNotFound", &message).await;
            return Err(StepError::wait("NodeNotFound", message));
        }
        let node = build_node(s, None);
        if node.is_none() && s.mode() != ContainerMode::Discovery {
            let message = "no node matches spec.nodeSelector".to_string();
            s.warn("NoMatchingNode", &message).await;
            return Err(StepError::poll("NoMatchingNode", message, MINUTE));
        }
        if let Some(node) = &node {
            node_discovery::ensure_node_discovered(s, node).await?;
        }
        let image = chosen_image(s);
        let join_ips = refreshed_join_ips(s);
        if let Some(ips) = &join_ips {
            tracing::info!(join_ips = ?ips, "the pod joins the cluster's current members");
        }
        let pod = match desired_pod(s, &image, node.as_deref(), join_ips) {
            Ok(pod) => pod,
            Err(err) => return Err(report_build_problem(s, err).await),
        };
        clear_build_problems(s);
        tracing::info!(%image, "creating the pod");
        let created = match s.pods().create(&PostParams::default(), &pod).await {
            Ok(created) => created,
            // The cache has not seen a pod created earlier (by us, before a restart).
            Err(kube::Error::Api(st)) if st.code == 409 => s
                .pods()
                .get(s.name())
                .await
                .map_err(|e| api_error("ensurePodError", "read the existing pod", e))?,
            Err(err) => {
                s.set_error_status().await?;
                return Err(api_error("ensurePodError", "create the pod", err));
            }
        };
        s.pod = Some(Arc::new(created));
        Ok(())
    })
}

/// The node whose facts a pod is built with: none for a discovery container (it finds
/// them); else the node the pod runs on, the container's node, or, for a container not
/// placed yet, the node `pickMatchingNode` stands in with.
fn build_node(s: &ContainerState, pod: Option<&Pod>) -> Option<Arc<Node>> {
    if s.mode() == ContainerMode::Discovery {
        return None;
    }
    pod.and_then(|pod| node_of(s, pod)).or_else(|| s.node.clone()).or_else(|| pick_matching_node(s))
}

/// What the live pod needs, compared with the pod the builder wants now.
fn drift(s: &ContainerState, pod: &Pod) -> Result<PodDrift, PodBuildError> {
    let node = build_node(s, Some(pod));
    let desired = desired_pod(s, &chosen_image(s), node.as_deref(), None)?;
    Ok(crate::pod::compare(&desired, pod))
}

/// `updatePodMetadataOnChange` and `updatePodTolerationsOnChange`: labels, annotations and
/// tolerations are patched on the live pod.
pub fn update_pod_metadata(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let Ok(PodDrift::Patch { metadata: Some(metadata), .. }) = drift(s, &pod) else {
            return Ok(());
        };
        tracing::info!(?metadata, "updating the pod's labels and annotations");
        patch_pod(s, &pod, metadata.to_merge_patch(), "update the pod's metadata").await
    })
}

pub fn update_pod_tolerations(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let Ok(PodDrift::Patch { tolerations: Some(tolerations), .. }) = drift(s, &pod) else {
            return Ok(());
        };
        tracing::info!("updating the pod's tolerations");
        let body = json!({"spec": {"tolerations": tolerations}});
        patch_pod(s, &pod, body, "update the pod's tolerations").await
    })
}

async fn patch_pod(
    s: &mut ContainerState,
    pod: &Pod,
    mut body: serde_json::Value,
    what: &str,
) -> Result<(), StepError> {
    body["metadata"]["resourceVersion"] = json!(pod.resource_version());
    match s.pods().patch(&pod.name_any(), &PatchParams::default(), &Patch::Merge(&body)).await {
        Ok(patched) => {
            s.pod = Some(Arc::new(patched));
            Ok(())
        }
        Err(err) => Err(api_error("PodUpdateFailed", what, err)),
    }
}

/// `replacePodOnSpecChange` (ours; upstream replaces through the cluster's pod config hash):
/// a live pod that must change in a way Kubernetes does not allow in place is deleted —
/// plainly — and the termination protocol takes over; `ensurePod` then recreates it. Image
/// changes of a container that ran an image before belong to `handleImageUpdate`.
pub fn replace_pod_on_spec_change(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        // A pod placed by the scheduler on a node not discovered yet was built with another
        // node's facts: it is compared once its own node's are recorded (the discovery
        // started here; the node watch brings the container back), not replaced on guesses.
        if let Some(node) = build_node(s, Some(&pod))
            && let Some(waiting) = node_discovery::discovery_pending(s, &node).await?
        {
            tracing::debug!(%waiting, "the pod's node facts are not known yet");
            return Ok(());
        }
        let reasons = match drift(s, &pod) {
            Ok(PodDrift::Replace { reasons }) => reasons,
            Ok(_) => {
                clear_build_problems(s);
                return Ok(());
            }
            Err(err) => return Err(report_build_problem(s, err).await),
        };
        let upgrade_governs = !s.status().last_applied_image.clone().unwrap_or_default().is_empty();
        let reasons: Vec<String> = reasons
            .iter()
            .filter(|r| !(upgrade_governs && matches!(r, ReplaceReason::ImageChanged { .. })))
            .map(ToString::to_string)
            .collect();
        if reasons.is_empty() {
            return Ok(());
        }
        let message = format!("replacing the pod: {}", reasons.join(", "));
        tracing::info!(%message);
        s.event(EventType::Normal, "PodReplaced", &message).await;
        delete_pod(s, &pod).await?;
        Err(StepError::wait("PodReplacing", message))
    })
}

/// `deletePodIfUnschedulable`: a pod the scheduler cannot place for longer than
/// `DELETE_UNSCHEDULABLE_PODS_AFTER` is deleted (it is recreated from the current spec).
pub fn delete_pod_if_unschedulable(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let since = pod
            .status
            .as_ref()
            .and_then(|st| st.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
            })
            .and_then(|c| c.last_transition_time.clone());
        let Some(since) = since else { return Ok(()) };
        let after = s.ctx.config.cleanup.delete_unschedulable_pods_after;
        let elapsed = crate::controllers::container::state::now().0.duration_since(since.0);
        let elapsed = Duration::from_secs(elapsed.as_secs().max(0) as u64);
        if elapsed <= after {
            return Err(StepError::poll(
                "PodUnschedulable",
                "the pod cannot be scheduled",
                after - elapsed + Duration::from_secs(1),
            ));
        }
        if s.mode().is_drivers() && s.status().node_affinity.is_some() {
            s.clear_status().await?;
        }
        let message = format!("the pod is unschedulable since {}, deleting it", since.0);
        s.event(EventType::Warning, "UnschedulablePod", &message).await;
        delete_pod(s, &pod).await?;
        Err(StepError::wait("UnschedulablePod", message))
    })
}

/// `checkPodUnhealty`: the WEKA container restarted and is not ready: status `Unhealthy`.
pub fn check_pod_unhealthy(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let status = pod.status.clone().unwrap_or_default();
        let ready = status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "ContainersReady" && c.status == "True");
        let restarted = status
            .container_statuses
            .iter()
            .flatten()
            .any(|c| c.name == MAIN_CONTAINER && c.restart_count > 0);
        if ready || !restarted {
            return Ok(());
        }
        s.update_status(WekaContainerStatus::UNHEALTHY).await?;
        Err(StepError::poll(
            "Unhealthy",
            "the WEKA container restarted and is not ready",
            QUARTER_MINUTE,
        ))
    })
}

/// `ensurePodNotRunningState`: status `PodNotRunning` while the pod does not run.
pub fn ensure_pod_not_running_state(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(s.update_status(WekaContainerStatus::POD_NOT_RUNNING))
}

/// `WaitForPodRunning`: the rest needs a running pod (its status changes are watched).
pub fn wait_for_pod_running(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else {
            return Err(StepError::wait("PodNotRunning", "there is no pod"));
        };
        if pod_is_running(&pod) {
            return Ok(());
        }
        Err(StepError::wait("PodNotRunning", describe_not_running(&pod)))
    })
}

/// "pod is Pending: weka-container is waiting (ErrImagePull: ...)".
fn describe_not_running(pod: &Pod) -> String {
    let status = pod.status.clone().unwrap_or_default();
    let phase = status.phase.unwrap_or_else(|| "Pending".into());
    let waiting = status
        .container_statuses
        .iter()
        .flatten()
        .find(|c| c.name == MAIN_CONTAINER)
        .and_then(|c| c.state.as_ref()?.waiting.clone());
    match waiting {
        Some(w) => format!(
            "pod is {phase}: {MAIN_CONTAINER} is waiting ({})",
            [w.reason, w.message].into_iter().flatten().collect::<Vec<_>>().join(": ")
        ),
        None if pod_is_terminating(pod) => format!("pod is {phase} and terminating"),
        None => format!("pod is {phase}"),
    }
}

/// `setPodRunningStatus` (ad-hoc and discovery containers): status `PodRunning`.
pub fn set_pod_running_status(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.pod.as_deref().is_some_and(pod_is_running) {
            s.update_status(WekaContainerStatus::POD_RUNNING).await?;
        }
        Ok(())
    })
}
