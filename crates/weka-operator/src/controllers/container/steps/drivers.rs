//! WEKA kernel drivers on the container's node (spec: wekacontainer-functions.md §1).
//!
//! The node records what was loaded in its annotation `weka.io/drivers-loaded`
//! (`<image>:<bootID>`). When it does not match, the container waits (`WaitForDrivers`) while
//! a drivers-loader WekaContainer (`weka-drivers-loader-<node UID>`, one per node, in the
//! operator's namespace) loads them: its result `{"err", "drivers_loaded"}` is read from its
//! status, the annotation written, and the loader deleted. Every pass starts from what the
//! API says (annotation, loader and its result), so a restarted operator continues where the
//! last one stopped.

use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde::Deserialize;
use serde_json::{Value, json};
use weka_api::WekaContainer;
use weka_api::constants::annotations::{DISCOVERY_JSON, DRIVERS_LOADED};
use weka_api::constants::conditions as cond;
use weka_api::constants::labels;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::helper_containers as helpers;
use super::resources::verify_or_rewrite_resources;
use super::upgrade::chosen_image;
use super::weka_image_of;
use crate::controllers::container::node_info::boot_id;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{FlowState, StepError, StepFuture};
use crate::pod::{ModeTraits, has_frontend};
use crate::weka::files::DriversState;

/// The instruction of a loader that copies WEKA's files out of the cluster image.
const COPY_WEKA_FILES_TO_DRIVER_LOADER: &str = "copy-weka-files-to-driver-loader";
/// The loader's result is looked at again after 10 s.
const RESULT_RECHECK: Duration = Duration::from_secs(10);

/// What a drivers-loader reports.
#[derive(Deserialize)]
struct LoadResult {
    #[serde(default)]
    err: Option<String>,
    #[serde(default)]
    drivers_loaded: bool,
}

/// The annotation value recording that `image`'s drivers are loaded on this boot.
pub fn loaded_marker(image: &str, node: &Node) -> String {
    format!("{image}:{}", boot_id(node))
}

/// Upstream's `DriversLoaded`: any image's drivers do for containers without a frontend;
/// frontends need exactly their image's. Either way they must have been loaded on the
/// node's current boot (upstream lets a backend take drivers recorded before a reboot, and
/// notices only when WEKA fails to start).
pub fn drivers_loaded(node: &Node, image: &str, frontend: bool) -> bool {
    let Some(current) = node.annotations().get(DRIVERS_LOADED) else { return false };
    if frontend {
        return *current == loaded_marker(image, node);
    }
    let boot = boot_id(node);
    boot.is_empty() || current.ends_with(&format!(":{boot}"))
}

/// The node booted since discovery ran (its discovery boot ID differs or does not parse):
/// drivers recorded as loaded are gone.
pub fn node_rebooted(node: &Node) -> bool {
    let Some(text) = node.annotations().get(DISCOVERY_JSON) else { return false };
    match serde_json::from_str::<Value>(text) {
        Ok(discovery) => {
            discovery.get("boot_id").and_then(Value::as_str).unwrap_or_default() != boot_id(node)
        }
        Err(_) => true,
    }
}

/// The image whose drivers the container needs: its pod's, else the one a new pod gets.
fn driver_image(s: &ContainerState) -> String {
    match s.pod.as_deref().and_then(weka_image_of) {
        Some(image) => image.to_string(),
        None if s.spec().drivers_loader_image.as_deref().unwrap_or_default().is_empty() => {
            chosen_image(s)
        }
        None => s.spec().image.clone(),
    }
}

/// `EnsureDrivers`: the node has the drivers of the container's image, else status
/// `WaitForDrivers` and the drivers loader does its work.
pub fn ensure_drivers(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = s.node.clone() else {
            let node = s.node_affinity().unwrap_or_default().to_string();
            return Err(StepError::wait(
                "NodeNotFound",
                format!("node {node} not found: drivers cannot be loaded"),
            ));
        };
        let image = driver_image(s);
        let frontend = has_frontend(&s.container);
        if drivers_loaded(&node, &image, frontend) {
            return Ok(());
        }
        // The cache may not show an annotation written moments ago: ask before loading.
        let node = fresh_node(s, &node.name_any()).await?;
        if drivers_loaded(&node, &image, frontend) {
            return Ok(());
        }
        update_status_wait_for_drivers(s).await?;
        load_drivers(s, &node, &image, false).await
    })
}

/// `updateStatusWaitForDrivers`.
pub async fn update_status_wait_for_drivers(s: &mut ContainerState) -> Result<(), StepError> {
    if !s.status_overwritable() {
        return Ok(());
    }
    s.update_status(WekaContainerStatus::WAIT_FOR_DRIVERS).await
}

