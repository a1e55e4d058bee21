//! `handleUpgrade` (spec §6.2, upstream `funcs_upgrade.go` and `upgrade/upgrade.go`): a new
//! `spec.image` is rolled out role by role — drive, then compute, then the frontends (S3 and
//! NFS) — one container at a time, each WEKA upgrade phase opened first, and only while WEKA
//! is healthy (fully protected, `OK`/`REDISTRIBUTING`, enough active drive and compute
//! containers). The progress shows in `Progressing` (reason `Upgrading`) and in events;
//! `status.lastAppliedImage` becomes the new image at the end.

use std::time::Duration;

use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use kube::runtime::events::EventType;
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

use crate::controllers::cluster::state::{ClusterState, api_error, weka_failed};
use crate::engine::{StepError, StepFuture};
use crate::weka::upgrade::UpgradePhase;

const STATUS_TIMEOUT: Duration = Duration::from_secs(30);

/// The software version in an image reference: its tag (`...:4.4.5.118-k8s.4` →
/// `4.4.5.118-k8s.4`).
pub fn software_version(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') && !repo.is_empty() => tag,
        _ => without_digest,
    }
}

pub fn handle_upgrade(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let target = s.cluster.spec.image.clone();
        match s.status().last_applied_image.clone() {
            Some(applied) if applied == target => return Ok(()),
            None => {
                s.status_mut().last_applied_image = Some(target);
                return s.persist_status().await;
            }
            Some(_) => {}
        }
        let overrides = s.cluster.spec.overrides.clone().unwrap_or_default();
        if overrides.upgrade_paused == Some(true) {
            s.upgrading =
                Some(format!("the upgrade to {target} is paused (overrides.upgradePaused)"));
            return Err(StepError::wait("UpgradePaused", "Upgrade is paused"));
        }
        if overrides.upgrade_all_at_once == Some(true) {
            let all: Vec<WekaContainer> = s.containers.clone();
            for container in all.iter().filter(|c| c.spec.image != target) {
                patch_image(s, container, &target).await?;
            }
            let pending = all.iter().filter(|c| !upgraded(c, &target)).count();
            if pending > 0 {
                s.upgrading =
                    Some(format!("{pending} containers still moving to {target} (all at once)"));
                return Err(StepError::wait("Upgrading", "container upgrade not finished yet"));
            }
            return finish(s, &target, None).await;
        }
        let version = software_version(&target).to_string();
        let drives: Vec<WekaContainer> = s.containers_of(ContainerMode::Drive).cloned().collect();
        if !any_on_target(&drives, &target) {
            prepare(s, &drives, UpgradePhase::Drive, &version).await?;
        }
        check_health(s).await?;
        rolling(s, &drives, &target, "drive").await?;

        if overrides.upgrade_pause_pre_compute == Some(true) {
            s.upgrading = Some("the upgrade is paused before the compute containers".into());
            return Err(StepError::wait("UpgradePaused", "Upgrade paused before compute phase"));
        }
        let computes: Vec<WekaContainer> =
            s.containers_of(ContainerMode::Compute).cloned().collect();
        if !any_on_target(&computes, &target) {
            prepare(s, &computes, UpgradePhase::Compute, &version).await?;
        }
        rolling(s, &computes, &target, "compute").await?;

        let frontends: Vec<WekaContainer> = s
            .containers
            .iter()
            .filter(|c| matches!(c.spec.mode, ContainerMode::S3 | ContainerMode::Nfs))
            .cloned()
            .collect();
        if !frontends.is_empty() && !any_on_target(&frontends, &target) {
            prepare(s, &frontends, UpgradePhase::Frontend, &version).await?;
        }
        rolling(s, &frontends, &target, "frontend").await?;
        finish(s, &target, drives.first()).await
    })
}

/// Upstream's `AreUpgraded` for one container: it runs the target, or it was never
/// scheduled and already asks for it.
fn upgraded(c: &WekaContainer, target: &str) -> bool {
    let status = c.status.clone().unwrap_or_default();
    let never_ran = status.last_applied_image.is_none() && status.container_id.is_none();
    status.last_applied_image.as_deref() == Some(target) || (never_ran && c.spec.image == target)
}

/// Some container of the role already runs the target (with a WEKA identity): the phase was
/// opened before.
fn any_on_target(containers: &[WekaContainer], target: &str) -> bool {
    containers.iter().any(|c| {
        c.status.as_ref().is_some_and(|st| {
            st.last_applied_image.as_deref() == Some(target) && st.container_id.is_some()
        })
    })
}

/// Opens the WEKA upgrade phase in the first container of the role.
async fn prepare(
    s: &mut ClusterState,
    containers: &[WekaContainer],
    phase: UpgradePhase,
    version: &str,
) -> Result<(), StepError> {
    let Some(first) = containers.first() else { return Ok(()) };
    let cli = s.cli_in(&first.name_any());
    cli.start_upgrade_phase(phase, version)
        .await
        .map_err(|e| weka_failed("PrepareForUpgradeFailed", e))
}

