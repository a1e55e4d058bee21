//! Drive sharing: the physical drives an ssdproxy container serves on its node and the
//! virtual drives (slices) cut from them, as the ssdproxy's JSON-RPC methods
//! `ssd_proxy_add_virtual_drive`, `ssd_proxy_remove_virtual_drive`,
//! `ssd_proxy_list_virtual_drives` and `ssd_proxy_list_physical_drives` see them.
//!
//! State is per node (the proxy's drives outlive its pod). The operator calls these
//! idempotently on every reconcile, so adding a slice that exists with the same physical
//! drive succeeds, removing one that does not exist succeeds, and listing the slices of an
//! unknown physical drive is empty. Nothing signs drives for the proxy yet, so adding a slice
//! on a physical drive the node does not know registers that drive (size unknown: no
//! capacity check); [`WekaWorld::add_proxy_physical_drive`] declares one with its size.
//! `weka cluster drive add` does not consult this state.

use std::collections::BTreeMap;

use crate::world::WekaWorld;

/// A physical drive served by a node's ssdproxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhysicalDrive {
    pub uuid: String,
    pub serial: String,
    /// Capacity in GB; 0 when unknown (slices are then not checked against it).
    pub size_gb: u64,
    pub model: String,
    pub pci_address: String,
}

impl PhysicalDrive {
    /// A drive only known by its UUID (registered by a slice added on it).
    pub fn unknown(uuid: &str) -> Self {
        PhysicalDrive {
            uuid: uuid.to_string(),
            serial: String::new(),
            size_gb: 0,
            model: "SIMULATED".to_string(),
            pci_address: String::new(),
        }
    }
}

/// A slice of a physical drive given to one drive container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualDriveSlice {
    pub virtual_uuid: String,
    pub physical_uuid: String,
    pub cluster_guid: String,
    pub size_gb: u64,
}

/// One node's proxy drives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyDrives {
    pub physical: BTreeMap<String, PhysicalDrive>,
    /// By virtual UUID.
    pub slices: BTreeMap<String, VirtualDriveSlice>,
}

impl ProxyDrives {
    /// The slices of one physical drive.
    pub fn slices_of<'a>(
        &'a self,
        physical: &'a str,
    ) -> impl Iterator<Item = &'a VirtualDriveSlice> {
        self.slices.values().filter(move |s| s.physical_uuid == physical)
    }

    fn used_gb(&self, physical: &str) -> u64 {
        self.slices_of(physical).map(|s| s.size_gb).sum()
    }
}

/// Why a slice cannot be added.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VirtualDriveError {
    #[error("invalid virtual drive: {0}")]
    Invalid(String),
    #[error("virtual drive {virtual_uuid} already exists on physical drive {physical_uuid}")]
    OnOtherDrive { virtual_uuid: String, physical_uuid: String },
    #[error(
        "not enough free capacity on physical drive {physical_uuid}: {free_gb}GB free, {wanted_gb}GB requested"
    )]
    NoCapacity { physical_uuid: String, free_gb: u64, wanted_gb: u64 },
}

impl WekaWorld {
    /// Declares a physical drive of `node`'s ssdproxy (replacing one with the same UUID).
    pub fn add_proxy_physical_drive(&mut self, node: &str, drive: PhysicalDrive) {
        let drives = self.proxy_drives.entry(node.to_string()).or_default();
        drives.physical.insert(drive.uuid.clone(), drive);
    }

    /// The proxy drives of `node`, if any were declared or sliced.
    pub fn proxy_drives(&self, node: &str) -> Option<&ProxyDrives> {
        self.proxy_drives.get(node)
    }

