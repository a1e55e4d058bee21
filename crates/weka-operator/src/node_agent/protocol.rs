//! The node agent's wire protocol: the JSON bodies of its HTTP endpoints, the JSON-RPC
//! shapes it forwards to local WEKA containers, and the constants both sides share.
//!
//! Field names follow upstream's Go structs exactly (`json:"..."` tags), so an upstream
//! operator can talk to this agent and this operator to an upstream agent. Go encodes nil
//! maps and slices as `null`; every collection here therefore accepts `null` as empty.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// The metrics block `/getContainerInfo` returns: upstream's `WekaContainerMetrics`, which
/// is also the type of a WekaContainer's `status.stats` (the operator copies it there).
pub use weka_api::wekacontainer::ContainerStats as WekaContainerMetrics;

/// Port the agent listens on by default and the operator always dials.
pub const DEFAULT_PORT: u16 = 8090;
/// Default of `NODE_AGENT_BIND_ADDRESS`.
pub const DEFAULT_BIND_ADDRESS: &str = ":8090";

/// Registers (or refreshes) a WEKA container with the agent. POST, [`RegisterRequest`].
pub const PATH_REGISTER: &str = "/register";
/// Forgets a container. POST, [`DeregisterRequest`].
pub const PATH_DEREGISTER: &str = "/deregister";
/// Polls a registered container's processes, drives and CPU. POST, [`GetContainerInfoRequest`].
pub const PATH_GET_CONTAINER_INFO: &str = "/getContainerInfo";
/// Active wekafs mounts on the node. GET, query [`ActiveMountsQuery`].
pub const PATH_GET_ACTIVE_MOUNTS: &str = "/getActiveMounts";
/// WEKA-partitioned drives on the node. GET or POST, no body.
pub const PATH_FIND_DRIVES: &str = "/findDrives";
/// Forwards one JSON-RPC call to a registered container. POST, [`JsonRpcProxyRequest`].
pub const PATH_JSONRPC: &str = "/jsonrpc";
/// Prometheus text of the registered containers. GET.
pub const PATH_METRICS: &str = "/metrics";

/// Scheme of the `Authorization` header: `Authorization: Token <token>`.
pub const AUTH_SCHEME: &str = "Token";
/// Body of the 401 answer to a missing or wrong token.
pub const UNAUTHORIZED_BODY: &str = "Unauthorized";

/// The value of the `Authorization` header carrying `token`.
pub fn authorization_value(token: &str) -> String {
    format!("{AUTH_SCHEME} {token}")
}

/// Where the agent pod mounts the token Secret (volume `token`, key `token`).
pub const TOKEN_FILE: &str = "/var/run/secrets/kubernetes.io/token/token";
/// Default name of the Secret holding the shared token (`METRICS_NODE_AGENT_TOKEN`).
pub const DEFAULT_TOKEN_SECRET_NAME: &str = "weka-node-agent-secret";
/// Key of the token inside that Secret.
pub const TOKEN_SECRET_KEY: &str = "token";

/// Labels the operator selects agent pods by (both must match), on the container's node.
pub const POD_LABEL_CONTROL_PLANE: (&str, &str) = ("control-plane", "weka-node-agent");
pub const POD_LABEL_APP: (&str, &str) = ("app", "weka-node-agent");
/// Name of the agent's container in its pod (its image must equal the operator's).
pub const CONTAINER_NAME: &str = "node-agent";

/// Success messages of the endpoints that answer with a [`MessageResponse`].
pub const MSG_REGISTERED: &str = "Container registered successfully";
pub const MSG_DEREGISTERED: &str = "Container deregistered successfully";
pub const MSG_JSONRPC_OK: &str = "JSONRPC call succeeded";

/// Plain-text error bodies the operator matches on.
pub const ERR_CONTAINER_NOT_FOUND: &str = "container not found";
pub const ERR_CONTAINER_SOCKET_NOT_FOUND: &str = "container socket not found";
pub const ERR_CONTAINER_NOT_REGISTERED: &str = "Container not registered";
pub const ERR_METHOD_NOT_ALLOWED: &str = "Method not allowed";
pub const ERR_INVALID_JSON: &str = "Invalid JSON payload";

/// Accepts `null` where Go may send a nil map or slice.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn is_empty(s: &str) -> bool {
    s.is_empty()
}

/// An HTTP endpoint of a container the agent scrapes and re-exports under `/metrics`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScrapeTarget {
    pub port: i64,
    pub path: String,
    /// Host to scrape; empty means `localhost`.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub endpoint: String,
    /// Prefix of the re-exported metric names (`<app_name>_`).
    #[serde(default)]
    pub app_name: String,
}

/// Feature flags of a WEKA image as the agent needs them (upstream `domain.FeatureFlags`).
/// Only `allow_per_container_driver_interface` changes the agent's behaviour.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct FeatureFlags {
    pub traces_override_partial_support: bool,
    pub traces_override_in_slash_traces: bool,
    pub supports_binding_to_not_all_interfaces: bool,
    pub agent_validate_60_ports_per_container: bool,
    /// The WEKA driver keeps one `/proc/wekafs/<container>/interface` per container.
    pub allow_per_container_driver_interface: bool,
    pub weka_get_copy_local_driver_files: bool,
    pub driver_supports_auto_drain: bool,
    pub ssd_proxy_iommu_support: bool,
}

