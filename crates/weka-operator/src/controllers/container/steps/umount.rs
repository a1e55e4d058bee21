//! The umount operation (upstream `operations/umount`, spec operations §12): with
//! `overrides.umountOnHost`, a client being force-drained also has every wekafs mount of its
//! node unmounted from the host, by an ad-hoc container on the node (`weka-umount-<node>`,
//! the client's image, instruction `umount`). The step waits for its result and deletes it,
//! so that the next drain pass can ask for another if mounts came back.
//!
//! Upstream creates the container on every pass (the second create fails until the drain
//! ends) and never waits for it again; here it is found by name and waited for.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

use super::helper_containers as helpers;
use crate::controllers::container::state::ContainerState;
use crate::engine::StepError;

/// The instruction of the ad-hoc container.
const UMOUNT: &str = "umount";
/// The result is looked at again after 15 s (nothing announces it to the client's reconcile).
const RESULT_RECHECK: Duration = Duration::from_secs(15);

/// What the runtime's `umount_drivers` reports.
#[derive(Deserialize, Default)]
#[serde(default)]
struct UmountResult {
    error: Vec<String>,
    umounted_paths: Vec<String>,
}

/// Runs the umount operation on the client's node: `Ok` once an umount container reported
/// and was deleted.
pub async fn umount_on_host(s: &ContainerState) -> Result<(), StepError> {
    let Some(node) = s.node_affinity().map(str::to_string) else {
        return Err(StepError::failed("UmountOnHostFailed", "the client has no node to umount"));
    };
    if s.pod.is_none() {
        return Err(StepError::failed("UmountOnHostFailed", "Pod is not set, cannot umount"));
    }
    let namespace = s.namespace().to_string();
    let name = format!("weka-umount-{node}");
    let Some(helper) = helpers::get(s, &namespace, &name).await? else {
        helpers::create(s, &umount_spec(s, &name, &node)?).await?;
        return Err(unmounting(s, &name, &node));
    };
    if helper.metadata.deletion_timestamp.is_some() {
        // An earlier umount being cleaned up; a new one follows once it is gone.
        return Err(unmounting(s, &name, &node));
    }
    let Some(text) = helpers::result(&helper) else {
        return Err(unmounting(s, &name, &node));
    };
    let result: UmountResult = serde_json::from_str(text).unwrap_or_else(|_| UmountResult {
        error: vec![format!("unexpected result {text:?}")],
        ..UmountResult::default()
    });
    helpers::delete(s, &namespace, &name).await?;
    let errors: Vec<&String> = result.error.iter().filter(|e| !e.trim().is_empty()).collect();
    if errors.is_empty() {
        tracing::info!(node = %node, paths = ?result.umounted_paths, "wekafs mounts unmounted on the host");
    } else {
        let message = format!("umount on node {node} reported errors: {errors:?}");
        tracing::warn!(node = %node, paths = ?result.umounted_paths, "{message}");
        s.warn("UmountOnHostFailed", &message).await;
    }
    Ok(())
}

fn unmounting(s: &ContainerState, name: &str, node: &str) -> StepError {
    helpers::wake_when_done(s, s.namespace(), name);
    StepError::poll(
        "UmountingOnHost",
        format!("waiting for {name} to umount the wekafs mounts of node {node}"),
        helpers::recheck(s, RESULT_RECHECK),
    )
}

/// Upstream's umount container: owned by the client, tolerating every taint, in the host's
/// PID namespace (it unmounts through `nsenter` into PID 1's mount namespace).
fn umount_spec(s: &ContainerState, name: &str, node: &str) -> Result<WekaContainer, StepError> {
    let body = json!({
        "name": "adhoc",
        "image": s.spec().image,
        "imagePullSecret": s.spec().image_pull_secret,
        "numCores": 1,
        "nodeAffinity": node,
        "hostPID": true,
        "instructions": {"type": UMOUNT, "payload": "{}"},
        "tolerations": [{"operator": "Exists"}],
    });
    helpers::owned_helper(s, name, ContainerMode::AdhocOp, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_result_decodes() {
        let text = r#"{"error": [], "umounted_paths": ["/mnt/weka/0"]}"#;
        let result: UmountResult = serde_json::from_str(text).unwrap();
        assert!(result.error.is_empty());
        assert_eq!(result.umounted_paths, ["/mnt/weka/0"]);
    }
}
