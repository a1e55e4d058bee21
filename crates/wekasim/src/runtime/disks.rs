//! The block devices of a simulated node: NVMe disks whose paths and serials follow from the
//! node's name, so tests and the operator's allocations can name them without asking. Also
//! the `drives.json` entries the runtime writes for the drives it was given.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::world::WekaWorld;

/// One disk of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeDisk {
    /// `/dev/nvme<k>n1`
    pub device: String,
    /// `/dev/nvme<k>n1p1`, the WEKA partition once signed.
    pub partition: String,
    pub serial: String,
    pub size_bytes: u64,
}

/// The disks of node `node`: `count` of them, serials `SIM<hash of node>N<k>`.
pub fn node_disks(node: &str, count: usize, size_bytes: u64) -> Vec<NodeDisk> {
    let tag = fnv1a(node);
    (0..count)
        .map(|k| NodeDisk {
            device: format!("/dev/nvme{k}n1"),
            partition: format!("/dev/nvme{k}n1p1"),
            serial: format!("SIM{tag:08X}N{k:02}"),
            size_bytes,
        })
        .collect()
}

/// A stable 32-bit hash (FNV-1a): serials must not change between runs.
pub(crate) fn fnv1a(text: &str) -> u32 {
    text.bytes()
        .fold(0x811c_9dc5u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// A drive as upstream's `find_weka_drives` reports it (`drives.json`, discovery results).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KernelDrive {
    pub partition: String,
    pub block_device: String,
    pub serial_id: String,
    /// The GUID of the cluster the drive was added to; empty while unused.
    pub weka_guid: String,
    /// Carries a cluster's signature (added to a cluster, maybe an old one).
    pub is_signed: bool,
}

impl KernelDrive {
    /// The disk as the kernel shows it: signed by the cluster that has a drive on it, unless
    /// that drive's signature was erased since (`erased`: drive UUIDs).
    pub fn of(disk: &NodeDisk, world: &WekaWorld, erased: &BTreeSet<String>) -> KernelDrive {
        let guid = cluster_of_serial(world, &disk.serial, erased);
        KernelDrive {
            partition: disk.partition.clone(),
            block_device: disk.device.clone(),
            serial_id: disk.serial.clone(),
            is_signed: guid.is_some(),
            weka_guid: guid.unwrap_or_default(),
        }
    }
}

/// The cluster a drive with this serial was added to (and not erased from the disk since).
fn cluster_of_serial(world: &WekaWorld, serial: &str, erased: &BTreeSet<String>) -> Option<String> {
    world
        .clusters()
        .find(|c| c.drives.values().any(|d| d.serial.trim() == serial && !erased.contains(&d.uuid)))
        .map(|c| c.guid.clone())
}

/// A disk as upstream's `find_disks` (lsblk) reports it, in discovery results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RawDisk {
    pub path: String,
    pub is_mounted: bool,
    pub serial_id: String,
}

impl From<&NodeDisk> for RawDisk {
    fn from(disk: &NodeDisk) -> Self {
        RawDisk { path: disk.device.clone(), is_mounted: false, serial_id: disk.serial.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disks_are_named_from_the_node_deterministically() {
        let a = node_disks("node-1", 2, 1 << 40);
        assert_eq!(a, node_disks("node-1", 2, 1 << 40));
        assert_eq!(a[1].device, "/dev/nvme1n1");
        assert_eq!(a[1].partition, "/dev/nvme1n1p1");
        assert!(a[0].serial.starts_with("SIM") && a[0].serial.ends_with("N00"));
        assert_ne!(a[0].serial, node_disks("node-2", 1, 1 << 40)[0].serial);
    }
}
