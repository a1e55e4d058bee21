//! Leaving the WEKA cluster on deletion: deactivate the container, then (after its pod is
//! stopped) remove it, both through a running member of the same cluster.

use std::time::Duration;

use kube::ResourceExt;
use weka_api::WekaContainer;
use weka_api::wekacontainer::{ContainerMode, ContainerState as State, WekaContainerStatus};

use super::QUARTER_MINUTE;
use super::termination::{Stop, ensure_no_pod};
use crate::controllers::container::object::ContainerObject;
use crate::controllers::container::state::ContainerState;
use crate::engine::{StepError, StepFuture};
use crate::pod::ModeTraits;
use crate::weka::WekaCli;

/// A deactivation (or a removal) answers within 30 s or is retried.
const CLUSTER_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Upstream's `ShouldDeactivate`: a backend that joined a cluster, being deleted (not
/// destroyed), without `overrides.skipDeactivate`.
pub fn should_deactivate(s: &ContainerState) -> bool {
    let skip = s.spec().overrides.as_ref().and_then(|o| o.skip_deactivate) == Some(true);
    s.mode().is_backend()
        && !skip
        && s.spec().state == Some(State::Deleting)
        && s.status().container_id.is_some()
}

/// Upstream's `IsContainerOperational` (less the port allocation, written by the follow-up):
/// a drive or compute member that joined, is READY, has management IPs and runs.
fn is_operational(c: &WekaContainer) -> bool {
    let Some(status) = &c.status else { return false };
    matches!(c.spec.mode, ContainerMode::Drive | ContainerMode::Compute)
        && c.metadata.deletion_timestamp.is_none()
        && status.container_id.is_some()
        && status.internal_status.as_deref() == Some("READY")
        && status.management_ips.as_ref().is_some_and(|ips| !ips.is_empty())
        && status.status == WekaContainerStatus::RUNNING
}

/// Upstream's `SelectActiveContainer` over the members of this container's cluster (the
/// WekaContainers sharing its first owner): an operational one, else any (this one included,
/// whose pod the Deleting flow keeps for this purpose), by name for a stable choice.
fn active_member(s: &ContainerState) -> Option<String> {
    let owner = s
        .container
        .metadata
        .owner_references
        .as_ref()
        .and_then(|o| o.first())
        .map(|o| o.uid.clone());
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    let mut members: Vec<WekaContainer> = store
        .state()
        .iter()
        .filter(|o| o.namespace().as_deref() == Some(s.namespace()))
        .filter(|o| match &owner {
            Some(uid) => o.owner_references().iter().any(|r| &r.uid == uid),
            None => o.uid().as_deref() == Some(s.uid()),
        })
        .filter_map(|o| o.decode().ok())
        .collect();
    members.sort_by_key(|c| c.name_any());
    let operational = members.iter().find(|c| is_operational(c) && c.name_any() != s.name());
    operational.or_else(|| members.first()).map(|c| c.name_any())
}

pub fn member_cli(s: &ContainerState) -> Result<WekaCli, StepError> {
    let member = active_member(s).ok_or_else(|| {
        StepError::poll(
            "NoActiveMember",
            "no member of the cluster to run WEKA commands in",
            QUARTER_MINUTE,
        )
    })?;
    Ok(s.cli_in(&member).with_timeout(CLUSTER_COMMAND_TIMEOUT))
}

fn container_id(s: &ContainerState) -> Result<i64, StepError> {
    s.status()
        .container_id
        .map(|id| id as i64)
        .ok_or_else(|| StepError::failed("NoContainerId", "status.containerID is not set"))
}

