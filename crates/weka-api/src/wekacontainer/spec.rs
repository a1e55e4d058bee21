//! The desired state of a WekaContainer.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, ContainerPort, EnvVarSource, Toleration, TopologySpreadConstraint,
};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::mode::ContainerMode;
use super::status::WekaContainerStatus;
use crate::common::{
    CpuPolicy, DURATION_PATTERN, DriveTypesRatio, FailureDomain, GoInt, Labels, Network,
    PodResourcesSpec, PortRange, PvcConfig, TracesConfiguration, UpgradePolicyType, WekaNuma,
};

/// Desired state of one WEKA container (backend, client, protocol frontend or helper job),
/// which runs as exactly one pod of the same name.
// The printer columns repeat `type_ = "string"`, which clippy takes for duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[skip_serializing_none]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaContainer",
    namespaced,
    status = "WekaContainerStatus",
    category = "weka",
    shortname = "wcn",
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Mode", type_ = "string", json_path = ".spec.mode"),
    printcolumn(
        name = "Management IPs",
        type_ = "string",
        json_path = ".status.printer.managementIPs"
    ),
    printcolumn(name = "Node", type_ = "string", json_path = ".status.printer.nodeAffinity"),
    printcolumn(
        name = "Processes",
        type_ = "string",
        json_path = ".status.printer.processes",
        priority = 1
    ),
    printcolumn(
        name = "Drives",
        type_ = "string",
        json_path = ".status.printer.drives",
        priority = 1
    ),
    printcolumn(
        name = "Capacity",
        type_ = "string",
        json_path = ".status.printer.capacity",
        priority = 1
    ),
    printcolumn(
        name = "Mounts",
        type_ = "string",
        json_path = ".status.printer.activeMounts",
        priority = 1
    ),
    printcolumn(
        name = "CPU",
        type_ = "string",
        json_path = ".status.stats.cpuUtilization",
        priority = 1
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    printcolumn(
        name = "Weka cID",
        type_ = "string",
        json_path = ".status.containerID",
        priority = 1
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {
        "message": "driveCapacity and driveTypesRatio are mutually exclusive; use driveCapacity for TLC-only mode, or containerCapacity with driveTypesRatio for mixed drive types",
        "rule": "!has(self.driveCapacity) || self.driveCapacity == 0 || !has(self.driveTypesRatio)"
    },
    {
        "message": "numDrives must be >= numCores when using driveCapacity (TLC-only mode); each core requires at least one virtual drive",
        "rule": "!has(self.driveCapacity) || self.driveCapacity == 0 || !has(self.numDrives) || self.numDrives == 0 || self.numDrives >= self.numCores"
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
        "message": "driveCapacity must be greater than 0 when specified",
        "rule": "!has(self.driveCapacity) || self.driveCapacity > 0"
    }
]))]
pub struct WekaContainerSpec {
    // --- what runs ---------------------------------------------------------------------
    /// The WEKA container name inside the WEKA cluster (e.g. `drive0`, `dist`).
    pub name: String,
    /// The role of this container.
    pub mode: ContainerMode,
    /// The weka-in-container image.
    pub image: String,
    /// Name of the Secret used to pull `image`.
    pub image_pull_secret: Option<String>,
    /// Desired lifecycle state; the owner moves it on to pause or tear the container down.
    #[schemars(extend("default" = "active"))]
    pub state: Option<ContainerState>,
    /// How a new image is rolled out to this container.
    #[schemars(extend("default" = "manual"))]
    pub upgrade_policy_type: Option<UpgradePolicyType>,
    /// Allow replacing the image without a full stop of the WEKA container.
    pub allow_hot_upgrade: Option<bool>,
    /// Hash of the pod-relevant configuration; a change recreates the pod.
    pub pod_config_hash: Option<String>,
    /// The operation an ad-hoc container runs.
    pub instructions: Option<Instructions>,
    /// Name of the WekaContainer (drivers-dist) that a drivers builder uploads its results to.
    pub upload_results_to: Option<String>,
    /// Driver build settings of a drivers builder.
    pub builder: Option<WekaContainerBuilder>,

