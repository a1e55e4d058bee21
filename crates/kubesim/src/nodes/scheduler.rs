//! The scheduler as a client of the API: watches nodes, pods and namespaces, places each
//! pending pod with [`schedule`](super::schedule::schedule) and binds it through
//! `pods/binding`; a pod that fits nowhere gets PodScheduled=False / Unschedulable with the
//! scheduler's message and a FailedScheduling event, and is retried when the cluster changes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{BoxStream, StreamExt, select_all};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

use super::clock::Clock;
use super::events::Recorder;
use super::kubelet::status::rfc3339;
use super::schedule::{ClusterView, FitError, PodKey, pod_key, schedule};

/// How long an unschedulable pod waits at most before it is tried again.
const RETRY_UNSCHEDULABLE: Duration = Duration::from_secs(300);
pub const SCHEDULER_NAME: &str = "default-scheduler";

#[allow(clippy::large_enum_variant)] // short-lived channel messages
enum Msg {
    Pod(watcher::Event<Pod>),
    Node(watcher::Event<Node>),
    Namespace(watcher::Event<Namespace>),
    Retry,
}

struct Scheduler {
    client: kube::Client,
    clock: Clock,
    recorder: Recorder,
    view: ClusterView,
    pending: BTreeMap<PodKey, Arc<Pod>>,
    /// Pods that fit nowhere, with the message they were given.
    unschedulable: BTreeMap<PodKey, (Arc<Pod>, String)>,
    pods_listed: bool,
    nodes_listed: bool,
}

fn wants_scheduling(pod: &Pod) -> bool {
    let spec = pod.spec.as_ref();
    let unbound = spec.and_then(|s| s.node_name.as_deref()).is_none_or(str::is_empty);
    let ours = spec
        .and_then(|s| s.scheduler_name.as_deref())
        .is_none_or(|n| n.is_empty() || n == SCHEDULER_NAME);
    let finished = matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    );
    unbound && ours && !finished && pod.metadata.deletion_timestamp.is_none()
}

pub async fn run(client: kube::Client, clock: Clock, record_events: bool) {
    let recorder =
        Recorder::new(client.clone(), clock.clone(), SCHEDULER_NAME, None, record_events);
    let pods = watcher(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Pod));
    let nodes = watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Node));
    let namespaces = watcher(Api::<Namespace>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Namespace));
    let retry_clock = clock.clone();
    let retries = futures::stream::unfold(retry_clock, |clock| async move {
        clock.sleep(RETRY_UNSCHEDULABLE).await;
        Some((Ok(Msg::Retry), clock))
    });
    let streams: Vec<BoxStream<'static, Result<Msg, watcher::Error>>> =
        vec![pods.boxed(), nodes.boxed(), namespaces.boxed(), retries.boxed()];
    let mut messages = select_all(streams);
    let mut scheduler = Scheduler {
        client,
        clock,
        recorder,
        view: ClusterView::new(),
        pending: BTreeMap::new(),
        unschedulable: BTreeMap::new(),
        pods_listed: false,
        nodes_listed: false,
    };
    while let Some(message) = messages.next().await {
        scheduler.apply(message);
        while let Some(Some(message)) = messages.next().now_or_never() {
            scheduler.apply(message);
        }
        if scheduler.pods_listed && scheduler.nodes_listed {
            scheduler.schedule_pending().await;
        }
    }
}

use futures::FutureExt;

impl Scheduler {
    fn apply(&mut self, message: Result<Msg, watcher::Error>) {
        let message = match message {
            Ok(m) => m,
            Err(error) => {
                tracing::debug!(%error, "scheduler watch failed");
                return;
            }
        };
        match message {
            Msg::Pod(event) => match event {
                watcher::Event::Apply(pod) | watcher::Event::InitApply(pod) => {
                    self.pod_changed(pod)
                }
                watcher::Event::Delete(pod) => {
                    let key = pod_key(&pod);
                    self.view.remove_pod(&key);
                    self.pending.remove(&key);
                    self.unschedulable.remove(&key);
                    self.requeue();
                }
                watcher::Event::Init => {}
                watcher::Event::InitDone => self.pods_listed = true,
            },
            Msg::Node(event) => {
                match event {
                    watcher::Event::Apply(node) | watcher::Event::InitApply(node) => {
                        self.view.set_node(Arc::new(node))
                    }
                    watcher::Event::Delete(node) => {
                        self.view.remove_node(node.metadata.name.as_deref().unwrap_or(""))
                    }
                    watcher::Event::Init => {}
                    watcher::Event::InitDone => self.nodes_listed = true,
                }
                self.requeue();
            }
            Msg::Namespace(watcher::Event::Apply(ns) | watcher::Event::InitApply(ns)) => {
                let name = ns.metadata.name.clone().unwrap_or_default();
                self.view.set_namespace(&name, ns.metadata.labels.unwrap_or_default());
            }
            Msg::Namespace(_) => {}
            Msg::Retry => self.requeue(),
        }
    }

