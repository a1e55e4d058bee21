//! `WekaPolicy`: recurring automation (sign drives, discover drives, drivers distribution,
//! remote traces, ...), run every `payload.interval`.
//!
//! The policy's kind of work is its [`PolicyType`]; what it works on is in the matching
//! field of its [`PolicyPayload`] ([`payload`]).

pub mod payload;

use k8s_openapi::api::core::v1::Toleration;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

pub use payload::{
    AdhocPodsSpec, ConfigurationPayload, DriverDistPayload, PolicyPayload, SchedulingConfigPayload,
};

/// What a policy does on every run.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    SignDrives,
    DiscoverDrives,
    EnsureNics,
    EnableLocalDriversDistribution,
    RemoteTracesSession,
    CleanStaleVirtualDrives,
}

/// A recurring operation; it runs every `payload.interval` and records its last result.
// The printer columns repeat `type_ = "string"`, which clippy takes for duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[skip_serializing_none]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaPolicy",
    plural = "wekapolicies",
    namespaced,
    status = "WekaPolicyStatus",
    category = "weka",
    shortname = "wp",
    printcolumn(name = "Type", type_ = "string", json_path = ".spec.type"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Progress", type_ = "string", json_path = ".status.progress"),
    printcolumn(name = "Result", type_ = "string", json_path = ".status.result", priority = 1),
    printcolumn(
        name = "Interval",
        type_ = "string",
        json_path = ".spec.payload.interval",
        priority = 1
    ),
    printcolumn(
        name = "Last Run Time",
        type_ = "date",
        json_path = ".status.lastRunTime",
        priority = 1
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct WekaPolicySpec {
    /// The kind of work; the payload field of the same name is read.
    #[serde(rename = "type")]
    pub type_: Option<PolicyType>,
    /// Parameters of the work and how often it runs.
    pub payload: PolicyPayload,
    /// Image of the pods the policy runs (defaults to the operator's choice).
    pub image: Option<String>,
    /// Name of the Secret used to pull `image`.
    pub image_pull_secret: Option<String>,
    /// Tolerations of the pods the policy runs.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub tolerations: Option<Vec<Toleration>>,
    /// Service account of the pods the policy runs.
    pub service_account_name: Option<String>,
}

/// What the last run of a policy did.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaPolicyStatus {
    /// Coarse state of the policy (free-form, written by the operator).
    pub status: String,
    /// Result of the last run (often JSON).
    pub result: String,
    /// When the policy last ran; absent until its first run.
    pub last_run_time: Option<Time>,
    /// Policy-specific progress, e.g. `3/5 images built`.
    pub progress: Option<String>,
    /// Status fields of one policy type.
    pub typed_status: Option<TypedPolicyStatus>,
}

/// Status fields specific to one policy type.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypedPolicyStatus {
    /// Of an `enable-local-drivers-distribution` policy.
    pub dist_service: Option<DistServiceStatus>,
}

/// The drivers distribution service a policy runs.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DistServiceStatus {
    /// URL clients fetch drivers from (`driversDistService` of a WekaClient).
    pub service_url: Option<String>,
}

#[cfg(test)]
mod tests;