/// Upstream's `driversLoaded` (in the pod): `/tmp/weka-drivers.log` is empty once the
/// runtime found every driver; otherwise it names the missing one. `None` when the file
/// cannot be read (the runtime has not got that far); if `resources.json` was written before,
/// the pod's copy is then checked (and rewritten if it differs: the runtime may be waiting
/// for it).
pub async fn drivers_loaded_in_pod(s: &ContainerState) -> Result<Option<bool>, StepError> {
    if !s.mode().requires_drivers() {
        return Ok(Some(true));
    }
    match s.cli().drivers_state().await {
        Ok(DriversState::Loaded) => Ok(Some(true)),
        Ok(DriversState::Missing(driver)) => {
            tracing::info!(%driver, "a driver is not loaded");
            Ok(Some(false))
        }
        Err(err) => {
            tracing::debug!(error = %err, "cannot read the drivers marker");
            if weka_api::conditions::is_true(s.conditions(), cond::CONTAINER_RESOURCES_WRITTEN) {
                verify_or_rewrite_resources(s).await?;
            }
            Ok(None)
        }
    }
}

/// For the local-status step when `weka local ps` fails (upstream's `reconcileWekaLocalStatus`):
/// drivers missing in the pod put the container in `WaitForDrivers` and have the loader run
/// again, whatever the node's annotation says. `Ok` when they are not known to be missing.
pub async fn reload_drivers_if_missing(s: &mut ContainerState) -> Result<(), StepError> {
    if drivers_loaded_in_pod(s).await? != Some(false) {
        return Ok(());
    }
    let Some(node) = s.node.clone() else {
        return Err(StepError::wait("NodeNotFound", "the container's node is not known"));
    };
    let node = fresh_node(s, &node.name_any()).await?;
    let image = driver_image(s);
    update_status_wait_for_drivers(s).await?;
    load_drivers(s, &node, &image, true).await
}

async fn fresh_node(s: &ContainerState, name: &str) -> Result<Node, StepError> {
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    nodes.get(name).await.map_err(|e| api_error("NodeReadFailed", "read the node", e))
}

fn loader_name(node: &Node) -> String {
    format!("weka-drivers-loader-{}", node.uid().unwrap_or_default())
}

/// The image the loader runs: the drivers-loader image when the spec names one (the loader
/// then copies WEKA's files out of `image`), else `image` itself.
fn loader_image(s: &ContainerState, image: &str) -> String {
    s.spec()
        .drivers_loader_image
        .clone()
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| image.to_string())
}

/// Upstream's `LoadDrivers` operation, one pass: `Ok` once the drivers are loaded and the
/// node says so, else a wait (or a failure, after which the loader is created anew).
pub async fn load_drivers(
    s: &mut ContainerState,
    node: &Node,
    image: &str,
    force: bool,
) -> Result<(), StepError> {
    let namespace = helpers::operator_namespace(s);
    let name = loader_name(node);
    let mut loader = helpers::get(s, &namespace, &name).await?;
    let wanted_image = loader_image(s, image);
    if let Some(existing) = &loader
        && existing.spec.image != wanted_image
    {
        update_loader_image(s, existing, &wanted_image).await?;
    }
    let mut node = node.clone();
    if node_rebooted(&node) && node.annotations().contains_key(DRIVERS_LOADED) {
        tracing::info!(node = %node.name_any(), "the node rebooted: its drivers are no longer loaded");
        patch_node_annotation(s, &node, None)
            .await
            .map_err(|e| StepError::poll("NodeRebootHandling", e, RESULT_RECHECK))?;
        node.metadata.annotations.get_or_insert_with(Default::default).remove(DRIVERS_LOADED);
    }
    if !force && drivers_loaded(&node, image, has_frontend(&s.container)) {
        return helpers::delete(s, &namespace, &name).await;
    }
    if loader.is_none() {
        helpers::create(s, &loader_spec(s, &node, image, &namespace, &name)?).await?;
        loader = helpers::get(s, &namespace, &name).await?;
    }
    let Some(result) = loader.as_ref().and_then(helpers::result).map(str::to_string) else {
        helpers::wake_when_done(s, &namespace, &name);
        return Err(StepError::poll(
            "WaitForDrivers",
            format!(
                "waiting for drivers loader {name} to load the drivers of {image} on node {}",
                node.name_any()
            ),
            helpers::recheck(s, RESULT_RECHECK),
        ));
    };
    let parsed: LoadResult = serde_json::from_str(&result).map_err(|e| {
        StepError::failed(
            "DriversNotLoaded",
            format!("drivers loader {name} reported {result:?}: {e}"),
        )
    })?;
    let error = parsed.err.filter(|e| !e.is_empty());
    if error.is_some() || !parsed.drivers_loaded {
        helpers::delete(s, &namespace, &name).await?;
        let why = error.unwrap_or_else(|| "the drivers are not loaded".to_string());
        return Err(StepError::failed(
            "DriversNotLoaded",
            format!("{why}, re-creating the drivers loader"),
        ));
    }
    let marker = loaded_marker(image, &node);
    patch_node_annotation(s, &node, Some(&marker))
        .await
        .map_err(|e| StepError::poll("DriversLoadedNotRecorded", e, RESULT_RECHECK))?;
    tracing::info!(node = %node.name_any(), %marker, "drivers loaded");
    helpers::delete(s, &namespace, &name).await
}

