//! Restart safety: the operator is killed (dropped mid-reconcile, like a crash) and restarted
//! at random moments — a seeded RNG, so a failure replays with `CLUSTER_RESTARTS_SEED` —
//! during bring-up (to Ready), scaling and teardown of two clusters. Each phase converges to
//! exactly the containers the templates ask for (no duplicates), one WEKA cluster per
//! WekaCluster, port ranges that never overlap, and teardown leaves nothing behind.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;

/// Kills the operator `kills` times, each after a random 50..600 ms of work.
async fn chaos(env: &mut Env, rng: &mut Rng, kills: usize, count: &mut usize) {
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(rng.between(50, 600))).await;
        env.kill_operator();
        *count += 1;
        env.start_operator().await;
    }
}

fn expected(cluster: &str, drives: usize, computes: usize) -> BTreeSet<String> {
    let drive = (0..drives).map(|i| format!("{cluster}-drive-{i}"));
    let compute = (0..computes).map(|i| format!("{cluster}-compute-{i}"));
    drive.chain(compute).collect()
}

/// Waits until the WekaContainers are exactly `want` (none leaving).
async fn converge(env: &Env, what: &str, want: &BTreeSet<String>) {
    env.wait_within(what, Duration::from_secs(120), || async {
        let names: BTreeSet<String> = env.container_names().await.into_iter().collect();
        (&names == want).then_some(())
    })
    .await;
}

async fn assert_distinct_ranges(env: &Env, names: &[&str]) {
    let mut ranges = Vec::new();
    for name in names {
        let cluster = env.wait_condition(name, cond::PODS_CREATED, "True", None).await;
        let ports = cluster.status.unwrap().ports.unwrap();
        ranges.push((ports.base_port.unwrap(), ports.port_range.unwrap()));
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        assert!(pair[0].0 + pair[0].1 <= pair[1].0, "overlapping port ranges: {ranges:?}");
    }
}

/// Each WekaCluster has exactly one WEKA cluster, named after it (no second `cluster
/// create` after a crash).
async fn assert_one_weka_cluster_each(env: &Env, names: &[&str]) {
    let formed: Vec<String> =
        env.runtime.with_world(|w| w.clusters().map(|c| c.name.clone()).collect());
    let mut sorted = formed.clone();
    sorted.sort();
    let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(sorted, want, "WEKA clusters: {formed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operator_kills_during_bring_up_scaling_and_teardown_converge() {
    let seed = std::env::var("CLUSTER_RESTARTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261123);
    eprintln!("CLUSTER_RESTARTS_SEED={seed}");
    let mut rng = Rng::new(seed);
    let mut kills = 0;
    let mut env = Env::with_backends(6).await;

    // Bring-up of two clusters to Ready, and of one whose pods fit on no node.
    env.create_cluster(small_cluster("red", 5, 5, json!({}))).await;
    env.create_cluster(small_cluster("blue", 5, 5, json!({}))).await;
    env.create_cluster(small_cluster("green", 5, 5, json!({"nodeSelector": {"pool": "none"}})))
        .await;
    chaos(&mut env, &mut rng, 8, &mut kills).await;
    let mut want = expected("red", 5, 5);
    want.extend(expected("blue", 5, 5));
    want.extend(expected("green", 5, 5));
    converge(&env, "the clusters' containers", &want).await;
    env.kubectl_wait_ready("red", Duration::from_secs(120)).await;
    env.kubectl_wait_ready("blue", Duration::from_secs(120)).await;
    assert_distinct_ranges(&env, &["red", "blue", "green"]).await;
    assert_one_weka_cluster_each(&env, &["red", "blue"]).await;

    // Scaling up (new members join the formed cluster) and down (a compute container
    // leaves through its stop protocol).
    let grow = json!({"spec": {"dynamicTemplate": {"driveContainers": 6, "computeContainers": 6}}});
    env.patch_cluster("red", grow).await;
    chaos(&mut env, &mut rng, 5, &mut kills).await;
    let mut grown = want.clone();
    grown.extend(expected("red", 6, 6));
    converge(&env, "red scaled up", &grown).await;
    let shrink = json!({"spec": {"dynamicTemplate": {"computeContainers": 5}}});
    env.patch_cluster("red", shrink).await;
    chaos(&mut env, &mut rng, 3, &mut kills).await;
    let mut shrunk = want.clone();
    shrunk.extend(expected("red", 6, 5));
    converge(&env, "red scaled down", &shrunk).await;
    env.kubectl_wait_ready("red", Duration::from_secs(120)).await;
    assert_distinct_ranges(&env, &["red", "blue", "green"]).await;
    assert_one_weka_cluster_each(&env, &["red", "blue"]).await;

    // Teardown of the cluster that never formed (see the test below for formed ones).
    env.delete_cluster("green").await;
    chaos(&mut env, &mut rng, 6, &mut kills).await;
    env.wait_cluster_gone("green", Duration::from_secs(120)).await;
    let left: BTreeSet<String> = env.container_names().await.into_iter().collect();
    let mut remaining = expected("red", 6, 5);
    remaining.extend(expected("blue", 5, 5));
    assert_eq!(left, remaining);
    let pods = env.pods().list(&Default::default()).await.unwrap();
    assert!(
        pods.items.iter().all(|p| !p
            .metadata
            .name
            .as_deref()
            .unwrap_or_default()
            .starts_with("green-"))
    );
    let secrets = env.secrets().list(&Default::default()).await.unwrap();
    let green: Vec<String> = secrets
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .filter(|n| n.ends_with("-green"))
        .collect();
    assert!(green.is_empty(), "{green:?}");
    assert!(is_true(&env.cluster("red").await.unwrap(), weka_api::constants::conditions::READY));
    assert!(kills >= 20, "{kills} kills");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operator_kills_during_teardown_of_formed_clusters_converge() {
    let mut rng = Rng::new(7);
    let mut kills = 0;
    let mut env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("red", 5, 5, json!({}))).await;
    env.create_cluster(small_cluster("blue", 5, 5, json!({}))).await;
    env.kubectl_wait_ready("red", Duration::from_secs(120)).await;
    env.kubectl_wait_ready("blue", Duration::from_secs(120)).await;
    let mut guids = Vec::new();
    for name in ["red", "blue"] {
        guids.push(env.cluster(name).await.unwrap().status.unwrap().cluster_id.unwrap());
    }
    env.delete_cluster("red").await;
    env.delete_cluster("blue").await;
    chaos(&mut env, &mut rng, 10, &mut kills).await;
    env.wait_cluster_gone("red", Duration::from_secs(120)).await;
    env.wait_cluster_gone("blue", Duration::from_secs(120)).await;
    env.assert_nothing_left().await;
    for guid in &guids {
        assert_eq!(env.drives_signed_by(guid).await, Vec::<String>::new(), "drives of {guid}");
    }
    env.finish();
}
