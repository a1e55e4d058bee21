//! Teardown (spec §1.6, upstream `steps_deletion.go`): a deleted cluster first waits out
//! `gracefulDestroyDuration` with its containers paused; then, unless WekaClients still use
//! it, its S3, NFS and then all other containers are destroyed through the container
//! controller's stop protocol (no pod is ever force-deleted here), the claims its containers
//! held on nodes are released, its Secrets are removed, and the finalizer goes last.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::events::EventType;
use serde_json::json;
use weka_api::constants::finalizers;
use weka_api::wekacontainer::{ContainerMode, ContainerState, WekaContainerStatus};
use weka_api::{WekaClient, WekaClusterStatus};

use crate::allocator::ClaimOwner;
use crate::config::parse::duration;
use crate::controllers::claims_release::release_everywhere;
use crate::controllers::cluster::secrets::owned_secret_names;
use crate::controllers::cluster::state::{ClusterState, api_error};
use crate::engine::{StepError, StepFuture};

/// The graceful destroy period (`spec.gracefulDestroyDuration`, default 24h; unparsable
/// means none, which the CRD's pattern rules out).
fn grace(s: &ClusterState) -> Duration {
    duration(s.cluster.spec.graceful_destroy_duration_or_default()).unwrap_or_default()
}

/// How long the graceful period still runs (zero when over or not deleted).
fn grace_left(s: &ClusterState) -> Duration {
    let Some(deleted) = &s.cluster.metadata.deletion_timestamp else { return Duration::ZERO };
    let deleted_at = deleted.0.as_second();
    let now = k8s_openapi::jiff::Timestamp::now().as_second();
    let end = deleted_at.saturating_add(grace(s).as_secs() as i64);
    Duration::from_secs(end.saturating_sub(now).max(0) as u64)
}

pub fn in_grace_period(s: &ClusterState) -> bool {
    !grace_left(s).is_zero()
}

/// `HandleGracefulDeletion`: status `GracePeriod`, WEKA told ("Destroying Weka cluster"), S3,
/// NFS then all containers paused; the reconcile comes back when the period ends.
pub fn handle_graceful_deletion(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.status().status != WekaClusterStatus::GRACE_PERIOD {
            if let Ok(cli) = s.active_cli() {
                let version = s.ctx.config.identity.version.clone();
                let k8s = s
                    .ctx
                    .client
                    .apiserver_version()
                    .await
                    .map(|v| v.git_version)
                    .unwrap_or_default();
                if let Err(err) =
                    cli.emit_custom_event("Destroying Weka cluster", &version, &k8s).await
                {
                    tracing::warn!(error = %err, "cannot emit the WEKA custom event");
                }
            }
            s.event(EventType::Normal, "GracePeriod", "the cluster is deleted: containers are paused until the graceful destroy period ends").await;
        }
        s.update_status(WekaClusterStatus::GRACE_PERIOD).await?;
        for mode in [Some(ContainerMode::S3), Some(ContainerMode::Nfs), None] {
            set_state(s, mode, ContainerState::Paused, "paused").await?;
            if let Some(c) = of_mode(s, mode).find(|c| status_of(c) != WekaContainerStatus::PAUSED)
            {
                return Err(StepError::wait(
                    "PausingContainers",
                    format!("container {} is not paused yet", c.name_any()),
                ));
            }
        }
        let left = grace_left(s);
        Err(StepError::poll(
            "GracePeriod",
            format!(
                "the cluster is deleted and will be destroyed in {}s (gracefulDestroyDuration)",
                left.as_secs()
            ),
            left.max(Duration::from_secs(1)),
        ))
    })
}

/// `RecoverPausedContainers` (`overrides.cancelDeletion`): paused containers are made active
/// again; fails while any still reports `Paused`.
pub fn recover_paused_containers(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let paused: Vec<String> = s
            .containers
            .iter()
            .filter(|c| c.spec.state == Some(ContainerState::Paused))
            .map(|c| c.name_any())
            .collect();
        let api = s.container_api();
        let patch = json!({"spec": {"state": "active"}});
        for name in &paused {
            match api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(updated) => s.remember_container(updated),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => {
                    return Err(api_error("ResumeFailed", "resume a paused container", err));
                }
            }
        }
        match s.containers.iter().find(|c| status_of(c) == WekaContainerStatus::PAUSED) {
            Some(c) => Err(StepError::failed(
                "ContainersStillPaused",
                format!("container {} is still paused", c.name_any()),
            )),
            None => Ok(()),
        }
    })
}