/// Body of `/register`: who the container is and how to reach its local JSON-RPC socket.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct RegisterRequest {
    /// Name of the WekaContainer resource.
    #[serde(default)]
    pub container_name: String,
    /// UID of the WekaContainer resource: the registry key and the socket directory.
    #[serde(default)]
    pub container_id: String,
    /// `spec.wekaContainerName`: the local WEKA container (socket) name.
    #[serde(default)]
    pub weka_container_name: String,
    /// The WekaContainer's labels, re-exported as metric labels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// `spec.mode` (`drive`, `compute`, `client`, `envoy`, `ssdproxy`, ...).
    #[serde(default)]
    pub mode: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub scrape_targets: Vec<ScrapeTarget>,
    /// Pod phase as the operator sees it (`Running`, `Pending`, `Terminating`, ...).
    #[serde(default)]
    pub pod_status: String,
    /// Since when the pod has been in `pod_status` (RFC 3339).
    #[serde(default)]
    pub pod_status_start_time: DateTime<Utc>,
    /// Sent for client containers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_flags: Option<FeatureFlags>,
}

/// Body of `/deregister`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct DeregisterRequest {
    #[serde(default)]
    pub container_id: String,
}

/// Body of `/getContainerInfo`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct GetContainerInfoRequest {
    #[serde(default)]
    pub container_id: String,
}

/// Answer of `/getContainerInfo`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct GetContainerInfoResponse {
    #[serde(default)]
    pub container_metrics: WekaContainerMetrics,
}

/// Query of `/getActiveMounts`. Without a name the node-wide interface file is read; with
/// one, `container_uuid` (the WekaContainer UID) is required too.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ActiveMountsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_uuid: Option<String>,
}

/// Answer of `/getActiveMounts`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ActiveMountsResponse {
    pub active_mounts: i64,
}

/// A WEKA-partitioned drive found on the node (upstream `domain.DriveInfo`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DriveInfo {
    /// Serial number of the whole device.
    #[serde(default)]
    pub serial_id: String,
    /// The whole device, e.g. `/dev/nvme0n1`.
    #[serde(rename = "block_device", default)]
    pub device_path: String,
    /// The WEKA partition, e.g. `/dev/nvme0n1p1`.
    #[serde(default)]
    pub partition: String,
    /// Whether the partition carries a cluster signature (not the blank one).
    #[serde(default)]
    pub is_signed: bool,
    /// The signature as a GUID; empty unless signed.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub weka_guid: String,
}

/// Answer of `/findDrives` (on failure `drives` is empty and `error` set, status 500).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct FindDrivesResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub drives: Vec<DriveInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Body of `/jsonrpc`: one call forwarded to the container registered under `container_id`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct JsonRpcProxyRequest {
    #[serde(default)]
    pub container_id: String,
    #[serde(default)]
    pub method: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub params: Map<String, Value>,
}

/// Answer of `/jsonrpc`: the callee's `result`, unchanged.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct JsonRpcProxyResponse {
    pub message: String,
    #[serde(default)]
    pub result: Value,
}

/// Answer of `/register` and `/deregister`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageResponse {
    pub message: String,
}

// ---- JSON-RPC 2.0 over a local container's socket ----

/// Path of the local container API (`POST http://localhost/api/v1` over the unix socket).
pub const LOCAL_RPC_PATH: &str = "/api/v1";

/// A JSON-RPC 2.0 request as sent to a local container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct JsonRpcRequest {
    pub id: Value,
    pub jsonrpc: String,
    pub method: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub params: Map<String, Value>,
}

/// A JSON-RPC 2.0 response from a local container.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct JsonRpcResponse {
    #[serde(default)]
    pub id: Value,
    #[serde(default)]
    pub jsonrpc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonRpcError>,
}

/// The error object of a JSON-RPC 2.0 response.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct JsonRpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// JSON-RPC methods of a local WEKA container the agent and the operator call.
pub mod methods {
    /// Processes, drives and filesystems of the container: [`super::LocalConfigSummary`].
    pub const GET_LOCAL_CONFIG_SUMMARY: &str = "get_local_config_summary";
    /// CPU per process: map `NodeId<N>` → [`super::LocalCpuUtilization`].
    pub const FETCH_LOCAL_REALTIME_CPU_USAGE: &str = "fetch_local_realtime_cpu_usage";
    /// Statistics: list of [`super::WekaStat`].
    pub const FETCH_LOCAL_STATS: &str = "fetch_local_stats";
    /// SSD proxy: slice a physical drive ([`super::AddVirtualDriveParams`]).
    pub const SSD_PROXY_ADD_VIRTUAL_DRIVE: &str = "ssd_proxy_add_virtual_drive";
    /// SSD proxy: drop a slice ([`super::RemoveVirtualDriveParams`]).
    pub const SSD_PROXY_REMOVE_VIRTUAL_DRIVE: &str = "ssd_proxy_remove_virtual_drive";
    /// SSD proxy: slices of one physical drive ([`super::ListVirtualDrivesParams`]) →
    /// list of [`super::SsdProxyVirtualDrive`].
    pub const SSD_PROXY_LIST_VIRTUAL_DRIVES: &str = "ssd_proxy_list_virtual_drives";
    /// SSD proxy: its physical drives → list of [`super::SsdProxyPhysicalDrive`].
    pub const SSD_PROXY_LIST_PHYSICAL_DRIVES: &str = "ssd_proxy_list_physical_drives";
}

