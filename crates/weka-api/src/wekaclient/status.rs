//! The observed state of a WekaClient, written by the operator.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::Counters;

/// The lifecycle phase of a WekaClient.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum WekaClientPhase {
    #[default]
    Init,
    Running,
    Upgrading,
    Destroying,
}

/// What the operator observed of a WekaClient.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaClientStatus {
    /// The lifecycle phase.
    #[schemars(extend("default" = "Init"))]
    pub status: Option<WekaClientPhase>,
    /// Conditions of the reconciliation steps.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::conditions")]
    pub conditions: Option<Vec<Condition>>,
    /// The spec (serialised) last rolled out to the client containers.
    pub last_applied_spec: Option<String>,
    /// The pod configuration hash the client containers last adopted.
    pub last_applied_pod_config_hash: Option<String>,
    /// Container counts.
    pub stats: Option<ClientMetrics>,
    /// Pre-formatted values for the printer columns.
    pub printer: Option<ClientPrinterColumns>,
}

/// Counts of a WekaClient's containers.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ClientMetrics {
    /// Active, created and desired client containers.
    pub containers: Option<Counters>,
}

/// Values shown by `kubectl get wekaclients`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ClientPrinterColumns {
    /// Client containers as `active/created/desired`.
    pub containers: Option<String>,
}
