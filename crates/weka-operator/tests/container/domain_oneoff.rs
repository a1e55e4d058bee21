//! One-off containers: their result is read from the pod into status, processed by mode, and
//! the finished container cleaned up.

use crate::domain_support::*;
use crate::support::*;
use serde_json::{Value, json};
use weka_api::constants::annotations;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovery_container_records_its_node_and_goes_away() {
    let env = Env::started(1).await;
    env.create("weka-dsc-node-1", spec("discovery", json!({"nodeAffinity": "node-1"}))).await;

    let text = wait_for("discovery annotation", LONG, || async {
        annotation(&node(&env, "node-1").await, annotations::DISCOVERY_JSON)
    })
    .await;
    let discovery: Value = serde_json::from_str(&text).expect("discovery.json is JSON");
    let n = node(&env, "node-1").await;
    let boot_id = n.status.unwrap().node_info.unwrap().boot_id;
    assert_eq!(discovery["boot_id"], json!(boot_id));
    assert_eq!(discovery["os"], json!("ubuntu"));
    assert_eq!(discovery["schema"], json!(3));
    assert_eq!(discovery["num_cpus"], json!(16));

    wait_for("discovery container gone", LONG, || async {
        env.get("weka-dsc-node-1").await.is_none().then_some(())
    })
    .await;
    env.wait_no_pod("weka-dsc-node-1").await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discover_drives_operation_completes_and_records_the_nodes_drives() {
    let env = Env::started(1).await;
    let extra = json!({"nodeAffinity": "node-1", "instructions": {"type": "discover-drives"}});
    env.create("discover-a", spec("adhoc-op", extra)).await;

    let done = wait_long(&env, "discover-a", "Completed", |c| status_of(c) == "Completed").await;
    let result: Value =
        serde_json::from_str(done.status.unwrap().result.as_deref().unwrap()).unwrap();
    assert_eq!(result["drives"].as_array().map(Vec::len), Some(8));
    let drives =
        annotation(&node(&env, "node-1").await, annotations::WEKA_DRIVES).expect("weka-drives");
    let drives: Vec<String> = serde_json::from_str(&drives).unwrap();
    let expected: Vec<String> =
        env.runtime.node_disks("node-1").into_iter().map(|d| d.serial).collect();
    assert_eq!(drives.len(), expected.len());
    assert!(expected.iter().all(|d| drives.contains(d)));
    // The finished operation's pod is removed; the container stays with its result.
    env.wait_no_pod("discover-a").await;
    assert!(env.get("discover-a").await.is_some());
    env.finish();
}
