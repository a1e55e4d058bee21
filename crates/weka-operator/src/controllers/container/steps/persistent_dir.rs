//! `cleanupPersistentDir` (finalization, spec flows §4.9 step 2; upstream's
//! cleanup-persistent-dir operation): a deleted container's state directory on its node —
//! `<persistence base>/containers/<uid>`, or `containers/<uid>` in its PVC — is removed by a
//! maintenance pod on the node, so that nothing of the container is left behind. Skipped with
//! `overrides.skipCleanupPersistentDir`, for containers without node or persistent storage,
//! and when the node itself is gone (its disks went with it).

use std::time::Duration;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, Node, PersistentVolumeClaimVolumeSource, Volume, VolumeMount,
};
use kube::Api;
use weka_api::conditions::{self, Desired, Status};

use super::helper_containers::{operator_namespace, recheck};
use super::maintenance_pods::{self, MaintenancePod, Progress};
use crate::controllers::container::node_info::node_info;
use crate::controllers::container::state::{ContainerState, api_error, node_is_ready};
use crate::engine::{FlowState, StepError};
use crate::pod::{ModeTraits, NodeInfo, NodeOs};

/// A NotReady node is looked at again after 15 s (upstream's wait).
const NODE_RECHECK: Duration = Duration::from_secs(15);
/// A running cleanup is looked at again after 5 s (nothing announces its end).
const CLEANUP_RECHECK: Duration = Duration::from_secs(5);
/// Ours (upstream has no such condition): the cleanup pod succeeded, so that a later pass
/// only waits for that pod to be gone instead of running it again.
pub const PERSISTENT_DIR_REMOVED: &str = "PersistentDirRemoved";
/// The volume the pod reaches the containers' directories through.
const VOLUME: &str = "weka-container-data";

/// Where the containers' directories are and how the pod reaches them.
struct Location {
    /// The directory holding the containers' directories, as the pod sees it.
    containers_dir: String,
    volume: Volume,
    mount: VolumeMount,
    /// OpenShift nodes need a privileged pod to delete under `/root`.
    privileged: bool,
}

/// Removes the container's persistent directory; `Ok` once it is gone (or need not go) and
/// the pod that removed it is gone too (nothing of the container outlives its finalizer).
pub async fn cleanup_persistent_dir(s: &mut ContainerState) -> Result<(), StepError> {
    let overrides = s.spec().overrides.clone().unwrap_or_default();
    if overrides.skip_cleanup_persistent_dir == Some(true) {
        tracing::info!("overrides.skipCleanupPersistentDir: the persistent directory stays");
        return Ok(());
    }
    let Some(node) = s.node_affinity().map(str::to_string) else {
        tracing::debug!("no node affinity: no persistent directory to clean up");
        return Ok(());
    };
    if !s.mode().has_persistent_storage() {
        return Ok(());
    }
    let uid = s.uid().to_string();
    if uid.is_empty() {
        return Err(StepError::failed("CleanupPersistentDirError", "the container has no UID"));
    }
    let name = format!("weka-cleanup-container-{uid}");
    let namespace = pod_namespace(s);
    match progress_of_record(s).await? {
        Recorded::Finalized => return Ok(()),
        Recorded::Removed => return wait_pod_gone(s, &namespace, &name).await,
        Recorded::Pending => {}
    }
    let Some(location) = locate(s, &node).await? else {
        tracing::info!(node = %node, "the node is gone: no persistent directory to clean up");
        return Ok(());
    };
    let target = format!("{}/{uid}", location.containers_dir);
    let pod = MaintenancePod {
        name,
        namespace,
        node: node.clone(),
        container: "cleanup-persistent-dir",
        script: remove_script(&target),
        volumes: vec![location.volume],
        mounts: vec![location.mount],
        privileged: location.privileged,
    };
    match maintenance_pods::ensure(s, &pod).await? {
        Progress::Succeeded => {
            tracing::info!(node = %node, path = %target, "persistent directory removed");
            let message = format!("{target} removed on node {node}");
            s.set_condition_now(Desired::new(
                PERSISTENT_DIR_REMOVED,
                Status::True,
                "Removed",
                &message,
            ));
            maintenance_pods::delete(s, &pod.namespace, &pod.name).await?;
            wait_pod_gone(s, &pod.namespace, &pod.name).await
        }
        Progress::Running(phase) => Err(StepError::poll(
            "CleaningUpPersistentDir",
            format!("waiting for pod {} to remove {target} on node {node} ({phase})", pod.name),
            recheck(s, CLEANUP_RECHECK),
        )),
        Progress::Failing(message) => Err(StepError::poll(
            "CleanupPersistentDirFailing",
            format!("pod {} cannot remove {target} on node {node}: {message}", pod.name),
            recheck(s, NODE_RECHECK),
        )),
    }
}

