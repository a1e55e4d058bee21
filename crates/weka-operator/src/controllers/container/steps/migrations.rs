//! Migrations of containers created by older operators (upstream `funcs_migrations.go`).
//!
//! `MigratePVC` (copying a container's data out of its PVC with a maintenance Job before the
//! pod starts) is not implemented: its step stays a TODO in the Active flow.

use k8s_openapi::api::core::v1::ContainerPort;
use serde_json::json;
use weka_api::wekacontainer::ContainerMode;

use crate::controllers::container::state::ContainerState;
use crate::engine::StepFuture;

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
