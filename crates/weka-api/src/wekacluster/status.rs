//! The observed state of a WekaCluster, written by the operator.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::spec::ClusterPorts;
use crate::common::{Counters, DriveStats, Timestamps};

/// What the operator observed of a WekaCluster.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaClusterStatus {
    /// Coarse state written by the operator (`Init`, `Ready`, `Destroying`, ...).
    pub status: String,
    /// Conditions of the reconciliation steps.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::conditions")]
    pub conditions: Option<Vec<Condition>>,
    /// The GUID of the WEKA cluster, once formed.
    #[serde(rename = "clusterID")]
    pub cluster_id: Option<String>,
    /// Trace ID of the reconciliation that created the cluster (tracing).
    pub trace_id: Option<String>,
    /// Span ID of the reconciliation that created the cluster (tracing).
    pub span_id: Option<String>,
    /// The image every container runs once an upgrade completed.
    pub last_applied_image: Option<String>,
    /// The spec (serialised) last rolled out to the containers.
    pub last_applied_spec: Option<String>,
    /// The pod configuration hash the containers last adopted.
    pub last_applied_pod_config_hash: Option<String>,
    /// The ports actually allocated to the cluster.
    pub ports: Option<ClusterPorts>,
    /// Metrics collected from the WEKA cluster.
    pub stats: Option<ClusterMetrics>,
    /// Pre-formatted values for the printer columns.
    pub printer: Option<ClusterPrinterColumns>,
    /// When things happened, by name.
    pub timestamps: Option<Timestamps>,
}

impl Default for WekaClusterStatus {
    fn default() -> Self {
        WekaClusterStatus {
            status: Self::INIT.to_string(),
            conditions: None,
            cluster_id: None,
            trace_id: None,
            span_id: None,
            last_applied_image: None,
            last_applied_spec: None,
            last_applied_pod_config_hash: None,
            ports: None,
            stats: None,
            printer: None,
            timestamps: None,
        }
    }
}

/// The values upstream writes to `status.status` (the schema accepts any string).
impl WekaClusterStatus {
    pub const INIT: &'static str = "Init";
    pub const READY: &'static str = "Ready";
    pub const WAIT_FOR_DRIVES: &'static str = "WaitForDrives";
    pub const STARTING_IO: &'static str = "StartingIO";
    pub const PAUSED: &'static str = "Paused";
    /// Deleted, but kept for `gracefulDestroyDuration` before it is destroyed.
    pub const GRACE_PERIOD: &'static str = "GracePeriod";
    pub const DESTROYING: &'static str = "Destroying";
    pub const DEALLOCATING: &'static str = "Deallocating";

    /// Whether the cluster is being torn down.
    pub fn is_terminating(&self) -> bool {
        self.status == Self::DESTROYING || self.status == Self::DEALLOCATING
    }
}

/// Values shown by `kubectl get wekaclusters`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPrinterColumns {
    /// Compute containers as `active/created/desired`.
    pub compute_containers: Option<String>,
    /// Drive containers as `active/created/desired`.
    pub drive_containers: Option<String>,
    /// Drives as `active/created/desired`.
    pub drives: Option<String>,
    /// Throughput as `read/write`.
    pub throughput: Option<String>,
    /// IOPS as `read/write/metadata`.
    pub iops: Option<String>,
    /// Filesystem capacity as `used/available`.
    pub filesystem_capacity: Option<String>,
    /// Provisioned shared-drive capacity per type, e.g. `TLC 100TiB / QLC 200TiB`.
    pub capacity: Option<String>,
}

/// Metrics of the WEKA cluster.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterMetrics {
    /// Containers and processes per role.
    pub containers: Option<ContainersMetrics>,
    /// Current IO rates.
    pub io_stats: Option<IoStats>,
    /// Drive counts and failures.
    pub drives: Option<DriveStats>,
    /// Number of active WEKA alerts.
    pub alerts_count: Option<i64>,
    /// The WEKA cluster's own status.
    pub cluster_status: Option<String>,
    /// Raw capacity.
    pub capacity: Option<CapacityMetrics>,
    /// Failures by kind, formatted.
    pub num_failures: Option<BTreeMap<String, String>>,
    /// When these metrics were collected.
    pub last_update: Option<Time>,
    /// Filesystem usage.
    pub filesystem: Option<FilesystemMetrics>,
}

/// Container and process counts per role.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ContainersMetrics {
    pub compute: Option<RoleContainerMetrics>,
    pub drive: Option<RoleContainerMetrics>,
    pub s3: Option<RoleContainerMetrics>,
    pub nfs: Option<RoleContainerMetrics>,
}

/// Counts and CPU use of the containers of one role.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleContainerMetrics {
    /// Active, created and desired containers.
    pub num_containers: Option<Counters>,
    /// Active, created and desired WEKA processes.
    pub processes: Option<Counters>,
    /// CPU utilisation, formatted (`12.34`).
    pub cpu_utilization: Option<String>,
}

/// Current IO rates.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct IoStats {
    /// Bytes per second.
    pub throughput: Option<StatusThroughput>,
    /// Operations per second.
    pub iops: Option<StatusIops>,
}

/// Bytes per second read and written.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct StatusThroughput {
    pub read: i64,
    pub write: i64,
}

/// Operations per second.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct StatusIops {
    pub read: i64,
    pub write: i64,
    pub metadata: i64,
    pub total: i64,
}

/// Raw capacity of the cluster, in bytes.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapacityMetrics {
    pub total_bytes: Option<i64>,
    pub unprovisioned_bytes: Option<i64>,
    pub unavailable_bytes: Option<i64>,
    pub hot_spare_bytes: Option<i64>,
}

/// Usage of the cluster's filesystems, in bytes.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilesystemMetrics {
    /// Sum of the filesystems' total budgets.
    pub total_provisioned_capacity: Option<i64>,
    /// Sum of the filesystems' used capacity.
    pub total_used_capacity: Option<i64>,
    /// Provisioned minus used.
    pub total_available_capacity: Option<i64>,
    /// SSD part of the provisioned capacity.
    #[serde(rename = "totalProvisionedSSDCapacity")]
    pub total_provisioned_ssd_capacity: Option<i64>,
    /// SSD part of the used capacity.
    #[serde(rename = "totalUsedSSDCapacity")]
    pub total_used_ssd_capacity: Option<i64>,
    /// SSD part of the available capacity.
    #[serde(rename = "totalAvailableSSDCapacity")]
    pub total_available_ssd_capacity: Option<i64>,
    /// Whether any filesystem is tiered to object storage.
    pub has_tiered_filesystems: Option<bool>,
    /// Object-store capacity.
    pub total_obs_capacity: Option<i64>,
    /// Number of object-store buckets.
    pub obs_bucket_count: Option<i64>,
    /// Number of active object-store buckets.
    pub active_obs_bucket_count: Option<i64>,
}
