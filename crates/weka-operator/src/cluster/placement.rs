//! Where a role's containers may run: node selector, tolerations, affinity and topology
//! spread, from the cluster's spec (role-specific settings win over cluster-wide ones).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::de::DeserializeOwned;
use weka_api::WekaCluster;
use weka_api::common::Labels;
use weka_api::constants::labels::{CLUSTER_ID, MODE};
use weka_api::wekacontainer::ContainerMode;

use super::error::ClusterSpecError;
use crate::pod::expand_string_tolerations;

/// The client-side bookkeeping annotation of `kubectl apply`: the cluster's whole manifest,
/// which has no business on its containers and pods.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `GetNodeSelectorForRole`; none for envoy (it follows its S3 container) and telemetry (it
/// follows its compute container).
pub fn node_selector(cluster: &WekaCluster, role: ContainerMode) -> Option<Labels> {
    if matches!(role, ContainerMode::Envoy | ContainerMode::Telemetry) {
        return None;
    }
    let spec = &cluster.spec;
    let per_role = spec.role_node_selector.as_ref().and_then(|s| s.for_mode(role));
    per_role.or(spec.node_selector.as_ref()).filter(|s| !s.is_empty()).cloned()
}

/// `GetAnnotationsForRole`: the role's annotations, else the cluster's own (as upstream; the
/// `kubectl apply` bookkeeping annotation is left out).
pub fn annotations(cluster: &WekaCluster, role: ContainerMode) -> Option<Labels> {
    let per_role = cluster.spec.role_annotations.as_ref().and_then(|a| a.for_mode(role));
    let mut annotations: Labels = match per_role {
        Some(a) => a.clone(),
        None => cluster.metadata.annotations.clone().unwrap_or_default(),
    };
    annotations.remove(LAST_APPLIED);
    (!annotations.is_empty()).then_some(annotations)
}

/// The cluster's taint keys (each tolerated for NoSchedule and NoExecute), then its raw
/// tolerations.
pub fn tolerations(cluster: &WekaCluster) -> Option<Vec<Toleration>> {
    let keys = cluster.spec.tolerations.as_deref().unwrap_or_default();
    let raw = cluster.spec.raw_tolerations.as_deref().unwrap_or_default();
    let all = expand_string_tolerations(keys, raw);
    (!all.is_empty()).then_some(all)
}

/// `GetAffinityForRole`: the role's affinity, else `podConfig.affinity`.
pub fn affinity(
    cluster: &WekaCluster,
    role: ContainerMode,
) -> Result<Option<Affinity>, ClusterSpecError> {
    let Some(pod_config) = cluster.spec.pod_config.as_ref() else { return Ok(None) };
    let per_role = pod_config.role_affinity.as_ref().and_then(|a| a.for_mode(role));
    match (per_role, pod_config.affinity.as_ref()) {
        (Some(value), _) => parse(value, format!("spec.podConfig.roleAffinity.{role}")).map(Some),
        (None, Some(value)) => parse(value, "spec.podConfig.affinity".into()).map(Some),
        (None, None) => Ok(None),
    }
}

/// The failure-domain constraints of the role, then the user's (the role's, else
/// `podConfig.topologySpreadConstraints`).
pub fn topology_spread_constraints(
    cluster: &WekaCluster,
    role: ContainerMode,
) -> Result<Option<Vec<TopologySpreadConstraint>>, ClusterSpecError> {
    let mut constraints = failure_domain_constraints(cluster, role);
    if let Some(pod_config) = cluster.spec.pod_config.as_ref() {
        let per_role =
            pod_config.role_topology_spread_constraints.as_ref().and_then(|t| t.for_mode(role));
        let user = match (per_role, pod_config.topology_spread_constraints.as_ref()) {
            (Some(value), _) => {
                Some((value, format!("spec.podConfig.roleTopologySpreadConstraints.{role}")))
            }
            (None, Some(value)) => {
                Some((value, "spec.podConfig.topologySpreadConstraints".to_string()))
            }
            (None, None) => None,
        };
        if let Some((value, field)) = user {
            constraints.extend(parse::<Vec<TopologySpreadConstraint>>(value, field)?);
        }
    }
    Ok((!constraints.is_empty()).then_some(constraints))
}

/// Compute, drive and S3 containers spread over `failureDomain.label` strictly (max skew
/// `failureDomain.skew`, default 1), or over each of `compositeLabels` best-effort.
fn failure_domain_constraints(
    cluster: &WekaCluster,
    role: ContainerMode,
) -> Vec<TopologySpreadConstraint> {
    let Some(domain) = cluster.spec.failure_domain.as_ref() else { return Vec::new() };
    if !matches!(role, ContainerMode::Compute | ContainerMode::Drive | ContainerMode::S3) {
        return Vec::new();
    }
    let selector = LabelSelector {
        match_labels: Some(BTreeMap::from([
            (CLUSTER_ID.to_string(), cluster.metadata.uid.clone().unwrap_or_default()),
            (MODE.to_string(), role.to_string()),
        ])),
        match_expressions: None,
    };
    let constraint = |key: &str, max_skew: i32, when: &str| TopologySpreadConstraint {
        max_skew,
        topology_key: key.to_string(),
        when_unsatisfiable: when.to_string(),
        label_selector: Some(selector.clone()),
        ..Default::default()
    };
    match domain.label.as_deref().filter(|l| !l.is_empty()) {
        Some(label) => {
            let skew = domain.skew.map_or(1, |s| i32::try_from(s).unwrap_or(i32::MAX));
            vec![constraint(label, skew, "DoNotSchedule")]
        }
        None => domain
            .composite_labels
            .iter()
            .flatten()
            .map(|label| constraint(label, 1, "ScheduleAnyway"))
            .collect(),
    }
}

fn parse<T: DeserializeOwned>(
    value: &serde_json::Value,
    field: String,
) -> Result<T, ClusterSpecError> {
    serde_json::from_value(value.clone())
        .map_err(|e| ClusterSpecError::InvalidPodConfig { field, reason: e.to_string() })
}