/// The gate of every rolling step: WEKA fully protected, healthy, and enough active drive and
/// compute containers (the configured thresholds of the template's counts).
async fn check_health(s: &mut ClusterState) -> Result<(), StepError> {
    let poll = s.shared.timing.weka_poll;
    let cli = s.active_cli()?.with_timeout(STATUS_TIMEOUT);
    let status = cli.status().await.map_err(|e| weka_failed("WekaStatusFailed", e))?;
    if !status.rebuild.is_fully_protected() {
        let message = "Weka is not fully protected, waiting to stabilize";
        s.note("WaitingForStabilize", message).await;
        return Err(StepError::poll("WaitingForStabilize", message, poll));
    }
    if !["OK", "REDISTRIBUTING"].contains(&status.status.as_str()) {
        let message = format!(
            "Weka status is not OK/REDISTRIBUTING, waiting to stabilize. status:{}",
            status.status
        );
        return Err(StepError::poll("WaitingForStabilize", message, poll));
    }
    let Ok(template) = &s.template else { return Ok(()) };
    let upgrade = &s.ctx.config.upgrade;
    let thresholds = [
        (
            "drives",
            status.containers.drives.active,
            template.drive_containers,
            upgrade.drive_threshold_percent,
        ),
        (
            "computes",
            status.containers.computes.active,
            template.compute_containers,
            upgrade.compute_threshold_percent,
        ),
    ];
    for (what, active, total, percent) in thresholds {
        if (active as f64) < total as f64 * f64::from(percent) / 100.0 {
            let message = format!(
                "Not enough {what} containers are active, waiting to stabilize, {active}/{total}"
            );
            s.note("ClusterSizeThreshold", &message).await;
            return Err(StepError::poll("ClusterSizeThreshold", message, poll));
        }
    }
    Ok(())
}

/// Upstream's `RollingUpgrade`: waits while a container on the target image has not applied
/// it (one that was never scheduled does not count); otherwise moves the next container to
/// the target and waits. `Ok` once every container runs the target.
async fn rolling(
    s: &mut ClusterState,
    containers: &[WekaContainer],
    target: &str,
    role: &str,
) -> Result<(), StepError> {
    let max_skip = s.ctx.config.upgrade.max_deactivating_containers_percent as usize;
    let total = containers.len();
    let applied =
        |c: &WekaContainer| c.status.as_ref().and_then(|st| st.last_applied_image.clone());
    let done = containers.iter().filter(|c| applied(c).as_deref() == Some(target)).count();
    s.upgrading = Some(format!("{role} containers {done}/{total} on {target}"));
    let mut skipped = 0;
    for container in containers {
        if container.metadata.deletion_timestamp.is_some() {
            skipped += 1;
            if skipped > total * max_skip / 100 {
                return Err(StepError::wait(
                    "Upgrading",
                    "too many containers marked for deletion",
                ));
            }
            continue;
        }
        let last = applied(container);
        if container.spec.image == target && last.is_none() {
            continue;
        }
        if container.spec.image == target && last.as_deref() != Some(target) {
            let scheduled = container.spec.node_affinity.is_some()
                || container.status.as_ref().and_then(|st| st.node_affinity.as_ref()).is_some();
            if !scheduled {
                continue;
            }
            return Err(StepError::wait(
                "Upgrading",
                format!(
                    "upgrading {role} container {} ({done}/{total} done)",
                    container.name_any()
                ),
            ));
        }
    }
    if let Some(next) = containers.iter().find(|c| c.spec.image != target) {
        patch_image(s, next, target).await?;
        return Err(StepError::wait(
            "Upgrading",
            format!(
                "starting upgrade of {role} container {} ({done}/{total} done)",
                next.name_any()
            ),
        ));
    }
    Ok(())
}

async fn patch_image(
    s: &mut ClusterState,
    container: &WekaContainer,
    target: &str,
) -> Result<(), StepError> {
    let name = container.name_any();
    let patch = json!({"spec": {"image": target}});
    match s.container_api().patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
        Ok(updated) => s.remember_container(updated),
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(()),
        Err(err) => return Err(api_error("UpgradeFailed", "set a container's image", err)),
    }
    tracing::info!(container = %name, image = target, "upgrading container");
    s.event(
        EventType::Normal,
        "UpgradingContainer",
        &format!("container {name} moves to {target}"),
    )
    .await;
    Ok(())
}

/// Closes the WEKA upgrade (in the first drive container) and records the image.
async fn finish(
    s: &mut ClusterState,
    target: &str,
    drive: Option<&WekaContainer>,
) -> Result<(), StepError> {
    if let Some(drive) = drive {
        let cli = s.cli_in(&drive.name_any());
        cli.finalize_upgrade().await.map_err(|e| weka_failed("FinalizeUpgradeFailed", e))?;
    }
    s.status_mut().last_applied_image = Some(target.to_string());
    s.persist_status().await?;
    s.upgrading = None;
    s.event(EventType::Normal, "UpgradeCompleted", &format!("every container runs {target}")).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::software_version;

    #[test]
    fn the_version_is_the_image_tag() {
        assert_eq!(
            software_version("quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4"),
            "4.4.5.118-k8s.4"
        );
        assert_eq!(software_version("registry:5000/weka:4.3.1"), "4.3.1");
        assert_eq!(software_version("registry:5000/weka"), "registry:5000/weka");
    }
}