    fn pod_changed(&mut self, pod: Pod) {
        let key = pod_key(&pod);
        if wants_scheduling(&pod) {
            let pod = Arc::new(pod);
            match self.unschedulable.get(&key) {
                // Only a change of what it asks for makes it worth another try.
                Some((known, _)) if known.spec == pod.spec => {
                    let message = self.unschedulable[&key].1.clone();
                    self.unschedulable.insert(key, (pod, message));
                }
                _ => {
                    self.unschedulable.remove(&key);
                    self.pending.insert(key, pod);
                }
            }
            return;
        }
        self.pending.remove(&key);
        self.unschedulable.remove(&key);
        let was_counted = self.view.node_of(&key).is_some();
        self.view.set_pod(Arc::new(pod));
        if was_counted != self.view.node_of(&key).is_some() {
            self.requeue();
        }
    }

    fn requeue(&mut self) {
        for (key, (pod, _)) in std::mem::take(&mut self.unschedulable) {
            self.pending.insert(key, pod);
        }
    }

    async fn schedule_pending(&mut self) {
        let mut queue: Vec<Arc<Pod>> = std::mem::take(&mut self.pending).into_values().collect();
        queue.sort_by_key(|p| {
            (
                std::cmp::Reverse(p.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)),
                p.metadata.creation_timestamp.clone(),
                pod_key(p),
            )
        });
        for pod in queue {
            match schedule(&pod, &self.view) {
                Ok(node) => self.bind(pod, &node).await,
                Err(fit) => self.unschedulable(pod, fit).await,
            }
        }
    }

    async fn bind(&mut self, pod: Arc<Pod>, node: &str) {
        let (namespace, name) = pod_key(&pod);
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let binding = json!({
            "apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": name, "namespace": namespace, "uid": pod.metadata.uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node},
        });
        match api
            .create_subresource::<_, serde_json::Value>(
                "binding",
                &name,
                &PostParams::default(),
                &binding,
            )
            .await
        {
            Ok(_) => {
                let mut assumed = (*pod).clone();
                if let Some(spec) = assumed.spec.as_mut() {
                    spec.node_name = Some(node.to_string());
                }
                self.view.set_pod(Arc::new(assumed));
                self.recorder.pod_event(
                    &pod,
                    "Normal",
                    "Scheduled",
                    format!("Successfully assigned {namespace}/{name} to {node}"),
                );
            }
            Err(error) => tracing::debug!(pod = %name, %error, "binding failed"),
        }
    }

    async fn unschedulable(&mut self, pod: Arc<Pod>, fit: FitError) {
        let key = pod_key(&pod);
        let (namespace, name) = key.clone();
        let current = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
            .and_then(|c| c.message.clone());
        let reported = current.as_deref() == Some(fit.message.as_str());
        if !reported {
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
            let mut conditions: Vec<serde_json::Value> = pod
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
                .filter(|c| c.type_ != "PodScheduled")
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect();
            conditions.push(json!({
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": fit.message, "lastTransitionTime": rfc3339(self.clock.now()),
            }));
            let mut status = json!({"phase": "Pending", "conditions": conditions});
            if let Some(preemption) = &fit.preemption {
                status["nominatedNodeName"] = json!(preemption.node);
            }
            let patch = Patch::Merge(json!({"status": status}));
            if let Err(error) = api.patch_status(&name, &PatchParams::default(), &patch).await {
                tracing::debug!(pod = %name, %error, "reporting unschedulable failed");
            }
            self.recorder.pod_event(&pod, "Warning", "FailedScheduling", fit.message.clone());
        }
        if let Some(preemption) = &fit.preemption {
            for (victim_ns, victim) in &preemption.victims {
                let api: Api<Pod> = Api::namespaced(self.client.clone(), victim_ns);
                if let Err(error) = api.delete(victim, &DeleteParams::default()).await {
                    tracing::debug!(pod = %victim, %error, "preempting failed");
                }
            }
        }
        self.unschedulable.insert(key, (pod, fit.message));
    }
}
