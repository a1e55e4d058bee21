//! Forming the WEKA cluster (spec §1.2 and §4): waiting for the initial containers, `cluster
//! create` and the cluster-wide settings, the post-form script, waiting for the members to
//! join and for their drives, and `start-io`.

use std::time::Duration;

use kube::ResourceExt;
use kube::runtime::events::EventType;
use weka_api::WekaClusterStatus;
use weka_api::conditions::Status;
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::ContainerMode;

use super::observe::PODS_SCHEDULED;
use crate::controllers::cluster::selection::{self, Clusterization};
use crate::controllers::cluster::state::{ClusterState, weka_failed};
use crate::engine::{StepError, StepFuture};
use crate::weka::cluster::FormCluster;

/// Running drive containers needed to form a cluster (`FormClusterMinDriveContainers`).
pub const FORM_CLUSTER_MIN_DRIVE_CONTAINERS: usize = 5;
/// Running compute containers needed to form a cluster.
pub const FORM_CLUSTER_MIN_COMPUTE_CONTAINERS: usize = 5;
/// `weka status` gets this long where upstream gives it 30 s.
const STATUS_TIMEOUT: Duration = Duration::from_secs(30);

fn clusterization(s: &ClusterState) -> Clusterization<'_> {
    selection::for_clusterization(&s.containers, &s.device_subnets())
}

/// `InitialContainersReady`: at least 5 drive and 5 compute containers run, and every
/// initial container (up to 10 of each role) runs or is ignored. While pods cannot be
/// scheduled, the wait says so.
pub fn initial_containers_ready(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let template =
            s.template.clone().map_err(|e| StepError::wait(e.reason(), e.to_string()))?;
        let ready = clusterization(s);
        let (drive, compute, ignored) =
            (ready.drive.len(), ready.compute.len(), ready.ignored.len());
        let settings = s.settings();
        let expected = template.compute_containers.min(settings.form_cluster_max_compute_containers)
            as usize
            + template.drive_containers.min(settings.form_cluster_max_drive_containers) as usize;
        let shortage = if drive < FORM_CLUSTER_MIN_DRIVE_CONTAINERS {
            Some((
                "MinContainersNotReady",
                format!(
                    "not enough drive containers ready, expected {FORM_CLUSTER_MIN_DRIVE_CONTAINERS}, got {drive}"
                ),
            ))
        } else if compute < FORM_CLUSTER_MIN_COMPUTE_CONTAINERS {
            Some((
                "MinContainersNotReady",
                format!(
                    "not enough compute containers ready, expected {FORM_CLUSTER_MIN_COMPUTE_CONTAINERS}, got {compute}"
                ),
            ))
        } else if drive + compute + ignored < expected {
            Some((
                "ContainersNotReady",
                format!(
                    "waiting for all containers to be either ready or ignored before forming the cluster, expected {expected}, got {}",
                    drive + compute + ignored
                ),
            ))
        } else {
            None
        };
        if let Some((reason, message)) = shortage {
            s.note(reason, &message).await;
            if let Some(c) =
                s.condition(PODS_SCHEDULED).filter(|c| c.status == Status::False.as_str())
            {
                let message = format!("{message}; {}", c.message);
                return Err(StepError::wait("Unschedulable", message));
            }
            return Err(StepError::wait(reason, message));
        }
        let message = format!(
            "Initial containers are ready for cluster creation, drive containers: {drive}, compute containers: {compute}"
        );
        s.note("InitialContainersReady", &message).await;
        Ok(())
    })
}

/// What `cluster create` gets from the ready containers (drive first, then compute): the
/// first management IP and the first host IP (`ip:port`) of each.
pub fn form_cluster_args(ready: &Clusterization<'_>, leadership_size: Option<u32>) -> FormCluster {
    let members: Vec<_> =
        ready.all().into_iter().filter(|c| c.spec.mode != ContainerMode::Envoy).collect();
    FormCluster {
        management_ips: members
            .iter()
            .filter_map(|c| selection::management_ips(c).into_iter().next())
            .collect(),
        host_ips: members
            .iter()
            .filter_map(|c| selection::host_ips(c, &[]).into_iter().next())
            .collect(),
        leadership_size,
    }
}

/// `FormCluster`: `weka status || weka cluster create ...` in the first ready container, then
/// the name, hot spare, protection, raft, AIO and client-join settings (each idempotent, so
/// a retry after a partial run is safe). A failure is retried. Nothing to do when the
/// containers join an existing cluster (`expandEndpoints`).
pub fn form_cluster(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.is_expand() {
            return Ok(());
        }
        let spec = s.cluster.spec.clone();
        let (first, args) = {
            let ready = clusterization(s);
            let leadership = spec.leadership_raft_size.map(|n| n as u32);
            let first = ready.all().first().map(|c| c.name_any());
            (first, form_cluster_args(&ready, leadership))
        };
        let Some(first) = first else {
            return Err(StepError::wait(
                "NoReadyContainers",
                "no container is ready to form the cluster",
            ));
        };
        let cli = s.cli_in(&first);
        let overrides = spec.overrides.clone().unwrap_or_default();
        let result = async {
            cli.form_cluster(&args).await?;
            cli.set_cluster_name(s.name()).await?;
            cli.set_hot_spare(spec.hot_spare.unwrap_or(0).max(0) as u32).await?;
            if let Some(n) = spec.redundancy_level.filter(|n| *n != 0) {
                cli.set_parity_drives(n as u32).await?;
            }
            if let Some(n) = spec.stripe_width.filter(|n| *n != 0) {
                cli.set_data_drives(n as u32).await?;
            }
            if let Some(n) = spec.bucket_raft_size {
                cli.set_bucket_raft_size(n as u32).await?;
            }
            if overrides.force_aio == Some(true) {
                cli.force_aio().await?;
            }
            cli.require_client_join_authentication().await
        }
        .await;
        if let Err(err) = result {
            let message = format!("Failed to form cluster: {err}");
            s.warn("FormClusterFailed", &message).await;
            return Err(StepError::poll("FormClusterFailed", message, s.shared.timing.weka_poll));
        }
        let message = format!("WEKA cluster formed from {} containers", args.management_ips.len());
        s.event(EventType::Normal, "ClusterCreated", &message).await;
        Ok(())
    })
}

