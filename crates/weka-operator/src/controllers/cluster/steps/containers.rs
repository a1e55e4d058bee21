//! The cluster's WekaContainers: creating the missing ones (upstream
//! `EnsureWekaContainers`), propagating spec changes (`HandleSpecUpdates`) and, ours,
//! removing the excess after a count shrank.
//!
//! Creation is restart safe because names are deterministic (`<cluster>-<role>-<n>`, see
//! `cluster::naming`): a repeated reconcile proposes the same names, and the API server
//! turns a repeated create into AlreadyExists instead of a duplicate.

use std::collections::HashMap;

use futures::StreamExt;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams, PostParams};
use serde_json::{Map, Value, json};
use weka_api::WekaContainer;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::ContainerMode;

use crate::cluster::{
    ContainerName, desired_counts, excess_containers, is_leaving, missing_containers,
};
use crate::controllers::cluster::selection;
use crate::controllers::cluster::state::{ClusterState, api_error};
use crate::engine::{StepError, StepFuture};

/// Creations in flight at once.
const CREATE_CONCURRENCY: usize = 8;

/// `EnsureWekaContainers`: creates the containers the template wants and the cluster lacks
/// (before the cluster is formed only drive and compute, at most 10 of each), with join IPs
/// once the cluster exists; records `PodsCreated`.
pub fn ensure_weka_containers(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let template =
            s.template.clone().map_err(|e| StepError::wait(e.reason(), e.to_string()))?;
        let created = s.condition_true(cond::CLUSTER_CREATED);
        let missing =
            missing_containers(&s.cluster, &template, &s.containers, created, s.settings())
                .map_err(|e| StepError::wait(e.reason(), e.to_string()))?;
        if !missing.is_empty() {
            let join_ips = join_ips_for_new_containers(s, created)?;
            let mut missing = missing;
            for container in &mut missing {
                if !join_ips.is_empty() {
                    container.spec.join_ip_ports = Some(join_ips.clone());
                }
            }
            create_all(s, missing).await?;
        }
        if s.set_condition_now(Desired::new(
            cond::PODS_CREATED,
            Status::True,
            "Created",
            "WekaContainers are created",
        )) {
            s.persist_status().await?;
        }
        Ok(())
    })
}

/// Upstream: only once the cluster exists (or when expanding an existing one) do new
/// containers get join IPs: those of the cluster's operational members, else
/// `spec.expandEndpoints`; with neither, creation waits.
fn join_ips_for_new_containers(s: &ClusterState, created: bool) -> Result<Vec<String>, StepError> {
    if !created && !s.is_expand() {
        return Ok(Vec::new());
    }
    let ips = selection::join_ips(&s.containers);
    if !ips.is_empty() {
        return Ok(ips);
    }
    match &s.cluster.spec.expand_endpoints {
        Some(endpoints) if !endpoints.is_empty() => Ok(endpoints.clone()),
        _ => Err(StepError::poll(
            "NoJoinIps",
            "no operational member of the cluster to give new containers as join IPs",
            s.shared.timing.weka_poll,
        )),
    }
}

async fn create_all(s: &mut ClusterState, missing: Vec<WekaContainer>) -> Result<(), StepError> {
    let api = s.container_api();
    let names: Vec<String> = missing.iter().map(|c| c.name_any()).collect();
    tracing::info!(containers = ?names, "creating WekaContainers");
    let results: Vec<Result<WekaContainer, StepError>> = futures::stream::iter(missing)
        .map(|container| {
            let api = api.clone();
            async move {
                match api.create(&PostParams::default(), &container).await {
                    Ok(created) => Ok(created),
                    // Created by an earlier attempt the cache does not show yet.
                    Err(kube::Error::Api(status)) if status.code == 409 => Ok(container),
                    Err(err) => {
                        Err(api_error("CreateContainerFailed", "create a WekaContainer", err))
                    }
                }
            }
        })
        .buffer_unordered(CREATE_CONCURRENCY)
        .collect()
        .await;
    let mut first_error = None;
    let mut created = 0;
    for result in results {
        match result {
            Ok(container) => {
                created += 1;
                s.remember_container(container);
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    if created > 0 {
        s.note("ContainersCreated", &format!("created WekaContainers {}", names.join(", "))).await;
    }
    first_error.map_or(Ok(()), Err)
}

/// `HandleSpecUpdates`: cluster spec changes that containers can take while running
/// (upstream's `UpdatableClusterSpec`: tolerations, node selectors, labels, annotations,
/// network, extra cores, additional memory, drivers settings, PVC, traces, CPU policy and
/// core IDs) are patched onto the containers that differ. The image is the upgrade's.
pub fn handle_spec_updates(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let Ok(template) = s.template.clone() else { return Ok(()) };
        let mut patches = Vec::new();
        // The updatable fields depend on the role only: one desired container per role.
        let mut desired_of_role: HashMap<ContainerMode, Option<WekaContainer>> = HashMap::new();
        for container in s.containers.iter().filter(|c| !is_leaving(c)) {
            let role = container.spec.mode;
            let desired = desired_of_role.entry(role).or_insert_with(|| {
                let name = ContainerName { role, index: 0 };
                crate::cluster::build_container(&s.cluster, &template, name, s.settings()).ok()
            });
            let Some(desired) = desired else { continue };
            if let Some(patch) = spec_update(container, desired) {
                patches.push((container.name_any(), patch));
            }
        }
        let api = s.container_api();
        for (name, patch) in patches {
            tracing::info!(container = %name, "propagating cluster spec changes");
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(updated) => s.remember_container(updated),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => {
                    return Err(api_error("SpecUpdateFailed", "update a WekaContainer", err));
                }
            }
        }
        Ok(())
    })
}

