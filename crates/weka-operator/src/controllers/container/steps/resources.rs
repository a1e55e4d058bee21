//! Ports and drives of a container, and the `resources.json` that hands them to the in-pod
//! runtime (spec: wekacontainer-functions.md §2).
//!
//! Allocation claims the resources on the Node first (`node_claims`: optimistic concurrency
//! through the Node's resourceVersion, no lock in this process), then records them in
//! `status.allocations`. A crash between the two writes is harmless: the allocator returns
//! what the node's claims already hold for this container, so the next attempt records the
//! same ports and drives (and another container's allocation keeps the claims of a container
//! that has recorded nothing yet). So `status.allocations` is written with the rest of the
//! pass's status (its conditions, `resources.json` written), in one write.

use std::time::Duration;

use kube::Api;
use kube::runtime::events::EventType;
use weka_api::WekaCluster;
use weka_api::common::GoInt;
use weka_api::wekacontainer::{ContainerAllocations, ContainerMode};

use super::feature_flags::image_feature_flags;
use super::nics::net_devices;
use super::node_claims::{ClaimsError, update_claims};
use super::weka_image_of;
use crate::allocator::{
    Allocation, ClaimOwner, ContainerRequest, DriveRequest, DriveSharingSettings, NodeSnapshot,
    PortLayout, allocate_container, allocate_exclusive_drives, allocate_shared_drives,
};
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};
use crate::pod::{ModeTraits, is_host_network, uses_drive_sharing};
use crate::weka::WekaError;

/// Allocation failures wait longer than usual: other containers may free resources.
const ALLOCATION_RETRY: Duration = Duration::from_secs(30);
/// The runtime configures persistency within seconds of starting.
const PERSISTENCY_RECHECK: Duration = Duration::from_secs(3);
/// Checking the resources of an unhealthy pod gets 10 s.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// `AllocateResources`: the weka port block, the agent port and the drives, claimed on the
/// node and recorded in `status.allocations`; event `ResourcesAllocated`.
pub fn allocate_resources(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.status().allocations.is_some() {
            return Ok(());
        }
        let node = s
            .node_affinity()
            .map(str::to_string)
            .ok_or_else(|| StepError::failed("NoNodeAffinity", "container has no node affinity"))?;
        if let Err(message) = validate_drive_sharing(s) {
            s.warn("InvalidDriveSharingConfig", &message).await;
            return Err(StepError::poll("InvalidDriveSharingConfig", message, ALLOCATION_RETRY));
        }
        let cluster = owner_cluster(s).await?;
        let cluster_ports = cluster.status.as_ref().and_then(|st| st.ports).unwrap_or_default();
        if cluster_ports.base_port.unwrap_or(0) <= 0 {
            return Err(StepError::poll(
                "ClusterPortsPending",
                format!(
                    "WekaCluster {} has no port range yet",
                    kube::ResourceExt::name_any(&cluster)
                ),
                Duration::from_secs(15),
            ));
        }
        let layout = port_layout(s).await?;
        let failure_domain = failure_domain(s);
        let request = ContainerRequest {
            owner: ClaimOwner::of(&s.container),
            cluster_ports,
            layout,
            weka_port: is_host_network(&s.container) && s.mode() != ContainerMode::Envoy,
            agent_port: s.mode().has_agent(),
            drives: DriveRequest::for_container(s.spec()),
            drive_sharing: DriveSharingSettings::from_config(&s.ctx.config.drives),
        };
        let outcome = update_claims(s, &node, layout, |view, claims| {
            let allocation = allocate_container(&request, &view.snapshot, &mut new_uuid)?;
            claims.record(&request.owner, &allocation, layout)?;
            Ok(allocation)
        })
        .await;
        let allocation = match outcome {
            Ok(allocation) => allocation,
            Err(err) => return Err(report_claims_error(s, err).await),
        };
        let mut allocations = ContainerAllocations { failure_domain, ..Default::default() };
        allocation.apply_to(&mut allocations);
        // Written with the pass's outcome (see the module documentation).
        s.status_mut().allocations = Some(allocations);
        let message = allocated_message(s, &allocation, layout);
        tracing::info!(%message, "resources allocated");
        s.event(EventType::Normal, "ResourcesAllocated", &message).await;
        Ok(())
    })
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// "Allocated N drives, weka ports A-B, agent port C".
fn allocated_message(s: &ContainerState, allocation: &Allocation, layout: PortLayout) -> String {
    let drives = if uses_drive_sharing(&s.container) {
        allocation.virtual_drives.len()
    } else {
        allocation.drives.len()
    };
    let mut message = format!("Allocated {drives} drives");
    if let Some(port) = allocation.weka_port {
        message.push_str(&format!(", weka ports {port}-{}", port + layout.ports_per_container - 1));
    }
    if let Some(port) = allocation.agent_port {
        message.push_str(&format!(", agent port {port}"));
    }
    message
}

