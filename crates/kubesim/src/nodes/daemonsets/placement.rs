//! Which nodes a DaemonSet's pods belong on, and the pod made for a node, as upstream's
//! `NodeShouldRunDaemonPod`, `AddOrUpdateDaemonPodTolerations` and
//! `ReplaceDaemonSetPodNodeNameNodeAffinity` decide and build them. The matching itself is the
//! scheduler's (nodeSelector and required node affinity from
//! [`schedule::matches_node_affinity`](crate::nodes::schedule::matches_node_affinity),
//! taints from [`taints`](crate::nodes::taints)), so the controller never wants a pod where the
//! scheduler would refuse it for those reasons.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod,
    PodSpec, Taint, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

use super::revision::{CONTROLLER_REVISION_HASH, TEMPLATE_GENERATION};
use crate::nodes::schedule::{NodeInfo, matches_node_affinity};
use crate::nodes::taints::{
    NOT_READY_TAINT, UNREACHABLE_TAINT, UNSCHEDULABLE_TAINT, first_untolerated, tolerated,
};

/// The tolerations every daemon pod gets (upstream's `AddOrUpdateDaemonPodTolerations`): it
/// stays on not-ready and unreachable nodes, and goes to nodes under pressure or cordoned.
const DAEMON_TOLERATIONS: [(&str, &str); 6] = [
    (NOT_READY_TAINT, "NoExecute"),
    (UNREACHABLE_TAINT, "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    (UNSCHEDULABLE_TAINT, "NoSchedule"),
];
/// Added for hostNetwork daemon pods only.
const NETWORK_UNAVAILABLE_TAINT: &str = "node.kubernetes.io/network-unavailable";

/// Longest generateName prefix that leaves room for the 5-character suffix (63 - 5).
const MAX_GENERATE_NAME: usize = 58;

fn exists(key: &str, effect: &str) -> Toleration {
    Toleration {
        key: Some(key.into()),
        operator: Some("Exists".into()),
        effect: Some(effect.into()),
        ..Default::default()
    }
}

/// Upstream's `AddOrUpdateTolerationInPodSpec`: a toleration equal in key, operator, value and
/// effect is replaced (e.g. one with tolerationSeconds), any other kept; missing ones appended.
fn add_or_update(spec: &mut PodSpec, toleration: Toleration) {
    let list = spec.tolerations.get_or_insert_with(Vec::new);
    let same = |t: &Toleration| {
        t.key == toleration.key
            && t.operator.as_deref().unwrap_or("Equal")
                == toleration.operator.as_deref().unwrap_or("Equal")
            && t.value.as_deref().unwrap_or("") == toleration.value.as_deref().unwrap_or("")
            && t.effect.as_deref().unwrap_or("") == toleration.effect.as_deref().unwrap_or("")
    };
    match list.iter().position(same) {
        Some(at) => list[at] = toleration,
        None => list.push(toleration),
    }
}

pub fn add_daemon_tolerations(spec: &mut PodSpec) {
    for (key, effect) in DAEMON_TOLERATIONS {
        add_or_update(spec, exists(key, effect));
    }
    if spec.host_network == Some(true) {
        add_or_update(spec, exists(NETWORK_UNAVAILABLE_TAINT, "NoSchedule"));
    }
}

/// The pod the template makes, before it is given a node: the template's metadata and spec in
/// the DaemonSet's namespace, with the daemon tolerations (upstream's `NewPod`).
pub fn template_pod(ds: &DaemonSet) -> Pod {
    let template = ds.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let mut spec = template.spec.unwrap_or_default();
    add_daemon_tolerations(&mut spec);
    let mut metadata = template.metadata.unwrap_or_default();
    metadata.namespace = ds.metadata.namespace.clone();
    Pod { metadata, spec: Some(spec), status: None }
}

/// Whether a daemon pod should be started on the node, and whether one already there may keep
/// running (upstream's `NodeShouldRunDaemonPod`). `pod` is [`template_pod`]'s.
pub fn should_run(pod: &Pod, node: &Arc<Node>) -> (bool, bool) {
    let name = node.metadata.name.as_deref().unwrap_or("");
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty() && n != name) {
        return (false, false);
    }
    let info = NodeInfo { node: Some(node.clone()), ..Default::default() };
    if !matches_node_affinity(pod, &info) {
        return (false, false);
    }
    let taints: &[Taint] = node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or_default();
    let tolerations = spec.and_then(|s| s.tolerations.as_deref()).unwrap_or_default();
    if first_untolerated(taints, tolerations).is_none() {
        return (true, true);
    }
    // Only a NoExecute taint it does not tolerate drives a running daemon pod away.
    let evicted = taints.iter().any(|t| t.effect == "NoExecute" && !tolerated(tolerations, t));
    (false, !evicted)
}

/// The node a daemon pod is for: where it is bound, else the node its required affinity names
/// by `metadata.name` (upstream's `GetTargetNodeName`).
pub fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.as_deref().filter(|n| !n.is_empty()) {
        return Some(node.to_string());
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms.iter().flat_map(|t| t.match_fields.iter().flatten()).find_map(|field| {
        let values = field.values.as_deref().unwrap_or_default();
        (field.key == "metadata.name" && field.operator == "In" && values.len() == 1)
            .then(|| values[0].clone())
    })
}

/// Upstream's `ReplaceDaemonSetPodNodeNameNodeAffinity`: the required node affinity becomes the
/// one term `metadata.name In [node]` (the DaemonSet's own terms were checked by
/// [`should_run`]); preferred terms and pod (anti-)affinity stay.
fn pin_to_node(affinity: Option<Affinity>, node: &str) -> Affinity {
    let selector = NodeSelector {
        node_selector_terms: vec![NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec![node.to_string()]),
            }]),
        }],
    };
    let mut affinity = affinity.unwrap_or_default();
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(selector);
    affinity
}

/// The pod to create for `node`: named by the apiserver from `<ds-name>-`, owned by the
/// DaemonSet, labelled with the revision it was made from, pinned to the node by affinity so
/// the scheduler binds it there (as upstream has done since 1.12, rather than setting nodeName).
pub fn new_pod(ds: &DaemonSet, node: &str, hash: &str, generation: i64) -> Pod {
    let mut pod = template_pod(ds);
    let name = ds.metadata.name.clone().unwrap_or_default();
    let mut prefix = format!("{name}-");
    if prefix.len() > MAX_GENERATE_NAME {
        prefix.truncate(MAX_GENERATE_NAME);
    }
    let template_meta = std::mem::take(&mut pod.metadata);
    let mut labels = template_meta.labels.unwrap_or_default();
    labels.insert(CONTROLLER_REVISION_HASH.into(), hash.into());
    labels.insert(TEMPLATE_GENERATION.into(), generation.to_string());
    pod.metadata = ObjectMeta {
        generate_name: Some(prefix),
        namespace: ds.metadata.namespace.clone(),
        labels: Some(labels),
        annotations: template_meta.annotations,
        finalizers: template_meta.finalizers,
        owner_references: Some(vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "DaemonSet".into(),
            name,
            uid: ds.metadata.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }]),
        ..Default::default()
    };
    if let Some(spec) = pod.spec.as_mut() {
        spec.affinity = Some(pin_to_node(spec.affinity.take(), node));
    }
    pod
}