/// The merge patch that brings the updatable fields of `current` to `desired`, if any
/// differs. Labels and annotations are added or overwritten, never removed.
pub fn spec_update(current: &WekaContainer, desired: &WekaContainer) -> Option<Value> {
    let with_node_selector =
        !matches!(current.spec.mode, ContainerMode::Envoy | ContainerMode::Telemetry);
    let (have, want) = (&current.spec, &desired.spec);
    let mut spec = Map::new();
    let mut compare = |field: &str, old: Value, new: Value| {
        if old != new && !is_schema_default(field, &old, &new) {
            spec.insert(field.to_string(), new);
        }
    };
    // Each field is read as JSON on its own (the whole spec would be serialized for every
    // container on every pass otherwise).
    macro_rules! field {
        ($name:literal, $field:ident) => {
            compare($name, json!(have.$field), json!(want.$field))
        };
    }
    field!("tolerations", tolerations);
    field!("additionalMemory", additional_memory);
    field!("driversDistService", drivers_dist_service);
    field!("imagePullSecret", image_pull_secret);
    field!("network", network);
    field!("pvc", pvc);
    field!("tracesConfiguration", traces_configuration);
    field!("cpuPolicy", cpu_policy);
    field!("coreIds", core_ids);
    field!("extraCores", extra_cores);
    field!("driversLoaderImage", drivers_loader_image);
    field!("driversBuildId", drivers_build_id);
    if with_node_selector {
        field!("nodeSelector", node_selector);
    }
    let mut patch = Map::new();
    if !spec.is_empty() {
        patch.insert("spec".into(), Value::Object(spec));
    }
    let mut metadata = Map::new();
    for (key, have, want) in [
        ("labels", current.metadata.labels.as_ref(), desired.metadata.labels.as_ref()),
        (
            "annotations",
            current.metadata.annotations.as_ref(),
            desired.metadata.annotations.as_ref(),
        ),
    ] {
        let missing: Map<String, Value> = want
            .into_iter()
            .flatten()
            .filter(|(k, v)| have.and_then(|h| h.get(*k)) != Some(*v))
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        if !missing.is_empty() {
            metadata.insert(key.into(), Value::Object(missing));
        }
    }
    if !metadata.is_empty() {
        patch.insert("metadata".into(), Value::Object(metadata));
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

/// The API server fills `cpuPolicy: auto` in when the field is unset: not a difference.
fn is_schema_default(field: &str, old: &Value, new: &Value) -> bool {
    field == "cpuPolicy" && new.is_null() && old == "auto"
}

/// Ours (upstream never removes containers on a smaller count): the containers above the
/// desired count of their role get `spec.state: deleting` (a merge patch), so that the
/// container controller deactivates them in WEKA, stops and removes them. Containers that
/// never joined go first, then the newest.
pub fn scale_down(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let Ok(template) = s.template.clone() else { return Ok(()) };
        let created = s.condition_true(cond::CLUSTER_CREATED);
        let desired = desired_counts(&s.cluster, &template, created, s.settings());
        let excess: Vec<String> = excess_containers(&s.cluster, &desired, &s.containers)
            .iter()
            .map(|c| c.name_any())
            .collect();
        if excess.is_empty() {
            return Ok(());
        }
        tracing::info!(containers = ?excess, %desired, "scaling down");
        let api = s.container_api();
        let patch = json!({"spec": {"state": "deleting"}});
        for name in &excess {
            match api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                Ok(updated) => s.remember_container(updated),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => {
                    return Err(api_error("ScaleDownFailed", "remove a WekaContainer", err));
                }
            }
        }
        s.note("ScaleDown", &format!("removing WekaContainers {}", excess.join(", "))).await;
        Ok(())
    })
}
