//! One WekaContainer of a cluster (spec §2.4, upstream `NewWekaContainerForWekaCluster`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVarSource, SecretKeySelector};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use weka_api::common::{GoInt, Labels, PvcConfig};
use weka_api::constants::labels::{CLUSTER_ID, CLUSTER_NAME, MODE};
use weka_api::wekacontainer::{ContainerMode, WekaContainerSpec};
use weka_api::{API_VERSION, WekaCluster, WekaContainer};

use super::error::ClusterSpecError;
use super::naming::ContainerName;
use super::placement;
use super::settings::ClusterSettings;
use super::template::ClusterTemplate;

/// Cores, hugepages and extras of one role, from the template.
struct RoleResources {
    cores: GoInt,
    extra_cores: GoInt,
    hugepages: GoInt,
    hugepages_offset: GoInt,
}

fn role_resources(
    t: &ClusterTemplate,
    role: ContainerMode,
) -> Result<RoleResources, ClusterSpecError> {
    use ContainerMode::*;
    let r = |cores, extra_cores, hugepages, hugepages_offset| RoleResources {
        cores,
        extra_cores,
        hugepages,
        hugepages_offset,
    };
    Ok(match role {
        Drive => r(t.drive_cores, t.drive_extra_cores, t.drive_hugepages, t.drive_hugepages_offset),
        Compute => r(
            t.compute_cores,
            t.compute_extra_cores,
            t.compute_hugepages,
            t.compute_hugepages_offset,
        ),
        S3 => {
            r(t.s3_cores, t.s3_extra_cores, t.s3_frontend_hugepages, t.s3_frontend_hugepages_offset)
        }
        Nfs => r(
            t.nfs_cores,
            t.nfs_extra_cores,
            t.nfs_frontend_hugepages,
            t.nfs_frontend_hugepages_offset,
        ),
        DataServices => r(
            t.data_services_cores,
            t.data_services_extra_cores,
            t.data_services_hugepages,
            t.data_services_hugepages_offset,
        ),
        Envoy => r(t.envoy_cores, 0, 0, 0),
        // Telemetry's resources are fixed in its pod.
        Telemetry => r(0, 0, 0, 0),
        other => return Err(ClusterSpecError::UnsupportedRole(other)),
    })
}

/// The labels every container of the cluster carries; they win over the cluster's labels.
pub fn required_labels(cluster: &WekaCluster, role: ContainerMode) -> Labels {
    BTreeMap::from([
        ("app".to_string(), "weka".to_string()),
        (MODE.to_string(), role.to_string()),
        (CLUSTER_ID.to_string(), cluster.metadata.uid.clone().unwrap_or_default()),
        (CLUSTER_NAME.to_string(), cluster.metadata.name.clone().unwrap_or_default()),
    ])
}