/// `RunPostFormClusterScript`: `/bin/sh -ec <script>` in an active drive container.
pub fn run_post_form_script(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let script = s
            .cluster
            .spec
            .overrides
            .as_ref()
            .and_then(|o| o.post_form_cluster_script.clone())
            .unwrap_or_default();
        let cli = s.active_cli_with_role(ContainerMode::Drive)?;
        cli.run_post_form_script(&script)
            .await
            .map_err(|e| weka_failed("PostFormClusterScriptFailed", e))
    })
}

/// `WaitForContainersJoin`: every ready container that should join has its `JoinedCluster`
/// condition; the first one's cluster GUID becomes `status.clusterID`.
pub fn wait_for_containers_join(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let mut cluster_id = s.status().cluster_id.clone().filter(|id| !id.is_empty());
        let mut missing_id = None;
        {
            let ready = clusterization(s);
            for container in ready.all().into_iter().filter(|c| selection::should_join(c)) {
                let status = container.status.clone().unwrap_or_default();
                let joined = weka_api::conditions::is_true(
                    status.conditions.as_deref().unwrap_or_default(),
                    cond::JOINED_CLUSTER,
                );
                if !joined {
                    return Err(StepError::wait(
                        "WaitingForContainersJoin",
                        format!(
                            "container {} has not joined the cluster yet",
                            container.name_any()
                        ),
                    ));
                }
                if cluster_id.is_none() {
                    cluster_id = status.cluster_id.clone().filter(|id| !id.is_empty());
                }
                if status.container_id.is_none() && missing_id.is_none() {
                    missing_id = Some(container.name_any());
                }
            }
        }
        if let Some(name) = missing_id {
            let message = format!("container {name} does not have a cluster container id");
            s.warn("ContainerJoinError", &message).await;
            return Err(StepError::wait("ContainerJoinError", message));
        }
        let Some(cluster_id) = cluster_id else {
            return Err(StepError::wait(
                "WaitingForContainersJoin",
                "no container reports the cluster GUID yet",
            ));
        };
        if s.status().cluster_id.as_deref() != Some(cluster_id.as_str()) {
            tracing::info!(cluster_id = %cluster_id, "cluster GUID");
            s.status_mut().cluster_id = Some(cluster_id);
            s.persist_status().await?;
        }
        Ok(())
    })
}

/// `WaitForDrivesAdd`: status `WaitForDrives` until WEKA reports as many drives as
/// `startIoConditions.minNumDrives`, else as the drive containers were allocated.
pub fn wait_for_drives_add(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        s.update_status(WekaClusterStatus::WAIT_FOR_DRIVES).await?;
        let configured = s
            .cluster
            .spec
            .start_io_conditions
            .and_then(|c| c.min_num_drives)
            .filter(|n| *n > 0)
            .map(|n| n as usize);
        let min = match configured {
            Some(min) => min,
            None => selection::allocated_drives(&s.containers),
        };
        if min == 0 && s.has_containers_of(ContainerMode::Drive) {
            return Err(StepError::wait(
                "WaitingForDrives",
                "the drive containers have no drives allocated yet",
            ));
        }
        let cli = s.active_cli()?.with_timeout(STATUS_TIMEOUT);
        let status = cli.status().await.map_err(|e| weka_failed("WekaStatusFailed", e))?;
        let total = status.drives.total.max(0) as usize;
        // Upstream moves on to start-io as soon as the drives are added; WEKA refuses to
        // start IO while none is active yet (drives phase in after they are added), which
        // upstream meets with a failure and a growing backoff. Waiting here for the first
        // active drive polls instead.
        let active = status.drives.active.max(0) as usize;
        if total >= min && (active > 0 || min == 0) {
            s.event(
                EventType::Normal,
                "DrivesAdded",
                &format!("{total} drives are in the cluster"),
            )
            .await;
            return Ok(());
        }
        let message = if total >= min {
            format!("{total} drives are in the cluster; waiting for the first to become active")
        } else {
            format!(
                "Min drives num not added to the cluster yet, added drives: {total}, min drives: {min}"
            )
        };
        s.note("WaitingForDrives", &message).await;
        Err(StepError::poll("WaitingForDrives", message, s.shared.timing.weka_poll))
    })
}

/// `StartIo`: status `StartingIO`, then `wekaauthcli cluster start-io` in an active container.
pub fn start_io(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        s.update_status(WekaClusterStatus::STARTING_IO).await?;
        let cli = s.active_cli()?;
        cli.start_io().await.map_err(|e| weka_failed("StartIoFailed", e))?;
        s.event(EventType::Normal, "IoStarted", "IO is started").await;
        Ok(())
    })
}
