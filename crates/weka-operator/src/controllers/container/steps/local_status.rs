//! What WEKA says about the container, read inside its pod: the management IPs the runtime
//! wrote, `weka local ps` (status and internal status), and the cluster identity once the
//! container joined (`container-get-identity`).
//!
//! These are observations, read again on the next pass if they are lost: they go to the
//! status with the pass's outcome (`outcome::conclude`), so a pass that reads several of them
//! and then waits makes one status write, not one per step.

use std::time::Duration;

use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::{QUARTER_MINUTE, printer_ips};
use crate::controllers::container::state::ContainerState;
use crate::engine::{StepError, StepFuture};
use crate::weka::WekaError;

/// `weka local ps` gets 10 s.
const LOCAL_PS_TIMEOUT: Duration = Duration::from_secs(10);

/// `ReconcileManagementIPs`: the IPs the runtime wrote to
/// `/opt/weka/k8s-runtime/management_ips` go to `status.managementIPs` and the printer column.
/// Until the runtime writes the file, the step waits. Upstream reads the file on every pass
/// until the container is Running; the runtime writes it once, so it is read once per pod
/// here (a pass whose status write was lost sets the IPs again from what was read).
pub fn reconcile_management_ips(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let pod = s.pod.as_ref().and_then(|p| p.metadata.uid.clone()).unwrap_or_default();
        match s.shared.pod_notes.management_ips(s.uid(), &pod) {
            Some(ips) => {
                set_management_ips(s, ips);
                Ok(())
            }
            None => read_management_ips(s, &pod).await,
        }
    })
}

/// `PeriodicReconcileManagementIPs`: the file read again (every few minutes, throttled).
pub fn refresh_management_ips(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let pod = s.pod.as_ref().and_then(|p| p.metadata.uid.clone()).unwrap_or_default();
        read_management_ips(s, &pod).await
    })
}

async fn read_management_ips(s: &mut ContainerState, pod: &str) -> Result<(), StepError> {
    let ips = match s.cli().management_ips().await {
        Ok(ips) if !ips.is_empty() => ips,
        Ok(_) | Err(WekaError::CommandFailed { .. }) => {
            return Err(StepError::poll(
                "ManagementIPsPending",
                "the runtime has not written the management IPs yet",
                QUARTER_MINUTE,
            ));
        }
        Err(err) if err.is_container_gone() => {
            return Err(StepError::wait(
                "ContainerNotRunning",
                format!("the WEKA container does not run: {err}"),
            ));
        }
        Err(err) => {
            s.set_error_status().await?;
            return Err(StepError::failed("ReconcileManagementIPsError", err));
        }
    };
    s.shared.pod_notes.read_management_ips(s.uid(), pod, &ips);
    set_management_ips(s, ips);
    Ok(())
}

fn set_management_ips(s: &mut ContainerState, ips: Vec<String>) {
    if s.status().management_ips.as_ref() == Some(&ips) {
        return;
    }
    let status = s.status_mut();
    status.printer.get_or_insert_with(Default::default).management_ips = Some(printer_ips(&ips));
    status.management_ips = Some(ips);
}

/// `ReconcileWekaLocalStatus`: `weka local ps` in the pod → `status.status` (unless a
/// higher-level status holds) and `status.internalStatus`. When `weka local ps` fails, drivers
/// missing in the pod have the drivers loader run again (`drivers::reload_drivers_if_missing`).
pub fn reconcile_weka_local_status(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if let Some(node) = s.node.clone()
            && !crate::controllers::container::state::node_is_ready(&node)
        {
            let message = format!("node {} is not ready", kube::ResourceExt::name_any(&*node));
            s.warn("NodeNotReady", &message).await;
            return Ok(());
        }
        let cli = s.cli().with_timeout(LOCAL_PS_TIMEOUT);
        let containers = match cli.local_ps().await {
            Ok(containers) => containers,
            Err(err) => {
                super::drivers::reload_drivers_if_missing(s).await?;
                return Err(StepError::poll(
                    "WekaNotStarted",
                    format!("weka local ps: {err}"),
                    QUARTER_MINUTE,
                ));
            }
        };
        let mode = s.mode();
        let name = s.spec().name.clone();
        let found = containers.iter().find(|c| {
            c.name == name
                || (mode == ContainerMode::Envoy && c.name == "envoy")
                || (mode == ContainerMode::Telemetry && c.name == "telemetry")
        });
        if found.is_none() {
            s.update_status(WekaContainerStatus::UNHEALTHY).await?;
            return Err(StepError::poll(
                "WekaContainerNotFound",
                format!("weka local ps does not list container {name}"),
                QUARTER_MINUTE,
            ));
        }
        let local =
            containers.iter().find(|c| c.name == name).or(found).cloned().unwrap_or_default();
        let internal = local.internal_status.display_status.clone();
        if internal != "READY" && !local.last_failure.is_empty() && mode != ContainerMode::Dist {
            let message = format!(
                "Container is not ready, status: {internal}, last failure: {} ({})",
                local.last_failure, local.last_failure_time
            );
            s.warn("WekaLocalStatus", &message).await;
        }
        // `DrivesAdding` stays while drives remain to add.
        let adding_drives = local.run_status == WekaContainerStatus::RUNNING
            && s.status().status == WekaContainerStatus::DRIVES_ADDING
            && super::drives::has_drives_to_add(s);
        if s.status_overwritable() && !adding_drives {
            s.set_status(&local.run_status);
        }
        s.status_mut().internal_status = Some(internal);
        Ok(())
    })
}

/// `reconcileClusterStatus`: the container's ID and cluster GUID once it joined
/// (`container-get-identity`); waits while it is not a member yet.
pub fn reconcile_cluster_status(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.status().container_id.is_some() {
            return Ok(());
        }
        if s.pod.is_none() {
            return Err(StepError::wait("NotJoined", "there is no pod to ask"));
        }
        let name = s.spec().name.clone();
        let has_join_ips = s.spec().join_ip_ports.as_ref().is_some_and(|ips| !ips.is_empty());
        let identity = match s.cli().container_identity(&name, has_join_ips).await {
            Ok(identity) => identity,
            Err(err) => {
                return Err(StepError::poll("NotJoined", err.to_string(), QUARTER_MINUTE));
            }
        };
        tracing::info!(container_id = identity.container_id, cluster = %identity.cluster_guid, "joined the cluster");
        let status = s.status_mut();
        status.container_id = Some(identity.container_id as isize);
        status.cluster_id = Some(identity.cluster_guid);
        Ok(())
    })
}
