//! Pod termination and the stop protocol.
//!
//! A WEKA pod has a termination grace period of up to a year: the in-pod runtime, not the
//! kubelet, decides when it exits. The operator only ever deletes a pod plainly (no grace
//! period, no propagation policy — never a forced delete) and then tells the runtime it may
//! stop, by touching a marker file and waking PID 1 (`bash -ce "touch <marker> && kill 1"`):
//! `/tmp/.allow-stop` (stop gracefully) or `/tmp/.allow-force-stop` (stop without waiting for
//! WEKA). It then waits for the pod to go away; the pod is recreated under the same name.
//!
//! The same permission also goes to the node agent (`shutdown_instructions.json`, see
//! [`super::shutdown_instructions`]) for pods the operator cannot exec into (cri-o, a
//! terminating pod on some runtimes).

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::ResourceExt;
use kube::api::{DeleteParams, Preconditions};
use weka_api::WekaCluster;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::node_agent::no_active_mounts_restriction;
use super::shutdown_instructions::send_via_agent;
use super::{QUARTER_MINUTE, pod_is_terminating, weka_image_of};
use crate::controllers::container::state::{ContainerState, api_error, node_is_ready, now};
use crate::engine::{StepError, StepFuture};
use crate::pod::{ModeTraits, has_frontend};

/// Upstream's default for how long a drive or compute pod may keep terminating before the
/// container is deactivated instead (`podTerminationDeactivationTimeout`).
const DEACTIVATION_TIMEOUT: Duration = Duration::from_secs(300);

/// How the runtime is told to stop (ordered: a force stop also allows a graceful one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    /// `/tmp/.allow-stop`, `weka local stop -g`.
    Graceful,
    /// `/tmp/.allow-force-stop`, `weka local stop --force`.
    Force,
}

/// Upstream's `deletePod`: a plain delete of exactly this pod (UID precondition), unless it
/// is already terminating.
pub async fn delete_pod(s: &ContainerState, pod: &Pod) -> Result<(), StepError> {
    if pod_is_terminating(pod) {
        return Ok(());
    }
    tracing::info!(pod = %pod.name_any(), "deleting the pod");
    // Preconditioned on the version this pass saw: a pass on a cached copy from before an
    // earlier delete (the pod watch not caught up yet) must not delete it a second time.
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: pod.uid(),
            resource_version: pod.resource_version(),
        }),
        ..DeleteParams::default()
    };
    match s.pods().delete(&pod.name_any(), &params).await {
        Ok(_) => Ok(()),
        // Gone already, replaced by a pod of another UID (then it is not ours to delete), or
        // changed since this pass saw it: the pod watch brings the next pass, which decides
        // on the current pod.
        Err(kube::Error::Api(st)) if st.code == 404 || st.code == 409 => Ok(()),
        Err(e) => Err(api_error("PodDeleteFailed", "delete the pod", e)),
    }
}

/// The node the pod runs on (the container's node, else the one the pod was scheduled to).
fn pod_node(s: &ContainerState, pod: &Pod) -> Option<Arc<Node>> {
    s.node.clone().or_else(|| {
        let name = pod.spec.as_ref()?.node_name.as_deref()?;
        s.cached_node(name)
    })
}

/// Upstream skips exec into pods on cri-o nodes (the node agent path is used there).
fn is_cri_o(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .is_some_and(|i| i.container_runtime_version.contains("cri-o"))
}

/// A permission handed to a terminating pod is handed again only after this long (in case
/// it was lost); until then the passes that wait for the pod to go leave it alone.
const ALLOW_AGAIN_AFTER: Duration = QUARTER_MINUTE;

/// Writes the stop marker in the pod (errors from a pod whose container is gone are success).
/// The node agent gets the same permission first (best effort; it is the only way in where
/// exec is not possible). Noted for the pod once written.
async fn allow(s: &ContainerState, pod: &Pod, stop: Stop) -> Result<(), crate::weka::WekaError> {
    if let Some(node) = pod_node(s, pod).filter(|n| node_is_ready(n)) {
        send_via_agent(s, pod, &node, stop).await;
    }
    let cli = s.cli();
    match stop {
        Stop::Graceful => cli.allow_stop().await,
        Stop::Force => cli.allow_force_stop().await,
    }?;
    s.shared.pod_notes.allowed_stop(s.uid(), &pod_uid(pod), stop);
    Ok(())
}

fn pod_uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

/// Whether this terminating pod was allowed to stop (at least as hard as `stop`) recently.
fn recently_allowed(s: &ContainerState, pod: &Pod, stop: Stop) -> bool {
    pod_is_terminating(pod)
        && s.shared.pod_notes.stop_allowed(s.uid(), &pod_uid(pod), stop, ALLOW_AGAIN_AFTER)
}

