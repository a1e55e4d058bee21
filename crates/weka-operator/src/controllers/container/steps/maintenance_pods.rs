//! Maintenance pods: one shell script run on a node with the maintenance image
//! (`WEKA_MAINTENANCE_IMAGE`, a busybox), for work on a node's disks that no WEKA process
//! does — removing a deleted container's persistent directory, copying a container's data out
//! of its PVC.
//!
//! Upstream runs these as batch Jobs. Here they are bare pods with `restartPolicy: OnFailure`,
//! pinned to the node with `spec.nodeName`, which the step deletes itself once it has seen
//! them succeed: the kubelet alone runs them (no Job controller is involved, so they behave
//! the same wherever a pod runs), and no finished Job lingers for its TTL. A pod is found by
//! name, so a restarted operator picks up the one an earlier reconcile created.

use k8s_openapi::api::core::v1::{
    Container, LocalObjectReference, Pod, PodSpec, SecurityContext, Volume, VolumeMount,
};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use std::collections::BTreeMap;
use weka_api::constants::labels;

use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::StepError;

/// The value of `weka.io/component` on maintenance pods.
const COMPONENT: &str = "weka-maintenance";
/// Restarts after which a failing script is reported (upstream's pvc-migrate Job gives up
/// after 3 retries; its cleanup Job retries forever).
pub const FAILING_AFTER_RESTARTS: i32 = 3;

/// What to run where.
pub struct MaintenancePod {
    pub name: String,
    pub namespace: String,
    /// The node it must run on.
    pub node: String,
    /// The name of its only container (upstream's Job container name).
    pub container: &'static str,
    /// Run by `sh -c`.
    pub script: String,
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
    pub privileged: bool,
}

/// Where a maintenance pod is.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Not finished yet (pending, running, or an earlier pod of the name still terminating).
    Running(String),
    Succeeded,
    /// The script keeps failing (or the pod failed for good): what the pod last said.
    Failing(String),
}

fn api(s: &ContainerState, namespace: &str) -> Api<Pod> {
    Api::namespaced(s.ctx.client.clone(), namespace)
}

/// The pod `spec` describes: created when missing, then its progress.
pub async fn ensure(s: &ContainerState, spec: &MaintenancePod) -> Result<Progress, StepError> {
    let what = format!("read pod {}/{}", spec.namespace, spec.name);
    let existing = api(s, &spec.namespace)
        .get_opt(&spec.name)
        .await
        .map_err(|e| api_error("MaintenancePodReadFailed", &what, e))?;
    if let Some(pod) = existing {
        return Ok(progress(&pod));
    }
    tracing::info!(pod = %spec.name, namespace = %spec.namespace, node = %spec.node, "creating a maintenance pod");
    let pod = build(s, spec);
    match api(s, &spec.namespace).create(&PostParams::default(), &pod).await {
        Ok(_) => Ok(Progress::Running("created".into())),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            Ok(Progress::Running("created meanwhile".into()))
        }
        Err(err) => Err(api_error(
            "MaintenancePodCreateFailed",
            &format!("create pod {}/{}", spec.namespace, spec.name),
            err,
        )),
    }
}

/// Whether the pod `namespace/name` exists (terminating or not).
pub async fn exists(s: &ContainerState, namespace: &str, name: &str) -> Result<bool, StepError> {
    let what = format!("read pod {namespace}/{name}");
    let pod = api(s, namespace)
        .get_opt(name)
        .await
        .map_err(|e| api_error("MaintenancePodReadFailed", &what, e))?;
    Ok(pod.is_some())
}