async fn update_loader_image(
    s: &ContainerState,
    loader: &WekaContainer,
    image: &str,
) -> Result<(), StepError> {
    let namespace = loader.namespace().unwrap_or_default();
    let api: Api<WekaContainer> = Api::namespaced(s.ctx.client.clone(), &namespace);
    let body = json!({
        "metadata": {"resourceVersion": loader.resource_version()},
        "spec": {"image": image, "imagePullSecret": s.spec().image_pull_secret},
    });
    api.patch(&loader.name_any(), &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map(drop)
        .map_err(|e| api_error("DriversLoaderUpdateFailed", "update the drivers loader's image", e))
}

/// Sets (or, with `None`, removes) `weka.io/drivers-loaded` on the node.
async fn patch_node_annotation(
    s: &ContainerState,
    node: &Node,
    value: Option<&str>,
) -> Result<(), String> {
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    let body = json!({"metadata": {"annotations": {DRIVERS_LOADED: value}}});
    nodes
        .patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map(drop)
        .map_err(|e| {
            format!("cannot update annotation {DRIVERS_LOADED} of node {}: {e}", node.name_any())
        })
}

/// The drivers-loader WekaContainer for `node` (upstream's `CreateContainer`): pinned to the
/// node, the owner's labels and tolerations, no hugepages, no owner reference (it may live in
/// another namespace).
fn loader_spec(
    s: &ContainerState,
    node: &Node,
    image: &str,
    namespace: &str,
    name: &str,
) -> Result<WekaContainer, StepError> {
    let spec = s.spec();
    let mut labels_map = s.container.metadata.labels.clone().unwrap_or_default();
    labels_map.insert(labels::MODE.to_string(), ContainerMode::DriversLoader.as_str().to_string());
    let loader_image = loader_image(s, image);
    let instructions = (loader_image != image)
        .then(|| json!({"type": COPY_WEKA_FILES_TO_DRIVER_LOADER, "payload": image}));
    let service_account =
        Some(s.ctx.config.maintenance.service_account.clone()).filter(|sa| !sa.is_empty());
    helpers::from_json(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {"name": name, "namespace": namespace, "labels": labels_map},
        "spec": {
            "name": "drivers-loader",
            "mode": ContainerMode::DriversLoader.as_str(),
            "image": loader_image,
            "imagePullSecret": spec.image_pull_secret,
            "instructions": instructions,
            "numCores": 0,
            "hugepages": 0,
            "nodeAffinity": node.name_any(),
            "driversDistService": spec.drivers_dist_service,
            "driversLoaderImage": spec.drivers_loader_image,
            "driversBuildId": spec.drivers_build_id,
            "tolerations": spec.tolerations,
            "serviceAccountName": service_account,
        },
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::{NodeStatus, NodeSystemInfo};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn node(annotations: &[(&str, &str)]) -> Node {
        let annotations: BTreeMap<String, String> =
            annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Node {
            metadata: ObjectMeta { annotations: Some(annotations), ..Default::default() },
            status: Some(NodeStatus {
                node_info: Some(NodeSystemInfo { boot_id: "boot-2".into(), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn backends_take_any_loaded_drivers_and_frontends_need_theirs() {
        let n = node(&[(DRIVERS_LOADED, "img:1:boot-2")]);
        assert!(drivers_loaded(&n, "img:2", false));
        assert!(!drivers_loaded(&n, "img:2", true));
        let before_reboot = node(&[(DRIVERS_LOADED, "img:1:boot-1")]);
        assert!(!drivers_loaded(&before_reboot, "img:1", false));
        let n = node(&[(DRIVERS_LOADED, "img:2:boot-2")]);
        assert!(drivers_loaded(&n, "img:2", true));
        assert!(!drivers_loaded(&node(&[]), "img:2", false));
    }

    #[test]
    fn a_boot_id_other_than_discoverys_means_a_reboot() {
        assert!(!node_rebooted(&node(&[])));
        assert!(!node_rebooted(&node(&[(DISCOVERY_JSON, r#"{"boot_id":"boot-2"}"#)])));
        assert!(node_rebooted(&node(&[(DISCOVERY_JSON, r#"{"boot_id":"boot-1"}"#)])));
        assert!(node_rebooted(&node(&[(DISCOVERY_JSON, "not json")])));
    }
}
