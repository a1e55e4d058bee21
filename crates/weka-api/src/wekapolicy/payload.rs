//! The payload of a WekaPolicy: the interval, the policies to wait for, and one field per
//! policy type. Payloads shared with WekaManualOperation live in [`crate::payloads`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::{COARSE_DURATION_PATTERN, Labels, PodResourcesSpec};
use crate::payloads::{
    CleanStaleVirtualDrivesPayload, DiscoverDrivesPayload, EnsureNicsPayload,
    RemoteTracesSessionConfig, SignDrivesPayload,
};

/// How often a policy runs, what it waits for, and its type-specific parameters.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPayload {
    /// Time between runs (`10m`, `1h`).
    #[schemars(pattern(COARSE_DURATION_PATTERN), extend("default" = "5m"))]
    pub interval: Option<String>,
    /// Names of policies (same namespace) that must have completed before this one runs.
    pub wait_for_policies: Option<Vec<String>>,
    pub sign_drives_payload: Option<SignDrivesPayload>,
    pub discover_drives_payload: Option<DiscoverDrivesPayload>,
    #[serde(rename = "ensureNICsPayload")]
    pub ensure_nics_payload: Option<EnsureNicsPayload>,
    pub driver_dist_payload: Option<DriverDistPayload>,
    pub remote_traces_session_payload: Option<RemoteTracesSessionConfig>,
    pub clean_stale_virtual_drives_payload: Option<CleanStaleVirtualDrivesPayload>,
    pub configuration_payload: Option<ConfigurationPayload>,
    pub scheduling_config_payload: Option<SchedulingConfigPayload>,
}

/// Reserved for scheduling settings; it has no fields yet.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SchedulingConfigPayload {}

/// Builds kernel drivers for the given images on the selected nodes and serves them to clients.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriverDistPayload {
    /// WEKA images whose drivers are built ahead of time.
    pub ensure_images: Option<Vec<String>>,
    /// Nodes matching any of these selectors get drivers built for them; empty means all.
    pub node_selectors: Option<Vec<Labels>>,
    /// Node label holding the kernel version (default `weka.io/kernel`).
    pub kernel_label_key: Option<String>,
    /// Node label holding the CPU architecture (default `weka.io/architecture`).
    pub architecture_label_key: Option<String>,
    /// Node label holding the operating system (default `weka.io/os`).
    pub os_label_key: Option<String>,
    /// Image of the builder containers, instead of the WEKA image.
    pub builder_image_override: Option<String>,
    /// Shell script run in each builder container before it builds (e.g. to install a compiler).
    pub builder_pre_run_script: Option<String>,
    /// Where the distribution container may run; unset means anywhere.
    pub dist_node_selector: Option<Labels>,
    /// Requests and limits of the distribution container; unset fields keep the defaults.
    pub dist_resources: Option<PodResourcesSpec>,
}

/// Operator-wide settings.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationPayload {
    /// Settings of the pods the operator starts for one-off operations.
    pub adhoc_pods: Option<AdhocPodsSpec>,
}

/// Settings of the operator's one-off operation pods.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct AdhocPodsSpec {
    /// Requests and limits of those pods.
    pub resources: Option<PodResourcesSpec>,
}
