//! The DaemonSet controller's decisions, without a server.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::placement::{new_pod, should_run, target_node, template_pod};
use super::plan::{View, manage, max_unavailable, rolling_update};
use super::revision::{CONTROLLER_REVISION_HASH, TEMPLATE_GENERATION, template_hash};
use super::status::{Counts, is_current};

fn ds(spec: Value) -> DaemonSet {
    let mut template_spec = json!({"containers": [{"name": "agent", "image": "agent:1"}]});
    if let (Some(base), Some(extra)) = (template_spec.as_object_mut(), spec.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "weka", "uid": "ds-uid", "generation": 1},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": template_spec},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
        },
    }))
    .unwrap()
}

fn node(name: &str, labels: Value, taints: Value) -> Arc<Node> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": labels}, "spec": {"taints": taints},
        }))
        .unwrap(),
    )
}

fn nodes(list: Vec<Arc<Node>>) -> BTreeMap<String, Arc<Node>> {
    list.into_iter().map(|n| (n.metadata.name.clone().unwrap(), n)).collect()
}

/// A daemon pod of `set` on `node`, bound and Ready when `ready`.
fn daemon_pod(set: &DaemonSet, name: &str, node: &str, ready: bool, created: &str) -> Arc<Pod> {
    let mut pod = new_pod(set, node, &template_hash(set), 1);
    pod.metadata.name = Some(name.into());
    pod.metadata.creation_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(created.parse().unwrap()));
    pod.spec.as_mut().unwrap().node_name = Some(node.into());
    pod.status = Some(
        serde_json::from_value(json!({"phase": "Running", "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" },
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}))
        .unwrap(),
    );
    Arc::new(pod)
}

fn now() -> Timestamp {
    "2026-01-01T00:10:00Z".parse().unwrap()
}

#[test]
fn daemon_pods_tolerate_not_ready_unreachable_and_cordoned_nodes() {
    let set = ds(json!({"tolerations": [
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 60}]}));
    let tolerations = template_pod(&set).spec.unwrap().tolerations.unwrap();
    let keys: Vec<(String, String, Option<i64>)> = tolerations
        .iter()
        .map(|t| (t.key.clone().unwrap(), t.effect.clone().unwrap(), t.toleration_seconds))
        .collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert!(keys.contains(&("node.kubernetes.io/unreachable".into(), "NoExecute".into(), None)));
    assert!(keys.contains(&("node.kubernetes.io/unschedulable".into(), "NoSchedule".into(), None)));
    let host = ds(json!({"hostNetwork": true}));
    let tolerations = template_pod(&host).spec.unwrap().tolerations.unwrap();
    assert!(
        tolerations
            .iter()
            .any(|t| t.key.as_deref() == Some("node.kubernetes.io/network-unavailable"))
    );
}

#[test]
fn placement_follows_selector_affinity_and_taints() {
    let set = ds(json!({"nodeSelector": {"role": "backend"}}));
    let pod = template_pod(&set);
    let backend = node("a", json!({"role": "backend"}), json!([]));
    let client = node("b", json!({"role": "client"}), json!([]));
    assert_eq!(should_run(&pod, &backend), (true, true));
    assert_eq!(should_run(&pod, &client), (false, false));
    let cordoned = node(
        "c",
        json!({"role": "backend"}),
        json!([{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]),
    );
    assert_eq!(should_run(&pod, &cordoned), (true, true), "daemon pods tolerate cordons");
    let no_schedule = node(
        "d",
        json!({"role": "backend"}),
        json!([{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]),
    );
    assert_eq!(should_run(&pod, &no_schedule), (false, true), "a running pod may stay");
    let no_execute = node(
        "e",
        json!({"role": "backend"}),
        json!([{"key": "dedicated", "value": "x", "effect": "NoExecute"}]),
    );
    assert_eq!(should_run(&pod, &no_execute), (false, false));
    let affinity = ds(
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "role", "operator": "NotIn", "values": ["backend"]}]}]}}}}),
    );
    let pod = template_pod(&affinity);
    assert_eq!(should_run(&pod, &client), (true, true));
    assert_eq!(should_run(&pod, &backend), (false, false));
}

