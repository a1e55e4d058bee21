//! Protocol containers and their helpers (upstream `funcs_active_state_s3.go`, `_nfs.go`,
//! `_envoy.go`, and the S3/NFS steps of the Deleting flow): joining and leaving the S3
//! cluster, the NFS interface group's ports, and envoy / telemetry containers that lost the
//! neighbour they serve.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::DeleteParams;
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::ContainerMode;
use weka_api::{WekaCluster, WekaContainer};

use super::deletion::member_cli;
use super::termination::{Stop, ensure_no_pod};
use super::{QUARTER_MINUTE, pod_is_running};
use crate::controllers::container::object::ContainerObject;
use crate::controllers::container::state::{ContainerState, api_error, now};
use crate::engine::{FlowState, StepError, StepFuture};
use crate::pod::MAIN_CONTAINER;
use crate::weka::WekaError;

/// The NFS interface group the operator manages.
pub const NFS_INTERFACE_GROUP: &str = "MgmtInterfaceGroup";
/// Envoy gets this long to start its process before a missing one counts.
const ENVOY_START_GRACE: Duration = Duration::from_secs(180);
/// Status timestamps of a neighbour found missing.
const NO_S3_NEIGHBOR: &str = "NoS3Neighbor";
const NO_COMPUTE_NEIGHBOR: &str = "NoComputeNeighbor";

fn container_id(s: &ContainerState) -> Result<i64, StepError> {
    s.status().container_id.map(|id| id as i64).ok_or_else(|| {
        StepError::poll(
            "NotJoined",
            "the container has no cluster container ID yet",
            QUARTER_MINUTE,
        )
    })
}

/// Upstream's `HasJoinIps`.
pub fn has_join_ips(s: &ContainerState) -> bool {
    s.spec().join_ip_ports.as_ref().is_some_and(|ips| !ips.is_empty())
}

async fn owner_cluster(s: &ContainerState) -> Result<Option<WekaCluster>, StepError> {
    let Some(owner) =
        s.container.metadata.owner_references.as_ref().and_then(|o| o.first()).cloned()
    else {
        return Ok(None);
    };
    let api: Api<WekaCluster> = Api::namespaced(s.ctx.client.clone(), s.namespace());
    api.get_opt(&owner.name)
        .await
        .map_err(|e| api_error("OwnerClusterReadFailed", "read the owner WekaCluster", e))
}

fn cluster_condition(cluster: &WekaCluster, type_: &str) -> bool {
    let conditions =
        cluster.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    weka_api::conditions::is_true(conditions, type_)
}

/// `JoinS3Cluster`: once the owner cluster formed its S3 cluster, the container joins it.
pub fn join_s3_cluster(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let formed = owner_cluster(s)
            .await?
            .is_some_and(|c| cluster_condition(&c, cond::S3_CLUSTER_CREATED));
        if !formed {
            return Err(StepError::poll(
                "S3ClusterNotFormed",
                "S3 cluster is not formed yet, waiting for it to be formed",
                QUARTER_MINUTE,
            ));
        }
        let id = container_id(s)?;
        s.cli().join_s3_cluster(id).await.map_err(|e| StepError::failed("JoinS3ClusterError", e))
    })
}

/// The interfaces this NFS container serves on: the cluster's `nfs.interfaces`, else the
/// container's one Ethernet device (NFS takes one interface per host).
async fn nfs_interfaces(s: &ContainerState) -> Result<Vec<String>, StepError> {
    let invalid = |message: String| StepError::failed("NfsInterfacesInvalid", message);
    if let Some(cluster) = owner_cluster(s).await?
        && let Some(interfaces) =
            cluster.spec.nfs.and_then(|n| n.interfaces).filter(|i| !i.is_empty())
    {
        return Ok(interfaces);
    }
    let network = s.spec().network.clone().unwrap_or_default();
    if let Some(device) = network.eth_device.filter(|d| !d.is_empty()) {
        return Ok(vec![device]);
    }
    if let Some(devices) = network.eth_devices.filter(|d| !d.is_empty()) {
        if devices.len() > 1 {
            return Err(invalid(format!(
                "NFS configuration validation failed: multiple interfaces specified ({}). NFS supports only a single interface per host. Interfaces: {devices:?}",
                devices.len()
            )));
        }
        return Ok(devices);
    }
    if network.device_subnets.is_some_and(|d| !d.is_empty())
        || network.selectors.is_some_and(|d| !d.is_empty())
    {
        return Err(invalid(
            "NFS interface group configuration with DeviceSubnets or network Selectors is not supported; use EthDevice, EthDevices, or cluster-level NFSConfig.Interfaces instead".into(),
        ));
    }
    Err(invalid("no network interfaces configured for NFS; configure EthDevice, EthDevices, or cluster-level NFSConfig.Interfaces".into()))
}

