use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use super::*;
use crate::nodes::node_spec::NodeSpecFile;

fn node_from(yaml: &str, count: usize) -> Vec<Node> {
    let now =
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now());
    NodeSpecFile::parse(yaml)
        .unwrap()
        .resolve(count)
        .unwrap()
        .iter()
        .map(|c| c.to_node(now.clone()))
        .collect()
}

fn view(nodes: Vec<Node>) -> ClusterView {
    let mut v = ClusterView::new();
    for n in nodes {
        v.set_node(Arc::new(n));
    }
    v
}

fn pod(name: &str, spec: Value) -> Pod {
    let mut spec = spec;
    if spec.get("containers").is_none() {
        spec["containers"] = json!([{"name": "main", "image": "busybox"}]);
    }
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": spec,
    }))
    .unwrap()
}

fn with_labels(mut p: Pod, labels: Value) -> Pod {
    p.metadata.labels = serde_json::from_value(labels).unwrap();
    p
}

fn bind(v: &mut ClusterView, mut p: Pod, node: &str) {
    p.spec.as_mut().unwrap().node_name = Some(node.into());
    v.set_pod(Arc::new(p));
}

fn requests(r: Value) -> Value {
    json!([{"name": "main", "image": "busybox", "resources": {"requests": r.clone(), "limits": r}}])
}

#[test]
fn node_selector_picks_the_only_matching_node() {
    let v = view(node_from("nodes: [{name: a}, {name: b, labels: {disk: nvme}}, {name: c}]", 3));
    let p = pod("p", json!({"nodeSelector": {"disk": "nvme"}}));
    assert_eq!(schedule(&p, &v).unwrap(), "b");
}

#[test]
fn required_node_affinity_operators_select_nodes() {
    let v = view(node_from(
        "nodes: [{name: a, labels: {cores: '8'}}, {name: b, labels: {cores: '32'}}, {name: c}]",
        3,
    ));
    let p = pod(
        "p",
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["16"]}]}]
        }}}}),
    );
    assert_eq!(schedule(&p, &v).unwrap(), "b");
    let p = pod(
        "p",
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "cores", "operator": "DoesNotExist"}]}]
        }}}}),
    );
    assert_eq!(schedule(&p, &v).unwrap(), "c");
}

#[test]
fn match_fields_narrow_to_named_nodes_and_say_so_when_unfit() {
    let v = view(node_from("", 3));
    let term = |name: &str| {
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [name]}]}]
        }}}})
    };
    assert_eq!(schedule(&pod("p", term("node-3")), &v).unwrap(), "node-3");
    let mut huge = term("node-2");
    huge["containers"] = requests(json!({"cpu": "100"}));
    let err = schedule(&pod("p", huge), &v).unwrap_err();
    assert_eq!(
        err.message,
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. \
         preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, \
         2 Preemption is not helpful for scheduling."
    );
}

#[test]
fn preferred_node_affinity_wins_among_fitting_nodes() {
    let v = view(node_from("nodes: [{name: a}, {name: b, labels: {fast: 'yes'}}]", 2));
    let p = pod(
        "p",
        json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "preference": {"matchExpressions": [{"key": "fast", "operator": "Exists"}]}}
        ]}}}),
    );
    assert_eq!(schedule(&p, &v).unwrap(), "b");
}

