//! The operator settings the cluster domain reads, with upstream's defaults.

use weka_api::common::GoInt;

use crate::allocator::DriveSharingSettings;
use crate::config::Config;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    /// Drive containers created before the cluster is formed (`FormClusterMaxDriveContainers`).
    pub form_cluster_max_drive_containers: GoInt,
    /// Compute containers created before the cluster is formed.
    pub form_cluster_max_compute_containers: GoInt,
    /// Drive types ratio and hugepages ratios of drive sharing.
    pub drive_sharing: DriveSharingSettings,
    /// The operator-wide WEKA Home CA secret, used when the cluster names none.
    pub weka_home_cacert_secret: Option<String>,
    /// The operator-wide PVC for containers' data, used when the cluster has no `globalPVC`.
    pub local_data_pvc: Option<String>,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            form_cluster_max_drive_containers: 10,
            form_cluster_max_compute_containers: 10,
            drive_sharing: DriveSharingSettings::default(),
            weka_home_cacert_secret: None,
            local_data_pvc: None,
        }
    }
}

impl ClusterSettings {
    pub fn from_config(config: &Config) -> Self {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ClusterSettings {
            drive_sharing: DriveSharingSettings::from_config(&config.drives),
            weka_home_cacert_secret: non_empty(&config.weka_home.cacert_secret),
            local_data_pvc: non_empty(&config.pods.local_data_pvc),
            ..ClusterSettings::default()
        }
    }
}
