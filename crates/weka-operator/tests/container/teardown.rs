//! Tearing a WekaContainer down. Deleting a joined backend deactivates it in WEKA, stops its
//! pod through the stop protocol, removes it from the WEKA cluster and only then releases the
//! finalizer; Destroying force-stops the pod through `/tmp/.allow-force-stop` without
//! deactivating; neither ever force-deletes the pod.
//!
//! The WEKA cluster around the containers is formed by the test with the cluster controller's
//! command line, and resources.json is written by the test when the operator does not write
//! it (the `WriteResources` step of the follow-up work): neither is this part's work.

use crate::support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;

/// The WEKA cluster's member ids.
fn members(env: &Env) -> Vec<u32> {
    env.runtime.with_world(|w| w.clusters().flat_map(|c| c.members().map(|m| m.host.0)).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_joined_compute_deactivates_it_stops_the_pod_removes_it_and_releases_the_finalizer()
 {
    let env = Env::started(2).await;
    env.joined_computes().await;
    // The internal status follows the join on the next local-status read. Both members must
    // be operational (joined, READY, management IPs, Running): the deactivation runs in an
    // operational member other than the one leaving, else in the leaving one's own pod.
    let operational = |c: &weka_api::WekaContainer| {
        c.status.as_ref().is_some_and(|s| {
            s.internal_status.as_deref() == Some("READY")
                && s.status == "Running"
                && s.container_id.is_some()
                && s.management_ips.as_ref().is_some_and(|ips| !ips.is_empty())
        })
    };
    env.wait_container("compute-b", "operational", operational).await;
    let a = env.wait_container("compute-a", "operational", operational).await;
    let id = a.status.as_ref().unwrap().container_id.expect("joined") as u32;
    let status = a.status.clone().unwrap();
    assert_eq!(status.status, "Running");
    assert_eq!(status.internal_status.as_deref(), Some("READY"));
    assert!(status.management_ips.is_some_and(|ips| !ips.is_empty()));
    assert_eq!(status.last_applied_image.as_deref(), Some(IMAGE));
    assert!(members(&env).contains(&id));

    env.containers().delete("compute-a", &Default::default()).await.expect("deleted");
    env.wait_container("compute-a", "Deleting", |c| status_of(c) == "Deleting").await;
    env.wait_gone("compute-a").await;
    env.wait_no_pod("compute-a").await;

    // Deactivated and removed through the other member, then force-stopped (safe once
    // deactivated), in that order.
    let in_b = env.execs_in("compute-b");
    let deactivate =
        in_b.iter().position(|a| a.join(" ").contains(&format!("container deactivate {id}")));
    let remove = in_b.iter().position(|a| a.join(" ").contains(&format!("container remove {id}")));
    assert!(deactivate.is_some() && remove.is_some() && deactivate < remove, "{in_b:?}");
    assert!(env.wrote_marker("compute-a", ALLOW_FORCE_STOP));
    assert!(!members(&env).contains(&id), "container {id} left the WEKA cluster");
    assert_eq!(env.pod_deletes("compute-a").len(), 1);
    // The other member is untouched.
    env.wait_condition("compute-b", cond::READY, "True", None).await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroying_force_stops_through_the_marker_without_deactivating_and_finalizes() {
    let env = Env::started(2).await;
    env.joined_computes().await;
    let id = env.get("compute-a").await.unwrap().status.unwrap().container_id.unwrap() as u32;

    env.patch_spec("compute-a", json!({"state": "destroying"})).await;
    env.wait_gone("compute-a").await;
    env.wait_no_pod("compute-a").await;
    assert!(env.wrote_marker("compute-a", ALLOW_FORCE_STOP), "{:?}", env.execs_in("compute-a"));
    let deactivations = env
        .execs_in("compute-b")
        .into_iter()
        .chain(env.execs_in("compute-a"))
        .filter(|a| a.join(" ").contains("deactivate"))
        .count();
    assert_eq!(deactivations, 0, "destroying does not deactivate");
    assert!(members(&env).contains(&id), "destroying leaves the WEKA cluster as it is");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_container_that_never_joined_stops_its_pod_gracefully_and_finalizes() {
    let env = Env::started(1).await;
    env.create("drive-a", spec("drive", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_pod_running("drive-a").await;
    env.wait_container("drive-a", "finalizer", has_finalizer).await;

    env.containers().delete("drive-a", &Default::default()).await.expect("deleted");
    env.wait_gone("drive-a").await;
    env.wait_no_pod("drive-a").await;
    assert!(env.wrote_marker("drive-a", ALLOW_STOP));
    assert!(!env.wrote_marker("drive-a", ALLOW_FORCE_STOP), "a graceful stop sufficed");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleting_state_set_by_someone_else_deletes_the_object_and_tears_it_down() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    env.wait_pod_running("compute-a").await;
    env.wait_container("compute-a", "finalizer", has_finalizer).await;

    env.patch_spec("compute-a", json!({"state": "deleting"})).await;
    env.wait_gone("compute-a").await;
    env.wait_no_pod("compute-a").await;
    let self_delete = env.operator_writes().into_iter().any(|r| {
        r.verb == "delete"
            && r.resource == "wekacontainers"
            && r.name.as_deref() == Some("compute-a")
    });
    assert!(self_delete, "the controller deleted the object itself");
    env.finish();
}

/// A look at a node's host directories: an idle pod on the node with the containers'
/// persistence directory (`/opt/k8s-weka/containers`) mounted at `/host`.
async fn host_view(env: &Env, node: &str) -> String {
    let name = format!("host-view-{node}");
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "nodeName": node,
            "containers": [{"name": "view", "image": "busybox",
                            "volumeMounts": [{"name": "containers", "mountPath": "/host"}]}],
            "volumes": [{"name": "containers",
                         "hostPath": {"path": "/opt/k8s-weka/containers"}}],
        },
    }))
    .unwrap();
    env.pods().create(&Default::default(), &pod).await.expect("host view created");
    env.wait_pod_running(&name).await;
    name
}

/// Whether the container `uid` has its persistent directory on the node seen by `view`.
async fn host_dir_exists(env: &Env, view: &str, uid: &str) -> bool {
    let (_, code) = env.exec_in(NS, view, "view", &["test", "-d", &format!("/host/{uid}")]).await;
    code == 0
}

/// The operator's successful writes of the pod `name` (in any namespace).
fn pod_writes(env: &Env, name: &str) -> Vec<String> {
    env.operator_writes()
        .into_iter()
        .filter(|r| r.resource == "pods" && r.name.as_deref() == Some(name) && r.code < 300)
        .map(|r| r.verb)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalization_removes_the_persistent_directory_through_a_maintenance_pod() {
    let env = Env::started(1).await;
    let view = host_view(&env, "node-1").await;
    let created = env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let uid = kube::ResourceExt::uid(&created).unwrap();
    env.wait_pod_running("compute-a").await;
    env.wait_container("compute-a", "finalizer", has_finalizer).await;
    assert!(host_dir_exists(&env, &view, &uid).await, "the pod's state is on the node");

    env.containers().delete("compute-a", &Default::default()).await.expect("deleted");
    env.wait_gone("compute-a").await;
    assert!(!host_dir_exists(&env, &view, &uid).await, "the directory went with the container");
    // A maintenance pod did it, and was gone before the finalizer was.
    let cleanup = format!("weka-cleanup-container-{uid}");
    // Created, then deleted plainly (a pass that overlaps the pod's termination may delete it
    // once more, or, from a stale view, run it again: harmless, as long as the last write
    // deletes it).
    let writes = pod_writes(&env, &cleanup);
    assert_eq!(writes.first().map(String::as_str), Some("create"), "{writes:?}");
    assert_eq!(writes.last().map(String::as_str), Some("delete"), "{writes:?}");
    assert!(writes.iter().all(|w| w == "create" || w == "delete"), "{writes:?}");
    assert!(env.pods().get_opt(&cleanup).await.unwrap().is_none());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_skip_cleanup_persistent_dir_the_directory_stays() {
    let env = Env::started(1).await;
    let view = host_view(&env, "node-1").await;
    let extra = json!({"nodeAffinity": "node-1", "overrides": {"skipCleanupPersistentDir": true}});
    let created = env.create("compute-a", spec("compute", extra)).await;
    let uid = kube::ResourceExt::uid(&created).unwrap();
    env.wait_pod_running("compute-a").await;
    env.wait_container("compute-a", "finalizer", has_finalizer).await;

    env.containers().delete("compute-a", &Default::default()).await.expect("deleted");
    env.wait_gone("compute-a").await;
    assert!(host_dir_exists(&env, &view, &uid).await, "the directory stays");
    assert!(pod_writes(&env, &format!("weka-cleanup-container-{uid}")).is_empty());
    env.finish();
}
