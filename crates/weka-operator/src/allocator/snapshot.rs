//! What a node looks like to the allocator: its drives, its recorded claims and the
//! WekaContainers placed on it. Used resources are the union of the claims and the
//! containers' `status.allocations`, so neither copy alone can lead to a double allocation.

use std::collections::{BTreeMap, BTreeSet};

use weka_api::WekaContainer;
use weka_api::common::GoInt;
use weka_api::wekacontainer::ContainerAllocations;

use super::claims::NodeClaims;
use super::node_drives::NodeDrives;
use super::ports::{PortBlock, PortLayout};

/// The state of one node, as read in one pass (the Node object and the WekaContainers).
#[derive(Clone, Debug)]
pub struct NodeSnapshot<'a> {
    pub node_name: &'a str,
    pub drives: NodeDrives,
    pub claims: NodeClaims,
    /// WekaContainers of every namespace; only those placed on `node_name` count.
    pub containers: &'a [WekaContainer],
}

/// The node a container is placed on: `spec.nodeAffinity`, else the one in its status.
pub fn node_of(container: &WekaContainer) -> Option<&str> {
    container
        .spec
        .node_affinity
        .as_deref()
        .or_else(|| container.status.as_ref().and_then(|s| s.node_affinity.as_deref()))
        .filter(|n| !n.is_empty())
}

impl NodeSnapshot<'_> {
    pub fn containers_on_node(&self) -> impl Iterator<Item = &WekaContainer> {
        self.containers.iter().filter(|c| node_of(c) == Some(self.node_name))
    }

    fn allocations(&self) -> impl Iterator<Item = &ContainerAllocations> {
        self.containers_on_node().filter_map(|c| c.status.as_ref()?.allocations.as_ref())
    }

    /// Serials (and, as upstream, physical UUIDs of virtual drives) in use on the node.
    pub fn used_drives(&self) -> BTreeSet<&str> {
        let claimed = self.claims.drives.keys().map(String::as_str);
        let from_status = self.allocations().flat_map(|a| {
            let drives = a.drives.iter().flatten().map(String::as_str);
            let physical = a.virtual_drives.iter().flatten().map(|v| v.physical_uuid.as_str());
            drives.chain(physical)
        });
        claimed.chain(from_status).collect()
    }

    /// Port blocks in use on the node. A block known only from a status gets the request's
    /// ports-per-container (the status does not record the size; upstream does the same).
    pub fn used_ports(&self, layout: PortLayout) -> Vec<PortBlock> {
        let mut used: Vec<PortBlock> = self.claims.ports.keys().copied().collect();
        for a in self.allocations() {
            if let Some(port) = a.weka_port.filter(|p| *p > 0) {
                used.push(PortBlock::new(port, layout.ports_per_container));
            }
            if let Some(port) = a.agent_port.filter(|p| *p > 0) {
                used.push(PortBlock::single(port));
            }
        }
        used
    }

    /// GiB taken on each physical drive by virtual drives (claims and statuses, each virtual
    /// drive counted once).
    pub fn claimed_capacity(&self) -> BTreeMap<&str, GoInt> {
        let mut by_virtual: BTreeMap<&str, (&str, GoInt)> = self
            .claims
            .virtual_drives
            .iter()
            .map(|(uuid, c)| (uuid.as_str(), (c.physical_uuid.as_str(), c.capacity_gib)))
            .collect();
        for vd in self.allocations().flat_map(|a| a.virtual_drives.iter().flatten()) {
            by_virtual
                .entry(vd.virtual_uuid.as_str())
                .or_insert((vd.physical_uuid.as_str(), vd.capacity_gib));
        }
        let mut by_physical = BTreeMap::new();
        for (physical, capacity) in by_virtual.into_values() {
            *by_physical.entry(physical).or_insert(0) += capacity;
        }
        by_physical
    }
}
