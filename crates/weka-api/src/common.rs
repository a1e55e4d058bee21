//! Small types shared by several WEKA kinds.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// Label key → value, as in `nodeSelector`.
pub type Labels = BTreeMap<String, String>;

/// Go's `int`: a machine word, written without `format` in the schema.
pub type GoInt = isize;

/// A namespaced reference to another object (`name` and `namespace` both required).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ObjectReference {
    pub name: String,
    pub namespace: String,
}

/// The Go duration syntax upstream accepts (`10m`, `1h30m`, `0`), units down to nanoseconds.
pub const DURATION_PATTERN: &str = r"^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$";

/// The coarser duration syntax some payloads accept (seconds and up).
pub const COARSE_DURATION_PATTERN: &str = r"^(0|([0-9]+(\.[0-9]+)?(s|m|h))+)$";

/// How WEKA processes get their CPU cores.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum CpuPolicy {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "shared")]
    Shared,
    #[serde(rename = "dedicated")]
    Dedicated,
    #[serde(rename = "dedicated_ht")]
    DedicatedHt,
    #[serde(rename = "manual")]
    Manual,
}

/// How a change of image is rolled out.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradePolicyType {
    Manual,
    AllAtOnce,
    Rolling,
    AllAtOnceForce,
}

/// The data and management networking of WEKA containers.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    /// Allocate one virtual function per IO node (clients).
    pub allocate_vf_per_io_node: Option<bool>,
    pub bind_management_all: Option<bool>,
    #[schemars(inner(pattern(r"^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$")))]
    pub device_subnets: Option<Vec<String>>,
    pub eth_device: Option<String>,
    pub eth_devices: Option<Vec<String>>,
    pub gateway: Option<String>,
    pub management_ips_selectors: Option<Vec<NetworkSelector>>,
    #[schemars(range(min = 1, max = 32))]
    pub netmask: Option<GoInt>,
    pub nvidia_vf_single_ip: Option<bool>,
    pub selectors: Option<Vec<NetworkSelector>>,
    pub udp_mode: Option<bool>,
}

/// Selects network devices by subnet or name.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSelector {
    pub device_names: Option<Vec<String>>,
    pub disable_rdma: Option<bool>,
    pub max: Option<GoInt>,
    pub min: Option<GoInt>,
    pub rdma_only: Option<bool>,
    pub subnet: Option<String>,
}

/// Spreads containers across failure domains taken from node labels.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailureDomain {
    pub composite_labels: Option<Vec<String>>,
    pub label: Option<String>,
    pub skew: Option<GoInt>,
}

/// Where the trace dumper's configuration comes from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DumperConfigMode {
    Override,
    PartialOverride,
    #[default]
    Auto,
    Cluster,
}

/// Local trace retention.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TracesConfiguration {
    #[schemars(extend("default" = "auto"))]
    pub dumper_config_mode: Option<DumperConfigMode>,
    #[schemars(extend("default" = 20))]
    pub ensure_free_space: Option<GoInt>,
    #[schemars(extend("default" = 10))]
    pub max_capacity_per_io_node: Option<GoInt>,
}

/// TLC:QLC ratio of a container's drive capacity (mixed drive types).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct DriveTypesRatio {
    #[schemars(range(min = 0), extend("default" = 0))]
    pub tlc: GoInt,
    #[schemars(range(min = 0), extend("default" = 0))]
    pub qlc: GoInt,
}

/// A PersistentVolumeClaim (and a path inside it) used for persistent data.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct PvcConfig {
    pub name: String,
    pub path: Option<String>,
}

/// A range of host ports.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortRange {
    #[schemars(range(max = 65535), extend("default" = 45000))]
    pub base_port: GoInt,
    #[schemars(extend("default" = 0))]
    pub port_range: Option<GoInt>,
}

/// Desired / created / active counts, as in `status.stats`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct Counters {
    pub active: Option<i64>,
    pub created: Option<i64>,
    pub desired: Option<i64>,
}

/// A failed drive.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriveFailure {
    pub serial_id: Option<String>,
    pub weka_drive_id: Option<String>,
}

/// Drive counters and failures.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct DriveStats {
    pub counters: Option<Counters>,
    pub failures: Option<Vec<DriveFailure>>,
}

/// Advanced CSI settings shared by WekaCluster and WekaClient.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CsiAdvanced {
    pub controller_labels: Option<Labels>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub controller_tolerations: Option<Vec<k8s_openapi::api::core::v1::Toleration>>,
    pub enforce_trusted_https: Option<bool>,
    pub node_labels: Option<Labels>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub node_tolerations: Option<Vec<k8s_openapi::api::core::v1::Toleration>>,
    pub skip_garbage_collection: Option<bool>,
}

/// When things happened, by name (`status.timestamps`).
pub type Timestamps = BTreeMap<String, k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>;

/// CPU, memory and 2Mi hugepages quantities of a pod, as written in a pod spec.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PodResources {
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::quantity")]
    pub cpu: Option<k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::quantity")]
    pub memory: Option<k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    /// Requested as the pod's `hugepages-2Mi` resource as is.
    #[serde(default, rename = "hugepages-2Mi")]
    #[schemars(schema_with = "crate::schema::k8s::quantity")]
    pub hugepages_2mi: Option<k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
}

/// Requests and limits handed to a pod unchanged (`resources`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PodResourcesSpec {
    pub limits: Option<PodResources>,
    pub requests: Option<PodResources>,
}

/// How NUMA confinement is enforced.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NumaMethod {
    DevicePlugin,
    Dra,
}

/// NUMA confinement of a container (the newer form, with the `dra` method).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct WekaNuma {
    /// Keep the container within one NUMA region.
    pub single: Option<bool>,
    /// Index of the NUMA region to pin the container to.
    #[schemars(range(min = 0))]
    pub region: Option<GoInt>,
    /// How the confinement is enforced (device plugin or dynamic resource allocation).
    pub method: Option<NumaMethod>,
}
