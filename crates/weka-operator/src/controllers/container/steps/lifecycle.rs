//! The object's own lifecycle: the finalizer, moving to the Deleting flow, initial status, the
//! boot scripts ConfigMap, the Deleting/Destroying/Paused entry steps, and finalization.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::json;
use weka_api::constants::finalizers;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::csi;
use super::node_agent;
use super::persistent_dir::cleanup_persistent_dir;
use super::printer_ips;
use super::termination::{Stop, ensure_no_pod};
use crate::allocator::{ClaimOwner, node_of};
use crate::config::DEFAULT_OPERATOR_NAMESPACE;
use crate::controllers::claims_release::release_on_node;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};

/// Name of the ConfigMap with the in-pod runtime's scripts, mounted by every WEKA pod.
pub const BOOT_SCRIPTS: &str = "weka-boot-scripts";

/// `ensureStateDeleting`: a WekaContainer being deleted moves to the Deleting flow by setting
/// `spec.state=deleting`; the spec change triggers the next reconcile.
pub fn ensure_state_deleting(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        s.set_state_deleting().await?;
        Err(StepError::wait("Deleting", "marked for deletion: moving to the Deleting flow"))
    })
}

/// `initState`: status defaults and printer columns derived from what status already holds.
/// Upstream writes them at once; here they go with the pass's status write.
pub fn init_state(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let affinity = s.node_affinity().map(str::to_string);
        let status = s.status_mut();
        if status.status.is_empty() {
            status.status = WekaContainerStatus::INIT.to_string();
        }
        let printer = status.printer.get_or_insert_with(Default::default);
        if let Some(node) = affinity
            && printer.node_affinity.as_deref().unwrap_or_default().is_empty()
        {
            printer.node_affinity = Some(node);
        }
        let ips = status.management_ips.clone().unwrap_or_default();
        if printer.management_ips.as_deref().unwrap_or_default().is_empty() && !ips.is_empty() {
            printer.management_ips = Some(printer_ips(&ips));
        }
        // Written with the rest of the pass's status (upstream writes it at once).
        Ok(())
    })
}

/// `ensureFinalizer`: adds `weka.weka.io/finalizer` (a merge patch guarded by the
/// resourceVersion).
pub fn ensure_finalizer(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let mut list = s.container.metadata.finalizers.clone().unwrap_or_default();
        if list.iter().any(|f| f == finalizers::WEKA) {
            return Ok(());
        }
        list.push(finalizers::WEKA.to_string());
        tracing::info!("adding the finalizer");
        s.patch_guarded("add the finalizer", json!({"metadata": {"finalizers": list}})).await
    })
}

/// `ensureBootConfigMapInTargetNamespace`: the pod mounts the runtime's scripts from a
/// ConfigMap in its own namespace, copied from the operator's namespace.
pub fn ensure_boot_config_map(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let identity = &s.ctx.config.identity;
        let source_ns = Some(identity.pod_namespace.as_str())
            .filter(|ns| !ns.is_empty())
            .unwrap_or(DEFAULT_OPERATOR_NAMESPACE)
            .to_string();
        let source_api: Api<ConfigMap> = Api::namespaced(s.ctx.client.clone(), &source_ns);
        let source = source_api
            .get_opt(BOOT_SCRIPTS)
            .await
            .map_err(|e| api_error("BootScriptsUnavailable", "read the boot scripts", e))?;
        let Some(source) = source else {
            let message = format!(
                "ConfigMap {source_ns}/{BOOT_SCRIPTS} with the runtime's boot scripts is missing"
            );
            s.warn("BootScriptsMissing", &message).await;
            return Err(StepError::poll("BootScriptsMissing", message, super::MINUTE));
        };
        if s.namespace() == source_ns {
            return Ok(());
        }
        let api: Api<ConfigMap> = Api::namespaced(s.ctx.client.clone(), s.namespace());
        let target = api
            .get_opt(BOOT_SCRIPTS)
            .await
            .map_err(|e| api_error("BootScriptsUnavailable", "read the boot scripts copy", e))?;
        match target {
            None => {
                let copy = ConfigMap {
                    metadata: kube::api::ObjectMeta {
                        name: Some(BOOT_SCRIPTS.to_string()),
                        namespace: Some(s.namespace().to_string()),
                        ..Default::default()
                    },
                    data: source.data.clone(),
                    binary_data: source.binary_data.clone(),
                    ..Default::default()
                };
                match api.create(&PostParams::default(), &copy).await {
                    Ok(_) => Ok(()),
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
                    Err(e) => Err(api_error("BootScriptsCopyFailed", "copy the boot scripts", e)),
                }
            }
            Some(target)
                if target.data == source.data && target.binary_data == source.binary_data =>
            {
                Ok(())
            }
            Some(mut target) => {
                target.data = source.data.clone();
                target.binary_data = source.binary_data.clone();
                api.replace(BOOT_SCRIPTS, &PostParams::default(), &target)
                    .await
                    .map(drop)
                    .map_err(|e| api_error("BootScriptsCopyFailed", "update the boot scripts", e))
            }
        }
    })
}

