//! Where the pod may run: node affinity (OS, pinned node, `spec.nodeSelector`), the operator's
//! pod (anti-)affinity rules, priority class, host namespaces and DNS policy.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodAffinity,
    PodAffinityTerm, PodAntiAffinity,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use weka_api::constants::labels;
use weka_api::wekacontainer::ContainerMode;

use super::input::Input;
use super::mode_traits::{FRONTEND_MODES, ModeTraits, has_frontend};
use super::settings::DnsPolicy;

fn node_in(key: &str, value: &str) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: key.to_string(),
        operator: "In".to_string(),
        values: Some(vec![value.to_string()]),
    }
}

/// Adds requirements to the first required node-selector term, creating what is missing
/// (upstream indexes term 0 unchecked and crashes on affinities with preferred terms only).
fn require_on_first_term(affinity: &mut Affinity, requirements: Vec<NodeSelectorRequirement>) {
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    let required = node_affinity
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(NodeSelector::default);
    if required.node_selector_terms.is_empty() {
        required.node_selector_terms.push(NodeSelectorTerm::default());
    }
    let term = &mut required.node_selector_terms[0];
    term.match_expressions.get_or_insert_with(Vec::new).extend(requirements);
}

/// Node affinity: the spec's affinity, Linux nodes, the pinned node, `spec.nodeSelector`
/// (as `In` expressions; the pod's own `nodeSelector` stays unset).
pub fn node_affinity(input: &Input, affinity: &mut Affinity) {
    let mut requirements = vec![node_in(labels::OS, "linux")];
    if let Some(node) = input.node_affinity() {
        requirements.push(node_in(labels::HOSTNAME, node));
    }
    for (key, value) in input.spec.node_selector.iter().flatten() {
        requirements.push(node_in(key, value));
    }
    require_on_first_term(affinity, requirements);
}

fn same_host(selector: LabelSelector) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: Some(selector),
        topology_key: labels::HOSTNAME.to_string(),
        ..PodAffinityTerm::default()
    }
}

fn cluster_mode_selector(cluster_uid: &str, mode: ContainerMode) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([
            (labels::CLUSTER_ID.to_string(), cluster_uid.to_string()),
            (labels::MODE.to_string(), mode.as_str().to_string()),
        ])),
        match_expressions: None,
    }
}

/// The operator's pod rules for allocatable containers and clients, unless the spec drops
/// them: one frontend per node (unless several protocols may share one), otherwise one
/// container of this mode of this cluster per node; envoy next to its cluster's S3 container,
/// telemetry next to a compute container.
pub fn pod_rules(input: &Input, affinity: &mut Affinity) {
    let mode = input.mode;
    let dropped = input.spec.drop_affinity_constraints.unwrap_or(false);
    if dropped || !(mode.is_allocatable() || mode == ContainerMode::Client) {
        return;
    }
    let cluster_uid = input.ctx.cluster_uid.as_deref().unwrap_or_default();
    let apart =
        if has_frontend(input.container) && !input.settings.allow_multiple_protocols_per_node {
            LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: labels::MODE.to_string(),
                    operator: "In".to_string(),
                    values: Some(FRONTEND_MODES.iter().map(|m| m.as_str().to_string()).collect()),
                }]),
                match_labels: None,
            }
        } else {
            cluster_mode_selector(cluster_uid, mode)
        };
    affinity
        .pod_anti_affinity
        .get_or_insert_with(PodAntiAffinity::default)
        .required_during_scheduling_ignored_during_execution
        .get_or_insert_with(Vec::new)
        .push(same_host(apart));

    let neighbour = match mode {
        ContainerMode::Envoy => Some(ContainerMode::S3),
        ContainerMode::Telemetry => Some(ContainerMode::Compute),
        _ => None,
    };
    if let Some(neighbour) = neighbour {
        affinity
            .pod_affinity
            .get_or_insert_with(PodAffinity::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(same_host(cluster_mode_selector(cluster_uid, neighbour)));
    }
}

/// The pod's affinity, starting from a copy of the spec's.
pub fn affinity(input: &Input) -> Affinity {
    let mut affinity = input.spec.affinity.clone().unwrap_or_default();
    node_affinity(input, &mut affinity);
    pod_rules(input, &mut affinity);
    affinity
}

/// Pods pinned to a node get the targeted class; the others the initial one.
pub fn priority_class(input: &Input) -> Option<String> {
    let settings = input.settings;
    match input.node_affinity() {
        Some(_) => settings.priority_class_targeted.clone(),
        None => settings.priority_class_initial.clone(),
    }
    .filter(|class| !class.is_empty())
}

/// The DNS policy that goes with the pod's network.
pub fn dns_policy(input: &Input, host_network: bool) -> Option<DnsPolicy> {
    if host_network {
        input.settings.dns_policy_host_network
    } else {
        input.settings.dns_policy_k8s_network
    }
}
