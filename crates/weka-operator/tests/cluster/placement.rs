//! A cluster whose pods cannot be placed (too few nodes, hugepages short) says why in the
//! `PodsScheduled` condition, in `Progressing` and in a Warning event, and becomes Ready once
//! nodes appear.

use crate::support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;
use weka_operator::controllers::cluster::PODS_SCHEDULED;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_few_nodes_are_reported_and_new_nodes_are_used() {
    let env = Env::with_backends(3).await;
    env.create_cluster(small_cluster("spread", 5, 5, json!({}))).await;

    let cluster =
        env.wait_condition("spread", PODS_SCHEDULED, "False", Some("Unschedulable")).await;
    let message = condition(&cluster, PODS_SCHEDULED).unwrap().message.clone();
    assert!(message.contains("pod(s) cannot be scheduled"), "{message}");
    assert!(message.contains("didn't match pod anti-affinity rules"), "{message}");
    let progressing =
        env.wait_condition("spread", cond::PROGRESSING, "True", Some("Unschedulable")).await;
    assert!(
        condition(&progressing, cond::PROGRESSING).unwrap().message.contains("cannot be scheduled")
    );
    let event = env.wait_event("spread", "Unschedulable").await;
    assert!(event.contains("cannot be scheduled"), "{event}");

    env.add_backends(3, 2).await;
    env.wait_condition("spread", PODS_SCHEDULED, "True", Some("Scheduled")).await;
    env.kubectl_wait_ready("spread", std::time::Duration::from_secs(120)).await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_hugepages_are_reported_and_bigger_nodes_are_used() {
    let env = Env::new().await;
    for i in 0..5 {
        let node = NodeSpec::backend(&format!("small-{i}")).capacity("hugepages-2Mi", "2Gi");
        env.add_node(node).await;
    }
    let mut env = env;
    env.start_operator().await;
    env.create_cluster(small_cluster("hungry", 5, 5, json!({}))).await;

    let cluster =
        env.wait_condition("hungry", PODS_SCHEDULED, "False", Some("Unschedulable")).await;
    let message = condition(&cluster, PODS_SCHEDULED).unwrap().message.clone();
    assert!(message.contains("hugepages-2Mi"), "{message}");

    for i in 0..5 {
        env.add_node(NodeSpec::backend(&format!("big-{i}"))).await;
    }
    env.wait_condition("hungry", PODS_SCHEDULED, "True", Some("Scheduled")).await;
    env.kubectl_wait_ready("hungry", std::time::Duration::from_secs(120)).await;
    env.finish();
}
