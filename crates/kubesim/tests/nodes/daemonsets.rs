//! The DaemonSet controller through real kubectl: one Ready pod per eligible node (taints,
//! nodeSelector, nodes added, relabelled, tainted and removed), pods recreated when deleted,
//! rolling updates and OnDelete, `kubectl rollout status` and `kubectl get ds`, and the pods
//! going with their DaemonSet.

use std::collections::BTreeSet;

use crate::support::*;
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kubesim::KubesimHandle;

/// A DaemonSet `name` in `default` whose pods are labelled `app: NAME`; `spec` is YAML merged
/// into the pod template's spec (indented for it).
fn manifest(name: &str, image: &str, extra_pod_spec: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {name}
  namespace: default
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: agent
        image: {image}
{extra_pod_spec}"
    )
}

/// `kubectl apply -f` of a manifest written next to the kubeconfig.
async fn apply(handle: &KubesimHandle, name: &str, yaml: &str) {
    let path = handle.kubeconfig_path().with_file_name(format!("{name}.yaml"));
    std::fs::write(&path, yaml).expect("manifest written");
    let out = kubectl(handle, &["apply", "-f", path.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Pods of DaemonSet `name` that are not terminating.
async fn live_pods(handle: &KubesimHandle, name: &str) -> Vec<Pod> {
    let list = pods(handle)
        .list(&ListParams::default().labels(&format!("app={name}")))
        .await
        .expect("pods listed");
    list.items.into_iter().filter(|p| p.metadata.deletion_timestamp.is_none()).collect()
}

fn ready(pod: &Pod) -> bool {
    phase(pod).as_deref() == Some("Running")
        && condition(pod, "Ready").is_some_and(|c| c.0 == "True")
}

fn image(pod: &Pod) -> String {
    pod.spec.as_ref().and_then(|s| s.containers[0].image.clone()).unwrap_or_default()
}

/// Waits until DaemonSet `name` has exactly one Ready pod on each of `nodes` and no other.
async fn wait_pods_on(handle: &KubesimHandle, name: &str, nodes: &[&str]) -> Vec<Pod> {
    let want: BTreeSet<String> = nodes.iter().map(|n| n.to_string()).collect();
    wait_for(&format!("{name} has one Ready pod on each of {nodes:?}"), || async {
        let pods = live_pods(handle, name).await;
        let on: BTreeSet<String> = pods.iter().filter_map(node_of).collect();
        (pods.len() == want.len() && on == want && pods.iter().all(ready)).then_some(pods)
    })
    .await
}

async fn daemonset(handle: &KubesimHandle, name: &str) -> DaemonSet {
    Api::<DaemonSet>::namespaced(handle.client(), "default").get(name).await.expect("ds read")
}

async fn rollout_status(handle: &KubesimHandle, name: &str) -> std::process::Output {
    kubectl(handle, &["rollout", "status", &format!("daemonset/{name}"), "--timeout=20s"]).await
}

fn label<'a>(pod: &'a Pod, key: &str) -> &'a str {
    pod.metadata.labels.as_ref().and_then(|l| l.get(key)).map_or("", String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemonset_runs_one_ready_pod_per_node_recreates_deleted_ones_and_goes_with_its_pods() {
    let handle = start(3, "").await;
    apply(&handle, "agent", &manifest("agent", "busybox:1.36", "")).await;

    let rollout = rollout_status(&handle, "agent").await;
    assert!(rollout.status.success(), "{}", text(&rollout.stderr));
    assert!(
        text(&rollout.stdout).contains("daemon set \"agent\" successfully rolled out"),
        "{}",
        text(&rollout.stdout)
    );
    let running = wait_pods_on(&handle, "agent", &["node-1", "node-2", "node-3"]).await;
    let ds = daemonset(&handle, "agent").await;
    for pod in &running {
        let name = pod.metadata.name.as_deref().unwrap();
        let suffix = name.strip_prefix("agent-").expect("named after the DaemonSet");
        assert!(
            suffix.len() == 5
                && suffix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{name}"
        );
        let owner = &pod.metadata.owner_references.as_ref().expect("owned")[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("DaemonSet", "agent"));
        assert_eq!(owner.uid, ds.metadata.uid.clone().unwrap());
        assert_eq!((owner.controller, owner.block_owner_deletion), (Some(true), Some(true)));
        assert!(!label(pod, "controller-revision-hash").is_empty());
        assert_eq!(label(pod, "pod-template-generation"), "1");
        assert_eq!(label(pod, "app"), "agent");
    }
    let status = ds.status.expect("status written");
    assert_eq!(
        (status.desired_number_scheduled, status.current_number_scheduled, status.number_ready),
        (3, 3, 3)
    );
    assert_eq!((status.number_available, status.updated_number_scheduled), (Some(3), Some(3)));
    assert_eq!((status.number_misscheduled, status.observed_generation), (0, Some(1)));
    // Bound by the scheduler through the node affinity the controller set.
    let binds = handle.request_log().find(|r| {
        r.subresource.as_deref() == Some("binding")
            && r.user_agent.as_deref().is_some_and(|a| a.starts_with("kube-scheduler"))
    });
    assert!(binds.len() >= 3, "{binds:?}");

    let listing = kubectl(&handle, &["get", "ds", "agent", "--no-headers"]).await;
    let row: Vec<String> = text(&listing.stdout).split_whitespace().map(str::to_string).collect();
    assert_eq!(
        &row[..7],
        ["agent", "3", "3", "3", "3", "3", "<none>"],
        "{}",
        text(&listing.stderr)
    );

    let victim = running[0].metadata.name.clone().unwrap();
    let victim_node = node_of(&running[0]).unwrap();
    let delete = kubectl(&handle, &["delete", "pod", &victim]).await;
    assert!(delete.status.success(), "{}", text(&delete.stderr));
    let recreated = wait_pods_on(&handle, "agent", &["node-1", "node-2", "node-3"]).await;
    let replacement =
        recreated.iter().find(|p| node_of(p).as_deref() == Some(&victim_node)).unwrap();
    assert_ne!(replacement.metadata.name.as_deref(), Some(victim.as_str()), "a new pod");

    let delete = kubectl(&handle, &["delete", "daemonset", "agent"]).await;
    assert!(delete.status.success(), "{}", text(&delete.stderr));
    wait_for("the DaemonSet's pods are gone", || async {
        let list = pods(&handle)
            .list(&ListParams::default().labels("app=agent"))
            .await
            .expect("pods listed");
        list.items.is_empty().then_some(())
    })
    .await;
}

const CLUSTER: &str = r#"
nodes:
  - name: backend-1
    labels: {role: backend}
  - name: backend-2
    labels: {role: backend}
  - name: tainted
    labels: {role: backend}
    taints: [{key: dedicated, value: other, effect: NoSchedule}]
  - name: client
    labels: {role: client}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taints_node_selectors_and_node_changes_decide_where_daemon_pods_run() {
    let handle = start(0, CLUSTER).await;
    apply(&handle, "everywhere", &manifest("everywhere", "busybox:1.36", "")).await;
    let selector = "      nodeSelector: {role: backend}\n";
    apply(&handle, "backends", &manifest("backends", "busybox:1.36", selector)).await;
    wait_pods_on(&handle, "everywhere", &["backend-1", "backend-2", "client"]).await;
    wait_pods_on(&handle, "backends", &["backend-1", "backend-2"]).await;
    for name in ["everywhere", "backends"] {
        let rollout = rollout_status(&handle, name).await;
        assert!(rollout.status.success(), "{}", text(&rollout.stderr));
    }
    let listing = kubectl(&handle, &["get", "ds", "backends", "--no-headers"]).await;
    let row: Vec<String> = text(&listing.stdout).split_whitespace().map(str::to_string).collect();
    assert_eq!(&row[..7], ["backends", "2", "2", "2", "2", "2", "role=backend"]);

    // A new node gets the pods whose selector it matches.
    let nodes = handle.nodes().expect("nodes run").clone();
    nodes.add_node(nodes.default_node("extra").unwrap()).await.expect("node added");
    wait_pods_on(&handle, "everywhere", &["backend-1", "backend-2", "client", "extra"]).await;
    let label = kubectl(&handle, &["label", "node", "extra", "role=backend"]).await;
    assert!(label.status.success(), "{}", text(&label.stderr));
    wait_pods_on(&handle, "backends", &["backend-1", "backend-2", "extra"]).await;

    // A node no longer matching, or tainted NoExecute, loses its pod.
    let unlabel = kubectl(&handle, &["label", "node", "backend-1", "role-"]).await;
    assert!(unlabel.status.success(), "{}", text(&unlabel.stderr));
    wait_pods_on(&handle, "backends", &["backend-2", "extra"]).await;
    let taint = kubectl(&handle, &["taint", "node", "client", "dedicated=other:NoExecute"]).await;
    assert!(taint.status.success(), "{}", text(&taint.stderr));
    wait_pods_on(&handle, "everywhere", &["backend-1", "backend-2", "extra"]).await;

    // A removed node loses its pods; a cordoned one still gets them (they tolerate it).
    nodes.remove_node("extra").await.expect("node removed");
    wait_pods_on(&handle, "everywhere", &["backend-1", "backend-2"]).await;
    let before = wait_pods_on(&handle, "backends", &["backend-2"]).await;
    let cordon = kubectl(&handle, &["cordon", "backend-2"]).await;
    assert!(cordon.status.success(), "{}", text(&cordon.stderr));
    let victim = before[0].metadata.name.clone().unwrap();
    let delete = kubectl(&handle, &["delete", "pod", &victim]).await;
    assert!(delete.status.success(), "{}", text(&delete.stderr));
    let after = wait_pods_on(&handle, "backends", &["backend-2"]).await;
    assert_ne!(after[0].metadata.name.as_deref(), Some(victim.as_str()));
    let status = daemonset(&handle, "everywhere").await.status.unwrap();
    assert_eq!((status.desired_number_scheduled, status.number_misscheduled), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_changes_roll_the_pods_unless_the_strategy_is_on_delete() {
    let handle = start(3, "").await;
    apply(&handle, "agent", &manifest("agent", "busybox:1.36", "")).await;
    let first = wait_pods_on(&handle, "agent", &["node-1", "node-2", "node-3"]).await;
    let first_hash = label(&first[0], "controller-revision-hash").to_string();

    let set = kubectl(&handle, &["set", "image", "daemonset/agent", "agent=busybox:1.37"]).await;
    assert!(set.status.success(), "{}", text(&set.stderr));
    let rollout = rollout_status(&handle, "agent").await;
    assert!(rollout.status.success(), "{}", text(&rollout.stderr));
    let rolled = wait_pods_on(&handle, "agent", &["node-1", "node-2", "node-3"]).await;
    let old: BTreeSet<_> = first.iter().map(|p| p.metadata.name.clone()).collect();
    for pod in &rolled {
        assert!(!old.contains(&pod.metadata.name), "every pod was replaced");
        assert_eq!(image(pod), "busybox:1.37");
        assert_ne!(label(pod, "controller-revision-hash"), first_hash);
        assert_eq!(label(pod, "pod-template-generation"), "2");
    }

    let patch = r#"{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}"#;
    let on_delete = kubectl(&handle, &["patch", "ds", "agent", "--type=merge", "-p", patch]).await;
    assert!(on_delete.status.success(), "{}", text(&on_delete.stderr));
    let set = kubectl(&handle, &["set", "image", "daemonset/agent", "agent=busybox:1.38"]).await;
    assert!(set.status.success(), "{}", text(&set.stderr));
    let status = wait_for("the OnDelete template change is observed", || async {
        let ds = daemonset(&handle, "agent").await;
        let status = ds.status?;
        (status.observed_generation == ds.metadata.generation).then_some(status)
    })
    .await;
    assert_eq!(status.updated_number_scheduled, Some(0));
    let kept = live_pods(&handle, "agent").await;
    assert_eq!(kept.len(), 3);
    assert!(kept.iter().all(|p| image(p) == "busybox:1.37"), "OnDelete leaves the pods");
    let refused = rollout_status(&handle, "agent").await;
    assert!(!refused.status.success(), "rollout status needs RollingUpdate");

    let victim = kept[0].metadata.name.clone().unwrap();
    let delete = kubectl(&handle, &["delete", "pod", &victim]).await;
    assert!(delete.status.success(), "{}", text(&delete.stderr));
    let pods = wait_for("a replacement from the new template", || async {
        let pods = live_pods(&handle, "agent").await;
        let replaced = pods.iter().filter(|p| image(p) == "busybox:1.38").count() == 1;
        (pods.len() == 3 && replaced && pods.iter().all(ready)).then_some(pods)
    })
    .await;
    assert!(pods.iter().all(|p| p.metadata.name.as_deref() != Some(victim.as_str())));
    wait_for("updatedNumberScheduled counts it", || async {
        let status = daemonset(&handle, "agent").await.status?;
        (status.updated_number_scheduled == Some(1)).then_some(())
    })
    .await;
}
