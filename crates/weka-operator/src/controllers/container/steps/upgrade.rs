//! Image upgrades of the pod: which image a new pod gets, when a running pod is replaced for
//! a new image (through the termination protocol), and when the new image counts as applied.

use kube::ResourceExt;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;
use weka_api::constants::labels;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::node_agent;
use super::termination::delete_pod;
use super::{pod_is_running, pod_is_terminating, weka_image_of};
use crate::controllers::container::state::ContainerState;
use crate::engine::{StepError, StepFuture};
use crate::pod::{ModeTraits, has_frontend};
use crate::runtime::CachedPod;

/// Whether an upgrade of this frontend waits for its mounts to go: a frontend that ran an
/// image, is not hot-upgradable, is in the cluster, and has no `skipActiveMountsCheck`.
pub fn mounts_hold_upgrade(s: &ContainerState) -> bool {
    let last_applied = s.status().last_applied_image.clone().unwrap_or_default();
    let skip_mounts =
        s.spec().overrides.as_ref().and_then(|o| o.skip_active_mounts_check) == Some(true);
    has_frontend(&s.container)
        && !last_applied.is_empty()
        && s.spec().allow_hot_upgrade != Some(true)
        && !s.mode().is_protocol()
        && s.status().container_id.is_some()
        && !skip_mounts
}

/// An upgrade of the image is pending: `spec.image` is not the last applied one.
pub fn upgrade_pending(s: &ContainerState) -> bool {
    let last_applied = s.status().last_applied_image.clone().unwrap_or_default();
    !last_applied.is_empty() && last_applied != s.spec().image
}

/// `GetActiveMounts` for a pending frontend upgrade: the node agent's count, kept for this
/// reconcile (the upgrade decisions below are made from it).
pub fn get_active_mounts(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let mounts = node_agent::active_mounts(s).await.map_err(|e| e.to_string());
        if let Ok(n) = mounts {
            node_agent::record_active_mounts(s, n);
            if n > 0 {
                s.warn("ActiveMounts", &format!("{n} mounts are still active")).await;
            }
        }
        s.active_mounts = Some(mounts);
        Ok(())
    })
}

/// Upstream's `upgradeConditionsPass`: only frontends are held back — until no filesystem is
/// mounted through them (count from the node agent, see [`get_active_mounts`]) and the other
/// frontends on the node run the new image.
pub fn upgrade_conditions_pass(s: &ContainerState) -> Result<(), String> {
    let last_applied = s.status().last_applied_image.clone().unwrap_or_default();
    if !has_frontend(&s.container)
        || last_applied.is_empty()
        || s.spec().allow_hot_upgrade == Some(true)
    {
        return Ok(());
    }
    if mounts_hold_upgrade(s) {
        match &s.active_mounts {
            Some(Ok(0)) => {}
            Some(Ok(n)) => return Err(format!("{n} mounts are still active")),
            Some(Err(err)) => return Err(format!("active mounts unknown: {err}")),
            None => return Err("active mounts not read yet".to_string()),
        }
    }
    let Some(node) = s.pod.as_ref().and_then(|p| p.spec.as_ref()?.node_name.clone()) else {
        return Ok(());
    };
    let spec_image = &s.spec().image;
    let pods = s.ctx.reflectors.get::<CachedPod>().store().state();
    for other in pods.iter().filter(|p| p.namespace().as_deref() == Some(s.namespace())) {
        let mode = other.labels().get(labels::MODE).map(String::as_str);
        let frontend = matches!(mode, Some("client" | "s3" | "nfs"));
        let same_node = other.node_name() == Some(node.as_str());
        if !frontend || !same_node || other.name_any() == s.name() {
            continue;
        }
        let other = other.pod().map_err(|e| format!("pod {}: {e}", other.name_any()))?;
        if let Some(image) = weka_image_of(&other)
            && image != spec_image
        {
            return Err(format!("frontend pod {} on node {node} runs {image}", other.name_any()));
        }
    }
    Ok(())
}