/// An allocation that could not be made: a Warning event named for the problem and a wait.
async fn report_claims_error(s: &ContainerState, err: ClaimsError) -> StepError {
    match err {
        ClaimsError::Step(err) => err,
        ClaimsError::Allocation(err) => {
            let reason = err.reason();
            let message = err.to_string();
            tracing::warn!(reason, %message, "allocation failed");
            s.warn(reason, &message).await;
            StepError::poll(reason, message, ALLOCATION_RETRY)
        }
    }
}

/// Upstream's `validateDriveSharingConfig`.
fn validate_drive_sharing(s: &ContainerState) -> Result<(), String> {
    let spec = s.spec();
    let num_drives = spec.num_drives.unwrap_or(0);
    if num_drives > 0 && spec.container_capacity.unwrap_or(0) > 0 {
        return Err("numDrives and containerCapacity are mutually exclusive; use numDrives with driveCapacity \
                    for TLC-only mode, or containerCapacity with driveTypesRatio for mixed drive types"
            .to_string());
    }
    if spec.drive_capacity.unwrap_or(0) > 0 && num_drives > 0 && num_drives < spec.num_cores {
        return Err(format!(
            "numDrives ({num_drives}) must be >= numCores ({}) when using driveCapacity (TLC-only mode); \
             each core requires at least one virtual drive",
            spec.num_cores
        ));
    }
    Ok(())
}

/// The WekaCluster that owns the container (its controller reference, else the first owner),
/// read from the API. A container without one cannot get ports: it waits for a spec change.
pub async fn owner_cluster(s: &mut ContainerState) -> Result<WekaCluster, StepError> {
    let owners = s.container.metadata.owner_references.clone().unwrap_or_default();
    let owner = owners
        .iter()
        .find(|o| o.kind == "WekaCluster" && o.controller == Some(true))
        .or_else(|| owners.first());
    let Some(owner) = owner else {
        s.needs_spec_change = true;
        return Err(StepError::wait(
            "NoOwnerCluster",
            "the container has no owner WekaCluster, whose port range its ports come from",
        ));
    };
    let api: Api<WekaCluster> = Api::namespaced(s.ctx.client.clone(), s.namespace());
    match api.get_opt(&owner.name).await {
        Ok(Some(cluster)) => Ok(cluster),
        Ok(None) => Err(StepError::poll(
            "OwnerClusterNotFound",
            format!("the owner WekaCluster {} does not exist", owner.name),
            Duration::from_secs(15),
        )),
        Err(err) => Err(api_error("OwnerClusterReadFailed", "read the owner WekaCluster", err)),
    }
}

/// How ports are cut up for the image the pod runs.
async fn port_layout(s: &ContainerState) -> Result<PortLayout, StepError> {
    let image = s
        .pod
        .as_deref()
        .and_then(weka_image_of)
        .map(str::to_string)
        .unwrap_or_else(|| s.spec().image.clone());
    Ok(image_feature_flags(s, &image).await?.port_layout())
}

/// Upstream's `getFailureDomain`: the node's label named by `spec.failureDomain.label`, or
/// its composite labels joined with `-`; values over 16 characters are hashed.
fn failure_domain(s: &ContainerState) -> Option<String> {
    let config = s.spec().failure_domain.clone()?;
    let labels = s.node.as_deref()?.metadata.labels.clone().unwrap_or_default();
    let value = if let Some(label) = config.label {
        labels.get(&label)?.clone()
    } else {
        let parts: Vec<&str> = config
            .composite_labels
            .iter()
            .flatten()
            .filter_map(|l| labels.get(l))
            .map(String::as_str)
            .collect();
        if parts.is_empty() {
            return None;
        }
        parts.join("-")
    };
    Some(failure_domain_value(&value))
}

/// WEKA takes failure domains of at most 16 characters without `/`.
fn failure_domain_value(value: &str) -> String {
    if value.len() > 16 {
        let hash = value.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        return format!("{hash:016x}");
    }
    value.replace('/', "-")
}

/// Upstream's `NeedsDrivesToAllocate`: fewer drives (or less capacity) allocated than asked.
pub fn needs_drives(s: &ContainerState) -> bool {
    let status = s.status();
    let Some(allocations) = status.allocations.as_ref() else { return false };
    let spec = s.spec();
    let sharing = uses_drive_sharing(&s.container);
    if sharing && !s.ctx.config.drives.dynamic_scaling_for_shared_drives {
        return false;
    }
    let virtual_drives = allocations.virtual_drives.as_deref().unwrap_or_default();
    if let Some(capacity) = spec.container_capacity.filter(|c| *c > 0) {
        return virtual_drives.iter().map(|v| v.capacity_gib).sum::<GoInt>() < capacity;
    }
    let have = if sharing {
        virtual_drives.len()
    } else {
        allocations.drives.as_deref().unwrap_or_default().len()
    };
    (have as GoInt) < spec.num_drives.unwrap_or(0)
}

