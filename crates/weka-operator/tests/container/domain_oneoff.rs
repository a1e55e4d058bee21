//! One-off containers: their result is read from the pod into status, processed by mode, and
//! the finished container cleaned up.

use crate::domain_support::*;
use crate::support::*;
use kube::api::{Patch, PatchParams};
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

/// Where the operator created a WekaContainer or pod named `name`, in the order of its writes.
fn creations(env: &Env, resource: &str, name: &str) -> Vec<usize> {
    env.operator_writes()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.verb == "create" && r.code < 300)
        .filter(|(_, r)| r.resource == resource && r.name.as_deref() == Some(name))
        .map(|(at, _)| at)
        .collect()
}

/// The boot ID of node-1's discovery record, once it matches `boot_id`.
async fn wait_discovered_on(env: &Env, boot_id: &str) -> Value {
    wait_for("a current discovery record", LONG, || async {
        let text = annotation(&node(env, "node-1").await, annotations::DISCOVERY_JSON)?;
        let record: Value = serde_json::from_str(&text).ok()?;
        (record["boot_id"] == json!(boot_id)).then_some(record)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_pod_is_built_before_its_node_is_discovered_and_a_reboot_discovers_it_again() {
    let env = Env::started(1).await;
    assert!(annotation(&node(&env, "node-1").await, annotations::DISCOVERY_JSON).is_none());
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_pod_running("compute-a").await;
    let boot_id = node(&env, "node-1").await.status.unwrap().node_info.unwrap().boot_id;
    let record = wait_discovered_on(&env, &boot_id).await;
    assert_eq!(record["schema"], json!(3));
    // The discovery container (its pod first) came before the container's pod was created,
    // and went away once it recorded the node.
    let discovery = creations(&env, "wekacontainers", "weka-dsc-node-1");
    let pods = creations(&env, "pods", "compute-a");
    assert_eq!((discovery.len(), pods.len()), (1, 1), "{discovery:?} {pods:?}");
    assert!(discovery[0] < pods[0]);
    assert!(creations(&env, "pods", "weka-dsc-node-1")[0] < pods[0]);
    wait_for("discovery container gone", LONG, || async {
        env.get("weka-dsc-node-1").await.is_none().then_some(())
    })
    .await;

    // The node reboots (a new boot ID): the record is stale, and the next pod on the node
    // waits for a new discovery. (A drive container: a node holds one compute container.)
    let reboot = json!({"status": {"nodeInfo": {"bootID": "rebooted-boot-id"}}});
    env.nodes()
        .patch_status("node-1", &PatchParams::default(), &Patch::Merge(&reboot))
        .await
        .expect("boot ID changed");
    env.create("drive-b", spec("drive", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_pod_running("drive-b").await;
    wait_discovered_on(&env, "rebooted-boot-id").await;
    let discovery = creations(&env, "wekacontainers", "weka-dsc-node-1");
    let pods = creations(&env, "pods", "drive-b");
    assert_eq!((discovery.len(), pods.len()), (2, 1), "{discovery:?} {pods:?}");
    assert!(discovery[1] < pods[0]);
    env.finish();
}
