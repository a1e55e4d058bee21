//! Every mode the operator runs, from a bare WekaContainer of one WekaCluster: the pod is
//! created under the container's name on its node and runs, the finalizer is in place, and the
//! container is either Ready or waiting — never failing. Modes whose readiness needs only
//! this part (SSD proxy, drivers distribution, legacy dist) must be Ready; the others need steps of the
//! follow-up work (resources.json, one-off results) or a formed WEKA cluster, and report what
//! they wait for. The outcome per mode is printed (`--nocapture`).

use crate::support::*;
use serde_json::{Value, json};
use weka_api::constants::conditions as cond;

/// (name, mode, node, extra spec, must be Ready with this part alone).
fn cases() -> Vec<(&'static str, &'static str, &'static str, Value, bool)> {
    let debug = json!({"instructions": {"type": "debug"}});
    vec![
        ("c-compute", "compute", "node-1", json!({}), false),
        ("c-telemetry", "telemetry", "node-1", json!({}), false),
        ("c-drive", "drive", "node-2", json!({}), false),
        ("c-ssdproxy", "ssdproxy", "node-2", json!({}), true),
        ("c-s3", "s3", "node-3", json!({}), false),
        ("c-envoy", "envoy", "node-3", json!({}), false),
        ("c-nfs", "nfs", "node-4", json!({}), false),
        ("c-client", "client", "node-5", json!({"portRange": {"basePort": 45000}}), false),
        ("c-data-services", "data-services", "node-6", json!({}), false),
        ("c-drivers-dist", "drivers-dist", "node-6", json!({"name": "dist"}), true),
        ("c-dist", "dist", "node-6", json!({"name": "dist"}), true),
        (
            "c-drivers-builder",
            "drivers-builder",
            "node-6",
            json!({"name": "dist", "uploadResultsTo": "c-drivers-dist", "port": 60002}),
            false,
        ),
        ("c-drivers-loader", "drivers-loader", "node-6", json!({}), false),
        ("c-discovery", "discovery", "node-6", json!({}), false),
        ("c-adhoc-op", "adhoc-op", "node-6", debug.clone(), false),
        ("c-adhoc-op-with-container", "adhoc-op-with-container", "node-6", debug, false),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_gets_its_pod_and_is_ready_or_names_what_it_waits_for() {
    let env = Env::started(6).await;
    let cluster = env.create_cluster("cluster-a").await;
    // Envoy and telemetry pods require an S3 / compute pod of their cluster on their node:
    // they are created once those run (kubesim's scheduler retries a pod whose affinity a
    // later binding satisfies only after minutes).
    let second_wave = |mode: &str| matches!(mode, "envoy" | "telemetry");
    for wave in [false, true] {
        for (name, mode, node, extra, _) in cases().into_iter().filter(|c| second_wave(c.1) == wave)
        {
            let mut extra = extra;
            extra["nodeAffinity"] = json!(node);
            env.create_owned(name, &cluster, spec(mode, extra)).await;
        }
        if !wave {
            env.wait_pod_running("c-s3").await;
            env.wait_pod_running("c-compute").await;
        }
    }
    for (name, mode, node, _, must_be_ready) in cases() {
        if matches!(mode, "drivers-builder" | "discovery") {
            // One-offs whose work ends: the builder once its drivers are uploaded to the
            // distribution (Completed, its pod deleted, as upstream), discovery once it
            // recorded its node (the container itself goes).
            let end = env
                .wait_for(&format!("{name} finished"), || async {
                    let c = env.get(name).await;
                    let pod = env.pods().get_opt(name).await.ok()?;
                    match c {
                        None => Some("container deleted".to_string()),
                        Some(c) if status_of(&c) == "Completed" && pod.is_none() => {
                            Some("Completed, pod deleted".to_string())
                        }
                        Some(_) => None,
                    }
                })
                .await;
            println!("{mode:<24} {end}");
            continue;
        }
        let pod = env.wait_pod_running(name).await;
        assert_eq!(pod.spec.as_ref().unwrap().node_name.as_deref(), Some(node), "{mode}");
        let c = match must_be_ready {
            true => env.wait_condition(name, cond::READY, "True", None).await,
            false => env.wait_container(name, "past the pod's start, not failing", settled).await,
        };
        assert!(has_finalizer(&c), "{mode}");
        let ready = condition(&c, cond::READY).unwrap();
        println!(
            "{mode:<24} status={:<14} Ready={} ({}: {})",
            status_of(&c),
            ready.status,
            ready.reason,
            ready.message
        );
        if must_be_ready {
            assert_eq!(status_of(&c), "Running", "{mode}");
        }
    }
    env.finish();
}
