//! One-off containers (discovery, ad-hoc operations, drivers loader and builder): their
//! result is read from the pod into `status.result`, processed by mode, and the finished
//! container cleaned up (upstream `funcs_oneoff.go`).
//!
//! Processing by mode:
//! - discovery: the node's facts go to the node annotation `weka.io/discovery.json` (with the
//!   node's boot ID, so a reboot is noticed), and the discovery container deletes itself.
//!   (Upstream's discover-node operation does both from the container that asked; here the
//!   discovery container finishes its own work, whoever created it.)
//! - sign-drives / discover-drives: the drives found go to `weka.io/weka-drives`.
//! - drivers builder: the drivers are uploaded to the dist container (`drivers_dist`).
//! - every one-off ends with status `Completed`.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use weka_api::constants::annotations::{
    BLOCKED_DRIVES, DISCOVERY_JSON, SIGN_DRIVES_HASH, WEKA_DRIVES,
};
use weka_api::constants::conditions as cond;
use weka_api::constants::resources;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::drive_signing::node_sign_hash;
use super::drivers_dist::upload_built_drivers;
use super::feature_flags::FEATURE_FLAGS_UPDATE;
use super::termination::delete_pod;
use crate::controllers::container::node_info::DISCOVERY_SCHEMA;
use crate::controllers::container::node_info::boot_id;
use crate::controllers::container::state::{ContainerState, api_error, now};
use crate::engine::{FlowState, StepError, StepFuture};
use crate::pod::ModeTraits;
use crate::weka::WekaError;

/// A one-off whose results are not written yet is asked again after at most this long:
/// nothing announces them (its pod does not change when they are written). The controller
/// asks sooner while the wait is young (`Shared::poll_interval`).
const RESULTS_RECHECK: Duration = Duration::from_secs(5);
/// Finished drivers loaders stay 5 minutes, feature-flags containers 30 s (others may read
/// their results meanwhile).
const LOADER_KEPT: Duration = Duration::from_secs(300);
const FEATURE_FLAGS_KEPT: Duration = Duration::from_secs(30);

fn instruction(s: &ContainerState) -> Option<&str> {
    s.spec().instructions.as_ref().map(|i| i.type_.as_str())
}

fn is_sign_or_discover_drives(s: &ContainerState) -> bool {
    s.mode() == ContainerMode::AdhocOp
        && matches!(instruction(s), Some("sign-drives" | "discover-drives"))
}

fn is_feature_flags_operation(s: &ContainerState) -> bool {
    s.mode() == ContainerMode::AdhocOpWithContainer && instruction(s) == Some(FEATURE_FLAGS_UPDATE)
}

/// Upstream's `ResultsAreProcessed`.
pub fn results_processed(s: &ContainerState) -> bool {
    weka_api::conditions::is_true(s.conditions(), cond::RESULTS_PROCESSED)
}

/// `fetchResults`: `/weka-runtime/results.json` of the pod → `status.result`.
pub fn fetch_results(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.status().result.is_some() {
            return Ok(());
        }
        let result = match s.cli().results().await {
            Ok(result) => result,
            Err(err @ (WekaError::CommandFailed { .. } | WekaError::EmptyOutput { .. })) => {
                return Err(StepError::poll(
                    "ResultsPending",
                    format!("no results yet: {err}"),
                    RESULTS_RECHECK,
                ));
            }
            Err(err) => {
                return Err(StepError::poll(
                    "ResultsPending",
                    format!("cannot read the results: {err}"),
                    RESULTS_RECHECK,
                ));
            }
        };
        tracing::info!("results received");
        s.status_mut().result = Some(result.trim().to_string());
        s.persist_status().await?;
        // Who waits on this helper is woken now (the echo of this write starts no pass).
        let helper = ObjectRef::new(s.name()).within(s.namespace());
        s.shared.helper_waiters.helper_done(&helper);
        Ok(())
    })
}

/// `processResults`: what the result means, by mode; then status `Completed`.
pub fn process_results(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let result = s.status().result.clone().unwrap_or_default();
        if s.mode().is_drivers_builder() {
            upload_built_drivers(s, &result).await?;
        } else if s.mode() == ContainerMode::Discovery {
            record_discovery(s, &result).await?;
        } else if is_sign_or_discover_drives(s) {
            record_drives(s, &result).await?;
        }
        s.update_status(WekaContainerStatus::COMPLETED).await
    })
}

fn node_of(s: &ContainerState) -> Result<std::sync::Arc<Node>, StepError> {
    s.node.clone().ok_or_else(|| {
        StepError::wait("NodeNotFound", "the node of the one-off container is not known")
    })
}

/// The discovery result, completed with what Kubernetes knows of the node, as the node's
/// `weka.io/discovery.json`.
async fn record_discovery(s: &ContainerState, result: &str) -> Result<(), StepError> {
    let node = node_of(s)?;
    let mut info: Map<String, Value> = serde_json::from_str(result).map_err(|e| {
        StepError::failed(
            "DiscoveryResultInvalid",
            format!("Failed to unmarshal discovery.json: {e}"),
        )
    })?;
    info.insert("schema".into(), json!(DISCOVERY_SCHEMA));
    info.insert("boot_id".into(), json!(boot_id(&node)));
    let cpus = node
        .status
        .as_ref()
        .and_then(|st| st.allocatable.as_ref())
        .and_then(|a| a.get("cpu"))
        .and_then(cpu_count);
    if let Some(cpus) = cpus {
        info.insert("num_cpus".into(), json!(cpus));
    }
    let provider = node.spec.as_ref().and_then(|sp| sp.provider_id.as_deref()).unwrap_or_default();
    if provider.starts_with("aws://") {
        info.insert("provider".into(), json!("aws"));
    } else if provider.starts_with("ocid1.") {
        info.insert("provider".into(), json!("oci"));
    }
    let text = Value::Object(info).to_string();
    let body = json!({"metadata": {"annotations": {DISCOVERY_JSON: text}}});
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    nodes.patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&body)).await.map_err(
        |e| api_error("DiscoveryNotRecorded", "write the node's discovery annotation", e),
    )?;
    tracing::info!(node = %node.name_any(), "node discovery recorded");
    Ok(())
}

