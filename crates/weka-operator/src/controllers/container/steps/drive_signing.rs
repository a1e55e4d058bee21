//! Drives on the node outside the WEKA cluster: blocking failed drives so that they are never
//! allocated again (upstream's block-drives operation, a node edit), and resigning a deleted
//! drive container's drives (upstream's force-resign-drives operation, an ad-hoc container
//! on the node running the drive-signing image).

use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde::Deserialize;
use serde_json::json;
use weka_api::constants::annotations::{BLOCKED_DRIVES, SIGN_DRIVES_HASH, WEKA_DRIVES};
use weka_api::constants::resources;
use weka_api::wekacontainer::ContainerMode;

use super::helper_containers as helpers;
use crate::controllers::container::state::{ContainerState, api_error, node_is_ready};
use crate::engine::{StepError, StepFuture};

/// The node is looked at again after 15 s.
const NODE_RECHECK: Duration = Duration::from_secs(15);
/// The instruction of the resigning ad-hoc container.
const FORCE_RESIGN_DRIVES: &str = "force-resign-drives";

fn json_list(node: &Node, annotation: &str) -> Result<Vec<String>, StepError> {
    match node.annotations().get(annotation).map(|t| t.trim()) {
        None | Some("") | Some("null") => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            StepError::failed(
                "InvalidNodeAnnotation",
                format!("node annotation {annotation} is not valid: {e}"),
            )
        }),
    }
}