/// Deletes a maintenance pod (plainly: it has nothing to shut down); one already gone is fine.
pub async fn delete(s: &ContainerState, namespace: &str, name: &str) -> Result<(), StepError> {
    match api(s, namespace).delete(name, &DeleteParams::default()).await {
        Ok(_) => {
            tracing::info!(pod = %name, namespace = %namespace, "deleted a maintenance pod");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(err) => Err(api_error(
            "MaintenancePodDeleteFailed",
            &format!("delete pod {namespace}/{name}"),
            err,
        )),
    }
}

fn progress(pod: &Pod) -> Progress {
    let status = pod.status.clone().unwrap_or_default();
    let phase = status.phase.clone().unwrap_or_else(|| "Pending".into());
    if phase == "Succeeded" {
        return Progress::Succeeded;
    }
    if pod.metadata.deletion_timestamp.is_some() {
        return Progress::Running("an earlier pod is terminating".into());
    }
    let container = status.container_statuses.iter().flatten().next();
    let last_exit = container
        .and_then(|c| c.last_state.as_ref()?.terminated.as_ref())
        .map(|t| format!("exit code {} {}", t.exit_code, t.message.clone().unwrap_or_default()))
        .unwrap_or_default();
    let restarts = container.map_or(0, |c| c.restart_count);
    if phase == "Failed" {
        let reason = status.reason.or(status.message).unwrap_or_else(|| "failed".into());
        return Progress::Failing(format!("pod failed: {reason}"));
    }
    if restarts >= FAILING_AFTER_RESTARTS {
        return Progress::Failing(format!(
            "the script failed {restarts} times, last {}",
            last_exit.trim()
        ));
    }
    Progress::Running(phase)
}

fn build(s: &ContainerState, spec: &MaintenancePod) -> Pod {
    let maintenance = &s.ctx.config.maintenance;
    let mut tolerations = s.spec().tolerations.clone().unwrap_or_default();
    if !s.ctx.config.tolerations.skip_aux_no_schedule {
        for toleration in crate::pod::tolerate_all_no_schedule() {
            if !tolerations.contains(&toleration) {
                tolerations.push(toleration);
            }
        }
    }
    let labels = BTreeMap::from([
        (labels::COMPONENT.to_string(), COMPONENT.to_string()),
        (labels::APP_MANAGED_BY.to_string(), labels::OPERATOR_NAME.to_string()),
    ]);
    let non_empty = |value: &str| Some(value.to_string()).filter(|v| !v.is_empty());
    Pod {
        metadata: ObjectMeta {
            name: Some(spec.name.clone()),
            namespace: Some(spec.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            node_name: Some(spec.node.clone()),
            restart_policy: Some("OnFailure".into()),
            service_account_name: non_empty(&maintenance.service_account),
            image_pull_secrets: non_empty(&maintenance.image_pull_secret)
                .map(|name| vec![LocalObjectReference { name }]),
            tolerations: Some(tolerations),
            containers: vec![Container {
                name: spec.container.to_string(),
                image: Some(maintenance.image.clone()),
                command: Some(vec!["sh".into(), "-c".into()]),
                args: Some(vec![spec.script.clone()]),
                volume_mounts: Some(spec.mounts.clone()),
                security_context: spec.privileged.then(|| SecurityContext {
                    privileged: Some(true),
                    ..SecurityContext::default()
                }),
                ..Container::default()
            }],
            volumes: Some(spec.volumes.clone()),
            ..PodSpec::default()
        }),
        ..Pod::default()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::PodStatus;
    use k8s_openapi::api::core::v1::{ContainerState, ContainerStateTerminated, ContainerStatus};

    use super::*;

    fn pod(phase: &str, restarts: i32) -> Pod {
        let last = ContainerState {
            terminated: Some(ContainerStateTerminated { exit_code: 1, ..Default::default() }),
            ..Default::default()
        };
        Pod {
            status: Some(PodStatus {
                phase: Some(phase.into()),
                container_statuses: Some(vec![ContainerStatus {
                    restart_count: restarts,
                    last_state: Some(last),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_pod_succeeds_runs_or_keeps_failing() {
        assert_eq!(progress(&pod("Succeeded", 0)), Progress::Succeeded);
        assert_eq!(progress(&pod("Running", 1)), Progress::Running("Running".into()));
        let Progress::Failing(message) = progress(&pod("Running", 3)) else { panic!() };
        assert!(message.contains("3 times") && message.contains("exit code 1"), "{message}");
        assert!(matches!(progress(&pod("Failed", 0)), Progress::Failing(_)));
    }
}