/// Whole CPUs of a quantity (`"4"`, `"3500m"`).
fn cpu_count(quantity: &Quantity) -> Option<i64> {
    let text = quantity.0.trim();
    match text.strip_suffix('m') {
        Some(milli) => milli.parse::<i64>().ok().map(|m| m / 1000),
        None => text.parse::<f64>().ok().map(|c| c as i64),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DrivesResult {
    drives: Vec<FoundDrive>,
    raw_drives: Vec<RawDrive>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FoundDrive {
    serial_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDrive {
    serial_id: String,
    is_mounted: bool,
}

/// Upstream's `updateNodeAnnotations`: the drives found join `weka.io/weka-drives`; drives
/// once used by WEKA that are now mounted are blocked; the node's `weka.io/drives` capacity
/// is what is left. (Results of drive sharing, `proxy_drives`, are not handled here yet.)
async fn record_drives(s: &ContainerState, result: &str) -> Result<(), StepError> {
    let node = node_of(s)?;
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    let node = nodes
        .get(&node.name_any())
        .await
        .map_err(|e| api_error("NodeReadFailed", "read the node", e))?;
    let found: DrivesResult = serde_json::from_str(result).map_err(|e| {
        StepError::failed(
            "DrivesResultInvalid",
            format!("error unmarshalling execution result: {e}"),
        )
    })?;
    let list = |annotation: &str| -> Vec<String> {
        node.annotations()
            .get(annotation)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    };
    let mut drives: BTreeSet<String> =
        list(WEKA_DRIVES).into_iter().filter(|d| !d.is_empty()).collect();
    drives.extend(found.drives.into_iter().map(|d| d.serial_id).filter(|d| !d.is_empty()));
    let mut blocked = list(BLOCKED_DRIVES);
    for raw in found.raw_drives.iter().filter(|r| r.is_mounted && drives.contains(&r.serial_id)) {
        if !blocked.contains(&raw.serial_id) {
            tracing::info!(serial = %raw.serial_id, "blocking a mounted drive");
            blocked.push(raw.serial_id.clone());
        }
    }
    let available = drives.iter().filter(|d| !blocked.contains(d)).count().to_string();
    let status = json!({"status": {
        "capacity": {resources::DRIVES: available},
        "allocatable": {resources::DRIVES: available},
    }});
    nodes
        .patch_status(&node.name_any(), &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(|e| api_error("NodeStatusUpdateFailed", "update the node's drive capacity", e))?;
    let body = json!({"metadata": {
        "resourceVersion": node.resource_version(),
        "annotations": {
            WEKA_DRIVES: serde_json::to_string(&drives).unwrap_or_default(),
            BLOCKED_DRIVES: serde_json::to_string(&blocked).unwrap_or_default(),
            SIGN_DRIVES_HASH: node_sign_hash(&node),
        },
    }});
    nodes
        .patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map_err(|e| api_error("NodeUpdateFailed", "write the node's drives", e))?;
    Ok(())
}

/// When the results were processed.
fn processed_since(s: &ContainerState) -> Option<Duration> {
    let condition = weka_api::conditions::find(s.conditions(), cond::RESULTS_PROCESSED)?;
    let elapsed = now().0.duration_since(condition.last_transition_time.0);
    Some(Duration::from_secs(elapsed.as_secs().max(0) as u64))
}

/// `cleanupFinishedOneOff` (the flow ends here once results are processed): the pod of a
/// builder or a drive-signing operation is deleted; discovery containers delete themselves;
/// drivers loaders after 5 minutes and feature-flags containers after 30 s.
pub fn cleanup_finished_one_off(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.mode().is_drivers_builder() || is_sign_or_discover_drives(s) {
            if let Some(pod) = s.pod.clone() {
                delete_pod(s, &pod).await?;
            }
            return Ok(());
        }
        let keep_for = match s.mode() {
            ContainerMode::Discovery => Some(Duration::ZERO),
            ContainerMode::DriversLoader => Some(LOADER_KEPT),
            _ if is_feature_flags_operation(s) => Some(FEATURE_FLAGS_KEPT),
            _ => None,
        };
        let Some(keep_for) = keep_for else { return Ok(()) };
        if s.is_marked_for_deletion() || processed_since(s).is_none_or(|since| since < keep_for) {
            return Ok(());
        }
        tracing::info!("deleting the finished one-off container");
        match s.api().delete(s.name(), &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(st)) if st.code == 404 => {
                s.gone = true;
                Ok(())
            }
            Err(err) => {
                Err(api_error("DeleteFailed", "delete the finished one-off container", err))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities_count_whole_cpus() {
        assert_eq!(cpu_count(&Quantity("4".into())), Some(4));
        assert_eq!(cpu_count(&Quantity("3500m".into())), Some(3));
        assert_eq!(cpu_count(&Quantity("x".into())), None);
    }
}