/// Up and total processes of one role.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessSummary {
    #[serde(default)]
    pub up: i64,
    #[serde(default)]
    pub total: i64,
}

/// Processes per role in [`LocalConfigSummary`].
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct ProcessesSummary {
    pub drive: ProcessSummary,
    pub dataserv: ProcessSummary,
    pub management: ProcessSummary,
    pub compute: ProcessSummary,
    pub total: ProcessSummary,
    pub frontend: ProcessSummary,
}

/// A drive of the container as its local API reports it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct LocalDisk {
    /// `DiskId<N>`.
    pub disk_id: String,
    pub uid: String,
    pub serial_number: String,
    pub dev_uuid: String,
    /// `ACTIVE`, `PHASING_IN`, `INACTIVE`, ...
    pub status: String,
    #[serde(rename = "isFailed")]
    pub is_failed: bool,
    pub name: String,
}

/// A filesystem the container knows.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct LocalFilesystem {
    /// `FSId<N>`.
    pub filesystem_id: String,
    pub name: String,
}

/// Result of `get_local_config_summary`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct LocalConfigSummary {
    /// Absent on old versions; `false` means the data is stale and must be ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_lease: Option<bool>,
    #[serde(deserialize_with = "null_as_default")]
    pub filesystems_summary: Vec<LocalFilesystem>,
    #[serde(deserialize_with = "null_as_default")]
    pub disks_summary: Vec<LocalDisk>,
    pub host_name: String,
    /// `HostId<N>`.
    pub host_id: String,
    pub processes_summary: ProcessesSummary,
}

/// One process's CPU in `fetch_local_realtime_cpu_usage` (percent, or an error).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct LocalCpuUtilization {
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub err: Option<String>,
}

/// Parameters that qualify a [`WekaStat`] (all integers as strings).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WekaStatParams {
    #[serde(rename = "fS", default, skip_serializing_if = "is_empty")]
    pub fs_id: String,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub disk: String,
    #[serde(rename = "feIdx", default, skip_serializing_if = "is_empty")]
    pub fe_idx: String,
}

/// One statistic of `fetch_local_stats` (e.g. category `ssd`, stat `DRIVE_READ_OPS`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct WekaStat {
    pub params: WekaStatParams,
    pub stat: String,
    /// `NodeId<N>`.
    #[serde(rename = "nodeId")]
    pub node_id: String,
    pub category: String,
    /// A number, as a string.
    pub value: String,
    pub unit: String,
}

/// Parameters of `ssd_proxy_add_virtual_drive`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct AddVirtualDriveParams {
    #[serde(rename = "virtualUuid")]
    pub virtual_uuid: String,
    #[serde(rename = "physicalUuid")]
    pub physical_uuid: String,
    #[serde(rename = "clusterGuid")]
    pub cluster_guid: String,
    #[serde(rename = "sizeGB")]
    pub size_gb: i64,
}

/// Parameters of `ssd_proxy_remove_virtual_drive`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoveVirtualDriveParams {
    #[serde(rename = "virtualUuid")]
    pub virtual_uuid: String,
}

/// Parameters of `ssd_proxy_list_virtual_drives`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ListVirtualDrivesParams {
    #[serde(rename = "physicalUuid")]
    pub physical_uuid: String,
}

/// One slice in the result of `ssd_proxy_list_virtual_drives` (the physical drive is the
/// one asked about; it is not repeated).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SsdProxyVirtualDrive {
    #[serde(rename = "uuid", default)]
    pub virtual_uuid: String,
    #[serde(rename = "clusterGuid", default)]
    pub cluster_guid: String,
    #[serde(rename = "sizeGB", default)]
    pub size_gb: i64,
}

/// One drive in the result of `ssd_proxy_list_physical_drives`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct SsdProxyPhysicalDrive {
    #[serde(rename = "numVirtualDrives", default)]
    pub num_virtual_drives: i64,
    #[serde(rename = "physicalUuid", default)]
    pub physical_uuid: String,
    #[serde(rename = "sizeGB", default)]
    pub size_gb: i64,
    #[serde(default)]
    pub model: String,
    #[serde(rename = "pciAddress", default)]
    pub pci_address: String,
}

#[cfg(test)]
mod tests;
