//! Containers, nodes and a seeded random generator for the allocator's tests.

use serde_json::json;
use weka_api::WekaContainer;
use weka_api::common::GoInt;
use weka_api::wekacontainer::{ContainerAllocations, VirtualDrive};

use super::claims::ClaimOwner;
use super::drive_types::DriveType;
use super::node_drives::{NodeDrives, SharedDrive};

pub const NODE: &str = "node-a";

/// A drive container of cluster `cluster` in namespace `weka`, placed on `node`.
pub fn container_on(node: &str, cluster: &str, name: &str) -> WekaContainer {
    serde_json::from_value(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {
            "name": name,
            "namespace": "weka",
            "ownerReferences": [{
                "apiVersion": "weka.weka.io/v1alpha1",
                "kind": "WekaCluster",
                "name": cluster,
                "uid": format!("uid-{cluster}"),
                "controller": true,
            }],
        },
        "spec": {"name": name, "mode": "drive", "image": "weka:4.4.5", "numCores": 1, "nodeAffinity": node},
    }))
    .expect("fixture is a WekaContainer")
}

/// The same container with `allocations` recorded in its status.
pub fn with_allocations(
    mut container: WekaContainer,
    allocations: ContainerAllocations,
) -> WekaContainer {
    container.status.get_or_insert_with(Default::default).allocations = Some(allocations);
    container
}

pub fn owner(name: &str) -> ClaimOwner {
    ClaimOwner { cluster: "c1".into(), namespace: "weka".into(), container: name.into() }
}

/// A node with exclusive drives `serials`.
pub fn exclusive_node(serials: &[&str]) -> NodeDrives {
    NodeDrives {
        weka_drives: serials.iter().map(|s| s.to_string()).collect(),
        ..NodeDrives::default()
    }
}

/// A node with shared drives of the given (type, GiB); UUIDs `p0`, `p1`, ...
pub fn shared_node(drives: &[(DriveType, GoInt)]) -> NodeDrives {
    NodeDrives {
        shared: drives
            .iter()
            .enumerate()
            .map(|(i, (drive_type, capacity_gib))| SharedDrive {
                physical_uuid: format!("p{i}"),
                serial: format!("serial-{i}"),
                capacity_gib: *capacity_gib,
                drive_type: Some(*drive_type),
            })
            .collect(),
        ..NodeDrives::default()
    }
}

pub fn virtual_drive(uuid: &str, physical: &str, capacity_gib: GoInt) -> VirtualDrive {
    VirtualDrive {
        virtual_uuid: uuid.into(),
        physical_uuid: physical.into(),
        capacity_gib,
        serial: String::new(),
        type_: Some("TLC".into()),
    }
}

/// A source of virtual-drive UUIDs `vd-0`, `vd-1`, ...
pub fn sequential_uuids() -> impl FnMut() -> String {
    let mut next = 0;
    move || {
        next += 1;
        format!("vd-{}", next - 1)
    }
}

/// SplitMix64: a small seeded generator, so property-style tests replay exactly.
pub struct Rng(u64);

impl Rng {
    pub fn seeded(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}