/// Upstream's `stopAndEnsureNoPod` / `stopForceAndEnsureNoPod`: delete the pod, tell the
/// runtime it may stop (and ask WEKA to stop when the node can be reached), then wait until
/// the pod is gone. `Ok` only once there is no pod.
pub async fn ensure_no_pod(s: &mut ContainerState, stop: Stop) -> Result<(), StepError> {
    let pod = s
        .pods()
        .get_opt(s.name())
        .await
        .map_err(|e| api_error("PodReadFailed", "read the pod", e))?;
    let Some(pod) = pod else {
        s.pod = None;
        return Ok(());
    };
    // What this pass has done so far (a run-once condition such as ContainerDeactivated is
    // only in memory until the pass ends) is written before the pod goes: a restart between
    // the two would otherwise find no pod and no record, and create a pod to deactivate again.
    s.persist_status().await?;
    let how = if stop == Stop::Force { "force-stop" } else { "stop" };
    if recently_allowed(s, &pod, stop) {
        // Deleted and told on an earlier pass: its removal (the pod watch) comes next.
        s.pod = Some(Arc::new(pod));
        let message = format!("pod deleted and allowed to {how}; waiting for it to go away");
        return Err(StepError::poll("PodStopping", message, QUARTER_MINUTE));
    }
    delete_pod(s, &pod).await?;
    let node = pod_node(s, &pod);
    let reachable = node.as_deref().is_some_and(|n| node_is_ready(n) && !is_cri_o(n));
    if !reachable && let Some(node) = node.as_deref().filter(|n| node_is_ready(n)) {
        send_via_agent(s, &pod, node, stop).await;
    }
    if reachable {
        match allow(s, &pod, stop).await {
            Ok(()) => {}
            // The pod's container already exited (a one-off that finished): nothing to tell.
            Err(err) if err.is_container_gone() => {
                tracing::debug!(error = %err, ?stop, "no stop marker: the container is gone");
                s.shared.pod_notes.allowed_stop(s.uid(), &pod_uid(&pod), stop);
            }
            Err(err) => tracing::warn!(error = %err, ?stop, "cannot write the stop marker"),
        }
        if s.mode().has_agent()
            && let Err(err) = s.cli().stop_local(stop == Stop::Force).await
        {
            tracing::warn!(error = %err, ?stop, "weka local stop failed");
        }
    }
    s.pod = Some(Arc::new(pod));
    let message = match reachable {
        true => format!("pod deleted and allowed to {how}; waiting for it to go away"),
        false => "pod deleted; its node cannot be reached, waiting for it to go away".to_string(),
    };
    Err(StepError::poll("PodStopping", message, QUARTER_MINUTE))
}

/// Step `stopAndEnsureNoPod` (graceful).
pub fn stop_and_ensure_no_pod(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(ensure_no_pod(s, Stop::Graceful))
}

/// Step `stopForceAndEnsureNoPod`.
pub fn stop_force_and_ensure_no_pod(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(ensure_no_pod(s, Stop::Force))
}

/// `dropStopAttemptRecord`: the pod runs again, so a past stop attempt no longer counts.
pub fn drop_stop_attempt_record(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let key = WekaContainerStatus::STOPPING_ATTEMPT;
        let present = s.status().timestamps.as_ref().is_some_and(|t| t.contains_key(key));
        if present {
            if let Some(timestamps) = s.status_mut().timestamps.as_mut() {
                timestamps.remove(key);
            }
            s.persist_status().await?;
        }
        Ok(())
    })
}