/// `DeactivateWekaContainer`: WEKA deactivates the container (it stops taking IO; its data is
/// rebuilt elsewhere) before its pod is stopped. Protocol containers are stopped first.
pub fn deactivate_weka_container(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let id = container_id(s)?;
        if s.mode().is_protocol() {
            ensure_no_pod(s, Stop::Graceful).await?;
        }
        let cli = member_cli(s)?;
        let member = match cli.get_container(id).await {
            Ok(member) => member,
            Err(err) if err.is_not_found() => return Ok(()),
            Err(err) => {
                return Err(StepError::poll(
                    "Deactivating",
                    format!("cannot read container {id}: {err}"),
                    QUARTER_MINUTE,
                ));
            }
        };
        let states = [member.status.as_str(), member.state.as_str()];
        if states.contains(&"INACTIVE") {
            return Ok(());
        }
        if !states.contains(&"DEACTIVATING") {
            tracing::info!(container_id = id, via = %cli.target(), "deactivating the container in WEKA");
            cli.deactivate_container(id)
                .await
                .map_err(|e| StepError::failed("DeactivateWekaContainerError", e))?;
        }
        Err(StepError::poll(
            "Deactivating",
            format!("WEKA is deactivating container {id}"),
            QUARTER_MINUTE,
        ))
    })
}

/// `RemoveDeactivatedContainers`: the deactivated container is removed from the cluster and
/// the removal confirmed (at most one removal per minute per cluster and mode when
/// `REMOVAL_THROTTLING_ENABLED`, protocols excepted).
pub fn remove_deactivated_containers(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let id = container_id(s)?;
        let partition =
            format!("cluster/{}/{}", s.status().cluster_id.clone().unwrap_or_default(), s.mode());
        let throttled = s.ctx.config.cleanup.removal_throttling && !s.mode().is_protocol();
        if throttled {
            let now = std::time::Instant::now();
            let minute = Duration::from_secs(60);
            if !s.shared.throttler.due(&partition, "removeDeactivatedContainers", minute, now) {
                return Err(StepError::poll(
                    "RemovalThrottled",
                    "another container of this kind was removed less than a minute ago",
                    QUARTER_MINUTE,
                ));
            }
            s.shared.throttler.ran(&partition, "removeDeactivatedContainers", now);
        }
        let cli = member_cli(s)?;
        tracing::info!(container_id = id, via = %cli.target(), "removing the container from WEKA");
        if let Err(err) = cli.remove_container(id, true).await {
            if throttled {
                s.shared.throttler.forget(&partition);
            }
            return Err(StepError::failed("RemoveDeactivatedContainersError", err));
        }
        match cli.get_container(id).await {
            Err(err) if err.is_not_found() => Ok(()),
            Err(err) => Err(StepError::poll(
                "Removing",
                format!("cannot confirm the removal of container {id}: {err}"),
                QUARTER_MINUTE,
            )),
            Ok(_) => Err(StepError::poll(
                "Removing",
                format!("container {id} is still in the cluster"),
                QUARTER_MINUTE,
            )),
        }
    })
}

/// A step of the teardown flows that helps when it can and never holds the teardown up: a
/// wait (WEKA not answering, a node that cannot take the pod) counts as done for this pass.
async fn best_effort(step: &'static str, result: Result<(), StepError>) -> Result<(), StepError> {
    match result {
        Err(StepError::Wait(wait)) => {
            tracing::debug!(step, reason = wait.reason, message = %wait.message, "skipped for now");
            Ok(())
        }
        other => other,
    }
}

/// `ensurePodOnDeletion`: the pod again, so that WEKA commands can run for the deactivation.
pub fn ensure_pod_on_deletion(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(
        async move { best_effort("ensurePodOnDeletion", super::pod::ensure_pod(s).await).await },
    )
}

/// `ReconcileWekaLocalStatusOnDeletion`: what WEKA says, when it answers.
pub fn reconcile_weka_local_status_on_deletion(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let result = super::local_status::reconcile_weka_local_status(s).await;
        best_effort("ReconcileWekaLocalStatusOnDeletion", result).await
    })
}

/// `reconcileClusterStatusOnDeletion`: learn the container's cluster ID if it joined after
/// all (it then must be deactivated); a container that did not join is torn down as it is.
pub fn reconcile_cluster_status_on_deletion(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let result = super::local_status::reconcile_cluster_status(s).await;
        best_effort("reconcileClusterStatusOnDeletion", result).await
    })
}
