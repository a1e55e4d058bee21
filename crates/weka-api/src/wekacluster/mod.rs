//! `WekaCluster`: a WEKA storage cluster; the operator expands it into WekaContainers
//! (drive, compute and protocol containers), forms the cluster and keeps it running.
//!
//! - [`spec`]: the kind itself and the top-level spec (image, placement, ports, overrides);
//! - [`dynamic_template`]: how many containers of each role, with how many cores and drives;
//! - [`roles`]: the per-role maps that override cluster-wide settings for one role;
//! - [`services`]: S3, NFS, SMB-W, telemetry, CSI, encryption and WEKA Home settings;
//! - [`status`]: what the operator observed, written by the operator.

pub mod dynamic_template;
pub mod roles;
pub mod services;
pub mod spec;
pub mod status;

pub use dynamic_template::DynamicTemplate;
pub use roles::{
    AdditionalMemory, RoleAffinity, RoleAnnotations, RoleCoreIds, RoleNetworkSelector,
    RoleNodeSelector, RoleTopologySpreadConstraints,
};
pub use services::{
    CsiConfig, EncryptionConfig, InternalEncryptionConfig, NfsConfig, S3Config, SmbwConfig,
    SmbwEncryption, SmbwScaleOutMode, SplunkExport, TelemetryConfig, TelemetryExport,
    VaultAuthMethod, VaultConfig, WekaHomeConfig,
};
pub use spec::{
    CatalogConfig, ClusterPorts, DpdkBaseMemoryMb, PodConfig, StartIoConditions, WekaCluster,
    WekaClusterOverrides, WekaClusterSpec,
};
pub use status::{
    CapacityMetrics, ClusterMetrics, ClusterPrinterColumns, ContainersMetrics, FilesystemMetrics,
    IoStats, RoleContainerMetrics, StatusIops, StatusThroughput, WekaClusterStatus,
};

#[cfg(test)]
mod tests;
