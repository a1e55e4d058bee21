//! Drives and cluster membership: once a WEKA cluster is formed from running containers,
//! they learn their cluster identity, the drive container adds its allocated drives to WEKA
//! and records them, and both become Ready.

use crate::domain_support::*;
use crate::support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drives_are_added_to_the_weka_cluster_once_it_exists() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    offer_drives(&env, "node-1", 4).await;
    create_owned(
        &env,
        &cluster,
        "drive-a",
        owned_spec("drive", "drive0", "node-1", json!({"numDrives": 2})),
    )
    .await;
    create_owned(
        &env,
        &cluster,
        "compute-a",
        owned_spec("compute", "compute0", "node-1", json!({})),
    )
    .await;
    for name in ["drive-a", "compute-a"] {
        wait_long(&env, name, "Running", |c| status_of(c) == "Running").await;
        wait_long(&env, name, "management IPs", |c| {
            c.status.as_ref().is_some_and(|s| s.management_ips.is_some())
        })
        .await;
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
    let mut added: Vec<String> =
        status.added_drives.unwrap().into_iter().map(|d| d.serial_number).collect();
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
        let c = wait_long(&env, name, "Ready", |c| {
            condition(c, cond::READY).is_some_and(|r| r.status == "True")
        })
        .await;
        assert!(condition(&c, cond::JOINED_CLUSTER).is_some_and(|j| j.status == "True"));
    }
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_drive_is_removed_from_weka_and_replaced_in_the_allocation() {
    let mut env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    let offered = offer_drives(&env, "node-1", 4).await;
    create_owned(
        &env,
        &cluster,
        "drive-a",
        owned_spec("drive", "drive0", "node-1", json!({"numDrives": 2})),
    )
    .await;
    wait_long(&env, "drive-a", "Running", |c| status_of(c) == "Running").await;
    wait_long(&env, "drive-a", "management IPs", |c| {
        c.status.as_ref().is_some_and(|s| s.management_ips.is_some())
    })
    .await;
    let guid = form_cluster(&env, &["drive-a"]).await;
    let joined = wait_long(&env, "drive-a", "drives added", |c| {
        c.status.as_ref().and_then(|s| s.added_drives.as_ref()).is_some_and(|d| d.len() == 2)
    })
    .await;
    let before = allocations(&joined).drives.unwrap();
    let blocked = before[0].clone();

    // The drive is blocked on the node (as the block-drives operation does); the operator
    // restarts, which also lets the throttled drive checks run at once.
    let body = json!({"metadata": {"annotations": {
        weka_api::constants::annotations::BLOCKED_DRIVES: serde_json::to_string(&[&blocked]).unwrap(),
    }}});
    env.nodes()
        .patch("node-1", &Default::default(), &kube::api::Patch::Merge(&body))
        .await
        .unwrap();
    env.kill_operator();
    env.start_operator().await;

    let replaced = wait_long(&env, "drive-a", "blocked drive replaced", |c| {
        let drives = allocations(c).drives.unwrap_or_default();
        drives.len() == 2 && !drives.contains(&blocked)
    })
    .await;
    let now = allocations(&replaced).drives.unwrap();
    assert!(now.contains(&before[1]), "the healthy drive stays: {now:?}");
    assert!(now.iter().all(|d| offered.contains(d)));
    wait_for("blocked drive gone from WEKA", LONG, || async {
        let gone = env.runtime.with_world(|w| {
            !w.cluster(&guid).expect("cluster").drives.values().any(|d| d.serial.trim() == blocked)
        });
        gone.then_some(())
    })
    .await;
    assert!(!env.events("drive-a", "DriveRemoved").await.is_empty());
    // The node's claims follow: the blocked drive is free, the replacement claimed.
    let claims = drive_claims(&node(&env, "node-1").await);
    assert!(!claims.contains_key(&blocked), "{claims:?}");
    for d in &now {
        assert_eq!(
            claims.get(d).map(String::as_str),
            Some(format!("cluster-a:{NS}:drive-a").as_str())
        );
    }
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_left_in_stem_after_the_cluster_formed_is_pointed_at_its_members() {
    let env = Env::started(2).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    create_owned(
        &env,
        &cluster,
        "compute-a",
        owned_spec("compute", "compute0", "node-1", json!({})),
    )
    .await;
    create_owned(
        &env,
        &cluster,
        "compute-b",
        owned_spec("compute", "compute1", "node-2", json!({})),
    )
    .await;
    for name in ["compute-a", "compute-b"] {
        wait_long(&env, name, "management IPs", |c| {
            c.status.as_ref().is_some_and(|s| s.management_ips.is_some() && s.status == "Running")
        })
        .await;
    }
    // The cluster was formed of compute-a alone, two minutes ago (as the cluster controller
    // records it); compute-b never joined.
    let guid = form_cluster(&env, &["compute-a"]).await;
    let member = wait_long(&env, "compute-a", "Ready", |c| {
        condition(c, cond::READY).is_some_and(|r| r.status == "True")
    })
    .await;
    let long_ago = (k8s_openapi::jiff::Timestamp::now()
        - k8s_openapi::jiff::SignedDuration::from_secs(120))
    .to_string();
    let status = json!({"status": {"conditions": [{
        "type": cond::CLUSTER_CREATED, "status": "True", "reason": "Created", "message": "",
        "lastTransitionTime": long_ago,
    }]}});
    let clusters: kube::Api<weka_api::WekaCluster> = kube::Api::namespaced(env.client.clone(), NS);
    clusters
        .patch_status("cluster-a", &Default::default(), &kube::api::Patch::Merge(&status))
        .await
        .unwrap();

    let joined = wait_long(&env, "compute-b", "joined", |c| {
        c.status.as_ref().is_some_and(|s| s.container_id.is_some())
    })
    .await;
    assert_eq!(joined.status.as_ref().unwrap().cluster_id.as_deref(), Some(guid.as_str()));
    let ip = member.status.as_ref().unwrap().management_ips.clone().unwrap()[0].clone();
    let port = allocations(&member).weka_port.unwrap();
    assert_eq!(joined.spec.join_ip_ports, Some(vec![format!("{ip}:{port}")]));
    env.finish();
}