/// What the stored object says of the cleanup.
enum Recorded {
    /// The object is gone, or finalized already: nothing is left to clean up for it.
    Finalized,
    /// The directory was removed ([`PERSISTENT_DIR_REMOVED`]).
    Removed,
    Pending,
}

/// The cleanup as the API server has it: a reconcile that runs on a cached copy from before
/// the object was finalized (or before the condition was written) must not start another
/// cleanup pod for a container that is gone or clean already.
async fn progress_of_record(s: &ContainerState) -> Result<Recorded, StepError> {
    if conditions::is_true(s.conditions(), PERSISTENT_DIR_REMOVED) {
        return Ok(Recorded::Removed);
    }
    let stored = s
        .api()
        .get_opt(s.name())
        .await
        .map_err(|e| api_error("ContainerReadFailed", "read the WekaContainer", e))?;
    let Some(stored) = stored.filter(|c| c.metadata.uid.as_deref() == Some(s.uid())) else {
        return Ok(Recorded::Finalized);
    };
    let finalizers = stored.metadata.finalizers.unwrap_or_default();
    if !finalizers.iter().any(|f| f == weka_api::constants::finalizers::WEKA) {
        return Ok(Recorded::Finalized);
    }
    let stored_conditions = stored.status.and_then(|st| st.conditions).unwrap_or_default();
    Ok(match conditions::is_true(&stored_conditions, PERSISTENT_DIR_REMOVED) {
        true => Recorded::Removed,
        false => Recorded::Pending,
    })
}

/// The pod goes where the PVC is (the container's namespace), else where upstream's Job
/// goes (the operator's namespace).
fn pod_namespace(s: &ContainerState) -> String {
    match s.spec().pvc {
        Some(_) => s.namespace().to_string(),
        None => operator_namespace(s),
    }
}

/// `Ok` once the finished cleanup pod is gone.
async fn wait_pod_gone(s: &ContainerState, namespace: &str, name: &str) -> Result<(), StepError> {
    if !maintenance_pods::exists(s, namespace, name).await? {
        return Ok(());
    }
    Err(StepError::poll(
        "CleaningUpPersistentDir",
        format!("the persistent directory is removed; waiting for pod {name} to go"),
        recheck(s, CLEANUP_RECHECK),
    ))
}

/// The directory and volume for the container's data; `None` when its node is gone.
async fn locate(s: &ContainerState, node: &str) -> Result<Option<Location>, StepError> {
    if let Some(pvc) = s.spec().pvc.as_ref() {
        // The PVC holds every container's directory under `containers/`; it is mounted where
        // the host directories would be.
        let containers_dir = format!("{}/containers", NodeInfo::default().persistence_base());
        return Ok(Some(Location {
            volume: Volume {
                name: VOLUME.into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: pvc.name.clone(),
                    read_only: None,
                }),
                ..Volume::default()
            },
            mount: VolumeMount {
                name: VOLUME.into(),
                mount_path: containers_dir.clone(),
                sub_path: Some("containers".into()),
                ..VolumeMount::default()
            },
            containers_dir,
            privileged: false,
        }));
    }
    // Decisions that delete data do not trust the cache: the node is read from the API.
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    let Some(live) =
        nodes.get_opt(node).await.map_err(|e| api_error("NodeReadFailed", "read the node", e))?
    else {
        return Ok(None);
    };
    if !node_is_ready(&live) {
        return Err(StepError::poll(
            "NodeNotReady",
            format!("node {node} is not ready, cannot perform cleanup persistent dir operation"),
            NODE_RECHECK,
        ));
    }
    let info = node_info(Some(&live));
    let containers_dir = format!("{}/containers", info.persistence_base());
    Ok(Some(Location {
        volume: Volume {
            name: VOLUME.into(),
            host_path: Some(HostPathVolumeSource {
                path: containers_dir.clone(),
                type_: Some("DirectoryOrCreate".into()),
            }),
            ..Volume::default()
        },
        mount: VolumeMount {
            name: VOLUME.into(),
            mount_path: containers_dir.clone(),
            ..VolumeMount::default()
        },
        containers_dir,
        privileged: info.os == NodeOs::Rhcos,
    }))
}

/// Upstream's script: say what goes, remove it, and on failure say so and fail after 5 s (the
/// pod's restart policy retries). The whole directory goes (upstream empties a host directory
/// and leaves it in place).
fn remove_script(path: &str) -> String {
    format!(
        "echo 'Cleanup container data {path}' && rm -rf '{path}' && echo 'Cleanup done' && exit 0; \
         echo 'Cannot delete specified dir'; sleep 5; exit 1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_removes_the_directory_and_fails_loudly() {
        let script = remove_script("/opt/k8s-weka/containers/abc");
        assert!(script.contains("rm -rf '/opt/k8s-weka/containers/abc'"), "{script}");
        assert!(script.ends_with("exit 1"), "{script}");
    }
}
