//! `WekaPolicy` (placeholder until its types land).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Placeholder spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaPolicy",
    namespaced,
    status = "WekaPolicyStatus"
)]
pub struct WekaPolicySpec {
    pub image: Option<String>,
}

/// Placeholder status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct WekaPolicyStatus {
    pub status: Option<String>,
}