    // --- placement ---------------------------------------------------------------------
    /// The node this container is pinned to (a node name, not an affinity object).
    pub node_affinity: Option<String>,
    /// Nodes eligible for this container, by label.
    pub node_selector: Option<Labels>,
    /// Pod affinity and anti-affinity rules, passed to the pod.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::affinity")]
    pub affinity: Option<Affinity>,
    /// Spread of pods across topology domains, passed to the pod.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::topology_spread_constraints")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    /// Tolerations of the pod.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub tolerations: Option<Vec<Toleration>>,
    /// Do not add the operator's own anti-affinity rules to the pod.
    pub drop_affinity_constraints: Option<bool>,
    /// How containers are spread across failure domains.
    pub failure_domain: Option<FailureDomain>,
    /// Name of the ConfigMap with node information for this container.
    pub node_info_config_map: Option<String>,

    // --- CPU and memory ----------------------------------------------------------------
    /// Number of WEKA cores (processes) of this container.
    pub num_cores: GoInt,
    /// Cores reserved on top of the WEKA cores (e.g. for S3 helpers).
    pub extra_cores: Option<GoInt>,
    /// Host CPU IDs the WEKA cores are pinned to (manual CPU policy).
    pub core_ids: Option<Vec<GoInt>>,
    /// Host CPU IDs for management and auxiliary (non-datapath) processes.
    pub non_datapath_core_ids: Option<Vec<GoInt>>,
    /// How the WEKA processes get their CPU cores.
    #[schemars(extend("default" = "auto"))]
    pub cpu_policy: Option<CpuPolicy>,
    /// NUMA confinement of this container.
    pub numa: Option<WekaNuma>,
    /// Hugepages memory for the WEKA processes.
    pub hugepages: Option<GoInt>,
    /// Hugepages memory added on top of `hugepages`.
    pub hugepages_offset: Option<GoInt>,
    /// Hugepage size (e.g. `2Mi`).
    pub hugepages_size: Option<String>,
    /// Memory added to what the operator computes for the pod.
    pub additional_memory: Option<GoInt>,
    /// DPDK base memory of the container.
    pub dpdk_base_memory_mb: Option<GoInt>,
    /// Pod resource requests and limits, passed to the pod unchanged.
    pub resources: Option<PodResourcesSpec>,

    // --- networking --------------------------------------------------------------------
    /// Data and management networking.
    pub network: Option<Network>,
    /// Use IPv6 addresses.
    pub ipv6: Option<bool>,
    /// The WEKA port of the container.
    pub port: Option<GoInt>,
    /// The WEKA agent port.
    pub agent_port: Option<GoInt>,
    /// Host port range to allocate the container's ports from.
    pub port_range: Option<PortRange>,
    /// Deprecated: container ports to expose; use `exposedPorts`.
    pub expose_ports: Option<Vec<GoInt>>,
    /// Container ports to expose, proxied to the pod.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::container_ports")]
    pub exposed_ports: Option<Vec<ContainerPort>>,
    /// `ip:port` endpoints of an existing cluster this container joins.
    pub join_ip_ports: Option<Vec<String>>,
    /// Run the pod in the host PID namespace.
    #[serde(rename = "hostPID")]
    pub host_pid: Option<bool>,

    // --- drives ------------------------------------------------------------------------
    /// Number of drives (or virtual drives with drive sharing) of a drive container.
    pub num_drives: Option<GoInt>,
    /// Capacity of each virtual drive in GiB (drive sharing through the SSD proxy, TLC only).
    pub drive_capacity: Option<GoInt>,
    /// Total capacity in GiB this container requests from shared drives.
    pub container_capacity: Option<GoInt>,
    /// TLC:QLC split of `containerCapacity` (mixed drive types).
    pub drive_types_ratio: Option<DriveTypesRatio>,