/// The controller reference to the cluster that every container carries.
pub fn controller_reference(cluster: &WekaCluster) -> OwnerReference {
    OwnerReference {
        api_version: API_VERSION.to_string(),
        kind: "WekaCluster".to_string(),
        name: cluster.metadata.name.clone().unwrap_or_default(),
        uid: cluster.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Name of the Secret with the operator's WEKA credentials.
pub fn operator_secret_name(cluster: &WekaCluster) -> String {
    match cluster.spec.operator_secret_ref.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => name.to_string(),
        None => format!("weka-operator-{}", cluster.metadata.uid.as_deref().unwrap_or_default()),
    }
}

/// The WekaContainer `name` of `cluster` in role `name.role`, without join IPs (the caller
/// adds them once the cluster exists).
pub fn build_container(
    cluster: &WekaCluster,
    template: &ClusterTemplate,
    name: ContainerName,
    settings: &ClusterSettings,
) -> Result<WekaContainer, ClusterSpecError> {
    use ContainerMode::*;
    let role = name.role;
    let spec = &cluster.spec;
    let resources = role_resources(template, role)?;
    let overrides = spec.overrides.clone().unwrap_or_default();
    let nonzero = |v: GoInt| (v != 0).then_some(v);
    let is_drive = role == Drive;

    let mut labels = cluster.metadata.labels.clone().unwrap_or_default();
    labels.extend(required_labels(cluster, role));

    let network = spec
        .role_network_selector
        .as_ref()
        .and_then(|n| n.for_mode(role))
        .or(spec.network.as_ref())
        .cloned();
    // Upstream's quirk, kept for compatibility: the secret's *name* goes in the `key` field.
    let weka_secret_ref = EnvVarSource {
        secret_key_ref: Some(SecretKeySelector {
            key: operator_secret_name(cluster),
            ..Default::default()
        }),
        ..Default::default()
    };
    let cacert = spec
        .weka_home
        .as_ref()
        .and_then(|w| w.cacert_secret.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| settings.weka_home_cacert_secret.clone());
    let group = match role {
        S3 | Envoy => Some("s3".to_string()),
        Compute | Telemetry => Some("compute".to_string()),
        _ => None,
    };
    let expose_ports = (role == Envoy).then(|| {
        let ports = cluster.status.as_ref().and_then(|s| s.ports).unwrap_or_default();
        vec![ports.lb_port.unwrap_or(0), ports.lb_admin_port.unwrap_or(0)]
    });
    let pvc = spec
        .global_pvc
        .clone()
        .or_else(|| settings.local_data_pvc.clone().map(|name| PvcConfig { name, path: None }));

    let container_spec = WekaContainerSpec {
        name: name.weka_name(),
        mode: role,
        image: spec.image.clone(),
        image_pull_secret: spec.image_pull_secret.clone(),
        num_cores: resources.cores,
        extra_cores: nonzero(resources.extra_cores),
        core_ids: spec.role_core_ids.as_ref().and_then(|c| c.for_mode(role)).cloned(),
        cpu_policy: spec.cpu_policy,
        hugepages: nonzero(resources.hugepages),
        hugepages_offset: nonzero(resources.hugepages_offset),
        hugepages_size: Some(template.hugepages_size.to_string()),
        additional_memory: spec.additional_memory.map(|m| m.for_mode(role)).and_then(nonzero),
        network,
        ipv6: spec.ipv6,
        expose_ports,
        num_drives: if is_drive { nonzero(template.num_drives) } else { None },
        drive_capacity: if is_drive { nonzero(template.drive_capacity) } else { None },
        container_capacity: if is_drive { nonzero(template.container_capacity) } else { None },
        drive_types_ratio: template.drive_types_ratio,
        weka_secret_ref: Some(weka_secret_ref),
        additional_secrets: cacert
            .map(|secret| BTreeMap::from([("wekahome-cacert".to_string(), secret)])),
        group,
        node_selector: placement::node_selector(cluster, role),
        tolerations: placement::tolerations(cluster),
        affinity: placement::affinity(cluster, role)?,
        topology_spread_constraints: placement::topology_spread_constraints(cluster, role)?,
        drop_affinity_constraints: overrides.disregard_redundancy.filter(|d| *d),
        failure_domain: spec.failure_domain.clone(),
        drivers_dist_service: spec.drivers_dist_service.clone(),
        drivers_loader_image: overrides.drivers_loader_image.clone(),
        drivers_build_id: overrides.drivers_build_id.clone(),
        traces_configuration: spec.traces_configuration.clone(),
        service_account_name: spec.service_account_name.clone().filter(|s| !s.is_empty()),
        pvc,
        ..empty_spec(role)
    };

    let mut container = WekaContainer::new(
        &name.object_name(cluster.metadata.name.as_deref().unwrap_or_default()),
        container_spec,
    );
    container.metadata = ObjectMeta {
        name: container.metadata.name.take(),
        namespace: cluster.metadata.namespace.clone(),
        labels: Some(labels),
        annotations: placement::annotations(cluster, role),
        owner_references: Some(vec![controller_reference(cluster)]),
        ..ObjectMeta::default()
    };
    Ok(container)
}

/// A spec with only the required fields, for the struct update above.
fn empty_spec(mode: ContainerMode) -> WekaContainerSpec {
    let minimal = serde_json::json!({"name": "", "mode": mode, "image": "", "numCores": 0});
    serde_json::from_value(minimal).expect("the required fields make a spec")
}
