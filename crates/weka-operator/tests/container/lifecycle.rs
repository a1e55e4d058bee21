//! A WekaContainer's pod: created under the container's name with the finalizer in place,
//! recreated after someone deletes it, rolled to a new image and paused — every replacement
//! through the stop protocol, never a forced delete.

use crate::support::*;
use serde_json::json;
use weka_api::constants::conditions as cond;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compute_container_gets_its_pod_under_its_name_with_the_finalizer() {
    let env = Env::started(2).await;
    let created = env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;

    let pod = env.wait_pod_running("compute-a").await;
    let owner = &pod.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(owner.uid, created.metadata.uid.clone().unwrap());
    assert_eq!(owner.controller, Some(true));
    assert_eq!(pod.spec.as_ref().unwrap().node_name.as_deref(), Some("node-1"));

    let c = env.wait_condition("compute-a", cond::CONTAINER_AFFINITY_SET, "True", None).await;
    assert!(has_finalizer(&c));
    let status = c.status.clone().unwrap();
    assert_eq!(status.node_affinity.as_deref(), Some("node-1"));
    assert_eq!(status.printer.unwrap().node_affinity.as_deref(), Some("node-1"));
    // What comes next (resources, WEKA, the cluster) is beyond this test: the controller
    // goes on, waiting or ready, never failing.
    env.wait_container("compute-a", "past the pod's start, not failing", settled).await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_deleted_by_someone_else_is_allowed_to_stop_and_recreated_with_the_same_name() {
    let env = Env::started(1).await;
    env.create("drive-a", spec("drive", json!({"nodeAffinity": "node-1"}))).await;
    let first = env.wait_pod_running("drive-a").await;
    let first_uid = first.metadata.uid.clone().unwrap();

    // A user deletes the pod; the runtime keeps it until the operator allows a stop.
    env.pods().delete("drive-a", &Default::default()).await.expect("pod deleted");
    let second = env
        .wait_pod("drive-a", "recreated", |p| p.metadata.uid.as_deref() != Some(first_uid.as_str()))
        .await;
    assert_eq!(second.metadata.name.as_deref(), Some("drive-a"));
    assert!(
        env.wrote_marker("drive-a", ALLOW_STOP),
        "allow-stop written: {:?}",
        env.execs_in("drive-a")
    );
    assert!(!env.wrote_marker("drive-a", ALLOW_FORCE_STOP));
    // The termination was reflected in status on the way.
    let writes = env.operator_writes();
    assert!(writes.iter().any(|w| w.subresource.as_deref() == Some("status")));
    env.wait_pod_running("drive-a").await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_image_rolls_the_pod_through_the_stop_protocol() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let old = env.wait_pod_running("compute-a").await;
    assert_eq!(pod_image(&old), IMAGE);

    env.patch_spec("compute-a", json!({"image": NEW_IMAGE})).await;
    let new = env.wait_pod("compute-a", "on the new image", |p| pod_image(p) == NEW_IMAGE).await;
    assert_ne!(new.metadata.uid, old.metadata.uid);
    assert!(env.wrote_marker("compute-a", ALLOW_STOP));
    let deletes = env.pod_deletes("compute-a");
    assert_eq!(deletes.len(), 1, "one plain delete of the old pod: {deletes:#?}");
    assert!(!env.wait_event("compute-a", "PodReplaced").await.is_empty());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_of_a_joined_container_stops_it_gracefully_and_records_the_new_image() {
    let env = Env::started(2).await;
    env.joined_computes().await;
    let before = env.wait_pod_running("compute-a").await;
    let applied = |c: &weka_api::WekaContainer, image: &str| {
        c.status.as_ref().and_then(|s| s.last_applied_image.as_deref()) == Some(image)
    };
    env.wait_container("compute-a", "image applied", |c| applied(c, IMAGE)).await;

    env.patch_spec("compute-a", json!({"image": NEW_IMAGE})).await;
    let c = env.wait_container("compute-a", "new image applied", |c| applied(c, NEW_IMAGE)).await;
    assert!(condition(&c, cond::CONTAINER_IMAGE_UPDATED).is_none_or(|u| u.status == "True"));
    let pod = env.wait_pod_running("compute-a").await;
    assert_eq!(pod_image(&pod), NEW_IMAGE);
    assert_ne!(pod.metadata.uid, before.metadata.uid);
    assert!(env.wrote_marker("compute-a", ALLOW_STOP), "graceful stop for the upgrade");
    assert!(!env.wrote_marker("compute-a", ALLOW_FORCE_STOP));
    assert_eq!(env.pod_deletes("compute-a").len(), 1);
    // The restarted container is a member again; the other one was not touched.
    env.wait_condition("compute-a", cond::READY, "True", None).await;
    assert!(env.pod_deletes("compute-b").is_empty());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_container_has_no_pod_until_it_is_active_again() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let running = env.wait_pod_running("compute-a").await;

    env.patch_spec("compute-a", json!({"state": "paused"})).await;
    env.wait_container("compute-a", "Paused", |c| status_of(c) == "Paused").await;
    env.wait_no_pod("compute-a").await;
    assert!(env.wrote_marker("compute-a", ALLOW_FORCE_STOP));
    // Paused stays without a pod (observed over two refresh periods of the controller).
    let observe = std::time::Instant::now();
    while observe.elapsed() < std::time::Duration::from_secs(6) {
        assert!(
            env.pods().get_opt("compute-a").await.unwrap().is_none(),
            "a paused container got a pod"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    env.patch_spec("compute-a", json!({"state": "active"})).await;
    let again = env.wait_pod_running("compute-a").await;
    assert_ne!(again.metadata.uid, running.metadata.uid);
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_annotations_and_tolerations_reach_the_running_pod_in_place() {
    let env = Env::started(1).await;
    env.create("compute-a", spec("compute", json!({"nodeAffinity": "node-1"}))).await;
    let before = env.wait_pod_running("compute-a").await;

    let meta =
        json!({"metadata": {"labels": {"team": "storage"}, "annotations": {"owner": "ops"}}});
    env.containers()
        .patch("compute-a", &Default::default(), &kube::api::Patch::Merge(&meta))
        .await
        .expect("metadata patched");
    let toleration =
        json!([{"key": "dedicated", "operator": "Equal", "value": "weka", "effect": "NoSchedule"}]);
    env.patch_spec("compute-a", json!({"tolerations": toleration})).await;

    let after = env
        .wait_pod("compute-a", "updated in place", |p| {
            let labelled = p
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("team"))
                .is_some_and(|v| v == "storage");
            let annotated = p
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("owner"))
                .is_some_and(|v| v == "ops");
            let tolerated = p
                .spec
                .as_ref()
                .and_then(|s| s.tolerations.as_ref())
                .is_some_and(|t| t.iter().any(|t| t.key.as_deref() == Some("dedicated")));
            labelled && annotated && tolerated
        })
        .await;
    assert_eq!(after.metadata.uid, before.metadata.uid, "the same pod, patched");
    assert!(env.pod_deletes("compute-a").is_empty());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_pod_of_a_container_told_where_to_join_gets_the_clusters_current_members() {
    let env = Env::started(3).await;
    let cluster = env.joined_computes().await;
    let members: Vec<String> = {
        let mut ips = Vec::new();
        for name in ["compute-a", "compute-b"] {
            let status = env.get(name).await.unwrap().status.unwrap();
            let port = status.allocations.and_then(|a| a.weka_port).expect("a WEKA port");
            for ip in status.management_ips.unwrap_or_default() {
                ips.push(format!("{ip}:{port}"));
            }
        }
        ips
    };
    // Its spec names a member that left long ago.
    let stale = "10.255.255.1:15000";
    let extra = json!({"nodeAffinity": "node-3", "joinIpPorts": [stale]});
    env.create_owned("compute-c", &cluster, spec("compute", extra)).await;

    let pod = env.wait_pod("compute-c", "created", |_| true).await;
    let main = &pod.spec.unwrap().containers[0];
    let env_var = main.env.iter().flatten().find(|e| e.name == "JOIN_IPS").expect("JOIN_IPS");
    let join_ips: Vec<&str> = env_var.value.as_deref().unwrap_or_default().split(',').collect();
    assert_eq!(join_ips, members, "the members as they are now, not {stale}");
    // The spec keeps what its owner wrote.
    let c = env.get("compute-c").await.unwrap();
    assert_eq!(c.spec.join_ip_ports, Some(vec![stale.to_string()]));
    env.finish();
}