/// `AllocateDrivesIfNeeded`: drives taken away (blocked, removed) are replaced by new ones,
/// claimed on the node like the first ones; then `resources.json` is rewritten. Failures get
/// a Warning `AllocateContainerDrivesError` (at most one a minute).
pub fn allocate_drives_if_needed(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        match add_missing_drives(s).await {
            Ok(()) => {}
            Err(err) => {
                let message = match &err {
                    StepError::Failed { message, .. } => message.clone(),
                    StepError::Wait(wait) => wait.message.clone(),
                };
                s.warn("AllocateContainerDrivesError", &message).await;
                return Err(err);
            }
        }
        write_resources_now(s).await
    })
}

async fn add_missing_drives(s: &mut ContainerState) -> Result<(), StepError> {
    let node = s
        .node_affinity()
        .map(str::to_string)
        .ok_or_else(|| StepError::failed("NoNodeAffinity", "container has no node affinity"))?;
    let layout = port_layout(s).await?;
    let owner = ClaimOwner::of(&s.container);
    let current = s.status().allocations.clone().unwrap_or_default();
    let spec = s.spec().clone();
    let settings = DriveSharingSettings::from_config(&s.ctx.config.drives);
    let sharing = uses_drive_sharing(&s.container);
    let outcome = update_claims(s, &node, layout, |view, claims| {
        let have: Vec<String> = current.drives.clone().unwrap_or_default();
        let have_virtual = current.virtual_drives.clone().unwrap_or_default();
        let mut added = Allocation::default();
        if sharing {
            let allocated: GoInt = have_virtual.iter().map(|v| v.capacity_gib).sum();
            let request = match spec.container_capacity.filter(|c| *c > 0) {
                Some(capacity) => DriveRequest::SharedByCapacity {
                    capacity_gib: capacity - allocated,
                    ratio: spec.drive_types_ratio,
                    num_cores: 0,
                },
                None => DriveRequest::SharedByCount {
                    count: (spec.num_drives.unwrap_or(0) as usize)
                        .saturating_sub(have_virtual.len()),
                    capacity_gib: spec.drive_capacity.unwrap_or(0),
                },
            };
            added.virtual_drives =
                allocate_shared_drives(request, &settings, &view.snapshot, &mut new_uuid)?;
        } else {
            let missing = (spec.num_drives.unwrap_or(0) as usize).saturating_sub(have.len());
            // Drives this container claimed in an interrupted earlier attempt come first.
            let held: Vec<String> = view
                .raw_claims
                .held_by(&owner)
                .drives
                .into_iter()
                .filter(|d| !have.contains(d))
                .collect();
            added.drives = held
                .into_iter()
                .filter(|d| view.snapshot.drives.exclusive_candidates().any(|c| c == d))
                .take(missing)
                .collect();
            claims.record(&owner, &added, layout)?;
            let with_held = NodeSnapshot { claims: claims.clone(), ..view.snapshot.clone() };
            added
                .drives
                .extend(allocate_exclusive_drives(missing - added.drives.len(), &with_held)?);
        }
        claims.record(&owner, &added, layout)?;
        Ok(added)
    })
    .await;
    let added = match outcome {
        Ok(added) => added,
        Err(ClaimsError::Step(err)) => return Err(err),
        Err(ClaimsError::Allocation(err)) => return Err(StepError::failed(err.reason(), err)),
    };
    tracing::info!(drives = ?added.drives, virtual_drives = added.virtual_drives.len(), "allocated additional drives");
    let allocations = s.status_mut().allocations.get_or_insert_with(Default::default);
    if !added.drives.is_empty() {
        allocations.drives.get_or_insert_with(Vec::new).extend(added.drives);
    }
    if !added.virtual_drives.is_empty() {
        allocations.virtual_drives.get_or_insert_with(Vec::new).extend(added.virtual_drives);
    }
    s.persist_status().await
}