    // --- drivers -----------------------------------------------------------------------
    /// Endpoint of the drivers distribution service.
    pub drivers_dist_service: Option<String>,
    /// Image of the drivers loader.
    pub drivers_loader_image: Option<String>,
    /// Build ID of the drivers to fetch (auto-detected when empty).
    pub drivers_build_id: Option<String>,

    // --- identity and storage ----------------------------------------------------------
    /// Where the WEKA credentials of this container come from.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::env_var_source")]
    pub weka_secret_ref: Option<EnvVarSource>,
    /// Further Secrets made available to the container.
    pub additional_secrets: Option<BTreeMap<String, String>>,
    /// Service account of the pod.
    pub service_account_name: Option<String>,
    /// Group the container belongs to.
    pub group: Option<String>,
    /// PVC holding the container's persistent data instead of a host path.
    pub pvc: Option<PvcConfig>,
    /// Local trace retention.
    pub traces_configuration: Option<TracesConfiguration>,
    /// How long the WEKA cluster waits for a client that went away before removing it.
    #[schemars(pattern(DURATION_PATTERN), extend("default" = "0s"))]
    pub auto_remove_timeout: Option<String>,
    /// Settings of a data-services container.
    pub data_services_config: Option<DataServicesConfig>,
    /// Expert switches that change or skip safety steps; use only when told to.
    pub overrides: Option<WekaContainerOverrides>,
}

/// Lifecycle state requested for a container.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    /// Running normally.
    #[default]
    Active,
    /// The owner is in its grace period before destruction.
    Paused,
    /// Being torn down without deactivation.
    Destroying,
    /// Being removed, deactivating first.
    Deleting,
}

/// An operation for an ad-hoc container (`type`, plus an opaque payload).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Instructions {
    /// The operation, e.g. `load-drivers`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Its argument, typically JSON.
    pub payload: Option<String>,
}

/// Settings of a drivers builder.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct WekaContainerBuilder {
    /// The WEKA version to build drivers for.
    pub weka_version: Option<String>,
}

/// Settings of a data-services container.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataServicesConfig {
    /// Cores of the data-services frontend; 0 means no frontend.
    pub data_services_fe_cores: Option<GoInt>,
}

/// Expert switches of a WekaContainer; most skip a safety step and risk data or leftovers.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaContainerOverrides {
    /// Seconds to keep the container alive after an abnormal exit, for debugging.
    pub debug_sleep_on_terminate: Option<GoInt>,
    /// DPDK base memory per core (older field; see `spec.dpdkBaseMemoryMb`).
    pub dpdk_base_memory_mb_per_core: Option<GoInt>,
    /// Force a drain of the node's WEKA container, dropping in-flight IO (unsafe).
    pub force_drain: Option<bool>,
    /// Node whose machine identifier this container reuses.
    pub machine_identifier_node_ref: Option<String>,
    /// Move persistent data from the PVC to local storage before the pod starts.
    pub migrate_out_from_pvc: Option<bool>,
    /// Replace a deleted pod without a graceful stop of the WEKA container (unsafe).
    pub pod_delete_force_replace: Option<bool>,
    /// Shell script run after persistence setup, before the workload starts.
    pub pre_run_script: Option<String>,
    /// Delete a client container even while it has active mounts.
    pub skip_active_mounts_check: Option<bool>,
    /// Keep the container's persistent directory on removal.
    pub skip_cleanup_persistent_dir: Option<bool>,
    /// Remove the container from the cluster without deactivating it (unsafe).
    pub skip_deactivate: Option<bool>,
    /// Do not resign the drives on removal; they then need a forced resign to be reused.
    pub skip_drives_force_resign: Option<bool>,
    /// Leave the virtual drives on the SSD proxy on removal (unsafe).
    pub skip_virtual_drives_removal: Option<bool>,
    /// Unmount every wekafs mount on the host from the root namespace (unsafe).
    pub umount_on_host: Option<bool>,
    /// Replace the pod on upgrade without a graceful stop (unsafe).
    pub upgrade_force_replace: Option<bool>,
    pub upgrade_prevent_eviction: Option<bool>,
}
