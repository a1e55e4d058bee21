//! WekaContainers the operator cannot run: each gets a condition that says why and a Warning
//! event, no pod, and no retry loop (the controller waits for the spec to change) — and the
//! other containers keep being reconciled.

use std::time::{Duration, Instant};

use crate::support::*;
use kubesim::store::{Generation, WriteOptions};
use serde_json::json;
use weka_api::constants::conditions as cond;
use weka_operator::controllers::container::ContainerObject;

/// The operator's writes about `name` over `period` (after it settled).
async fn writes_about(env: &Env, name: &str, period: Duration) -> usize {
    let writes = || {
        env.operator_writes()
            .into_iter()
            .filter(|r| r.name.as_deref() == Some(name))
            .collect::<Vec<_>>()
    };
    let before = writes().len();
    let start = Instant::now();
    while start.elapsed() < period {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after: Vec<_> = writes().into_iter().skip(before).collect();
    if !after.is_empty() {
        eprintln!("writes about {name}: {after:#?}");
    }
    after.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mode_the_crd_accepts_but_the_operator_does_not_run_is_reported_without_a_pod() {
    let env = Env::started(1).await;
    env.create("smbw-a", spec("smbw", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_condition("smbw-a", cond::UNSUPPORTED_MODE, "True", Some("UnsupportedMode")).await;
    env.wait_condition("smbw-a", cond::READY, "False", Some("UnsupportedMode")).await;
    assert!(env.wait_event("smbw-a", "UnsupportedMode").await.contains("smbw"));
    assert!(env.pods().get_opt("smbw-a").await.unwrap().is_none());
    assert_eq!(writes_about(&env, "smbw-a", Duration::from_secs(6)).await, 0, "no retry loop");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_image_is_reported_and_fixing_it_creates_the_pod() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1", "image": ""}))).await;
    env.wait_condition("compute-a", cond::DEGRADED, "True", Some("MissingImage")).await;
    let c = env.wait_condition("compute-a", cond::READY, "False", Some("MissingImage")).await;
    assert_eq!(status_of(&c), "Error");
    assert!(!env.wait_event("compute-a", "MissingImage").await.is_empty());
    assert!(env.pods().get_opt("compute-a").await.unwrap().is_none());
    assert_eq!(writes_about(&env, "compute-a", Duration::from_secs(6)).await, 0, "no retry loop");

    env.patch_spec("compute-a", json!({"image": IMAGE})).await;
    env.wait_pod_running("compute-a").await;
    env.wait_condition("compute-a", cond::DEGRADED, "False", Some("Resolved")).await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_does_not_exist_is_reported_without_a_pod() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-404"}))).await;
    env.wait_condition("compute-a", cond::READY, "False", Some("NodeNotFound")).await;
    assert!(env.wait_event("compute-a", "NodeNotFound").await.contains("node-404"));
    assert!(env.pods().get_opt("compute-a").await.unwrap().is_none());
    assert_eq!(writes_about(&env, "compute-a", Duration::from_secs(6)).await, 0, "no retry loop");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_mode_written_past_the_schema_is_reported_and_breaks_no_other_container() {
    let env = Env::started(1).await;
    // Stored directly (as a CRD newer than the operator would let in): the schema's mode
    // enum is not checked.
    let object = json!({
        "apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaContainer",
        "metadata": {"name": "warp-a", "namespace": NS},
        "spec": {"name": "warp0", "mode": "warp-drive", "image": IMAGE, "numCores": 1},
    });
    let options = WriteOptions { dry_run: false, generation: Generation::default() };
    env.sim.store().create("weka.weka.io/wekacontainers", object, options).expect("stored");

    assert!(env.wait_event("warp-a", "UnknownMode").await.contains("warp-drive"));
    let raw: kube::Api<ContainerObject> = kube::Api::namespaced(env.client.clone(), NS);
    env.wait_for("the UnsupportedMode condition", || async {
        let object = raw.get("warp-a").await.ok()?;
        let conditions = object.status_value()?.get("conditions")?.clone();
        let conditions: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> =
            serde_json::from_value(conditions).ok()?;
        let found = weka_api::conditions::find(&conditions, cond::UNSUPPORTED_MODE)?;
        (found.status == "True" && found.reason == "UnknownMode").then_some(())
    })
    .await;
    assert!(env.pods().get_opt("warp-a").await.unwrap().is_none());
    // The others are reconciled as usual.
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_pod_running("compute-a").await;
    assert_eq!(writes_about(&env, "warp-a", Duration::from_secs(6)).await, 0, "no retry loop");
    env.finish();
}
