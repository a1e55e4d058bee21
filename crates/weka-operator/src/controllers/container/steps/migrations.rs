//! Migrations of containers created by older operators (upstream `funcs_migrations.go`): the
//! legacy envoy ports, and `MigratePVC` — a container whose state lived in a PVC moves it to
//! its node's host directory before its pod starts (`overrides.migrateOutFromPvc`; upstream's
//! pvc-migrate operation, spec operations §13).

use std::time::Duration;

use k8s_openapi::api::core::v1::{
    ContainerPort, HostPathVolumeSource, PersistentVolumeClaimVolumeSource, Volume, VolumeMount,
};
use serde_json::json;
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::ContainerMode;

use super::helper_containers::recheck;
use super::maintenance_pods::{self, MaintenancePod, Progress};
use crate::controllers::container::node_info::node_info;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};
use crate::pod::NodeOs;

/// Where the copying pod sees the PVC and the host's persistence base.
const SOURCE: &str = "/source";
const DESTINATION: &str = "/destination";
/// A running copy is looked at again after 5 s (nothing announces its end).
const MIGRATION_RECHECK: Duration = Duration::from_secs(5);

/// `migrateEnsurePorts`: an envoy's legacy `spec.exposePorts` (`[envoy, envoy-admin]`) become
/// `spec.exposedPorts` host ports; other shapes are left alone, as upstream does.
pub fn migrate_ensure_ports(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let legacy = s.spec().expose_ports.clone().unwrap_or_default();
        if s.mode() != ContainerMode::Envoy || legacy.len() != 2 {
            return Ok(());
        }
        let port = |name: &str, port: i64| ContainerPort {
            name: Some(name.to_string()),
            container_port: port as i32,
            host_port: Some(port as i32),
            ..ContainerPort::default()
        };
        let exposed = vec![port("envoy", legacy[0] as i64), port("envoy-admin", legacy[1] as i64)];
        tracing::info!(?legacy, "migrating spec.exposePorts to spec.exposedPorts");
        s.patch_guarded(
            "migrate exposePorts",
            json!({"spec": {"exposedPorts": exposed, "exposePorts": null}}),
        )
        .await
    })
}

/// Whether the container asks to leave its PVC (`spec.pvc` and `overrides.migrateOutFromPvc`).
pub fn migrates_out_from_pvc(s: &ContainerState) -> bool {
    let wanted = s.spec().overrides.as_ref().and_then(|o| o.migrate_out_from_pvc);
    s.spec().pvc.is_some() && wanted == Some(true)
}

/// `MigratePVC`: a maintenance pod on the container's node copies `containers/<uid>` of the
/// PVC to `<persistence base>/containers/<uid>` on the host, then `spec.pvc` is dropped, so
/// that the pod this pass goes on to create keeps its state on the host. (Upstream returns an
/// error to requeue after the spec patch; here the patched spec is already the one the next
/// steps read, and the run-once condition keeps the step from running again should an owner
/// put `spec.pvc` back.)
pub fn migrate_pvc(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(claim) = s.spec().pvc.as_ref().map(|p| p.name.clone()) else { return Ok(()) };
        let Some(node) = s.node_affinity().map(str::to_string) else {
            return Err(StepError::failed(
                "PvcMigrationNeedsNode",
                "the container has no node affinity: there is no node to move its data to",
            ));
        };
        if !still_pending(s).await? {
            return Err(StepError::poll(
                "StaleView",
                "the stored WekaContainer left its PVC already: waiting for the cache",
                Duration::from_secs(1),
            ));
        }
        let pod = migration_pod(s, &claim, &node);
        match maintenance_pods::ensure(s, &pod).await? {
            Progress::Running(phase) => {
                return Err(StepError::poll(
                    "MigratingOutFromPVC",
                    format!(
                        "waiting for pod {} to copy the data out of PVC {claim} ({phase})",
                        pod.name
                    ),
                    recheck(s, MIGRATION_RECHECK),
                ));
            }
            Progress::Failing(message) => {
                // Upstream's Job gives up after 3 retries; a new pod tries again later.
                maintenance_pods::delete(s, &pod.namespace, &pod.name).await?;
                return Err(StepError::failed(
                    "PvcMigrationFailed",
                    format!("pvc migrate pod {} failed: {message}", pod.name),
                ));
            }
            Progress::Succeeded => {}
        }
        tracing::info!(claim = %claim, node = %node, "the container's data was copied out of its PVC");
        maintenance_pods::delete(s, &pod.namespace, &pod.name).await?;
        s.patch_guarded("drop spec.pvc after the PVC migration", json!({"spec": {"pvc": null}}))
            .await
    })
}