/// `handleStateDeleting`: status `Deleting` (`Draining` for a client with active mounts); a
/// container put in the deleting state by someone else (no deletionTimestamp) deletes itself,
/// and its finalizer holds it until the flow ends.
pub fn handle_state_deleting(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(enter_teardown(s, WekaContainerStatus::DELETING))
}

/// `handleStateDestroying`: as `handleStateDeleting`, with status `Destroying`.
pub fn handle_state_destroying(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(enter_teardown(s, WekaContainerStatus::DESTROYING))
}

async fn enter_teardown(s: &mut ContainerState, state: &str) -> Result<(), StepError> {
    let mut status = state;
    // A client's mounts are asked of the node agent (an unanswered question stops the flow
    // here, as upstream's does); a node that is gone or NotReady has nothing left to drain.
    if s.mode() == ContainerMode::Client && node_agent::node_reachable(s) {
        let mounts = node_agent::active_mounts(s)
            .await
            .map_err(|e| node_agent::step_error("ActiveMountsUnknown", e))?;
        node_agent::record_active_mounts(s, mounts);
        s.active_mounts = Some(Ok(mounts));
        if mounts > 0 {
            status = WekaContainerStatus::DRAINING;
        }
    }
    s.update_status(status).await?;
    if s.is_marked_for_deletion() {
        return Ok(());
    }
    tracing::info!(state = status, "deleting the WekaContainer put in a teardown state");
    match s.api().delete(s.name(), &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(st)) if st.code == 404 => s.gone = true,
        Err(e) => return Err(api_error("DeleteFailed", "delete the WekaContainer", e)),
    }
    Err(StepError::wait(
        "Deleting",
        format!("spec.state is {}: the WekaContainer is being deleted", state.to_lowercase()),
    ))
}

/// `handleStatePaused`: the pod is force-stopped; status `Paused` once it is gone.
pub fn handle_state_paused(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.status().status == WekaContainerStatus::PAUSED {
            return Ok(());
        }
        ensure_no_pod(s, Stop::Force).await?;
        s.update_status(WekaContainerStatus::PAUSED).await
    })
}

/// `HandleDeletion`: no pod is left (force stop), the container's persistent directory on
/// its node is removed (`persistent_dir`), a client managing CSI takes its node's CSI
/// topology labels away, then the finalizer goes (the last write of the object), then the
/// container's claims on its node are released.
pub fn handle_deletion(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        ensure_no_pod(s, Stop::Force).await?;
        let list = s.container.metadata.finalizers.clone().unwrap_or_default();
        if !list.iter().any(|f| f == finalizers::WEKA) {
            return Ok(());
        }
        cleanup_persistent_dir(s).await?;
        if csi::manages_csi(s) {
            csi::unset_topology_labels(s).await?;
        }
        let rest: Vec<String> = list.into_iter().filter(|f| f != finalizers::WEKA).collect();
        tracing::info!("removing the finalizer");
        s.patch_guarded("remove the finalizer", json!({"metadata": {"finalizers": rest}})).await?;
        s.gone = s.is_marked_for_deletion();
        let uid = s.uid().to_string();
        s.shared.forget(&uid);
        if s.gone {
            release_node_claims(s).await;
        }
        Ok(())
    })
}

/// Releases the claims of the container, gone now, on its node. Released only once the
/// object is gone: while it exists, any allocation on the node heals its claims back from
/// its status. A failure is only logged: the next allocation on the node drops the claims as
/// stale, and the cluster's teardown releases those of its containers.
async fn release_node_claims(s: &ContainerState) {
    let Some(node) = node_of(&s.container) else { return };
    let owner = ClaimOwner::of(&s.container);
    let released = |o: &ClaimOwner| *o == owner;
    if let Err(err) = release_on_node(&s.ctx.client, node, &released).await {
        tracing::warn!(node, error = %err, "cannot release the container's node claims");
    }
}