/// A stable digest of the interfaces (order does not matter), kept in the condition's message
/// to notice a change.
fn interfaces_digest(interfaces: &[String]) -> String {
    if interfaces.is_empty() {
        return "empty".to_string();
    }
    let mut sorted = interfaces.to_vec();
    sorted.sort();
    let hash = sorted
        .join(",")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// `EnsureNfsInterfaceGroupPorts`: the container's ports in `MgmtInterfaceGroup` are its
/// interfaces; recorded in condition `NfsInterfaceGroupsConfigured` (message: a digest of the
/// interfaces, so a change configures them again).
pub fn ensure_nfs_interface_group_ports(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let interfaces = nfs_interfaces(s).await?;
        let digest = interfaces_digest(&interfaces);
        let done =
            weka_api::conditions::find(s.conditions(), cond::NFS_INTERFACE_GROUPS_CONFIGURED)
                .is_some_and(|c| c.status == "True" && c.message == digest);
        if done {
            return Ok(());
        }
        let id = container_id(s)?;
        s.cli()
            .ensure_nfs_interface_group_ports(NFS_INTERFACE_GROUP, id, &interfaces)
            .await
            .map_err(|e| StepError::failed("EnsureNfsInterfaceGroupPortsError", e))?;
        s.set_condition_now(Desired::new(
            cond::NFS_INTERFACE_GROUPS_CONFIGURED,
            Status::True,
            "Configured",
            &digest,
        ));
        s.persist_status().await
    })
}

// --- Deleting flow --------------------------------------------------------------------------

/// `RemoveFromS3Cluster`: the pod is stopped gracefully, then the container leaves the S3
/// cluster through an active member (no S3 cluster is fine).
pub fn remove_from_s3_cluster(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        ensure_no_pod(s, Stop::Graceful).await?;
        let Some(id) = s.status().container_id.map(|id| id as i64) else { return Ok(()) };
        let cli = member_cli(s)?;
        cli.remove_from_s3_cluster(id)
            .await
            .map_err(|e| StepError::failed("RemoveFromS3ClusterError", e))
    })
}

/// `RemoveFromNfs`: the container's ports leave the NFS interface group, run in its own pod
/// when it can be reached, else through an active member.
pub fn remove_from_nfs(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let id = s
            .status()
            .container_id
            .map(|id| id as i64)
            .ok_or_else(|| StepError::failed("NoContainerId", "Container ID is not set"))?;
        let own_pod_usable = s.node_ready()
            && s.pod
                .as_deref()
                .is_some_and(|p| pod_is_running(p) && p.metadata.deletion_timestamp.is_none());
        let cli = if own_pod_usable { s.cli() } else { member_cli(s)? };
        match cli.ensure_nfs_interface_group_ports(NFS_INTERFACE_GROUP, id, &[]).await {
            Ok(()) => Ok(()),
            Err(WekaError::NotFound { .. }) => Ok(()),
            Err(err) => Err(StepError::failed("RemoveFromNfsError", err)),
        }
    })
}

// --- neighbours ------------------------------------------------------------------------------

/// Whether a container of `mode` owned by the same cluster runs on this container's node.
fn has_neighbor(s: &ContainerState, mode: ContainerMode) -> bool {
    let Some(node) = s.node_affinity() else { return false };
    let owner = s
        .container
        .metadata
        .owner_references
        .as_ref()
        .and_then(|o| o.first())
        .map(|o| o.uid.clone());
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    store
        .state()
        .iter()
        .filter(|o| o.namespace().as_deref() == Some(s.namespace()))
        .filter(|o| {
            owner.as_ref().is_some_and(|uid| o.owner_references().iter().any(|r| &r.uid == uid))
        })
        .filter_map(|o| o.decode().ok())
        .any(|c: WekaContainer| c.spec.mode == mode && crate::allocator::node_of(&c) == Some(node))
}

