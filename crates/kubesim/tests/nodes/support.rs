//! Helpers for the node simulation tests: start kubesim with simulated nodes, wait on
//! conditions (polling with a deadline, never sleeping as synchronisation), make pods, run
//! kubectl.

#![allow(dead_code)]

use std::future::Future;
use std::process::Output;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, PostParams};
use kubesim::nodes::NodesConfig;
use kubesim::nodes::clock::Clock;
use kubesim::nodes::node_spec::NodeSpecFile;
use kubesim::{Kubesim, KubesimConfig, KubesimHandle};
use serde_json::{Value, json};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub async fn start(nodes: usize, spec: &str) -> KubesimHandle {
    start_with(nodes, spec, NodesConfig::default()).await
}

pub async fn start_virtual(nodes: usize, spec: &str) -> KubesimHandle {
    let config = NodesConfig { clock: Clock::virtual_now(), ..Default::default() };
    start_with(nodes, spec, config).await
}

pub async fn start_with(nodes: usize, spec: &str, mut node_sim: NodesConfig) -> KubesimHandle {
    node_sim.spec = NodeSpecFile::parse(spec).expect("node spec parses");
    Kubesim::start(KubesimConfig { nodes, node_sim, ..Default::default() })
        .await
        .expect("kubesim starts")
}

/// Polls `check` until it gives `Some`, failing the test after [`TIMEOUT`].
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting until {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Advances a virtual clock in `step`s until `check` holds (polling between steps).
pub async fn advance_until<F, Fut>(clock: &Clock, step: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out advancing the clock until {what}");
        }
        clock.advance(step);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn pods(handle: &KubesimHandle) -> Api<Pod> {
    Api::namespaced(handle.client(), "default")
}

/// A pod in `default` with one busybox container named `main`, `spec` merged over it.
pub fn pod(name: &str, spec: Value) -> Pod {
    let mut full = json!({"containers": [{"name": "main", "image": "busybox:1.36"}]});
    if let (Some(base), Some(extra)) = (full.as_object_mut(), spec.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": full,
    }))
    .expect("a valid pod")
}

pub async fn create(handle: &KubesimHandle, pod: &Pod) -> Pod {
    pods(handle).create(&PostParams::default(), pod).await.expect("pod created")
}

pub async fn get(handle: &KubesimHandle, name: &str) -> Option<Pod> {
    pods(handle).get_opt(name).await.expect("pod read")
}

pub fn node_of(pod: &Pod) -> Option<String> {
    pod.spec.as_ref().and_then(|s| s.node_name.clone())
}

pub fn phase(pod: &Pod) -> Option<String> {
    pod.status.as_ref().and_then(|s| s.phase.clone())
}

pub fn condition(pod: &Pod, type_: &str) -> Option<(String, Option<String>, Option<String>)> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Waits until the pod is bound and returns its node.
pub async fn scheduled_node(handle: &KubesimHandle, name: &str) -> String {
    wait_for(&format!("{name} is scheduled"), || async {
        get(handle, name).await.and_then(|p| node_of(&p))
    })
    .await
}

pub async fn wait_running_ready(handle: &KubesimHandle, name: &str) -> Pod {
    wait_for(&format!("{name} is Running and Ready"), || async {
        get(handle, name).await.filter(|p| {
            phase(p).as_deref() == Some("Running")
                && condition(p, "Ready").is_some_and(|c| c.0 == "True")
        })
    })
    .await
}

/// Waits until the pod is Unschedulable and returns the message.
pub async fn unschedulable_message(handle: &KubesimHandle, name: &str) -> String {
    wait_for(&format!("{name} is unschedulable"), || async {
        let pod = get(handle, name).await?;
        match condition(&pod, "PodScheduled") {
            Some((status, Some(reason), Some(message)))
                if status == "False" && reason == "Unschedulable" =>
            {
                Some(message)
            }
            _ => None,
        }
    })
    .await
}

pub async fn events_for(handle: &KubesimHandle, pod: &str, reason: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(handle.client(), "default");
    let list = api.list(&ListParams::default()).await.expect("events listed");
    list.items
        .into_iter()
        .filter(|e| {
            e.involved_object.name.as_deref() == Some(pod) && e.reason.as_deref() == Some(reason)
        })
        .collect()
}

/// Runs kubectl against the server (in a blocking thread, so the server keeps serving).
pub async fn kubectl(handle: &KubesimHandle, args: &[&str]) -> Output {
    let kubeconfig = handle.kubeconfig_path().to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("kubectl")
            .args(&args)
            .env("KUBECONFIG", kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .output()
            .expect("kubectl runs")
    })
    .await
    .expect("kubectl thread")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