/// `handlePodTermination`: someone (this operator, a user, a drain) deleted the pod; the
/// runtime waits for permission to stop. Decide how it may stop, tell it, and wait.
pub fn handle_pod_termination(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let mode = s.mode();
        if mode.is_weka_container() && !mode.is_drivers_builder() {
            s.update_status(WekaContainerStatus::POD_TERMINATING).await?;
        }
        let waiting = || {
            StepError::poll(
                "PodTerminating",
                format!("pod {} is terminating; waiting for it to go away", pod.name_any()),
                QUARTER_MINUTE,
            )
        };
        let Some(node) = pod_node(s, &pod) else { return Err(waiting()) };
        if !node_is_ready(&node) {
            return Err(StepError::poll(
                "NodeNotReady",
                format!("pod is terminating on node {} which is not ready", node.name_any()),
                QUARTER_MINUTE,
            ));
        }
        if is_cri_o(&node) {
            // No exec into such pods: the runtime learns from the node agent that it may stop.
            send_via_agent(s, &pod, &node, Stop::Graceful).await;
            return Err(waiting());
        }
        let spec_image = s.spec().image.clone();
        let last_applied = s.status().last_applied_image.clone().unwrap_or_default();
        let upgrade_running = !last_applied.is_empty()
            && last_applied != spec_image
            && weka_image_of(&pod).is_some_and(|image| image != spec_image);
        let overrides = s.spec().overrides.clone().unwrap_or_default();

        let force_replace = overrides.pod_delete_force_replace.unwrap_or(false)
            || (overrides.upgrade_force_replace.unwrap_or(false) && upgrade_running);
        if force_replace {
            if let Err(err) = allow(s, &pod, Stop::Force).await {
                tracing::warn!(error = %err, "cannot write the force-stop marker");
            }
            if let Err(err) = s.cli().stop_local(true).await {
                tracing::warn!(error = %err, "weka local stop --force failed");
            }
            return Err(waiting());
        }

        let evict = mode.is_backend()
            && s.ctx.config.cleanup.evict_container_on_deletion
            && !(mode == ContainerMode::Compute
                && overrides.upgrade_prevent_eviction.unwrap_or(false))
            && !mode.is_protocol();
        if evict {
            s.set_state_deleting().await?;
            return Err(StepError::wait(
                "Evicting",
                "the pod was deleted: the container is deactivated and replaced",
            ));
        }

        if has_frontend(&s.container) {
            // A cordoned node is being drained: the frontend stops only once nothing is
            // mounted through it.
            if node.spec.as_ref().and_then(|sp| sp.unschedulable) == Some(true)
                && let Err(why) = no_active_mounts_restriction(s).await
            {
                return Err(StepError::poll("ActiveMounts", why, QUARTER_MINUTE));
            }
            if upgrade_running
                && s.spec().allow_hot_upgrade.unwrap_or(false)
                && let Err(err) = s.cli().prepare_driver_for_upgrade().await
                && !err.is_not_found()
            {
                return Err(StepError::failed("handlePodTerminationError", err));
            }
        }

        // Told on an earlier pass: only a force-stop allowed since (or a deactivation
        // timeout) changes what to do.
        let told = recently_allowed(s, &pod, Stop::Graceful);
        match if told { Ok(()) } else { allow(s, &pod, Stop::Graceful).await } {
            Ok(()) => {}
            // The pod finished terminating while this pass looked at its cached copy: its
            // removal, which the pod watch announces, is what comes next.
            Err(err) if err.is_container_gone() => {
                return Err(StepError::wait(
                    "PodTerminating",
                    format!("the pod is stopping: {err}"),
                ));
            }
            Err(err) => return Err(StepError::failed("handlePodTerminationError", err)),
        }

        if mode.has_agent() {
            let force = s.cli().force_stop_allowed().await.unwrap_or(false);
            if matches!(mode, ContainerMode::Drive | ContainerMode::Compute)
                && deactivation_timed_out(s).await?
            {
                s.set_state_deleting().await?;
                return Err(StepError::wait(
                    "DeactivationTimeout",
                    "the pod did not stop in time: the container is deactivated instead",
                ));
            }
            if (!told || force)
                && let Err(err) = s.cli().stop_local(force).await
            {
                tracing::warn!(error = %err, force, "weka local stop failed");
            }
        }
        Err(waiting())
    })
}

/// Stamps the first stop attempt; true once the deactivation timeout has passed since then.
async fn deactivation_timed_out(s: &mut ContainerState) -> Result<bool, StepError> {
    let key = WekaContainerStatus::STOPPING_ATTEMPT;
    let since = s.status().timestamps.as_ref().and_then(|t| t.get(key).cloned());
    let Some(since) = since else {
        s.status_mut().timestamps.get_or_insert_with(Default::default).insert(key.into(), now());
        s.persist_status().await?;
        return Ok(false);
    };
    let timeout = deactivation_timeout(s).await;
    if timeout.is_zero() {
        return Ok(false);
    }
    let elapsed = now().0.duration_since(since.0).as_secs();
    let migrating = s.spec().pvc.is_some()
        && s.spec().overrides.as_ref().and_then(|o| o.migrate_out_from_pvc).unwrap_or(false);
    Ok(elapsed > timeout.as_secs() as i64 && !migrating)
}

/// The owning cluster's `overrides.podTerminationDeactivationTimeout` (0 disables), else 5 min.
async fn deactivation_timeout(s: &ContainerState) -> Duration {
    let owner =
        s.container.metadata.owner_references.iter().flatten().find(|o| o.kind == "WekaCluster");
    let Some(owner) = owner else { return DEACTIVATION_TIMEOUT };
    let api: kube::Api<WekaCluster> = kube::Api::namespaced(s.ctx.client.clone(), s.namespace());
    let cluster = match api.get_opt(&owner.name).await {
        Ok(cluster) => cluster,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the owning WekaCluster; default timeout");
            None
        }
    };
    cluster
        .and_then(|c| c.spec.overrides?.pod_termination_deactivation_timeout)
        .and_then(|text| crate::config::parse::duration(&text).ok())
        .unwrap_or(DEACTIVATION_TIMEOUT)
}