/// `HandleDeletion`: status `Destroying`; refused while WekaClients target the cluster; S3,
/// NFS, then all other containers destroyed and awaited; their node claims released; Secrets
/// removed; finalizer removed.
pub fn handle_deletion(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        s.update_status(WekaClusterStatus::DESTROYING).await?;
        let list = s.cluster.metadata.finalizers.clone().unwrap_or_default();
        if !list.iter().any(|f| f == finalizers::WEKA) {
            return Ok(());
        }
        let clients = dependent_clients(s).await?;
        if !clients.is_empty() {
            let message = format!(
                "cannot delete cluster with dependent WekaClients, please delete them first: {}",
                clients.join(", ")
            );
            s.warn("DependentWekaClients", &message).await;
            return Err(StepError::poll("DependentWekaClients", message, Duration::from_secs(15)));
        }
        for (mode, reason) in [
            (Some(ContainerMode::S3), "EnsureNos3ContainersError"),
            (Some(ContainerMode::Nfs), "EnsureNonfsContainersError"),
            (None, "EnsureNoContainersError"),
        ] {
            set_state(s, mode, ContainerState::Destroying, "destroyed").await?;
            let left = of_mode(s, mode).count();
            if left > 0 {
                let what = mode.map_or("", |m| m.as_str());
                let message = format!("waiting for {left} {what} containers to be removed");
                s.warn(reason, &message).await;
                return Err(StepError::wait("WaitingForContainersRemoval", message));
            }
        }
        release_node_claims(s).await?;
        delete_secrets(s).await?;
        let rest: Vec<String> = list.into_iter().filter(|f| f != finalizers::WEKA).collect();
        tracing::info!("removing the finalizer");
        s.patch_guarded("remove the finalizer", json!({"metadata": {"finalizers": rest}})).await?;
        s.gone = true;
        let uid = s.uid().to_string();
        s.shared.forget(&uid);
        Ok(())
    })
}

fn of_mode(
    s: &ClusterState,
    mode: Option<ContainerMode>,
) -> impl Iterator<Item = &weka_api::WekaContainer> {
    s.containers.iter().filter(move |c| mode.is_none_or(|m| c.spec.mode == m))
}

fn status_of(c: &weka_api::WekaContainer) -> &str {
    c.status.as_ref().map(|st| st.status.as_str()).unwrap_or_default()
}

/// Merge-patches `spec.state` of the containers of `mode` (all when `None`) that are not in
/// that state yet (destroying also leaves containers already deleting alone: they are
/// leaving WEKA already).
async fn set_state(
    s: &mut ClusterState,
    mode: Option<ContainerMode>,
    state: ContainerState,
    what: &str,
) -> Result<(), StepError> {
    let names: Vec<String> = of_mode(s, mode)
        .filter(|c| c.spec.state != Some(state))
        .filter(|c| {
            !(state == ContainerState::Destroying && c.metadata.deletion_timestamp.is_some())
        })
        .map(|c| c.name_any())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let value = serde_json::to_value(state).unwrap_or_default();
    let patch = json!({"spec": {"state": value}});
    let api = s.container_api();
    tracing::info!(containers = ?names, state = %value, "setting container state");
    for name in &names {
        match api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
            Ok(updated) => s.remember_container(updated),
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(err) => return Err(api_error("SetStateFailed", "set a container's state", err)),
        }
    }
    let message = format!("{} containers to be {what}: {}", names.len(), names.join(", "));
    s.event(EventType::Normal, "ContainersStateChanged", &message).await;
    Ok(())
}

/// WekaClients whose `spec.targetCluster` is this cluster (none when the kind is not served).
async fn dependent_clients(s: &ClusterState) -> Result<Vec<String>, StepError> {
    let api: Api<WekaClient> = Api::all(s.ctx.client.clone());
    let list = match api.list(&ListParams::default()).await {
        Ok(list) => list,
        Err(kube::Error::Api(status)) if status.code == 404 => return Ok(Vec::new()),
        Err(err) => return Err(api_error("ListClientsFailed", "list the WekaClients", err)),
    };
    Ok(list
        .items
        .iter()
        .filter(|c| {
            c.spec
                .target_cluster
                .as_ref()
                .is_some_and(|t| t.name == s.name() && t.namespace == s.namespace())
        })
        .map(|c| format!("{}/{}", c.namespace().unwrap_or_default(), c.name_any()))
        .collect())
}

/// Releases the node claims of the cluster's containers, all gone by now (each releases its
/// own when finalized; this catches a release an interrupted operator did not get to).
async fn release_node_claims(s: &ClusterState) -> Result<(), StepError> {
    let (name, namespace) = (s.name().to_string(), s.namespace().to_string());
    let released = |o: &ClaimOwner| o.cluster == name && o.namespace == namespace;
    match release_everywhere(&s.ctx.client, &released).await {
        Ok(0) => Ok(()),
        Ok(count) => {
            tracing::info!(claims = count, "released node claims of the cluster's containers");
            Ok(())
        }
        Err(err) => Err(StepError::failed("NodeClaimsReleaseFailed", err.to_string())),
    }
}

/// Deletes the Secrets the operator created for the cluster (a user's `operatorSecretRef`
/// stays).
async fn delete_secrets(s: &ClusterState) -> Result<(), StepError> {
    let api: Api<Secret> = Api::namespaced(s.ctx.client.clone(), s.namespace());
    for name in owned_secret_names(&s.cluster) {
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => tracing::info!(secret = %name, "deleted secret"),
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(err) => {
                return Err(api_error("SecretDeleteFailed", "delete a cluster secret", err));
            }
        }
    }
    Ok(())
}