#[test]
fn taints_need_tolerations_and_the_message_names_the_taint() {
    let v = view(node_from(
        "nodes: [{name: a, taints: [{key: dedicated, value: weka, effect: NoSchedule}]}, \
                 {name: b, taints: [{key: gpu, effect: NoExecute}]}]",
        2,
    ));
    let err = schedule(&pod("p", json!({})), &v).unwrap_err();
    assert_eq!(
        err.message,
        "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: weka}, \
         1 node(s) had untolerated taint {gpu: }. preemption: 0/2 nodes are available: \
         2 Preemption is not helpful for scheduling."
    );
    let tolerant = pod(
        "p",
        json!({"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "weka", "effect": "NoSchedule"}]}),
    );
    assert_eq!(schedule(&tolerant, &v).unwrap(), "a");
}

#[test]
fn prefer_no_schedule_taints_are_avoided_but_not_forbidden() {
    let v = view(node_from(
        "nodes: [{name: a, taints: [{key: soft, effect: PreferNoSchedule}]}, {name: b}]",
        2,
    ));
    assert_eq!(schedule(&pod("p", json!({})), &v).unwrap(), "b");
    let v =
        view(node_from("nodes: [{name: a, taints: [{key: soft, effect: PreferNoSchedule}]}]", 1));
    assert_eq!(schedule(&pod("p", json!({})), &v).unwrap(), "a");
}

#[test]
fn cordoned_nodes_take_no_pods() {
    let v = view(node_from("nodes: [{name: a, unschedulable: true}, {name: b}]", 2));
    assert_eq!(schedule(&pod("p", json!({})), &v).unwrap(), "b");
    let v = view(node_from("nodes: [{name: a, unschedulable: true}]", 1));
    let err = schedule(&pod("p", json!({})), &v).unwrap_err();
    assert!(
        err.message.starts_with("0/1 nodes are available: 1 node(s) were unschedulable."),
        "{}",
        err.message
    );
}

#[test]
fn hugepages_requests_count_against_what_bound_pods_use() {
    let mut v = view(node_from(
        "defaults: {capacity: {hugepages-2Mi: 4Gi}}\nnodes: [{name: a}, {name: b}, {name: c, labels: {x: y}}]",
        3,
    ));
    let hungry = |name: &str| {
        pod(name, json!({"containers": requests(json!({"hugepages-2Mi": "3Gi", "memory": "1Gi"}))}))
    };
    bind(&mut v, hungry("one"), "a");
    bind(&mut v, hungry("two"), "b");
    assert_eq!(schedule(&hungry("three"), &v).unwrap(), "c");
    bind(&mut v, hungry("three"), "c");
    let err = schedule(&hungry("four"), &v).unwrap_err();
    assert_eq!(
        err.message,
        "0/3 nodes are available: 3 Insufficient hugepages-2Mi. preemption: 0/3 nodes are available: \
         3 No preemption victims found for incoming pod."
    );
}

#[test]
fn mixed_reasons_are_counted_and_sorted_like_upstream() {
    let mut v = view(node_from(
        "defaults: {capacity: {hugepages-2Mi: 2Gi}}\nnodes: [{name: a, labels: {role: other}}, {name: b}, {name: c}]",
        3,
    ));
    let hungry = |name: &str| {
        let mut spec = json!({"containers": requests(json!({"hugepages-2Mi": "2Gi"}))});
        spec["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "role", "operator": "NotIn", "values": ["other"]}]}]}}});
        pod(name, spec)
    };
    bind(&mut v, hungry("x"), "b");
    bind(&mut v, hungry("y"), "c");
    let err = schedule(&hungry("z"), &v).unwrap_err();
    assert_eq!(
        err.message,
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient hugepages-2Mi. \
         preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, \
         2 No preemption victims found for incoming pod."
    );
}

#[test]
fn extended_resources_and_pod_count_are_limits_too() {
    let mut v = view(node_from(
        "nodes: [{name: a, capacity: {weka.io/drives: '2', pods: '1'}}, {name: b, capacity: {weka.io/drives: '1'}}]",
        2,
    ));
    let drives = |name: &str, n: &str| {
        pod(name, json!({"containers": requests(json!({"weka.io/drives": n}))}))
    };
    assert_eq!(schedule(&drives("p", "2"), &v).unwrap(), "a");
    bind(&mut v, pod("filler", json!({})), "a");
    let err = schedule(&drives("p", "2"), &v).unwrap_err();
    assert!(
        err.message.starts_with(
            "0/2 nodes are available: 1 Insufficient weka.io/drives, 1 Too many pods."
        ),
        "{}",
        err.message
    );
}

#[test]
fn required_anti_affinity_spreads_pods_one_per_host() {
    let mut v = view(node_from("", 3));
    let member = |name: &str| {
        with_labels(
            pod(
                name,
                json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"group": "g"}}, "topologyKey": "kubernetes.io/hostname"}
                ]}}}),
            ),
            json!({"group": "g"}),
        )
    };
    let mut used = std::collections::BTreeSet::new();
    for i in 0..3 {
        let p = member(&format!("m{i}"));
        let node = schedule(&p, &v).unwrap();
        assert!(used.insert(node.clone()), "two members on {node}");
        bind(&mut v, p, &node);
    }
    let err = schedule(&member("m3"), &v).unwrap_err();
    assert_eq!(
        err.message,
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: \
         0/3 nodes are available: 3 No preemption victims found for incoming pod."
    );
}

#[test]
fn existing_pods_anti_affinity_keeps_matching_pods_away() {
    let mut v = view(node_from("", 2));
    let loner = pod(
        "loner",
        json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"noisy": "yes"}}, "topologyKey": "kubernetes.io/hostname"}
        ]}}}),
    );
    bind(&mut v, loner, "node-1");
    let noisy = with_labels(pod("noisy", json!({})), json!({"noisy": "yes"}));
    assert_eq!(schedule(&noisy, &v).unwrap(), "node-2");
}

