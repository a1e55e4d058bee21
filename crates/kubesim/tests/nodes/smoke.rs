//! The node simulation end to end through kube-rs: nodes register, a pod is scheduled, runs
//! and becomes Ready, and graceful deletion is finished by the kubelet.

use crate::support::*;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, DeleteParams};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_is_scheduled_runs_and_is_deleted_gracefully() {
    let handle = start(3, "").await;
    let nodes: Api<Node> = Api::all(handle.client());
    let list = nodes.list(&Default::default()).await.unwrap();
    assert_eq!(list.items.len(), 3);

    create(&handle, &pod("web", json!({}))).await;
    let running = wait_running_ready(&handle, "web").await;
    let status = running.status.clone().unwrap();
    assert!(status.pod_ip.as_deref().is_some_and(|ip| ip.starts_with("10.")), "{status:?}");
    assert!(status.host_ip.is_some());
    let container = &status.container_statuses.unwrap()[0];
    assert!(container.ready && container.started == Some(true));
    assert!(container.state.as_ref().unwrap().running.is_some());
    assert!(container.image_id.starts_with("docker.io/library/busybox@sha256:"));

    pods(&handle).delete("web", &DeleteParams::default()).await.unwrap();
    wait_for("web is gone", || async { get(&handle, "web").await.is_none().then_some(()) }).await;
    let log = handle.request_log().entries();
    let final_delete = log.iter().find(|r| {
        r.verb == "delete"
            && r.name.as_deref() == Some("web")
            && r.user_agent.as_deref().is_some_and(|a| a.starts_with("kubelet/"))
    });
    assert!(final_delete.is_some_and(|r| r.grace_period_seconds == Some(0)));
}
