//! Resource allocation, resources.json and drivers: a container's ports and drives are
//! claimed on its node (with the node's resourceVersion, never twice, also across operator
//! restarts), recorded in its status and written into its pod; the drivers loader runs first.

use std::collections::BTreeSet;

use crate::domain_support::*;
use crate::support::*;
use serde_json::json;
use weka_api::constants::{annotations, conditions as cond};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drive_container_gets_ports_and_drives_claimed_on_its_node_and_runs() {
    let env = Env::started(2).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    let offered = offer_drives(&env, "node-1", 4).await;
    create_owned(
        &env,
        &cluster,
        "drive-a",
        owned_spec("drive", "drive0", "node-1", json!({"numDrives": 2})),
    )
    .await;

    let c = wait_long(&env, "drive-a", "resources allocated", |c| {
        condition(c, cond::CONTAINER_RESOURCES_ALLOCATED).is_some_and(|x| x.status == "True")
    })
    .await;
    let a = allocations(&c);
    let drives = a.drives.clone().expect("drives allocated");
    assert_eq!(drives.len(), 2);
    assert!(drives.iter().all(|d| offered.contains(d)), "{drives:?} not among {offered:?}");
    let weka_port = a.weka_port.expect("weka port") as i64;
    let agent_port = a.agent_port.expect("agent port") as i64;
    assert!((BASE_PORT..BASE_PORT + PORT_RANGE).contains(&weka_port), "{weka_port}");
    assert!((BASE_PORT..BASE_PORT + PORT_RANGE).contains(&agent_port), "{agent_port}");

    // Claimed on the node first, under the container's owner key.
    let n = node(&env, "node-1").await;
    let owner = format!("cluster-a:{NS}:drive-a");
    let drive_claims = drive_claims(&n);
    for d in &drives {
        assert_eq!(drive_claims.get(d), Some(&owner));
    }
    let ports = port_claims(&n);
    assert_eq!(ports.get(&(weka_port, 60)), Some(&owner), "{ports:?}");
    assert_eq!(ports.get(&(agent_port, 1)), Some(&owner), "{ports:?}");
    assert!(!env.wait_event("drive-a", "ResourcesAllocated").await.is_empty());

    // resources.json written, drivers loaded by a loader (then deleted), WEKA runs.
    wait_long(&env, "drive-a", "resources written", |c| {
        condition(c, cond::CONTAINER_RESOURCES_WRITTEN).is_some_and(|x| x.status == "True")
    })
    .await;
    let running = wait_long(&env, "drive-a", "Running", |c| status_of(c) == "Running").await;
    assert_eq!(running.status.unwrap().management_ips.map(|m| m.len()), Some(1));
    let n = node(&env, "node-1").await;
    let marker = annotation(&n, annotations::DRIVERS_LOADED).expect("drivers-loaded annotation");
    let boot_id = n.status.unwrap().node_info.unwrap().boot_id;
    assert_eq!(marker, format!("{IMAGE}:{boot_id}"));
    let loader = format!("weka-drivers-loader-{}", n.metadata.uid.unwrap());
    env.wait_gone(&loader).await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_port_or_drive_is_claimed_twice_by_containers_allocating_at_once_across_restarts() {
    let mut env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    offer_drives(&env, "node-1", 8).await;
    let mut names = Vec::new();
    for i in 0..3 {
        let name = format!("compute-{i}");
        create_owned(
            &env,
            &cluster,
            &name,
            owned_spec("compute", &format!("compute{i}"), "node-1", json!({})),
        )
        .await;
        names.push(name);
    }
    for i in 0..2 {
        let name = format!("drive-{i}");
        let spec = owned_spec("drive", &format!("drive{i}"), "node-1", json!({"numDrives": 2}));
        create_owned(&env, &cluster, &name, spec).await;
        names.push(name);
    }
    // The operator dies while they allocate and comes back (twice).
    for _ in 0..2 {
        wait_for("some allocation", LONG, || async {
            let n = node(&env, "node-1").await;
            (!port_claims(&n).is_empty()).then_some(())
        })
        .await;
        env.kill_operator();
        env.start_operator().await;
    }
    let mut all = Vec::new();
    for name in &names {
        all.push(
            wait_long(&env, name, "resources allocated", |c| {
                condition(c, cond::CONTAINER_RESOURCES_ALLOCATED)
                    .is_some_and(|x| x.status == "True")
            })
            .await,
        );
    }
    let mut blocks: Vec<(i64, i64, String)> = Vec::new();
    let mut drives = BTreeSet::new();
    for c in &all {
        let a = allocations(c);
        let name = kube::ResourceExt::name_any(c);
        blocks.push((a.weka_port.unwrap() as i64, 60, name.clone()));
        blocks.push((a.agent_port.unwrap() as i64, 1, name.clone()));
        for d in a.drives.unwrap_or_default() {
            assert!(drives.insert(d.clone()), "drive {d} allocated twice");
        }
    }
    for (i, (base, size, owner)) in blocks.iter().enumerate() {
        for (other_base, other_size, other) in &blocks[i + 1..] {
            let overlap = base < &(other_base + other_size) && other_base < &(base + size);
            assert!(!overlap, "{owner} {base}+{size} overlaps {other} {other_base}+{other_size}");
        }
    }
    // The node's claims are exactly what the statuses record.
    let n = node(&env, "node-1").await;
    let claimed: BTreeSet<(i64, i64)> = port_claims(&n).into_keys().collect();
    let recorded: BTreeSet<(i64, i64)> = blocks.iter().map(|(b, s, _)| (*b, *s)).collect();
    assert_eq!(claimed, recorded);
    let claimed_drives: BTreeSet<String> = drive_claims(&n).into_keys().collect();
    assert_eq!(claimed_drives, drives);
    // Every container runs WEKA with its resources.
    for name in &names {
        wait_long(&env, name, "Running", |c| status_of(c) == "Running").await;
    }
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_without_an_owner_cluster_says_why_it_gets_no_ports() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let c = wait_long(&env, "compute-a", "waiting for an owner", |c| {
        condition(c, cond::PROGRESSING).is_some_and(|x| x.reason == "NoOwnerCluster")
    })
    .await;
    assert!(allocations(&c).weka_port.is_none());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drivers_recorded_before_a_reboot_are_loaded_again() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    create_owned(
        &env,
        &cluster,
        "compute-a",
        owned_spec("compute", "compute0", "node-1", json!({})),
    )
    .await;
    wait_long(&env, "compute-a", "Running", |c| status_of(c) == "Running").await;
    let before = annotation(&node(&env, "node-1").await, annotations::DRIVERS_LOADED)
        .expect("drivers loaded");

    // The node comes back with a new boot ID and without WEKA's drivers.
    env.runtime.set_drivers_loaded("node-1", false);
    let body = json!({"status": {"nodeInfo": {"bootID": "rebooted-boot-id"}}});
    env.nodes()
        .patch_status("node-1", &Default::default(), &kube::api::Patch::Merge(&body))
        .await
        .unwrap();

    wait_for("drivers loaded on the new boot", LONG, || async {
        let marker = annotation(&node(&env, "node-1").await, annotations::DRIVERS_LOADED)?;
        (marker == format!("{IMAGE}:rebooted-boot-id")).then_some(())
    })
    .await;
    assert_ne!(before, format!("{IMAGE}:rebooted-boot-id"));
    // Only a drivers loader loads them on a simulated node.
    assert!(env.runtime.drivers_loaded("node-1"), "the loader ran on the node");
    wait_long(&env, "compute-a", "Running again", |c| status_of(c) == "Running").await;
    env.finish();
}
