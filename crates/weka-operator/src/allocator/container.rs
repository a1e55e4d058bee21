//! Per-container allocation (spec §3.3): the weka port block and agent port inside the
//! cluster's range, and the container's drives, decided from a [`NodeSnapshot`].
//!
//! If the node's claims already hold resources of the requesting container (an operator
//! stopped after writing the claims and before writing the container's status), those are
//! returned instead of new ones: a retry never takes a second set.

use weka_api::common::{DriveTypesRatio, GoInt};
use weka_api::wekacluster::ClusterPorts;
use weka_api::wekacontainer::{ContainerAllocations, VirtualDrive, WekaContainerSpec};

use super::claims::{ClaimOwner, HeldClaims};
use super::cluster_ports::singleton_blocks;
use super::error::AllocationError;
use super::ports::{PortBlock, PortLayout, first_free};
use super::settings::DriveSharingSettings;
use super::shared_drives::{self, held_virtual_drives};
use super::snapshot::NodeSnapshot;

/// Which drives a container needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriveRequest {
    None,
    /// Whole drives (`numDrives`, no drive sharing).
    Exclusive {
        count: usize,
    },
    /// `count` virtual drives of `capacity_gib` each, on TLC shared drives.
    SharedByCount {
        count: usize,
        capacity_gib: GoInt,
    },
    /// `capacity_gib` in total on shared drives, split into TLC/QLC by `ratio`, with at
    /// least one virtual drive per core.
    SharedByCapacity {
        capacity_gib: GoInt,
        ratio: Option<DriveTypesRatio>,
        num_cores: usize,
    },
}

impl DriveRequest {
    /// What a WekaContainer's spec asks for (`UsesDriveSharing`: driveCapacity or
    /// containerCapacity set).
    pub fn for_container(spec: &WekaContainerSpec) -> Self {
        let positive = |v: Option<GoInt>| v.filter(|v| *v > 0);
        let count = positive(spec.num_drives).unwrap_or(0) as usize;
        if let Some(capacity_gib) = positive(spec.container_capacity) {
            DriveRequest::SharedByCapacity {
                capacity_gib,
                ratio: spec.drive_types_ratio,
                num_cores: spec.num_cores.max(0) as usize,
            }
        } else if let Some(capacity_gib) = positive(spec.drive_capacity) {
            DriveRequest::SharedByCount { count, capacity_gib }
        } else if count > 0 {
            DriveRequest::Exclusive { count }
        } else {
            DriveRequest::None
        }
    }
}

/// What a container asks the allocator for.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerRequest {
    pub owner: ClaimOwner,
    /// The owning cluster's `status.ports` (its range and singleton ports).
    pub cluster_ports: ClusterPorts,
    pub layout: PortLayout,
    /// A weka port block (host-network containers other than envoy).
    pub weka_port: bool,
    /// An agent port (containers with an agent).
    pub agent_port: bool,
    pub drives: DriveRequest,
    pub drive_sharing: DriveSharingSettings,
}

/// What the container gets; written to the node's claims first, then to its
/// `status.allocations`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    pub drives: Vec<String>,
    pub virtual_drives: Vec<VirtualDrive>,
    pub weka_port: Option<GoInt>,
    pub agent_port: Option<GoInt>,
}

impl Allocation {
    /// The port blocks this allocation occupies.
    pub fn port_blocks(&self, layout: PortLayout) -> Vec<PortBlock> {
        let weka = self.weka_port.map(|p| PortBlock::new(p, layout.ports_per_container));
        weka.into_iter().chain(self.agent_port.map(PortBlock::single)).collect()
    }

    /// Writes the allocation into a container's `status.allocations`, keeping its other fields.
    pub fn apply_to(&self, allocations: &mut ContainerAllocations) {
        if !self.drives.is_empty() {
            allocations.drives = Some(self.drives.clone());
        }
        if !self.virtual_drives.is_empty() {
            allocations.virtual_drives = Some(self.virtual_drives.clone());
        }
        if self.weka_port.is_some() {
            allocations.weka_port = self.weka_port;
        }
        if self.agent_port.is_some() {
            allocations.agent_port = self.agent_port;
        }
    }
}