    /// Adds a slice; the same slice again is a no-op.
    pub fn add_virtual_drive(
        &mut self,
        node: &str,
        slice: VirtualDriveSlice,
    ) -> Result<(), VirtualDriveError> {
        if slice.virtual_uuid.is_empty() || slice.physical_uuid.is_empty() {
            return Err(VirtualDriveError::Invalid(
                "virtualUuid and physicalUuid are required".into(),
            ));
        }
        if slice.size_gb == 0 {
            return Err(VirtualDriveError::Invalid("sizeGB must be positive".into()));
        }
        let drives = self.proxy_drives.entry(node.to_string()).or_default();
        if let Some(existing) = drives.slices.get(&slice.virtual_uuid) {
            if existing.physical_uuid == slice.physical_uuid {
                return Ok(());
            }
            return Err(VirtualDriveError::OnOtherDrive {
                virtual_uuid: slice.virtual_uuid,
                physical_uuid: existing.physical_uuid.clone(),
            });
        }
        let size = drives
            .physical
            .entry(slice.physical_uuid.clone())
            .or_insert_with(|| PhysicalDrive::unknown(&slice.physical_uuid))
            .size_gb;
        if size > 0 {
            let free_gb = size.saturating_sub(drives.used_gb(&slice.physical_uuid));
            if slice.size_gb > free_gb {
                return Err(VirtualDriveError::NoCapacity {
                    physical_uuid: slice.physical_uuid,
                    free_gb,
                    wanted_gb: slice.size_gb,
                });
            }
        }
        drives.slices.insert(slice.virtual_uuid.clone(), slice);
        Ok(())
    }

    /// Removes a slice; `false` if `node` had none with that UUID (not an error: removal is
    /// retried until it succeeds).
    pub fn remove_virtual_drive(&mut self, node: &str, virtual_uuid: &str) -> bool {
        self.proxy_drives.get_mut(node).is_some_and(|d| d.slices.remove(virtual_uuid).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn slice(virtual_uuid: &str, physical_uuid: &str, size_gb: u64) -> VirtualDriveSlice {
        VirtualDriveSlice {
            virtual_uuid: virtual_uuid.into(),
            physical_uuid: physical_uuid.into(),
            cluster_guid: "guid".into(),
            size_gb,
        }
    }

    fn world() -> WekaWorld {
        WekaWorld::new(ManualClock::new().shared())
    }

    #[test]
    fn adding_is_idempotent_and_registers_the_physical_drive() {
        let mut w = world();
        w.add_virtual_drive("n1", slice("v1", "p1", 100)).unwrap();
        w.add_virtual_drive("n1", slice("v1", "p1", 100)).unwrap();
        let drives = w.proxy_drives("n1").unwrap();
        assert_eq!(drives.slices.len(), 1);
        assert_eq!(drives.physical["p1"], PhysicalDrive::unknown("p1"));
        assert!(w.proxy_drives("n2").is_none(), "state is per node");
        let err = w.add_virtual_drive("n1", slice("v1", "p2", 100)).unwrap_err();
        assert!(matches!(err, VirtualDriveError::OnOtherDrive { .. }), "{err}");
    }

    #[test]
    fn known_capacity_is_enforced() {
        let mut w = world();
        let mut drive = PhysicalDrive::unknown("p1");
        drive.size_gb = 250;
        w.add_proxy_physical_drive("n1", drive);
        w.add_virtual_drive("n1", slice("v1", "p1", 200)).unwrap();
        let err = w.add_virtual_drive("n1", slice("v2", "p1", 100)).unwrap_err();
        assert_eq!(
            err,
            VirtualDriveError::NoCapacity {
                physical_uuid: "p1".into(),
                free_gb: 50,
                wanted_gb: 100
            }
        );
        w.add_virtual_drive("n1", slice("v2", "p1", 50)).unwrap();
    }

    #[test]
    fn invalid_slices_are_refused() {
        let mut w = world();
        assert!(w.add_virtual_drive("n1", slice("", "p1", 1)).is_err());
        assert!(w.add_virtual_drive("n1", slice("v1", "p1", 0)).is_err());
    }

    #[test]
    fn removing_is_idempotent() {
        let mut w = world();
        assert!(!w.remove_virtual_drive("n1", "v1"));
        w.add_virtual_drive("n1", slice("v1", "p1", 10)).unwrap();
        assert!(w.remove_virtual_drive("n1", "v1"));
        assert!(!w.remove_virtual_drive("n1", "v1"));
        assert_eq!(w.proxy_drives("n1").unwrap().slices_of("p1").count(), 0);
    }
}