/// The image a new pod gets: `spec.image`, unless an upgrade to it is held back (then the
/// last applied image, so a recreated pod does not jump the queue).
pub fn chosen_image(s: &ContainerState) -> String {
    let spec_image = s.spec().image.clone();
    let last_applied = s.status().last_applied_image.clone().unwrap_or_default();
    let force = s.spec().overrides.as_ref().and_then(|o| o.upgrade_force_replace) == Some(true);
    if !last_applied.is_empty()
        && last_applied != spec_image
        && !force
        && upgrade_conditions_pass(s).is_err()
    {
        return last_applied;
    }
    spec_image
}

fn is_manual(s: &ContainerState) -> bool {
    use weka_api::common::UpgradePolicyType;
    matches!(s.spec().upgrade_policy_type, None | Some(UpgradePolicyType::Manual))
}

/// `handleImageUpdate`: a container that ran an image is moved to `spec.image` by deleting
/// its pod (the termination protocol lets the runtime stop; `ensurePod` recreates the pod
/// with the new image). Records `ContainerImageUpdated`.
pub fn handle_image_update(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let spec_image = s.spec().image.clone();
        let pod_image = weka_image_of(&pod).unwrap_or_default().to_string();
        let replacing =
            || StepError::wait("ImageUpdate", format!("replacing the pod to run {spec_image}"));
        let force = s.spec().overrides.as_ref().and_then(|o| o.upgrade_force_replace) == Some(true);
        if force {
            if pod_is_terminating(&pod) || pod_image == spec_image {
                return Ok(());
            }
            if let Err(err) = s.cli().allow_force_stop().await {
                tracing::warn!(error = %err, "cannot write the force-stop marker");
            }
            delete_pod(s, &pod).await?;
            return Err(replacing());
        }
        if let Err(why) = upgrade_conditions_pass(s) {
            let message = format!("cannot upgrade to {spec_image}: {why}");
            let desired =
                Desired::new(cond::CONTAINER_IMAGE_UPDATED, Status::False, "ImageUpdate", &message);
            s.set_condition_now(desired);
            return Err(StepError::poll("UpgradeBlocked", message, super::MINUTE));
        }
        if pod_image != spec_image && !pod_is_terminating(&pod) {
            if has_frontend(&s.container) && s.spec().allow_hot_upgrade == Some(true) {
                match s.cli().prepare_driver_for_upgrade().await {
                    Ok(()) => {}
                    Err(err) if err.is_not_found() => {
                        if let Err(err) = s.cli().allow_force_stop().await {
                            tracing::warn!(error = %err, "cannot write the force-stop marker");
                        }
                        delete_pod(s, &pod).await?;
                        return Err(replacing());
                    }
                    Err(err) => return Err(StepError::failed("handleImageUpdateError", err)),
                }
            }
            if s.mode() == ContainerMode::Client && is_manual(s) {
                // The user replaces client pods under the manual policy.
                return Ok(());
            }
            tracing::info!(from = %pod_image, to = %spec_image, "replacing the pod for the new image");
            delete_pod(s, &pod).await?;
            return Err(replacing());
        }
        if pod_image == spec_image {
            let message = format!("the pod runs {spec_image}");
            let desired =
                Desired::new(cond::CONTAINER_IMAGE_UPDATED, Status::True, "ImageUpdate", message);
            s.set_condition_now(desired);
        }
        Ok(())
    })
}

/// `applyCurrentImage`: once the pod runs `spec.image` and WEKA runs, it is the applied image.
pub fn apply_current_image(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        let spec_image = s.spec().image.clone();
        let running = [WekaContainerStatus::RUNNING, WekaContainerStatus::POD_RUNNING];
        if weka_image_of(&pod) != Some(spec_image.as_str())
            || !pod_is_running(&pod)
            || !running.contains(&s.status().status.as_str())
        {
            return Ok(());
        }
        tracing::info!(image = %spec_image, "the image is applied");
        // Written with the pass's outcome (one status write per pass); read again from the
        // pod if it is lost.
        s.status_mut().last_applied_image = Some(spec_image);
        Ok(())
    })
}
