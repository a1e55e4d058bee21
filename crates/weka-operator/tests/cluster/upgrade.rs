//! An image change rolls out role by role — drive containers, then compute — one container
//! at a time, each WEKA upgrade phase opened first, while the cluster stays Ready; the
//! progress shows in `Progressing` (reason `Upgrading`), and `status.lastAppliedImage` is the
//! new image at the end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::*;
use kube::ResourceExt;
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::constants::conditions as cond;

fn applied(c: &WekaContainer) -> Option<String> {
    c.status.as_ref().and_then(|s| s.last_applied_image.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_change_rolls_drives_then_computes_one_at_a_time_while_ready() {
    let env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("rolling", 5, 5, json!({}))).await;
    env.kubectl_wait_ready("rolling", Duration::from_secs(120)).await;

    env.patch_cluster("rolling", json!({"spec": {"image": NEW_IMAGE}})).await;
    // Watch the rollout: when each container first runs the new image, how many move at
    // once, and whether the cluster stays Ready.
    let mut upgraded_at: BTreeMap<String, usize> = BTreeMap::new();
    let mut tick = 0;
    let mut saw_upgrading = false;
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        tick += 1;
        let cluster = env.cluster("rolling").await.unwrap();
        assert!(is_true(&cluster, cond::READY), "the cluster stays Ready during the upgrade");
        let progressing = condition(&cluster, cond::PROGRESSING).cloned();
        saw_upgrading |= progressing.as_ref().is_some_and(|p| p.reason == "Upgrading");
        let containers = env.owned_containers(&cluster).await;
        let moving: Vec<String> = containers
            .iter()
            .filter(|c| c.spec.image == NEW_IMAGE && applied(c).as_deref() != Some(NEW_IMAGE))
            .map(|c| c.name_any())
            .collect();
        assert!(moving.len() <= 1, "one container at a time: {moving:?}");
        for c in &containers {
            if applied(c).as_deref() == Some(NEW_IMAGE) {
                upgraded_at.entry(c.name_any()).or_insert(tick);
            }
        }
        let done = cluster.status.as_ref().and_then(|s| s.last_applied_image.as_deref())
            == Some(NEW_IMAGE);
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the upgrade did not finish: {upgraded_at:?}\n{}",
            env.describe_containers().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saw_upgrading, "Progressing showed the upgrade");
    assert_eq!(upgraded_at.len(), 10, "{upgraded_at:?}");
    let last_drive =
        upgraded_at.iter().filter(|(n, _)| n.contains("-drive-")).map(|(_, t)| *t).max().unwrap();
    let first_compute =
        upgraded_at.iter().filter(|(n, _)| n.contains("-compute-")).map(|(_, t)| *t).min().unwrap();
    assert!(last_drive <= first_compute, "drives before computes: {upgraded_at:?}");

    // The WEKA upgrade phases, in order, then the finish.
    let jrpc: Vec<String> = env
        .operator_execs()
        .into_iter()
        .filter_map(|(_, argv)| argv.last().cloned())
        .filter(|script| script.contains("debug jrpc"))
        .collect();
    let position = |needle: &str| jrpc.iter().position(|s| s.contains(needle));
    let drive = position("target_phase_type=DrivePhase target_version_name=4.4.6.100-k8s.1")
        .expect("drive phase");
    let compute = position("target_phase_type=ComputeRollingPhase").expect("compute phase");
    let finish = position("unprepare_leader_for_upgrade").expect("finalize");
    assert!(drive < compute && compute < finish, "{jrpc:#?}");

    let cluster = env.wait_condition("rolling", cond::PROGRESSING, "False", None).await;
    assert!(is_true(&cluster, cond::READY));
    env.wait_event("rolling", "UpgradeCompleted").await;
    env.finish();
}
