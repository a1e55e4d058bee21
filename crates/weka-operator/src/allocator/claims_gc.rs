//! Keeping a node's claims in line with the containers: claims nobody holds any more are
//! garbage, and claims lost from the annotations are restored from the containers' status.
//!
//! A claim is stale when no container with its owner key is placed on the node (deleted, or
//! moved elsewhere), or when its container has recorded its allocation in
//! `status.allocations` and the claimed resource is not part of it. Claims of a container
//! that has recorded nothing yet are kept: it is between writing the claims and writing its
//! status, and will pick them up again.

use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerAllocations;

use super::claims::{ClaimOwner, NodeClaims, VirtualDriveClaim};
use super::ports::{PortBlock, PortLayout};
use super::snapshot::node_of;

/// Claims to delete from a node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaleClaims {
    pub drives: Vec<String>,
    pub ports: Vec<PortBlock>,
    pub virtual_drives: Vec<String>,
}

impl StaleClaims {
    pub fn is_empty(&self) -> bool {
        self.drives.is_empty() && self.ports.is_empty() && self.virtual_drives.is_empty()
    }
}

/// The claims on `node_name` that no container placed there holds. `containers` may list
/// containers of any node and namespace.
pub fn reconcile_claims(
    node_name: &str,
    claims: &NodeClaims,
    containers: &[WekaContainer],
) -> StaleClaims {
    let holders: Vec<(ClaimOwner, Option<&ContainerAllocations>)> = containers
        .iter()
        .filter(|c| node_of(c) == Some(node_name))
        .map(|c| (ClaimOwner::of(c), recorded(c)))
        .collect();
    // None: no such container on the node; Some(None): it has recorded nothing yet.
    let holder = |owner: &ClaimOwner| holders.iter().find(|(o, _)| o == owner).map(|(_, a)| *a);
    let keep =
        |owner: &ClaimOwner, in_status: &dyn Fn(&ContainerAllocations) -> bool| match holder(owner)
        {
            None => false,
            Some(None) => true,
            Some(Some(allocations)) => in_status(allocations),
        };
    StaleClaims {
        drives: claims
            .drives
            .iter()
            .filter(|(serial, owner)| {
                !keep(owner, &|a| a.drives.iter().flatten().any(|d| d == *serial))
            })
            .map(|(serial, _)| serial.clone())
            .collect(),
        ports: claims
            .ports
            .iter()
            .filter(|(block, owner)| {
                !keep(owner, &|a| [a.weka_port, a.agent_port].contains(&Some(block.base)))
            })
            .map(|(block, _)| *block)
            .collect(),
        virtual_drives: claims
            .virtual_drives
            .iter()
            .filter(|(uuid, claim)| {
                !keep(&claim.owner, &|a| {
                    a.virtual_drives.iter().flatten().any(|v| v.virtual_uuid == **uuid)
                })
            })
            .map(|(uuid, _)| uuid.clone())
            .collect(),
    }
}

impl NodeClaims {
    /// Removes the stale claims.
    pub fn remove(&mut self, stale: &StaleClaims) {
        for serial in &stale.drives {
            self.drives.remove(serial);
        }
        for block in &stale.ports {
            self.ports.remove(block);
        }
        for uuid in &stale.virtual_drives {
            self.virtual_drives.remove(uuid);
        }
    }

    /// The claims as they should be: stale ones removed, and every allocation recorded in the
    /// status of a container on the node claimed (a claim held by another owner is left as
    /// it is). The caller writes the result if it differs.
    pub fn healed(
        &self,
        node_name: &str,
        containers: &[WekaContainer],
        layout: PortLayout,
    ) -> NodeClaims {
        let mut healed = self.clone();
        healed.remove(&reconcile_claims(node_name, self, containers));
        for container in containers.iter().filter(|c| node_of(c) == Some(node_name)) {
            let Some(allocations) = recorded(container) else { continue };
            let owner = ClaimOwner::of(container);
            for serial in allocations.drives.iter().flatten() {
                healed.drives.entry(serial.clone()).or_insert_with(|| owner.clone());
            }
            let weka = allocations.weka_port.map(|p| PortBlock::new(p, layout.ports_per_container));
            for block in weka.into_iter().chain(allocations.agent_port.map(PortBlock::single)) {
                if block.base > 0 && !healed.ports.keys().any(|b| b.overlaps(block)) {
                    healed.ports.insert(block, owner.clone());
                }
            }
            for vd in allocations.virtual_drives.iter().flatten() {
                healed.virtual_drives.entry(vd.virtual_uuid.clone()).or_insert_with(|| {
                    VirtualDriveClaim {
                        owner: owner.clone(),
                        physical_uuid: vd.physical_uuid.clone(),
                        capacity_gib: vd.capacity_gib,
                    }
                });
            }
        }
        healed
    }
}

/// The container's recorded allocation, if it has recorded any port or drive.
fn recorded(container: &WekaContainer) -> Option<&ContainerAllocations> {
    let allocations = container.status.as_ref()?.allocations.as_ref()?;
    let any = allocations.weka_port.is_some_and(|p| p > 0)
        || allocations.agent_port.is_some_and(|p| p > 0)
        || allocations.drives.as_ref().is_some_and(|d| !d.is_empty())
        || allocations.virtual_drives.as_ref().is_some_and(|v| !v.is_empty());
    any.then_some(allocations)
}
