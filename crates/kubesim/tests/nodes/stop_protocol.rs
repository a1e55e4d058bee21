//! A pod behaviour that blocks termination until a file exists (the WEKA stop protocol):
//! deleting such a pod leaves it Terminating until `touch /tmp/.allow-stop` is exec'd in it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::*;
use futures::FutureExt;
use futures::future::BoxFuture;
use kubesim::nodes::NodesConfig;
use kubesim::nodes::behaviour::{ContainerBehaviour, ContainerCtx, Selector, Signal};
use serde_json::json;

const IMAGE: &str = "example.com/weka-runtime";

/// Ready at once; on SIGTERM keeps running until /tmp/.allow-stop exists, looking every
/// second and on every wake-up (`kill 1`).
struct WaitsForAllowStop {
    got_sigterm: Arc<AtomicBool>,
}

impl ContainerBehaviour for WaitsForAllowStop {
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32> {
        async move {
            ctx.set_ready(true);
            ctx.log("runtime started");
            let mut terminating = false;
            loop {
                tokio::select! {
                    signal = ctx.next_signal() => {
                        if signal == Signal::Terminate {
                            terminating = true;
                            self.got_sigterm.store(true, Ordering::SeqCst);
                            ctx.log("SIGTERM: waiting for /tmp/.allow-stop");
                        }
                    }
                    _ = ctx.clock().sleep(Duration::from_secs(1)), if terminating => {}
                }
                if terminating && ctx.fs().is_file("/tmp/.allow-stop") {
                    ctx.log("allowed to stop");
                    return 0;
                }
            }
        }
        .boxed()
    }
}

async fn start_with_runtime() -> (kubesim::KubesimHandle, Arc<AtomicBool>) {
    let got_sigterm = Arc::new(AtomicBool::new(false));
    let config = NodesConfig::default();
    config.behaviours.register(
        Selector::ImagePrefix(IMAGE.into()),
        Arc::new(WaitsForAllowStop { got_sigterm: got_sigterm.clone() }),
    );
    (start_with(1, "", config).await, got_sigterm)
}

fn runtime_pod(name: &str) -> k8s_openapi::api::core::v1::Pod {
    pod(
        name,
        json!({"terminationGracePeriodSeconds": 3600,
               "containers": [{"name": "weka-container", "image": format!("{IMAGE}:4.4")}]}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_runtime_pod_waits_for_allow_stop() {
    let (handle, got_sigterm) = start_with_runtime().await;
    create(&handle, &runtime_pod("drive-0")).await;
    wait_running_ready(&handle, "drive-0").await;

    let delete = kubectl(&handle, &["delete", "pod", "drive-0", "--wait=false"]).await;
    assert!(delete.status.success(), "{}", text(&delete.stderr));
    wait_for("the runtime got SIGTERM", || async {
        got_sigterm.load(Ordering::SeqCst).then_some(())
    })
    .await;
    let terminating = get(&handle, "drive-0").await.expect("still there after SIGTERM");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    let listing = kubectl(
        &handle,
        &["get", "pod", "drive-0", "-o", "jsonpath={.metadata.deletionTimestamp}"],
    )
    .await;
    assert!(!text(&listing.stdout).is_empty(), "kubectl sees it Terminating");

    let touch = kubectl(&handle, &["exec", "drive-0", "--", "touch", "/tmp/.allow-stop"]).await;
    assert!(touch.status.success(), "{}", text(&touch.stderr));
    wait_for("drive-0 is gone", || async { get(&handle, "drive-0").await.is_none().then_some(()) })
        .await;

    let kubelet_delete = handle.request_log().find(|r| {
        r.verb == "delete"
            && r.name.as_deref() == Some("drive-0")
            && r.user_agent.as_deref().is_some_and(|a| a.starts_with("kubelet/"))
    });
    assert_eq!(kubelet_delete.len(), 1, "the kubelet finished the deletion");
    assert_eq!(kubelet_delete[0].grace_period_seconds, Some(0));
    let forced_by_client = handle.request_log().find(|r| {
        r.verb == "delete"
            && r.grace_period_seconds == Some(0)
            && !r.user_agent.as_deref().is_some_and(|a| a.starts_with("kubelet/"))
    });
    assert!(forced_by_client.is_empty(), "no client force delete: {forced_by_client:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_stop_with_kill_one_wakes_the_runtime() {
    let (handle, got_sigterm) = start_with_runtime().await;
    create(&handle, &runtime_pod("compute-0")).await;
    wait_running_ready(&handle, "compute-0").await;
    pods(&handle).delete("compute-0", &Default::default()).await.unwrap();
    wait_for("SIGTERM", || async { got_sigterm.load(Ordering::SeqCst).then_some(()) }).await;
    let stop = kubectl(
        &handle,
        &["exec", "compute-0", "--", "bash", "-ce", "touch /tmp/.allow-stop && kill 1"],
    )
    .await;
    assert!(stop.status.success(), "{}", text(&stop.stderr));
    wait_for("compute-0 is gone", || async {
        get(&handle, "compute-0").await.is_none().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_force_delete_shows_in_the_request_log() {
    let (handle, _) = start_with_runtime().await;
    create(&handle, &runtime_pod("client-0")).await;
    wait_running_ready(&handle, "client-0").await;
    let forced =
        kubectl(&handle, &["delete", "pod", "client-0", "--grace-period=0", "--force"]).await;
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(get(&handle, "client-0").await.is_none(), "gone at once");
    let force_deletes = handle.request_log().find(|r| {
        r.verb == "delete"
            && r.grace_period_seconds == Some(0)
            && r.user_agent.as_deref().is_some_and(|a| a.starts_with("kubectl"))
    });
    assert_eq!(force_deletes.len(), 1);
}
