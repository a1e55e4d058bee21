//! Operation payloads shared by `WekaPolicy` (recurring) and `WekaManualOperation` (one-off).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::{GoInt, Labels, ObjectReference};

/// Which block devices a sign-drives run selects.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignDrivesType {
    AwsAll,
    GcpAll,
    DeviceIdentifiers,
    DevicePaths,
    AllNotRoot,
}

/// Signs drives for WEKA use on the selected nodes.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "message": "driveTypeOverrides is only supported when shared is true",
    "rule": "!has(self.driveTypeOverrides) || (has(self.shared) && self.shared)"
}]))]
pub struct SignDrivesPayload {
    #[serde(rename = "type")]
    pub type_: SignDrivesType,
    pub node_selector: Option<Labels>,
    pub device_paths: Option<Vec<String>>,
    pub pci_devices: Option<PciDevices>,
    pub options: Option<SignOptions>,
    /// Also consider rotational devices (only for `all-not-root`).
    pub include_rotational: Option<bool>,
    /// Sign for the SSD proxy (drive sharing) instead of for one container.
    pub shared: Option<bool>,
    pub drive_type_overrides: Option<DriveTypeOverrides>,
}

/// PCI vendor and device IDs (4 hex digits each), as `lspci -nn` shows them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PciDevices {
    #[schemars(pattern(r"^[0-9a-fA-F]{4}$"))]
    pub vendor_id: String,
    #[schemars(pattern(r"^[0-9a-fA-F]{4}$"))]
    pub device_id: String,
}

/// How aggressively signing may overwrite what is on a device.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignOptions {
    pub allow_erase_weka_partitions: Option<bool>,
    pub allow_erase_non_weka_partitions: Option<bool>,
    pub allow_non_empty_device: Option<bool>,
    pub skip_trim_format: Option<bool>,
}

/// Forced TLC/QLC types for shared drives; the first matching rule wins.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct DriveTypeOverrides {
    pub rules: Vec<DriveTypeOverrideRule>,
}

/// The reported type of a drive.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum DriveType {
    #[serde(rename = "TLC")]
    Tlc,
    #[serde(rename = "QLC")]
    Qlc,
}

/// Matches drives by model and/or capacity (both must match when both are set).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "message": "at least one of model or capacityGiB must be set",
    "rule": "(has(self.model) && size(self.model) > 0) || (has(self.capacityGiB) && self.capacityGiB != 0)"
}]))]
pub struct DriveTypeOverrideRule {
    pub model: Option<String>,
    #[serde(rename = "capacityGiB")]
    #[schemars(range(min = 1))]
    pub capacity_gib: Option<GoInt>,
    #[serde(rename = "type")]
    pub type_: DriveType,
}

/// Blocks drives (by serial or physical UUID) on one node from being used.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockDrivesPayload {
    #[serde(rename = "serialIDs")]
    pub serial_ids: Option<Vec<String>>,
    #[serde(rename = "physicalUUIDs")]
    pub physical_uuids: Option<Vec<String>>,
    pub node: String,
}

/// Discovers drives on the selected nodes and records them on the node.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverDrivesPayload {
    pub node_selector: Option<Labels>,
}

/// Makes sure the selected nodes have data NICs (cloud-specific; `type` is e.g. `aws`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnsureNicsPayload {
    #[serde(rename = "type")]
    pub type_: String,
    pub node_selector: Option<Labels>,
    #[serde(rename = "dataNICsNumber")]
    pub data_nics_number: Option<GoInt>,
}

/// Wipes the WEKA signature of drives on one node.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForceResignDrivesPayload {
    pub node_name: String,
    pub device_serials: Option<Vec<String>>,
    pub device_paths: Option<Vec<String>>,
}

/// Streams traces of a cluster to WEKA Home for a while.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteTracesSessionConfig {
    pub cluster: Option<ObjectReference>,
    pub node_selector: Option<Labels>,
    pub host_network: Option<bool>,
    /// How long the session runs (`168h`); a manual operation defaults to a week.
    pub duration: Option<String>,
    pub wekahome_endpoint_override: Option<String>,
    pub allow_http_wekahome_endpoint: Option<bool>,
    pub allow_insecure_wekahome_endpoint: Option<bool>,
    pub wekahome_ca_secret: Option<String>,
}

/// Finds (and, when allowed, deletes) virtual drives no live container claims.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CleanStaleVirtualDrivesPayload {
    pub node_selector: Option<Labels>,
    #[schemars(extend("default" = false))]
    pub only_non_existing_clusters: Option<bool>,
    #[schemars(extend("default" = false))]
    pub delete_stale_vids: Option<bool>,
}