/// The block-drives operation for `serials` on `node`: added to `weka.io/blocked-drives`
/// (each must be one of the node's WEKA drives), the node's `weka.io/drives` capacity
/// lowered, and the sign-drives hash dropped so that drive signing looks at the node again.
pub async fn block_drives(
    s: &ContainerState,
    node: &Node,
    serials: &[String],
) -> Result<(), StepError> {
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    let name = node.name_any();
    let node =
        nodes.get(&name).await.map_err(|e| api_error("NodeReadFailed", "read the node", e))?;
    let weka_drives = json_list(&node, WEKA_DRIVES)?;
    if let Some(unknown) = serials.iter().find(|s| !weka_drives.contains(s)) {
        return Err(StepError::failed(
            "BlockDrivesError",
            format!("drive {unknown} not found in the available drives list of node {name}"),
        ));
    }
    let mut blocked = json_list(&node, BLOCKED_DRIVES)?;
    for serial in serials {
        if !blocked.contains(serial) {
            blocked.push(serial.clone());
        }
    }
    let available = weka_drives.iter().filter(|d| !blocked.contains(d)).count();
    let body = json!({
        "metadata": {
            "resourceVersion": node.resource_version(),
            "annotations": {
                BLOCKED_DRIVES: serde_json::to_string(&blocked).unwrap_or_default(),
                SIGN_DRIVES_HASH: null,
            },
        }
    });
    nodes
        .patch(&name, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map_err(|e| api_error("BlockDrivesError", "block drives on the node", e))?;
    let capacity = json!({"status": {
        "capacity": {resources::DRIVES: available.to_string()},
        "allocatable": {resources::DRIVES: available.to_string()},
    }});
    if let Err(err) =
        nodes.patch_status(&name, &PatchParams::default(), &Patch::Merge(&capacity)).await
    {
        tracing::warn!(error = %err, node = %name, "cannot update the node's drive capacity");
    }
    tracing::info!(node = %name, ?serials, "drives blocked");
    Ok(())
}

/// `weka.io/sign-drives-hash`: changes with every boot of the node, so that drive signing
/// looks at a rebooted node again. (Upstream writes the SHA-256 of the boot ID; this is a
/// 64-bit FNV-1a of it, enough to tell boots apart.)
pub fn node_sign_hash(node: &Node) -> String {
    let boot_id = crate::controllers::container::node_info::boot_id(node);
    let hash = boot_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

#[derive(Deserialize)]
struct ResignResult {
    #[serde(default)]
    err: Option<String>,
    #[serde(default)]
    drives: Vec<String>,
}

/// Upstream's `CanSkipDrivesForceResign` negated.
pub fn must_resign(s: &ContainerState) -> bool {
    s.spec().overrides.as_ref().and_then(|o| o.skip_drives_force_resign) != Some(true)
}

/// `ResignDrives`: the deleted container's drives lose their WEKA signature, so that a new
/// cluster may use them, through a force-resign-drives ad-hoc container on the node.
pub fn resign_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let node_name = s.node_affinity().map(str::to_string);
        if let Some(node_name) = &node_name
            && !s.node.as_deref().is_some_and(node_is_ready)
        {
            if s.node_missing && s.ctx.config.cleanup.removed_nodes {
                tracing::info!(node = %node_name, "the node is gone: no drives to resign");
                return Ok(());
            }
            return Err(StepError::poll(
                "NodeNotReady",
                format!("node {node_name} is not ready, cannot perform resign drives operation"),
                NODE_RECHECK,
            ));
        }
        let serials =
            s.status().allocations.as_ref().and_then(|a| a.drives.clone()).unwrap_or_default();
        if serials.is_empty() {
            return Ok(());
        }
        let image = s.ctx.config.maintenance.sign_drives_image.clone();
        if image.is_empty() || image.contains("weka.io/weka-in-container") {
            return Err(StepError::poll(
                "SignDrivesImageNotSet",
                format!(
                    "drives {serials:?} cannot be resigned: SIGN_DRIVES_IMAGE is {} (set it to the drive-signing image, or set overrides.skipDrivesForceResign)",
                    if image.is_empty() {
                        "not set".to_string()
                    } else {
                        format!("{image}, a WEKA image")
                    }
                ),
                Duration::from_secs(60),
            ));
        }
        let namespace = s.namespace().to_string();
        let name = format!("weka-force-resign-drives-{}", s.uid());
        let Some(helper) = helpers::get(s, &namespace, &name).await? else {
            let spec =
                resign_spec(s, &name, &image, node_name.as_deref().unwrap_or_default(), &serials)?;
            helpers::create(s, &spec).await?;
            return Err(resigning(s, &name));
        };
        let Some(text) = helpers::result(&helper) else {
            return Err(resigning(s, &name));
        };
        let result: ResignResult = serde_json::from_str(text).unwrap_or(ResignResult {
            err: Some(format!("unexpected result {text:?}")),
            drives: Vec::new(),
        });
        helpers::delete(s, &namespace, &name).await?;
        match result.err.filter(|e| !e.is_empty()) {
            Some(err) => Err(StepError::failed(
                "ResignDrivesError",
                format!("resign drives operation failed: {err}, re-creating container"),
            )),
            None if result.drives.is_empty() => Err(StepError::failed(
                "ResignDrivesError",
                "resign drives operation did not resign any drives, re-creating container",
            )),
            None => {
                tracing::info!(drives = ?result.drives, "drives resigned");
                Ok(())
            }
        }
    })
}

fn resigning(s: &ContainerState, name: &str) -> StepError {
    StepError::poll(
        "ResigningDrives",
        format!("waiting for {name} to resign the container's drives"),
        helpers::recheck(s, NODE_RECHECK),
    )
}

fn resign_spec(
    s: &ContainerState,
    name: &str,
    image: &str,
    node: &str,
    serials: &[String],
) -> Result<weka_api::WekaContainer, StepError> {
    let payload = json!({"nodeName": node, "deviceSerials": serials}).to_string();
    let body = json!({
        "name": "adhoc",
        "image": image,
        "imagePullSecret": s.spec().image_pull_secret,
        "numCores": 1,
        "nodeAffinity": node,
        "hostPID": true,
        "instructions": {"type": FORCE_RESIGN_DRIVES, "payload": payload},
        "tolerations": s.spec().tolerations,
        "serviceAccountName": s.spec().service_account_name,
    });
    helpers::owned_helper(s, name, ContainerMode::AdhocOp, body)
}