#[test]
fn required_affinity_follows_a_pod_into_its_zone() {
    let mut v = view(node_from("", 6));
    bind(&mut v, with_labels(pod("db", json!({})), json!({"app": "db"})), "node-2");
    let p = pod(
        "web",
        json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "topology.kubernetes.io/zone"}
        ]}}}),
    );
    let node = schedule(&p, &v).unwrap();
    assert!(node == "node-2" || node == "node-5", "zone-b holds node-2 and node-5, got {node}");
}

#[test]
fn required_affinity_to_nothing_is_unschedulable_unless_the_pod_matches_itself() {
    let v = view(node_from("", 2));
    let affinity = json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "first"}}, "topologyKey": "kubernetes.io/hostname"}
    ]}}});
    let err = schedule(&pod("other", affinity.clone()), &v).unwrap_err();
    assert_eq!(
        err.message,
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules. preemption: \
         0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
    assert!(schedule(&pod("first", affinity), &v).is_ok());
}

#[test]
fn preferred_anti_affinity_scores_away_from_peers() {
    let mut v = view(node_from("", 2));
    bind(&mut v, with_labels(pod("a", json!({})), json!({"tier": "x"})), "node-1");
    let p = pod(
        "b",
        json!({"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"tier": "x"}}, "topologyKey": "kubernetes.io/hostname"}}
        ]}}}),
    );
    assert_eq!(schedule(&p, &v).unwrap(), "node-2");
}

#[test]
fn host_network_ports_conflict_on_a_node() {
    let mut v = view(node_from("", 2));
    let agent = |name: &str| {
        pod(
            name,
            json!({"hostNetwork": true, "containers": [{"name": "main", "image": "x", "ports": [{"containerPort": 8090}]}]}),
        )
    };
    bind(&mut v, agent("a1"), "node-1");
    assert_eq!(schedule(&agent("a2"), &v).unwrap(), "node-2");
    bind(&mut v, agent("a2"), "node-2");
    let err = schedule(&agent("a3"), &v).unwrap_err();
    assert!(
        err.message.starts_with(
            "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports."
        ),
        "{}",
        err.message
    );
}

#[test]
fn pods_without_requests_spread_over_nodes() {
    let mut v = view(node_from("", 3));
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..9 {
        let p = pod(&format!("p{i}"), json!({}));
        let node = schedule(&p, &v).unwrap();
        *counts.entry(node.clone()).or_default() += 1;
        bind(&mut v, p, &node);
    }
    assert!(counts.values().all(|c| *c == 3), "{counts:?}");
}

#[test]
fn finished_pods_free_their_resources() {
    let mut v = view(node_from("nodes: [{name: a, capacity: {cpu: '1'}}]", 1));
    let big = |name: &str| pod(name, json!({"containers": requests(json!({"cpu": "1"}))}));
    let mut done = big("done");
    done.status = Some(serde_json::from_value(json!({"phase": "Succeeded"})).unwrap());
    bind(&mut v, done, "a");
    assert_eq!(schedule(&big("next"), &v).unwrap(), "a");
}

#[test]
fn higher_priority_pods_find_victims() {
    let mut v = view(node_from("nodes: [{name: a, capacity: {cpu: '2'}}]", 1));
    let mut low = pod("low", json!({"containers": requests(json!({"cpu": "1500m"}))}));
    low.spec.as_mut().unwrap().priority = Some(0);
    bind(&mut v, low, "a");
    let mut high = pod("high", json!({"containers": requests(json!({"cpu": "1"}))}));
    high.spec.as_mut().unwrap().priority = Some(1000);
    let err = schedule(&high, &v).unwrap_err();
    assert_eq!(err.message, "0/1 nodes are available: 1 Insufficient cpu.");
    assert_eq!(
        err.preemption,
        Some(Preemption { node: "a".into(), victims: vec![("default".into(), "low".into())] })
    );
    high.spec.as_mut().unwrap().preemption_policy = Some("Never".into());
    let err = schedule(&high, &v).unwrap_err();
    assert!(err.message.ends_with("preemption: not eligible due to preemptionPolicy=Never."));
}

#[test]
fn an_empty_cluster_has_no_nodes_available() {
    let err = schedule(&pod("p", json!({})), &ClusterView::new()).unwrap_err();
    assert_eq!(err.message, NO_NODES);
}