#[test]
fn new_pods_are_owned_labelled_and_pinned_to_their_node() {
    let set = ds(
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "role", "operator": "Exists"}]}]}}}}),
    );
    let pod = new_pod(&set, "node-2", "abc", 3);
    assert_eq!(pod.metadata.generate_name.as_deref(), Some("agent-"));
    let labels = pod.metadata.labels.clone().unwrap();
    assert_eq!(labels["app"], "agent");
    assert_eq!(labels[CONTROLLER_REVISION_HASH], "abc");
    assert_eq!(labels[TEMPLATE_GENERATION], "3");
    let owner = &pod.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("DaemonSet", "ds-uid"));
    assert_eq!((owner.controller, owner.block_owner_deletion), (Some(true), Some(true)));
    assert_eq!(target_node(&pod).as_deref(), Some("node-2"));
    let terms = &pod
        .spec
        .as_ref()
        .unwrap()
        .affinity
        .as_ref()
        .unwrap()
        .node_affinity
        .as_ref()
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .unwrap()
        .node_selector_terms;
    assert_eq!(terms.len(), 1, "the DaemonSet's own terms are replaced: {terms:?}");
    assert!(pod.spec.as_ref().unwrap().node_name.is_none(), "the scheduler binds it");
}

#[test]
fn template_hashes_change_with_the_template_only() {
    let a = ds(json!({}));
    let mut b = a.clone();
    b.spec.as_mut().unwrap().min_ready_seconds = Some(5);
    assert_eq!(template_hash(&a), template_hash(&b));
    let c = ds(json!({"containers": [{"name": "agent", "image": "agent:2"}]}));
    assert_ne!(template_hash(&a), template_hash(&c));
    assert!(template_hash(&a).chars().all(|ch| "bcdfghjklmnpqrstvwxz2456789".contains(ch)));
}

#[test]
fn manage_creates_missing_pods_and_removes_extra_and_misplaced_ones() {
    let set = ds(json!({"nodeSelector": {"role": "backend"}}));
    let all = nodes(vec![
        node("a", json!({"role": "backend"}), json!([])),
        node("b", json!({"role": "backend"}), json!([])),
        node("c", json!({"role": "client"}), json!([])),
    ]);
    let old = daemon_pod(&set, "agent-old", "a", true, "2026-01-01T00:00:00Z");
    let dup = daemon_pod(&set, "agent-dup", "a", true, "2026-01-01T00:05:00Z");
    let stray = daemon_pod(&set, "agent-stray", "c", true, "2026-01-01T00:00:00Z");
    let view = View::new(&set, &all, vec![old, dup, stray], now());
    let actions = manage(&view);
    assert_eq!(actions.create_on, ["b"]);
    let mut deleted: Vec<String> =
        actions.delete.iter().map(|p| p.metadata.name.clone().unwrap()).collect();
    deleted.sort();
    assert_eq!(deleted, ["agent-dup", "agent-stray"]);
    let counts = Counts::of(&view);
    assert_eq!(
        (counts.desired, counts.current, counts.ready, counts.misscheduled, counts.updated),
        (2, 1, 1, 1, 1)
    );
}

#[test]
fn rolling_updates_replace_at_most_max_unavailable_pods() {
    let old_set = ds(json!({}));
    let all = nodes(vec![
        node("a", json!({}), json!([])),
        node("b", json!({}), json!([])),
        node("c", json!({}), json!([])),
    ]);
    let pods: Vec<Arc<Pod>> = ["a", "b", "c"]
        .iter()
        .map(|n| daemon_pod(&old_set, &format!("agent-{n}"), n, true, "2026-01-01T00:00:00Z"))
        .collect();
    let mut new_set = ds(json!({"containers": [{"name": "agent", "image": "agent:2"}]}));
    new_set.metadata.generation = Some(2);
    let view = View::new(&new_set, &all, pods.clone(), now());
    assert!(manage(&view).is_empty());
    assert_eq!(rolling_update(&view).len(), 1);
    assert_eq!(Counts::of(&view).updated, 0);
    // One node already without an available pod: nothing more goes.
    let mut pods = pods;
    pods[0] = daemon_pod(&old_set, "agent-a", "a", false, "2026-01-01T00:00:00Z");
    let view = View::new(&new_set, &all, pods, now());
    let replaced = rolling_update(&view);
    assert_eq!(replaced.len(), 1, "the unavailable old pod is replaced at once");
    assert_eq!(replaced[0].metadata.name.as_deref(), Some("agent-a"));
    new_set.spec.as_mut().unwrap().update_strategy = serde_json::from_value(
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}}),
    )
    .unwrap();
    assert_eq!(max_unavailable(&new_set, 3), 2);
}

#[test]
fn status_patches_are_skipped_when_nothing_changed() {
    let counts =
        Counts { desired: 2, current: 2, ready: 2, available: 2, updated: 2, misscheduled: 0 };
    let patch = counts.to_status(Some(4));
    let stored = json!({"desiredNumberScheduled": 2, "currentNumberScheduled": 2,
        "numberMisscheduled": 0, "numberReady": 2, "numberAvailable": 2,
        "updatedNumberScheduled": 2, "observedGeneration": 4});
    assert!(is_current(Some(&stored), &patch));
    assert!(!is_current(Some(&stored), &counts.to_status(Some(5))));
    assert!(!is_current(None, &patch));
}
