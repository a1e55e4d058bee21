//! Drives and cluster membership: once a WEKA cluster is formed from running containers,
//! they learn their cluster identity, the drive container adds its allocated drives to WEKA
//! and records them, and both become Ready.

mod container_domain_support;
mod container_support;

use container_domain_support::*;
use container_support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drives_are_added_to_the_weka_cluster_once_it_exists() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    offer_drives(&env, "node-1", 4).await;
    create_owned(&env, &cluster, "drive-a", owned_spec("drive", "drive0", "node-1", json!({"numDrives": 2}))).await;
    create_owned(&env, &cluster, "compute-a", owned_spec("compute", "compute0", "node-1", json!({}))).await;
    for name in ["drive-a", "compute-a"] {
        wait_long(&env, name, "Running", |c| status_of(c) == "Running").await;
        wait_long(&env, name, "management IPs", |c| c.status.as_ref().is_some_and(|s| s.management_ips.is_some())).await;
    }
    // Not a member yet: no drives can be added.
    let waiting = env.get("drive-a").await.unwrap();
    assert!(waiting.status.unwrap().added_drives.unwrap_or_default().is_empty());

    let guid = form_cluster(&env, &["drive-a", "compute-a"]).await;

    let joined = wait_long(&env, "drive-a", "drives added", |c| {
        c.status.as_ref().and_then(|s| s.added_drives.as_ref()).is_some_and(|d| d.len() == 2)
    })
    .await;
    let status = joined.status.clone().unwrap();
    assert_eq!(status.cluster_id.as_deref(), Some(guid.as_str()));
    let mut added: Vec<String> = status.added_drives.unwrap().into_iter().map(|d| d.serial_number).collect();
    let mut allocated = allocations(&joined).drives.unwrap();
    added.sort();
    allocated.sort();
    assert_eq!(added, allocated);
    assert!(!env.events("drive-a", "DriveAdded").await.is_empty());
    assert!(env.events("drive-a", "DrivesAddingError").await.is_empty());

    // WEKA has them, and both containers are Ready members.
    let in_weka = env.runtime.with_world(|w| {
        let cluster = w.cluster(&guid).expect("cluster");
        cluster.drives.values().map(|d| d.serial.trim().to_string()).collect::<Vec<_>>()
    });
    for serial in &allocated {
        assert!(in_weka.contains(serial), "{serial} not in WEKA: {in_weka:?}");
    }
    for name in ["drive-a", "compute-a"] {
        let c = wait_long(&env, name, "Ready", |c| condition(c, cond::READY).is_some_and(|r| r.status == "True")).await;
        assert!(condition(&c, cond::JOINED_CLUSTER).is_some_and(|j| j.status == "True"));
    }
    env.finish();
}