/// Upstream's `deleteEnvoyIfNoS3Neighbor` / `deleteTelemetryIfNoComputeNeighbor`: a helper
/// container whose neighbour is gone is deleted once that has lasted `after` (the first
/// sighting is stamped in `status.timestamps`).
async fn delete_without_neighbor(
    s: &mut ContainerState,
    neighbor: ContainerMode,
    stamp: &str,
    after: Duration,
    reason: &str,
) -> Result<(), StepError> {
    // Without an owner there is no cluster to look for neighbours in.
    let owned = s.container.metadata.owner_references.as_ref().is_some_and(|o| !o.is_empty());
    if !owned || has_neighbor(s, neighbor) {
        if s.status().timestamps.as_ref().is_some_and(|t| t.contains_key(stamp)) {
            s.status_mut().timestamps.get_or_insert_with(Default::default).remove(stamp);
            s.persist_status().await?;
        }
        return Ok(());
    }
    let since = s.status().timestamps.as_ref().and_then(|t| t.get(stamp).cloned());
    let Some(since) = since else {
        s.status_mut()
            .timestamps
            .get_or_insert_with(Default::default)
            .insert(stamp.to_string(), now());
        s.persist_status().await?;
        return Err(StepError::poll(
            "NoNeighbor",
            format!(
                "the {} container has no {neighbor} neighbor, deleting it after {after:?}",
                s.mode()
            ),
            QUARTER_MINUTE,
        ));
    };
    let waited = elapsed(&since);
    if waited < after {
        return Ok(());
    }
    let message = format!("{} container has no {neighbor} neighbor, deleting it", s.mode());
    s.event(EventType::Normal, reason, &message).await;
    match s.api().delete(s.name(), &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(st)) if st.code == 404 => s.gone = true,
        Err(e) => return Err(api_error("DeleteFailed", "delete the container", e)),
    }
    s.status_mut().timestamps.get_or_insert_with(Default::default).remove(stamp);
    s.persist_status().await
}

fn elapsed(since: &Time) -> Duration {
    Duration::from_secs(now().0.duration_since(since.0).as_secs().max(0) as u64)
}

/// `deleteEnvoyIfNoS3Neighbor`.
pub fn delete_envoy_if_no_s3_neighbor(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let after = s.ctx.config.cleanup.delete_envoy_without_s3_neighbor_after;
        delete_without_neighbor(
            s,
            ContainerMode::S3,
            NO_S3_NEIGHBOR,
            after,
            "EnvoyContainerWithoutS3Neighbor",
        )
        .await
    })
}

/// `deleteTelemetryIfNoComputeNeighbor`.
pub fn delete_telemetry_if_no_compute_neighbor(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let after = s.ctx.config.cleanup.delete_telemetry_without_compute_neighbor_after;
        delete_without_neighbor(
            s,
            ContainerMode::Compute,
            NO_COMPUTE_NEIGHBOR,
            after,
            "TelemetryContainerWithoutComputeNeighbor",
        )
        .await
    })
}

/// `DeleteEnvoyIfProcessNotExists`: an envoy container in `Error` whose pod runs for 3
/// minutes without an envoy process is set to deleting, so that it is replaced (at most one
/// per cluster a minute with `RECREATE_UNHEALTHY_ENVOY_THROTTLING_ENABLED`).
pub fn delete_envoy_if_process_not_exists(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(pod) = s.pod.clone() else { return Ok(()) };
        if !pod_is_running(&pod) {
            return Ok(());
        }
        let started = pod
            .status
            .as_ref()
            .and_then(|st| st.container_statuses.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.name == MAIN_CONTAINER))
            .and_then(|c| c.state.as_ref()?.running.as_ref()?.started_at.clone());
        let Some(started) = started else { return Ok(()) };
        let running_for = elapsed(&started);
        if running_for < ENVOY_START_GRACE {
            return Ok(());
        }
        let running = s
            .cli()
            .with_timeout(Duration::from_secs(10))
            .envoy_running()
            .await
            .map_err(|e| StepError::poll("EnvoyCheckFailed", e.to_string(), QUARTER_MINUTE))?;
        if running {
            return Ok(());
        }
        if s.ctx.config.cleanup.recreate_unhealthy_envoy_throttling {
            let partition = format!(
                "cluster/{}/envoy-deletion",
                s.status().cluster_id.clone().unwrap_or_default()
            );
            let clock = std::time::Instant::now();
            if !s.shared.throttler.due(
                &partition,
                "deleteEnvoyIfProcessNotExists",
                Duration::from_secs(60),
                clock,
            ) {
                return Err(StepError::poll(
                    "EnvoyDeletionThrottled",
                    "throttling envoy container deletion (one per minute per cluster)",
                    QUARTER_MINUTE,
                ));
            }
            s.shared.throttler.ran(&partition, "deleteEnvoyIfProcessNotExists", clock);
        }
        let message = format!(
            "Envoy process not found while container is in Error state (pod running for {}s), deleting container for recreation",
            running_for.as_secs()
        );
        s.event(EventType::Warning, "EnvoyProcessNotFound", &message).await;
        s.set_state_deleting().await?;
        Err(StepError::wait(
            "EnvoyProcessNotFound",
            "envoy process not found, container marked for deletion",
        ))
    })
}