/// Ports and drives for one container. `new_uuid` names new virtual drives.
pub fn allocate_container(
    request: &ContainerRequest,
    snapshot: &NodeSnapshot,
    new_uuid: &mut dyn FnMut() -> String,
) -> Result<Allocation, AllocationError> {
    let held = snapshot.claims.held_by(&request.owner);
    let (drives, virtual_drives) = match request.drives {
        DriveRequest::None => (Vec::new(), Vec::new()),
        DriveRequest::Exclusive { count } => {
            let mut drives: Vec<String> = held.drives.iter().take(count).cloned().collect();
            drives.extend(allocate_exclusive_drives(count - drives.len(), snapshot)?);
            (drives, Vec::new())
        }
        _ if !held.virtual_drives.is_empty() => (Vec::new(), held_virtual_drives(&held, snapshot)),
        shared => (
            Vec::new(),
            shared_drives::allocate_shared_drives(
                shared,
                &request.drive_sharing,
                snapshot,
                new_uuid,
            )?,
        ),
    };
    let (weka_port, agent_port) = allocate_ports(request, snapshot, &held)?;
    Ok(Allocation { drives, virtual_drives, weka_port, agent_port })
}

/// The first `count` signed, unblocked drives no container uses.
pub fn allocate_exclusive_drives(
    count: usize,
    snapshot: &NodeSnapshot,
) -> Result<Vec<String>, AllocationError> {
    let used = snapshot.used_drives();
    let free: Vec<String> = snapshot
        .drives
        .exclusive_candidates()
        .filter(|s| !used.contains(s.as_str()))
        .cloned()
        .collect();
    if free.len() < count {
        return Err(AllocationError::InsufficientDrives { needed: count, available: free.len() });
    }
    Ok(free.into_iter().take(count).collect())
}

/// The weka port block (first fit from the range's base) and the agent port (first fit from
/// the single-ports offset), avoiding every port claimed on the node and the cluster's
/// singleton ports. Blocks `held` by the owner are reused.
pub fn allocate_ports(
    request: &ContainerRequest,
    snapshot: &NodeSnapshot,
    held: &HeldClaims,
) -> Result<(Option<GoInt>, Option<GoInt>), AllocationError> {
    if !request.weka_port && !request.agent_port {
        return Ok((None, None));
    }
    let ports = &request.cluster_ports;
    let base = ports.base_port.unwrap_or(0);
    if base <= 0 {
        return Err(AllocationError::ClusterRangeNotAllocated);
    }
    let size = ports.port_range.filter(|r| *r > 0).unwrap_or(request.layout.default_cluster_range);
    let range = PortBlock::new(base, size);
    let mut taken = snapshot.used_ports(request.layout);
    taken.extend(singleton_blocks(ports));

    let held_weka = held.ports.iter().find(|b| b.size > 1).map(|b| b.base);
    let held_agent = held.ports.iter().find(|b| b.size == 1).map(|b| b.base);
    let mut pick = |wanted: bool, held: Option<GoInt>, size: GoInt, offset: GoInt| {
        if !wanted {
            return Ok(None);
        }
        if held.is_some() {
            return Ok(held);
        }
        let port = first_free(range, &taken, size, offset)
            .ok_or(AllocationError::PortRangeExhausted { size, range })?;
        taken.push(PortBlock::new(port, size));
        Ok(Some(port))
    };
    let layout = request.layout;
    let weka = pick(request.weka_port, held_weka, layout.ports_per_container, 0)?;
    let agent = pick(request.agent_port, held_agent, 1, layout.single_ports_offset)?;
    Ok((weka, agent))
}
