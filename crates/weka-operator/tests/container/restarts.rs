//! Convergence: once everything is as the specs ask, the operator writes nothing; killed and
//! restarted at random points of a bring-up and a deletion, it still converges, with one pod
//! per container and no finalizer left behind.

use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;

/// Two compute containers of one WekaCluster (the test then forms their WEKA cluster, and
/// writes resources.json if the operator does not: the cluster controller's and the
/// follow-up's parts).
async fn bring_up_computes(env: &Env) {
    let cluster = env.create_cluster("cluster-a").await;
    for (name, node) in [("compute-a", "node-1"), ("compute-b", "node-2")] {
        env.create_owned(name, &cluster, spec("compute", json!({"nodeAffinity": node}))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_convergence_the_operator_writes_nothing_for_30_seconds() {
    let env = Env::started(3).await;
    bring_up_computes(&env).await;
    env.join_computes().await;
    env.create("ssdproxy-a", spec("ssdproxy", json!({"nodeAffinity": "node-3"}))).await;
    env.create("drive-a", spec("drive", json!({"nodeAffinity": "node-3"}))).await;
    for name in ["compute-a", "compute-b", "ssdproxy-a"] {
        env.wait_condition(name, cond::READY, "True", None).await;
    }
    // A container that waits (here for steps of the follow-up work) is converged too.
    env.wait_container("drive-a", "waiting, not failing", settled).await;
    env.wait_quiet(Duration::from_secs(5), Duration::from_secs(60)).await;

    let writes_before = env.operator_writes().len();
    let reads_before = env.operator_requests().len();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let writes: Vec<_> = env.operator_writes().into_iter().skip(writes_before).collect();
    assert!(writes.is_empty(), "writes after convergence: {writes:#?}");
    // The operator was not idle: it refreshed (reads and execs) every few seconds.
    assert!(env.operator_requests().len() > reads_before + 10);
    env.finish();
}

/// xorshift64*: a seeded, dependency-free RNG for the restart points.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

/// Runs the operator for a random while (0–`max_ms`), then kills it.
async fn run_then_kill(env: &mut Env, rng: &mut Rng, max_ms: u64) {
    env.start_operator().await;
    tokio::time::sleep(Duration::from_millis(rng.below(max_ms))).await;
    env.kill_operator();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_the_operator_converges_without_duplicate_pods_or_leftover_finalizers()
 {
    const SEED: u64 = 0x5EED_0000_C0DE_0009;
    let mut rng = Rng(SEED);
    let mut env = Env::new(2).await;
    let history = PodHistory::start(&env);
    let mut restarts = 0;

    // Bring-up: creation, finalizer, pod, binding to the node, then the join.
    bring_up_computes(&env).await;
    for _ in 0..8 {
        run_then_kill(&mut env, &mut rng, 600).await;
        restarts += 1;
    }
    env.start_operator().await;
    env.join_computes().await;
    env.kill_operator();
    for _ in 0..6 {
        run_then_kill(&mut env, &mut rng, 1500).await;
        restarts += 1;
    }
    env.start_operator().await;
    for name in ["compute-a", "compute-b"] {
        let c = env.wait_condition(name, cond::READY, "True", None).await;
        assert!(has_finalizer(&c));
    }
    for name in ["compute-a", "compute-b"] {
        assert_eq!(history.uids(name).len(), 1, "{name}'s pod was created once (seed {SEED:#x})");
    }

    // Deletion: deactivation, stop, removal, finalizer — interrupted again and again.
    env.kill_operator();
    env.containers().delete("compute-a", &Default::default()).await.expect("deleted");
    for _ in 0..8 {
        run_then_kill(&mut env, &mut rng, 1500).await;
        restarts += 1;
    }
    env.start_operator().await;
    env.wait_gone("compute-a").await;
    env.wait_no_pod("compute-a").await;
    assert!(restarts >= 20, "{restarts} restarts");

    // Nothing left behind, nothing touched that should not be.
    let left: Vec<String> = env
        .containers()
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .filter(|name| name.starts_with("compute-"))
        .collect();
    assert_eq!(left, ["compute-b"]);
    env.wait_condition("compute-b", cond::READY, "True", None).await;
    assert_eq!(history.uids("compute-a").len(), 1, "seed {SEED:#x}");
    assert_eq!(history.uids("compute-b").len(), 1, "seed {SEED:#x}");
    assert!(env.pods().get_opt("compute-a").await.unwrap().is_none());
    env.finish();
}
