//! `WekaClient` (placeholder until its types land).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Placeholder spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaClient",
    namespaced,
    status = "WekaClientStatus"
)]
pub struct WekaClientSpec {
    pub image: Option<String>,
}

/// Placeholder status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct WekaClientStatus {
    pub status: Option<String>,
}
