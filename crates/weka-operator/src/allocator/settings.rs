//! The operator settings of drive sharing (upstream `DriveSharingConfig`), with upstream's
//! defaults.

use weka_api::common::{DriveTypesRatio, GoInt};

use crate::config;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriveSharingSettings {
    /// TLC:QLC split applied to a `containerCapacity` without its own `driveTypesRatio`.
    pub drive_types_ratio: DriveTypesRatio,
    /// Virtual drives a container may get per drive core.
    pub max_virtual_drives_per_core: usize,
    /// Each drive type in use needs at least one virtual drive per core (else: all types together).
    pub enforce_min_drives_per_type_per_core: bool,
    /// GiB of TLC capacity per MiB of compute hugepages.
    pub hugepages_tlc_ratio: GoInt,
    /// GiB of QLC capacity per MiB of compute hugepages.
    pub hugepages_qlc_ratio: GoInt,
}

impl Default for DriveSharingSettings {
    fn default() -> Self {
        DriveSharingSettings {
            drive_types_ratio: DriveTypesRatio { tlc: 1, qlc: 0 },
            max_virtual_drives_per_core: 8,
            enforce_min_drives_per_type_per_core: true,
            hugepages_tlc_ratio: 1000,
            hugepages_qlc_ratio: 6000,
        }
    }
}

impl DriveSharingSettings {
    pub fn from_config(drives: &config::Drives) -> Self {
        DriveSharingSettings {
            drive_types_ratio: DriveTypesRatio {
                tlc: drives.types_ratio_tlc as GoInt,
                qlc: drives.types_ratio_qlc as GoInt,
            },
            max_virtual_drives_per_core: drives.max_virtual_drives_per_core as usize,
            enforce_min_drives_per_type_per_core: drives.enforce_min_drives_per_type_per_core,
            hugepages_tlc_ratio: drives.hugepages_tlc_ratio as GoInt,
            hugepages_qlc_ratio: drives.hugepages_qlc_ratio as GoInt,
        }
    }
}