/// Whether the stored object still asks for the migration: a reconcile on a cached copy from
/// before `spec.pvc` was dropped must not copy the PVC over host data the new pod has written
/// since.
async fn still_pending(s: &ContainerState) -> Result<bool, StepError> {
    let stored = s
        .api()
        .get_opt(s.name())
        .await
        .map_err(|e| api_error("ContainerReadFailed", "read the WekaContainer", e))?;
    let Some(stored) = stored.filter(|c| c.metadata.uid.as_deref() == Some(s.uid())) else {
        return Ok(false);
    };
    let done = stored.status.and_then(|st| st.conditions).is_some_and(|conditions| {
        weka_api::conditions::is_true(&conditions, cond::MIGRATED_OUT_FROM_PVC)
    });
    Ok(stored.spec.pvc.is_some() && !done)
}

/// Upstream's pvc-migrate Job as a maintenance pod, in the container's namespace (where its
/// PVC is; upstream assumes that is the operator's). The host base follows the node's OS as
/// the container's own pod does (upstream always copies to `/opt/k8s-weka`).
fn migration_pod(s: &ContainerState, claim: &str, node: &str) -> MaintenancePod {
    let uid = s.uid();
    let info = node_info(s.node.as_deref());
    let source = format!("{SOURCE}/containers/{uid}/");
    let destination = format!("{DESTINATION}/containers/{uid}/");
    MaintenancePod {
        name: format!("weka-pvc-migrate-{uid}"),
        namespace: s.namespace().to_string(),
        node: node.to_string(),
        container: "pvc-migrate",
        script: copy_script(&source, &destination),
        volumes: vec![
            Volume {
                name: "weka-container-data-pvc".into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.to_string(),
                    read_only: None,
                }),
                ..Volume::default()
            },
            Volume {
                name: "weka-container-data-host".into(),
                host_path: Some(HostPathVolumeSource {
                    path: info.persistence_base().to_string(),
                    type_: Some("DirectoryOrCreate".into()),
                }),
                ..Volume::default()
            },
        ],
        mounts: vec![
            VolumeMount {
                name: "weka-container-data-pvc".into(),
                mount_path: SOURCE.into(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "weka-container-data-host".into(),
                mount_path: DESTINATION.into(),
                ..VolumeMount::default()
            },
        ],
        privileged: info.os == NodeOs::Rhcos,
    }
}

/// Upstream's copy (`mkdir -p`, `cp -aT`). A PVC that holds nothing of the container leaves
/// nothing to copy: that is a success here (upstream's copy would fail forever).
fn copy_script(source: &str, destination: &str) -> String {
    format!(
        "mkdir -p '{destination}' || exit 1; \
         test -d '{source}' || echo 'No data of the container in the PVC: nothing to copy'; \
         test -d '{source}' || exit 0; \
         cp -aT '{source}' '{destination}'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_creates_the_destination_and_tolerates_an_empty_claim() {
        let script = copy_script("/source/containers/u/", "/destination/containers/u/");
        assert!(script.starts_with("mkdir -p '/destination/containers/u/' || exit 1;"));
        assert!(script.contains("test -d '/source/containers/u/' || exit 0;"), "{script}");
        assert!(script.ends_with("cp -aT '/source/containers/u/' '/destination/containers/u/'"));
    }
}
