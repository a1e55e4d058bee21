//! Pods land where the default scheduler would put them, and pods that fit nowhere stay
//! Pending with PodScheduled=False / Unschedulable and a FailedScheduling event.

use crate::support::*;
use serde_json::json;

const SPEC: &str = r#"
defaults:
  capacity: {hugepages-2Mi: 4Gi}
nodes:
  - name: compute
    labels: {weka.io/role: compute}
  - name: drive
    labels: {weka.io/role: drive, disks: nvme}
    capacity: {weka.io/drives: "4"}
  - name: dedicated
    labels: {weka.io/role: compute}
    taints: [{key: weka.io/dedicated, value: backends, effect: NoSchedule}]
"#;

fn hugepages(amount: &str) -> serde_json::Value {
    json!([{"name": "main", "image": "busybox:1.36",
            "resources": {"requests": {"hugepages-2Mi": amount, "memory": "64Mi", "cpu": "100m"},
                          "limits": {"hugepages-2Mi": amount, "memory": "64Mi"}}}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_selector_and_affinity_pick_the_matching_nodes() {
    let handle = start(0, SPEC).await;
    create(&handle, &pod("by-selector", json!({"nodeSelector": {"disks": "nvme"}}))).await;
    create(
        &handle,
        &pod(
            "by-affinity",
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "weka.io/role", "operator": "In", "values": ["compute"]},
                    {"key": "disks", "operator": "DoesNotExist"}]}]}}}}),
        ),
    )
    .await;
    create(
        &handle,
        &pod(
            "by-name",
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": ["drive"]}]}]}}}}),
        ),
    )
    .await;
    assert_eq!(scheduled_node(&handle, "by-selector").await, "drive");
    assert_eq!(scheduled_node(&handle, "by-affinity").await, "compute");
    assert_eq!(scheduled_node(&handle, "by-name").await, "drive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerations_open_tainted_nodes() {
    let handle = start(0, SPEC).await;
    let tolerant = pod(
        "tolerant",
        json!({
            "nodeSelector": {"weka.io/role": "compute"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": ["dedicated"]}]}]}}},
            "tolerations": [{"key": "weka.io/dedicated", "operator": "Equal", "value": "backends", "effect": "NoSchedule"}],
        }),
    );
    create(&handle, &tolerant).await;
    assert_eq!(scheduled_node(&handle, "tolerant").await, "dedicated");
    wait_running_ready(&handle, "tolerant").await;

    let intolerant = pod(
        "intolerant",
        json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["dedicated"]}]}]}}}}),
    );
    create(&handle, &intolerant).await;
    let message = unschedulable_message(&handle, "intolerant").await;
    assert_eq!(
        message,
        "0/3 nodes are available: 1 node(s) had untolerated taint {weka.io/dedicated: backends}, \
         2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: \
         3 Preemption is not helpful for scheduling."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anti_affinity_spreads_replicas_one_per_host() {
    let handle = start(0, SPEC).await;
    let replica = |name: &str| {
        let mut p = pod(
            name,
            json!({
                "tolerations": [{"key": "weka.io/dedicated", "operator": "Exists"}],
                "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"group": "backend"}}, "topologyKey": "kubernetes.io/hostname"}]}},
            }),
        );
        p.metadata.labels = Some([("group".to_string(), "backend".to_string())].into());
        p
    };
    let mut hosts = std::collections::BTreeSet::new();
    for i in 0..3 {
        let name = format!("replica-{i}");
        create(&handle, &replica(&name)).await;
        hosts.insert(scheduled_node(&handle, &name).await);
    }
    assert_eq!(hosts.len(), 3, "one replica per node: {hosts:?}");
    create(&handle, &replica("replica-3")).await;
    let message = unschedulable_message(&handle, "replica-3").await;
    assert!(
        message.starts_with(
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
        ),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_affinity_follows_its_peer() {
    let handle = start(0, SPEC).await;
    create(&handle, &pod("db", json!({"nodeSelector": {"disks": "nvme"}}))).await;
    assert_eq!(scheduled_node(&handle, "db").await, "drive");
    create(
        &handle,
        &pod(
            "cache",
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}}),
        ),
    )
    .await;
    assert_eq!(scheduled_node(&handle, "cache").await, "drive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hugepages_requests_fill_nodes_then_the_rest_stays_pending() {
    let handle = start(0, SPEC).await;
    for (i, expected) in ["compute", "drive"].iter().enumerate() {
        let name = format!("hungry-{i}");
        let spec =
            json!({"containers": hugepages("3Gi"), "nodeSelector": {"weka.io/role": expected}});
        create(&handle, &pod(&name, spec)).await;
        assert_eq!(scheduled_node(&handle, &name).await, *expected);
    }
    create(&handle, &pod("hungry-2", json!({"containers": hugepages("3Gi")}))).await;
    let message = unschedulable_message(&handle, "hungry-2").await;
    assert_eq!(
        message,
        "0/3 nodes are available: 1 node(s) had untolerated taint {weka.io/dedicated: backends}, \
         2 Insufficient hugepages-2Mi. preemption: 0/3 nodes are available: \
         1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    );
    let pending = get(&handle, "hungry-2").await.unwrap();
    assert_eq!(phase(&pending).as_deref(), Some("Pending"));
    assert!(node_of(&pending).is_none());
    let events = wait_for("a FailedScheduling event", || async {
        let events = events_for(&handle, "hungry-2", "FailedScheduling").await;
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(events[0].type_.as_deref(), Some("Warning"));
    assert_eq!(events[0].message.as_deref(), Some(message.as_str()));
    assert_eq!(
        events[0].source.as_ref().and_then(|s| s.component.as_deref()),
        Some("default-scheduler")
    );

    // Freeing a node lets the pending pod in.
    pods(&handle).delete("hungry-0", &kube::api::DeleteParams::default()).await.unwrap();
    assert_eq!(scheduled_node(&handle, "hungry-2").await, "compute");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_resources_count_like_hugepages() {
    let handle = start(0, SPEC).await;
    let drives = |n: &str| {
        json!({"containers": [{"name": "main", "image": "busybox",
            "resources": {"requests": {"weka.io/drives": n}, "limits": {"weka.io/drives": n}}}]})
    };
    create(&handle, &pod("three-drives", drives("3"))).await;
    assert_eq!(scheduled_node(&handle, "three-drives").await, "drive");
    create(&handle, &pod("two-more", drives("2"))).await;
    let message = unschedulable_message(&handle, "two-more").await;
    assert!(
        message.starts_with(
            "0/3 nodes are available: 1 node(s) had untolerated taint {weka.io/dedicated: backends}, \
             2 Insufficient weka.io/drives."
        ),
        "{message}"
    );
}
