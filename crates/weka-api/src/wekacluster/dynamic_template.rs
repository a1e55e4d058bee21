//! `spec.dynamicTemplate`: how many containers of each role a cluster gets, and with how many
//! cores, hugepages and drives. Unset (or 0) means the operator's default for that value.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::{DriveTypesRatio, GoInt};

/// The layout of a cluster: container counts and per-container resources for each role.
// Drive capacity comes either from `numDrives` (plus `driveCapacity` on shared drives, TLC
// only) or from `containerCapacity` (plus an optional `driveTypesRatio` for mixed TLC/QLC);
// the CEL rules below reject a mix of both, with upstream's exact messages.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "message": "driveCapacity and driveTypesRatio are mutually exclusive; use driveCapacity for TLC-only mode, or containerCapacity with driveTypesRatio for mixed drive types",
        "rule": "!has(self.driveCapacity) || self.driveCapacity == 0 || !has(self.driveTypesRatio)"
    },
    {
        "message": "numDrives must be >= driveCores when using driveCapacity (TLC-only mode); each drive core requires at least one virtual drive",
        "rule": "!has(self.driveCapacity) || self.driveCapacity == 0 || !has(self.numDrives) || self.numDrives == 0 || self.numDrives >= self.driveCores"
    },
    {
        "message": "numDrives and containerCapacity are mutually exclusive; use numDrives with driveCapacity for TLC-only mode, or containerCapacity with driveTypesRatio for mixed drive types",
        "rule": "!has(self.numDrives) || self.numDrives == 0 || !has(self.containerCapacity) || self.containerCapacity == 0"
    },
    {
        "message": "containerCapacity must be greater than 0 when specified",
        "rule": "!has(self.containerCapacity) || self.containerCapacity > 0"
    },
    {
        "message": "at least one of driveTypesRatio.tlc or driveTypesRatio.qlc must be greater than 0",
        "rule": "!has(self.driveTypesRatio) || self.driveTypesRatio.tlc > 0 || self.driveTypesRatio.qlc > 0"
    },
    {
        "message": "driveTypesRatio.tlc must be greater than 0 when driveTypesRatio is specified; TLC-only and mixed TLC/QLC configurations are supported, but QLC-only is not allowed",
        "rule": "!has(self.driveTypesRatio) || self.driveTypesRatio.tlc > 0"
    },
    {
        "message": "driveCapacity must be greater than 0 when specified",
        "rule": "!has(self.driveCapacity) || self.driveCapacity > 0"
    }
]))]
pub struct DynamicTemplate {
    // --- compute ------------------------------------------------------------------------
    /// Number of compute containers.
    #[schemars(range(min = 0))]
    pub compute_containers: Option<GoInt>,
    /// WEKA cores of each compute container.
    #[schemars(range(min = 0))]
    pub compute_cores: Option<GoInt>,
    /// Cores reserved for each compute pod on top of its WEKA cores.
    #[schemars(range(min = 0))]
    pub compute_extra_cores: Option<GoInt>,
    /// Hugepages (MiB) of each compute container; 0 computes them.
    #[schemars(range(min = 0))]
    pub compute_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each compute container.
    #[schemars(range(min = 0))]
    pub compute_hugepages_offset: Option<GoInt>,

    // --- drive --------------------------------------------------------------------------
    /// Number of drive containers.
    #[schemars(range(min = 0))]
    pub drive_containers: Option<GoInt>,
    /// WEKA cores of each drive container.
    #[schemars(range(min = 0))]
    pub drive_cores: Option<GoInt>,
    /// Cores reserved for each drive pod on top of its WEKA cores.
    #[schemars(range(min = 0))]
    pub drive_extra_cores: Option<GoInt>,
    /// Hugepages (MiB) of each drive container; 0 computes them.
    #[schemars(range(min = 0))]
    pub drive_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each drive container.
    #[schemars(range(min = 0))]
    pub drive_hugepages_offset: Option<GoInt>,
    /// Drives (physical, or virtual on shared drives) per drive container.
    #[schemars(range(min = 0))]
    pub num_drives: Option<GoInt>,
    /// GiB of each virtual drive on shared drives (TLC only; with `numDrives`).
    #[schemars(range(min = 0))]
    pub drive_capacity: Option<GoInt>,
    /// GiB per drive container taken from shared drives (instead of `numDrives`).
    #[schemars(range(min = 0))]
    pub container_capacity: Option<GoInt>,
    /// TLC:QLC split of `containerCapacity` (mixed drive types).
    pub drive_types_ratio: Option<DriveTypesRatio>,

