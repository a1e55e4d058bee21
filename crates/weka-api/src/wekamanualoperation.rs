//! `WekaManualOperation`: a one-off operation (sign, discover, block or resign drives, ...).

use k8s_openapi::api::core::v1::Toleration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::COARSE_DURATION_PATTERN;
use crate::payloads::{
    BlockDrivesPayload, CleanStaleVirtualDrivesPayload, DiscoverDrivesPayload, EnsureNicsPayload,
    ForceResignDrivesPayload, RemoteTracesSessionConfig, SignDrivesPayload,
};

/// What a manual operation does.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ManualOperationAction {
    SignDrives,
    DiscoverDrives,
    ForceResignDrives,
    BlockDrives,
    UnblockDrives,
    EnsureNics,
    RemoteTracesSession,
    CleanStaleVirtualDrives,
}

/// A one-off operation; it runs once, records its result and deletes itself after a delay.
#[skip_serializing_none]
#[allow(clippy::duplicated_attributes)] // printer columns repeat `type_ = "string"`
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaManualOperation",
    namespaced,
    status = "WekaManualOperationStatus",
    category = "weka",
    shortname = "wmo",
    printcolumn(name = "Action", type_ = "string", json_path = ".spec.action"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Result", type_ = "string", json_path = ".status.result", priority = 1),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct WekaManualOperationSpec {
    pub action: ManualOperationAction,
    pub payload: ManualOperationPayload,
    pub image: Option<String>,
    pub image_pull_secret: Option<String>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub tolerations: Option<Vec<Toleration>>,
    pub service_account_name: Option<String>,
    /// How long a finished operation is kept before it deletes itself.
    #[schemars(pattern(COARSE_DURATION_PATTERN), extend("default" = "5m"))]
    pub deletion_delay: Option<String>,
}

/// The payload of the action; the field matching `action` is read.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManualOperationPayload {
    pub sign_drives_payload: Option<SignDrivesPayload>,
    pub block_drives_payload: Option<BlockDrivesPayload>,
    pub discover_drives_payload: Option<DiscoverDrivesPayload>,
    #[serde(rename = "ensureNICsPayload")]
    pub ensure_nics_payload: Option<EnsureNicsPayload>,
    pub force_resign_drives_payload: Option<ForceResignDrivesPayload>,
    pub remote_traces_session_payload: Option<RemoteTracesSessionConfig>,
    pub clean_stale_virtual_drives_payload: Option<CleanStaleVirtualDrivesPayload>,
}

/// What happened.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaManualOperationStatus {
    pub result: String,
    pub status: String,
    /// Set once the operation finished; absent while it runs.
    pub completed_at: Option<Time>,
}
