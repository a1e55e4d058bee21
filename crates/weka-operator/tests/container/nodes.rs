//! The container's node: NotReady, cordoned, or gone, as the flows reflect it (conditions,
//! events), with the opt-in deletion of containers whose node left.

use crate::support::*;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use weka_api::constants::conditions as cond;

/// What kubesim's node lifecycle controller does after 40 s without heartbeats (the kubelet
/// is partitioned first, so nothing contradicts it), without waiting the 40 s.
async fn mark_not_ready(env: &Env, node: &str) {
    env.sim.nodes().expect("simulated nodes").set_node_ready(node, false).expect("partitioned");
    let conditions: Vec<_> = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
        .iter()
        .map(|t| {
            json!({"type": t, "status": "Unknown", "reason": "NodeStatusUnknown",
                        "message": "Kubelet stopped posting node status."})
        })
        .collect();
    let patch = json!({"status": {"conditions": conditions}});
    env.nodes()
        .patch_status(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("node marked NotReady");
}

async fn cordon(env: &Env, node: &str, cordoned: bool) {
    let patch = json!({"spec": {"unschedulable": cordoned}});
    env.nodes().patch(node, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("cordon");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_going_not_ready_is_reported_and_the_pod_is_replaced_once_it_is_back() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let before = env.wait_pod_running("compute-a").await;

    mark_not_ready(&env, "node-1").await;
    env.wait_condition("compute-a", cond::READY, "False", Some("NodeNotReady")).await;
    assert!(env.wait_event("compute-a", "NodeNotReady").await.contains("node-1"));
    // Upstream's reaction: the running pod is deleted (plainly) to be replaced; it can only
    // stop once the node is back and the operator allows it.
    env.wait_pod("compute-a", "terminating", |p| p.metadata.deletion_timestamp.is_some()).await;

    env.sim.nodes().unwrap().set_node_ready("node-1", true).expect("reconnected");
    let after = env
        .wait_pod("compute-a", "replaced", |p| {
            p.metadata.uid != before.metadata.uid && phase(p) == "Running"
        })
        .await;
    assert_eq!(after.metadata.name.as_deref(), Some("compute-a"));
    assert!(env.wrote_marker("compute-a", ALLOW_STOP));
    // The container goes on with its flow (here: to its owner check, since it has none).
    env.wait_container("compute-a", "past the node problem", |c| {
        condition(c, cond::READY).is_some_and(|r| r.reason != "NodeNotReady")
    })
    .await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cordoned_node_is_reported_and_gets_no_new_pod_until_uncordoned() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let before = env.wait_pod_running("compute-a").await;

    cordon(&env, "node-1", true).await;
    assert!(env.wait_event("compute-a", "NodeUnschedulable").await.contains("node-1"));
    // The running pod stays; a pod that goes is not recreated on the cordoned node.
    env.pods().delete("compute-a", &Default::default()).await.expect("pod deleted");
    env.wait_no_pod("compute-a").await;
    env.wait_condition("compute-a", cond::READY, "False", Some("NodeUnschedulable")).await;

    cordon(&env, "node-1", false).await;
    let after = env.wait_pod_running("compute-a").await;
    assert_ne!(after.metadata.uid, before.metadata.uid);
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_is_removed_is_reported_and_no_pod_is_created_for_it() {
    let env = Env::started(2).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_pod_running("compute-a").await;

    env.sim.nodes().unwrap().remove_node("node-1").await.expect("node removed");
    env.wait_no_pod("compute-a").await;
    let c = env.wait_condition("compute-a", cond::READY, "False", Some("NodeNotFound")).await;
    assert!(has_finalizer(&c), "without CLEANUP_REMOVED_NODES the container stays");
    assert!(env.wait_event("compute-a", "NodeNotFound").await.contains("node-1"));
    assert!(env.pods().get_opt("compute-a").await.unwrap().is_none());
    // The node comes back (same name): the pod is created again.
    let config = env.sim.nodes().unwrap().default_node("node-1").unwrap();
    env.sim.nodes().unwrap().add_node(config).await.expect("node added");
    env.wait_pod_running("compute-a").await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_cleanup_of_removed_nodes_an_owned_backend_on_a_removed_node_is_deleted() {
    let mut env = Env::new(2).await;
    env.args.push("--cleanup-removed-nodes=true".into());
    env.start_operator().await;
    let cluster = env.create_cluster("cluster-a").await;
    env.create_owned("compute-a", &cluster, spec("compute", json!({"nodeAffinity": "node-1"})))
        .await;
    env.wait_pod_running("compute-a").await;

    env.sim.nodes().unwrap().remove_node("node-1").await.expect("node removed");
    env.wait_gone("compute-a").await;
    // The event says the node is missing. Its note is the first of the steps that noticed:
    // kube's event recorder folds later events of the same reason into that one's series.
    env.wait_event("compute-a", "NodeNotFound").await;
    env.finish();
}
