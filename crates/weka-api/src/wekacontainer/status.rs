//! The observed state of a WekaContainer, written by the operator.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::{Counters, DriveStats, GoInt, Timestamps};

/// What the operator observed of a WekaContainer.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaContainerStatus {
    /// Coarse state written by the operator (`Init`, `Running`, `Error`, ...).
    #[schemars(extend("default" = "Init"))]
    pub status: String,
    /// The WEKA container's own status as WEKA reports it.
    pub internal_status: Option<String>,
    /// The management IP (older single-address form of `managementIPs`).
    #[serde(rename = "managementIP")]
    pub management_ip: Option<String>,
    /// Management IPs of the container.
    #[serde(rename = "managementIPs")]
    pub management_ips: Option<Vec<String>>,
    /// The container's ID in the WEKA cluster.
    #[serde(rename = "containerID")]
    pub container_id: Option<GoInt>,
    /// The GUID of the WEKA cluster the container joined.
    #[serde(rename = "clusterID")]
    pub cluster_id: Option<String>,
    /// Conditions of the reconciliation steps.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::conditions")]
    pub conditions: Option<Vec<Condition>>,
    /// The image last applied to the pod (upgrade tracking).
    pub last_applied_image: Option<String>,
    /// Set by the owner to record which of its spec versions reached this container.
    pub last_applied_spec: Option<String>,
    /// The `podConfigHash` the current pod was created with.
    pub last_applied_pod_config_hash: Option<String>,
    /// The node the container runs on (from `spec.nodeAffinity` or the scheduler's choice).
    pub node_affinity: Option<String>,
    /// Result of a one-off container (often JSON).
    pub result: Option<String>,
    /// Ports, drives and devices allocated to the container.
    pub allocations: Option<ContainerAllocations>,
    /// Drives added to the WEKA cluster by this container.
    pub added_drives: Option<Vec<AddedDrive>>,
    /// Metrics collected from the container.
    pub stats: Option<ContainerStats>,
    /// Pre-formatted values for the printer columns.
    pub printer: Option<ContainerPrinterColumns>,
    /// When things happened, by name.
    pub timestamps: Option<Timestamps>,
    /// The pod could not be rescheduled because the node's taints are not tolerated.
    pub not_tolerated_on_reschedule: Option<bool>,
}

impl Default for WekaContainerStatus {
    fn default() -> Self {
        WekaContainerStatus {
            status: Self::INIT.to_string(),
            internal_status: None,
            management_ip: None,
            management_ips: None,
            container_id: None,
            cluster_id: None,
            conditions: None,
            last_applied_image: None,
            last_applied_spec: None,
            last_applied_pod_config_hash: None,
            node_affinity: None,
            result: None,
            allocations: None,
            added_drives: None,
            stats: None,
            printer: None,
            timestamps: None,
            not_tolerated_on_reschedule: None,
        }
    }
}

/// The values upstream writes to `status.status` (the schema accepts any string).
impl WekaContainerStatus {
    pub const INIT: &'static str = "Init";
    pub const POD_NOT_RUNNING: &'static str = "PodNotRunning";
    pub const POD_RUNNING: &'static str = "PodRunning";
    pub const POD_TERMINATING: &'static str = "PodTerminating";
    pub const WAIT_FOR_DRIVERS: &'static str = "WaitForDrivers";
    pub const RUNNING: &'static str = "Running";
    pub const STOPPED: &'static str = "Stopped";
    pub const STARTING: &'static str = "Starting";
    pub const DELETING: &'static str = "Deleting";
    pub const DESTROYING: &'static str = "Destroying";
    pub const PAUSED: &'static str = "Paused";
    pub const DEGRADED: &'static str = "Degraded";
    pub const UNHEALTHY: &'static str = "Unhealthy";
    pub const ERROR: &'static str = "Error";
    pub const DRIVES_ADDING: &'static str = "DrivesAdding";
    /// A client waiting for its active mounts to go away before deletion.
    pub const DRAINING: &'static str = "Draining";
    /// A one-off container (drivers builder, ad-hoc operation) that finished.
    pub const COMPLETED: &'static str = "Completed";
    pub const BUILDING: &'static str = "Building";
    pub const STOPPING_ATTEMPT: &'static str = "StoppingAttempt";
    /// The container's node left the Kubernetes cluster; removal waits for a grace period.
    pub const STALE: &'static str = "Stale";
}

/// Ports, drives and devices allocated to a container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerAllocations {
    /// Drives given to a drive container.
    pub drives: Option<Vec<String>>,
    /// The allocated WEKA port.
    pub weka_port: Option<GoInt>,
    /// The allocated agent port.
    pub agent_port: Option<GoInt>,
    /// The failure-domain label value of the container's node.
    pub failure_domain: Option<String>,
    /// Machine identifier the container uses in the WEKA cluster.
    pub machine_identifier: Option<String>,
    /// Network devices allocated to the container.
    pub net_devices: Option<Vec<String>>,
    /// Virtual drives allocated from shared drives (drive sharing).
    pub virtual_drives: Option<Vec<VirtualDrive>>,
}

/// A slice of a shared physical drive given to one container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct VirtualDrive {
    /// ID of the virtual drive.
    #[serde(rename = "virtualUUID")]
    pub virtual_uuid: String,
    /// UUID of the physical drive (from signing for the proxy).
    #[serde(rename = "physicalUUID")]
    pub physical_uuid: String,
    /// Allocated capacity in GiB.
    #[serde(rename = "capacityGiB")]
    pub capacity_gib: GoInt,
    /// Serial number of the physical drive.
    pub serial: String,
    /// Drive type (`TLC`, `QLC`); absent means TLC.
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

/// A drive added to the WEKA cluster (field names as WEKA reports them).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct AddedDrive {
    pub uuid: String,
    pub added_time: String,
    pub device_path: String,
    pub serial_number: String,
    pub size_bytes: Option<i64>,
    pub status: String,
}

/// Metrics of a container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStats {
    /// Process counts.
    pub processes: Option<Counters>,
    /// CPU utilisation, formatted.
    pub cpu_utilization: Option<String>,
    /// Drive counts and failures.
    pub drives: Option<DriveStats>,
    /// Number of active mounts (clients).
    pub active_mounts: Option<i64>,
    /// When these metrics were collected.
    pub last_update: Option<Time>,
}

/// Values shown by `kubectl get wekacontainers`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPrinterColumns {
    /// Processes per state.
    pub processes: Option<String>,
    /// Drives per state.
    pub drives: Option<String>,
    /// Active mounts.
    pub active_mounts: Option<String>,
    /// Management IPs, shortened (`10.0.0.1 (+1)`).
    #[serde(rename = "managementIPs")]
    pub management_ips: Option<String>,
    /// The node the container runs on.
    pub node_affinity: Option<String>,
    /// Capacity per drive type (drive sharing), e.g. `TLC 30TiB / QLC 60TiB`.
    pub capacity: Option<String>,
}