    // --- S3 -----------------------------------------------------------------------------
    /// Number of S3 containers.
    #[schemars(range(min = 0))]
    pub s3_containers: Option<GoInt>,
    /// WEKA cores of each S3 container.
    #[schemars(range(min = 0))]
    pub s3_cores: Option<GoInt>,
    /// Cores reserved for each S3 pod on top of its WEKA cores.
    #[schemars(range(min = 0))]
    pub s3_extra_cores: Option<GoInt>,
    /// Hugepages (MiB) of each S3 frontend.
    #[schemars(range(min = 0))]
    pub s3_frontend_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each S3 frontend.
    #[schemars(range(min = 0))]
    pub s3_frontend_hugepages_offset: Option<GoInt>,
    /// Cores of the Envoy load balancer in front of S3.
    #[schemars(range(min = 0))]
    pub envoy_cores: Option<GoInt>,

    // --- NFS (experimental) ---------------------------------------------------------------
    /// Number of NFS containers.
    #[schemars(range(min = 0))]
    pub nfs_containers: Option<GoInt>,
    /// WEKA cores of each NFS container.
    #[schemars(range(min = 0))]
    pub nfs_cores: Option<GoInt>,
    /// Cores reserved for each NFS pod on top of its WEKA cores.
    #[schemars(range(min = 0))]
    pub nfs_extra_cores: Option<GoInt>,
    /// Hugepages (MiB) of each NFS frontend.
    #[schemars(range(min = 0))]
    pub nfs_frontend_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each NFS frontend.
    #[schemars(range(min = 0))]
    pub nfs_frontend_hugepages_offset: Option<GoInt>,

    // --- SMB-W (experimental) -------------------------------------------------------------
    /// Number of SMB-W containers (3 to 8).
    #[schemars(range(min = 0))]
    pub smbw_containers: Option<GoInt>,
    /// WEKA cores of each SMB-W container.
    #[schemars(range(min = 0))]
    pub smbw_cores: Option<GoInt>,
    /// Cores reserved for each SMB-W pod on top of its WEKA cores.
    #[schemars(range(min = 0))]
    pub smbw_extra_cores: Option<GoInt>,
    /// Hugepages (MiB) of each SMB-W frontend.
    #[schemars(range(min = 0))]
    pub smbw_frontend_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each SMB-W frontend.
    #[schemars(range(min = 0))]
    pub smbw_frontend_hugepages_offset: Option<GoInt>,

    // --- data services (experimental) -----------------------------------------------------
    /// Number of data-services containers.
    #[schemars(range(min = 0))]
    pub data_services_containers: Option<GoInt>,
    /// WEKA cores of each data-services container.
    #[schemars(range(min = 0))]
    pub data_services_cores: Option<GoInt>,
    /// Cores reserved for each data-services pod on top of its WEKA cores.
    #[schemars(range(min = 0))]
    pub data_services_extra_cores: Option<GoInt>,
    /// Hugepages (MiB) of each data-services container.
    #[schemars(range(min = 0))]
    pub data_services_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each data-services container.
    #[schemars(range(min = 0))]
    pub data_services_hugepages_offset: Option<GoInt>,
    /// Frontend cores of each data-services container (upstream's default is 1).
    #[schemars(range(min = 0))]
    pub data_services_fe_cores: Option<GoInt>,
    /// Hugepages (MiB) of each data-services frontend container.
    pub data_services_fe_hugepages: Option<GoInt>,
    /// MiB added to the hugepages requested for each data-services frontend container.
    pub data_services_fe_hugepages_offset: Option<GoInt>,
}
