//! Node and container faults on a virtual clock: NotReady nodes get Ready=Unknown and the
//! unreachable taints and lose their pods after tolerationSeconds; deleted nodes lose their
//! pods; crashed containers restart with CrashLoopBackOff; image pull errors; cordon.

use std::time::Duration;

use crate::support::*;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

async fn node(handle: &kubesim::KubesimHandle, name: &str) -> Node {
    Api::<Node>::all(handle.client()).get(name).await.expect("node read")
}

fn ready(node: &Node) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.clone())
        .unwrap_or_default()
}

fn taint_keys(node: &Node) -> Vec<(String, String)> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.effect))
        .collect()
}

fn restarts(pod: &k8s_openapi::api::core::v1::Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |c| c[0].restart_count)
}

fn waiting_reason(pod: &k8s_openapi::api::core::v1::Pod) -> Option<String> {
    pod.status.as_ref()?.container_statuses.as_ref()?[0]
        .state
        .as_ref()?
        .waiting
        .as_ref()?
        .reason
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_not_ready_node_is_tainted_and_its_pods_evicted_after_toleration_seconds() {
    let handle = start_virtual(2, "").await;
    let nodes = handle.nodes().expect("nodes run").clone();
    let clock = nodes.clock().clone();
    create(&handle, &pod("victim", json!({"nodeSelector": {"kubernetes.io/hostname": "node-1"}})))
        .await;
    let running = wait_running_ready(&handle, "victim").await;
    let tolerations = running.spec.unwrap().tolerations.unwrap();
    assert!(
        tolerations.iter().any(|t| t.key.as_deref() == Some("node.kubernetes.io/unreachable")
            && t.toleration_seconds == Some(300)),
        "admission adds the default tolerations: {tolerations:?}"
    );

    nodes.set_node_ready("node-1", false).unwrap();
    let tainted_at = {
        advance_until(&clock, Duration::from_secs(5), "node-1 is Unknown and tainted", || async {
            let n = node(&handle, "node-1").await;
            ready(&n) == "Unknown"
                && taint_keys(&n)
                    .contains(&("node.kubernetes.io/unreachable".into(), "NoExecute".into()))
        })
        .await;
        clock.now()
    };
    assert_eq!(ready(&node(&handle, "node-2").await), "True", "the other node stays Ready");
    let n = node(&handle, "node-1").await;
    let message = n
        .status
        .unwrap()
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .unwrap()
        .message;
    assert_eq!(message.as_deref(), Some("Kubelet stopped posting node status."));

    advance_until(&clock, Duration::from_secs(5), "victim is evicted", || async {
        get(&handle, "victim").await.is_some_and(|p| p.metadata.deletion_timestamp.is_some())
    })
    .await;
    let waited = clock.now().duration_since(tainted_at).as_secs();
    assert!((300..=315).contains(&waited), "evicted {waited}s after the taint");
    let evictions = events_for(&handle, "victim", "TaintManagerEviction").await;
    assert_eq!(evictions.len(), 1);

    // The kubelet cannot confirm while cut off; once back it finishes the deletion.
    assert!(get(&handle, "victim").await.is_some(), "Terminating while the node is away");
    nodes.set_node_ready("node-1", true).unwrap();
    advance_until(
        &clock,
        Duration::from_secs(5),
        "node-1 is Ready and untainted and victim gone",
        || async {
            let n = node(&handle, "node-1").await;
            ready(&n) == "True"
                && taint_keys(&n).is_empty()
                && get(&handle, "victim").await.is_none()
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_node_deletes_its_pods() {
    let handle = start(2, "").await;
    let nodes = handle.nodes().unwrap().clone();
    create(&handle, &pod("orphan", json!({"nodeSelector": {"kubernetes.io/hostname": "node-2"}})))
        .await;
    wait_running_ready(&handle, "orphan").await;
    nodes.remove_node("node-2").await.unwrap();
    wait_for("orphan is garbage collected", || async {
        get(&handle, "orphan").await.is_none().then_some(())
    })
    .await;
    assert!(Api::<Node>::all(handle.client()).get_opt("node-2").await.unwrap().is_none());

    let config = nodes.default_node("node-3").unwrap();
    nodes.add_node(config).await.unwrap();
    create(
        &handle,
        &pod("newcomer", json!({"nodeSelector": {"kubernetes.io/hostname": "node-3"}})),
    )
    .await;
    wait_running_ready(&handle, "newcomer").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_containers_restart_with_crash_loop_back_off() {
    let handle = start_virtual(1, "").await;
    let nodes = handle.nodes().unwrap().clone();
    let clock = nodes.clock().clone();
    create(&handle, &pod("crashy", json!({}))).await;
    wait_running_ready(&handle, "crashy").await;

    assert!(nodes.crash_container("default", "crashy", "main", 1));
    wait_for("the first restart (at once)", || async {
        get(&handle, "crashy").await.filter(|p| restarts(p) == 1 && waiting_reason(p).is_none())
    })
    .await;
    wait_running_ready(&handle, "crashy").await;

    assert!(nodes.crash_container("default", "crashy", "main", 2));
    let backing_off = wait_for("CrashLoopBackOff", || async {
        get(&handle, "crashy")
            .await
            .filter(|p| waiting_reason(p).as_deref() == Some("CrashLoopBackOff"))
    })
    .await;
    let status = &backing_off.status.unwrap().container_statuses.unwrap()[0];
    let last = status.last_state.as_ref().unwrap().terminated.as_ref().unwrap();
    assert_eq!((last.exit_code, last.reason.as_deref()), (2, Some("Error")));
    assert!(!events_for(&handle, "crashy", "BackOff").await.is_empty());

    advance_until(&clock, Duration::from_secs(5), "the back-off restart", || async {
        get(&handle, "crashy")
            .await
            .is_some_and(|p| restarts(&p) == 2 && waiting_reason(&p).is_none())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_pull_errors_show_as_waiting_reasons() {
    let handle = start_virtual(1, "").await;
    let nodes = handle.nodes().unwrap().clone();
    let clock = nodes.clock().clone();
    nodes.images().restrict("quay.io/weka.io/weka-in-container", &["4.4.2"]);

    let bad_name = json!({"containers": [{"name": "main", "image": "Quay.io/UPPER:tag"}]});
    create(&handle, &pod("bad-name", bad_name)).await;
    wait_for("InvalidImageName", || async {
        get(&handle, "bad-name")
            .await
            .filter(|p| waiting_reason(p).as_deref() == Some("InvalidImageName"))
    })
    .await;

    let missing = json!({"containers": [{"name": "main", "image": "quay.io/weka.io/weka-in-container:9.9.9"}]});
    create(&handle, &pod("missing-tag", missing)).await;
    wait_for("ErrImagePull", || async {
        get(&handle, "missing-tag")
            .await
            .filter(|p| waiting_reason(p).as_deref() == Some("ErrImagePull"))
    })
    .await;
    advance_until(&clock, Duration::from_secs(5), "ImagePullBackOff", || async {
        get(&handle, "missing-tag")
            .await
            .is_some_and(|p| waiting_reason(&p).as_deref() == Some("ImagePullBackOff"))
    })
    .await;
    nodes.images().push("quay.io/weka.io/weka-in-container", "9.9.9");
    advance_until(&clock, Duration::from_secs(5), "the pull succeeds", || async {
        get(&handle, "missing-tag").await.is_some_and(|p| phase(&p).as_deref() == Some("Running"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordoned_nodes_take_no_new_pods() {
    let handle = start(2, "").await;
    let api: Api<Node> = Api::all(handle.client());
    let cordon = Patch::Merge(json!({"spec": {"unschedulable": true}}));
    api.patch("node-1", &PatchParams::default(), &cordon).await.unwrap();
    for i in 0..4 {
        create(&handle, &pod(&format!("p{i}"), json!({}))).await;
    }
    for i in 0..4 {
        assert_eq!(scheduled_node(&handle, &format!("p{i}")).await, "node-2");
    }
    let uncordon = Patch::Merge(json!({"spec": {"unschedulable": null}}));
    api.patch("node-1", &PatchParams::default(), &uncordon).await.unwrap();
    create(&handle, &pod("after", json!({}))).await;
    assert_eq!(scheduled_node(&handle, "after").await, "node-1", "the emptier node scores higher");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_containers_run_first_and_jobs_complete() {
    let handle = start(1, "").await;
    let spec = json!({
        "restartPolicy": "Never",
        "initContainers": [{"name": "setup", "image": "busybox", "command": ["sh", "-c", "echo prepared"]}],
        "containers": [{"name": "main", "image": "busybox", "command": ["sh", "-c", "echo working; exit 0"]}],
    });
    create(&handle, &pod("job", spec)).await;
    let done = wait_for("job Succeeded", || async {
        get(&handle, "job").await.filter(|p| phase(p).as_deref() == Some("Succeeded"))
    })
    .await;
    assert_eq!(condition(&done, "Initialized").map(|c| c.0).as_deref(), Some("True"));
    assert_eq!(condition(&done, "Ready").and_then(|c| c.1).as_deref(), Some("PodCompleted"));

    let failing = json!({"restartPolicy": "Never",
        "containers": [{"name": "main", "image": "busybox", "command": ["sh", "-c", "exit 4"]}]});
    create(&handle, &pod("broken", failing)).await;
    let failed = wait_for("broken Failed", || async {
        get(&handle, "broken").await.filter(|p| phase(p).as_deref() == Some("Failed"))
    })
    .await;
    let terminated = failed.status.unwrap().container_statuses.unwrap()[0]
        .state
        .clone()
        .unwrap()
        .terminated
        .unwrap();
    assert_eq!(terminated.exit_code, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_blocks_the_container() {
    let handle = start(1, "").await;
    let spec = json!({"containers": [{"name": "main", "image": "busybox",
        "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}}]}]});
    create(&handle, &pod("needs-secret", spec)).await;
    let blocked = wait_for("CreateContainerConfigError", || async {
        get(&handle, "needs-secret")
            .await
            .filter(|p| waiting_reason(p).as_deref() == Some("CreateContainerConfigError"))
    })
    .await;
    let message = blocked.status.unwrap().container_statuses.unwrap()[0]
        .state
        .clone()
        .unwrap()
        .waiting
        .unwrap()
        .message;
    assert_eq!(message.as_deref(), Some("secret \"creds\" not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_readiness_probes_gate_ready() {
    let handle = start(1, "").await;
    let spec = json!({"containers": [{"name": "main", "image": "busybox",
        "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/ready"]}, "periodSeconds": 1}}]});
    create(&handle, &pod("probed", spec)).await;
    let running = wait_for("probed is Running", || async {
        get(&handle, "probed").await.filter(|p| phase(p).as_deref() == Some("Running"))
    })
    .await;
    assert_eq!(condition(&running, "Ready").map(|c| c.0).as_deref(), Some("False"));
    let touch = kubectl(&handle, &["exec", "probed", "--", "touch", "/tmp/ready"]).await;
    assert!(touch.status.success(), "{}", text(&touch.stderr));
    wait_running_ready(&handle, "probed").await;
}

/// A pod whose Secret volume names a Secret that does not exist waits in ContainerCreating
/// with a FailedMount event, as the kubelet keeps it; once the Secret exists the pod starts
/// with the Secret's content mounted.
#[tokio::test]
async fn a_missing_secret_volume_holds_the_pod_until_the_secret_exists() {
    let handle = start(1, "").await;
    let spec = json!({
        "containers": [{"name": "main", "image": "busybox:1.36",
                        "volumeMounts": [{"name": "token", "mountPath": "/token"}]}],
        "volumes": [{"name": "token", "secret": {"secretName": "later"}}],
    });
    create(&handle, &pod("waits", spec)).await;
    let message = wait_for("a FailedMount event", || async {
        events_for(&handle, "waits", "FailedMount").await.first().and_then(|e| e.message.clone())
    })
    .await;
    assert!(message.contains("secret \"later\" not found"), "{message}");
    let waiting = get(&handle, "waits").await.unwrap();
    let state = waiting.status.unwrap().container_statuses.unwrap()[0].state.clone().unwrap();
    assert_eq!(state.waiting.unwrap().reason.as_deref(), Some("ContainerCreating"));

    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "later", "namespace": "default"},
        "stringData": {"token": "s3cret"},
    }))
    .unwrap();
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(handle.client(), "default")
        .create(&Default::default(), &secret)
        .await
        .unwrap();
    wait_running_ready(&handle, "waits").await;
    let out = kubectl(&handle, &["exec", "waits", "--", "cat", "/token/token"]).await;
    assert_eq!(text(&out.stdout), "s3cret");
}

/// An optional Secret volume does not hold the pod.
#[tokio::test]
async fn an_optional_missing_secret_volume_does_not_hold_the_pod() {
    let handle = start(1, "").await;
    let spec = json!({
        "containers": [{"name": "main", "image": "busybox:1.36",
                        "volumeMounts": [{"name": "token", "mountPath": "/token"}]}],
        "volumes": [{"name": "token", "secret": {"secretName": "never", "optional": true}}],
    });
    create(&handle, &pod("starts", spec)).await;
    wait_running_ready(&handle, "starts").await;
}