/// Drops blocked drives from `status.allocations` (upstream `deallocateDrivesBySerials`); the
/// node's claims on them go with the next allocation on the node (they are no longer in the
/// container's recorded allocation).
pub async fn deallocate_drives(
    s: &mut ContainerState,
    blocked_serials: &[String],
    blocked_physical_uuids: &[String],
) -> Result<(), StepError> {
    let Some(allocations) = s.status_mut().allocations.as_mut() else { return Ok(()) };
    let mut changed = false;
    if let Some(drives) = allocations.drives.as_mut() {
        let before = drives.len();
        drives.retain(|d| !blocked_serials.contains(d));
        changed |= drives.len() != before;
    }
    if let Some(virtual_drives) = allocations.virtual_drives.as_mut() {
        let before = virtual_drives.len();
        virtual_drives.retain(|v| {
            !blocked_serials.contains(&v.serial)
                && !blocked_physical_uuids.contains(&v.physical_uuid)
        });
        changed |= virtual_drives.len() != before;
    }
    if changed {
        tracing::info!(?blocked_serials, ?blocked_physical_uuids, "deallocated blocked drives");
        s.persist_status().await?;
    }
    Ok(())
}

// --- resources.json -------------------------------------------------------------------------

/// Upstream's `getExpectedAllocations`: `status.allocations` (for a client without any, its
/// machine identifier from the node), with the net devices.
async fn expected_allocations(s: &ContainerState) -> Result<ContainerAllocations, StepError> {
    let mut allocations = match s.status().allocations.clone() {
        Some(allocations) => allocations,
        None => ContainerAllocations {
            machine_identifier: machine_identifier(s)?,
            ..Default::default()
        },
    };
    allocations.net_devices = net_devices(s)?;
    Ok(allocations)
}

/// The value at the node field path `spec.overrides.machineIdentifierNodeRef` (else the
/// node's `weka.io/machine-identifier-ref` annotation), e.g. `metadata.uid`.
fn machine_identifier(s: &ContainerState) -> Result<Option<String>, StepError> {
    let Some(node) = s.node.as_deref() else { return Ok(None) };
    let from_spec = s.spec().overrides.as_ref().and_then(|o| o.machine_identifier_node_ref.clone());
    let from_node = node
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(weka_api::constants::annotations::MACHINE_IDENTIFIER_REF).cloned());
    let Some(path) = from_spec.or(from_node).filter(|p| !p.is_empty()) else { return Ok(None) };
    let value = serde_json::to_value(node).unwrap_or_default();
    let found = path.split('.').try_fold(&value, |v, key| v.get(key));
    match found.and_then(|v| v.as_str()) {
        Some(id) => Ok(Some(id.to_string())),
        None => Err(StepError::failed(
            "MachineIdentifierNotFound",
            format!(
                "node {} has no string at field path {path}",
                kube::ResourceExt::name_any(node)
            ),
        )),
    }
}

/// `WriteResources`: `resources.json` written into the pod (atomically, once the runtime has
/// configured its persistent directory) and read back.
pub fn write_resources(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(write_resources_now(s))
}

async fn write_resources_now(s: &ContainerState) -> Result<(), StepError> {
    let expected = expected_allocations(s).await?;
    match s.cli().write_resources(&expected).await {
        Ok(()) => Ok(()),
        Err(err) => Err(resources_error(err)),
    }
}

fn resources_error(err: WekaError) -> StepError {
    match err {
        WekaError::PersistencyNotConfigured => StepError::poll(
            "PersistencyNotConfigured",
            "Persistency is not yet configured",
            PERSISTENCY_RECHECK,
        ),
        err if err.is_container_gone() || err.is_timeout() => StepError::poll(
            "PodNotReachable",
            format!("cannot write resources.json: {err}"),
            Duration::from_secs(10),
        ),
        err => StepError::failed("WriteResourcesError", err),
    }
}

/// `checkUnhealyPodResources`: an unhealthy pod's `resources.json` is compared with what it
/// should hold and rewritten when it differs (the runtime may have lost it).
pub fn check_unhealthy_pod_resources(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(verify_or_rewrite_resources(s))
}

/// `resources.json` in the pod is compared with what it should hold and rewritten when it
/// differs or cannot be read; an unanswered read is a 10 s wait.
pub async fn verify_or_rewrite_resources(s: &ContainerState) -> Result<(), StepError> {
    let expected = expected_allocations(s).await?;
    match s.cli().with_timeout(VERIFY_TIMEOUT).verify_resources(&expected).await {
        Ok(()) => Ok(()),
        Err(err) if err.is_timeout() => {
            Err(StepError::poll("PodNotReachable", err.to_string(), Duration::from_secs(10)))
        }
        Err(err) => {
            tracing::warn!(error = %err, "resources.json is not as expected, rewriting it");
            write_resources_now(s).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_failure_domains_are_hashed_and_slashes_replaced() {
        assert_eq!(failure_domain_value("rack/1"), "rack-1");
        let long = failure_domain_value("a-very-long-failure-domain-name");
        assert_eq!(long.len(), 16);
        assert_eq!(long, failure_domain_value("a-very-long-failure-domain-name"));
    }
}
