//! The node lifecycle controller and the pod garbage collector, as clients of the API:
//! - a node whose Lease is not renewed for 40 s gets Ready=Unknown ("Kubelet stopped posting
//!   node status.") and the `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints,
//!   removed again once its kubelet reports Ready;
//! - pods on a node with NoExecute taints they do not tolerate are evicted at once, those that
//!   tolerate them with tolerationSeconds once that time has passed since the taint appeared;
//! - pods bound to a node that no longer exists are deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt, select_all};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

use super::clock::Clock;
use super::events::Recorder;
use super::kubelet::LEASE_NAMESPACE;
use super::kubelet::status::rfc3339;
use super::schedule::{PodKey, pod_key};
use super::taints::{UNREACHABLE_TAINT, no_execute_grace};

/// Upstream's node-monitor-period and node-monitor-grace-period.
pub const MONITOR_PERIOD: Duration = Duration::from_secs(5);
pub const GRACE_PERIOD: Duration = Duration::from_secs(40);

#[allow(clippy::large_enum_variant)] // short-lived channel messages
enum Msg {
    Node(watcher::Event<Node>),
    Lease(watcher::Event<Lease>),
    Pod(watcher::Event<Pod>),
    Tick,
}

/// What the controller saw of a node's heartbeat: the lease's renewTime, when it was seen to
/// change (by this controller's clock), and monitor ticks since.
struct Heartbeat {
    renew: Option<String>,
    seen_at: Timestamp,
    ticks: u32,
}

struct Controller {
    client: kube::Client,
    clock: Clock,
    recorder: Recorder,
    nodes: BTreeMap<String, Arc<Node>>,
    heartbeats: BTreeMap<String, Heartbeat>,
    pods: BTreeMap<PodKey, Arc<Pod>>,
    /// When each (node, taint key, effect) was first seen.
    taints_seen: BTreeMap<(String, String, String), Timestamp>,
    evicted: BTreeSet<String>,
    nodes_listed: bool,
    pods_listed: bool,
}

pub async fn run(client: kube::Client, clock: Clock, record_events: bool) {
    let recorder =
        Recorder::new(client.clone(), clock.clone(), "node-controller", None, record_events);
    let nodes = watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Node));
    let leases = watcher(
        Api::<Lease>::namespaced(client.clone(), LEASE_NAMESPACE),
        watcher::Config::default(),
    )
    .default_backoff()
    .map(|e| e.map(Msg::Lease));
    let pods = watcher(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Pod));
    let ticks = futures::stream::unfold(clock.clone(), |clock| async move {
        clock.sleep(MONITOR_PERIOD).await;
        Some((Ok::<Msg, watcher::Error>(Msg::Tick), clock))
    });
    let streams: Vec<BoxStream<'static, Result<Msg, watcher::Error>>> =
        vec![nodes.boxed(), leases.boxed(), pods.boxed(), ticks.boxed()];
    let mut messages = select_all(streams);
    let mut controller = Controller {
        client,
        clock,
        recorder,
        nodes: BTreeMap::new(),
        heartbeats: BTreeMap::new(),
        pods: BTreeMap::new(),
        taints_seen: BTreeMap::new(),
        evicted: BTreeSet::new(),
        nodes_listed: false,
        pods_listed: false,
    };
    while let Some(message) = messages.next().await {
        let mut tick = controller.apply(message);
        while let Some(Some(message)) = messages.next().now_or_never() {
            tick |= controller.apply(message);
        }
        if tick && controller.nodes_listed && controller.pods_listed {
            controller.monitor().await;
        }
    }
}

impl Controller {
    /// Records a change; true for a monitor tick.
    fn apply(&mut self, message: Result<Msg, watcher::Error>) -> bool {
        let now = self.clock.now();
        match message {
            Err(error) => tracing::debug!(%error, "node controller watch failed"),
            Ok(Msg::Tick) => return true,
            Ok(Msg::Node(event)) => match event {
                watcher::Event::Apply(node) | watcher::Event::InitApply(node) => {
                    let name = node.metadata.name.clone().unwrap_or_default();
                    self.heartbeats.entry(name.clone()).or_insert(Heartbeat {
                        renew: None,
                        seen_at: now,
                        ticks: 0,
                    });
                    self.nodes.insert(name, Arc::new(node));
                }
                watcher::Event::Delete(node) => {
                    let name = node.metadata.name.clone().unwrap_or_default();
                    self.nodes.remove(&name);
                    self.heartbeats.remove(&name);
                }
                watcher::Event::Init => {}
                watcher::Event::InitDone => self.nodes_listed = true,
            },
            Ok(Msg::Lease(watcher::Event::Apply(lease) | watcher::Event::InitApply(lease))) => {
                let name = lease.metadata.name.clone().unwrap_or_default();
                let renew = lease.spec.and_then(|s| s.renew_time).map(|t| t.0.to_string());
                let beat = self.heartbeats.entry(name).or_insert(Heartbeat {
                    renew: None,
                    seen_at: now,
                    ticks: 0,
                });
                if beat.renew != renew {
                    beat.renew = renew;
                    beat.seen_at = now;
                    beat.ticks = 0;
                }
            }
            Ok(Msg::Lease(_)) => {}
            Ok(Msg::Pod(event)) => match event {
                watcher::Event::Apply(pod) | watcher::Event::InitApply(pod) => {
                    self.pods.insert(pod_key(&pod), Arc::new(pod));
                }
                watcher::Event::Delete(pod) => {
                    self.pods.remove(&pod_key(&pod));
                    if let Some(uid) = pod.metadata.uid.as_deref() {
                        self.evicted.remove(uid);
                    }
                }
                watcher::Event::Init => {}
                watcher::Event::InitDone => self.pods_listed = true,
            },
        }
        false
    }

    async fn monitor(&mut self) {
        let now = self.clock.now();
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        for name in names {
            let Some(beat) = self.heartbeats.get_mut(&name) else {
                continue;
            };
            beat.ticks = beat.ticks.saturating_add(1);
            let silent = now.duration_since(beat.seen_at).unsigned_abs();
            // Two ticks without a renewal, so a jump of a virtual clock alone never condemns.
            let stale = silent >= GRACE_PERIOD && beat.ticks >= 2;
            let node = self.nodes[&name].clone();
            let ready = ready_status(&node);
            if stale && ready != "Unknown" {
                self.mark_unknown(&node).await;
            } else if ready == "True" && has_unreachable_taints(&node) && !stale {
                self.set_unreachable_taints(&node, false).await;
            }
        }
        self.note_taints(now);
        self.evict(now).await;
        self.collect_orphans().await;
    }

    async fn mark_unknown(&mut self, node: &Node) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let now = rfc3339(self.clock.now());
        let conditions: Vec<_> = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
            .iter()
            .map(|t| {
                let heartbeat = node
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .and_then(|c| c.iter().find(|c| c.type_ == *t))
                    .and_then(|c| c.last_heartbeat_time.as_ref())
                    .map(|t| rfc3339(t.0))
                    .unwrap_or_else(|| now.clone());
                json!({"type": t, "status": "Unknown", "reason": "NodeStatusUnknown",
                       "message": "Kubelet stopped posting node status.",
                       "lastHeartbeatTime": heartbeat, "lastTransitionTime": now})
            })
            .collect();
        let api: Api<Node> = Api::all(self.client.clone());
        let patch = Patch::Merge(json!({"status": {"conditions": conditions}}));
        if let Err(error) = api.patch_status(&name, &PatchParams::default(), &patch).await {
            tracing::debug!(node = %name, %error, "marking node unknown failed");
            return;
        }
        self.set_unreachable_taints(node, true).await;
    }

    async fn set_unreachable_taints(&mut self, node: &Node, present: bool) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let mut taints: Vec<Taint> = node
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.key != UNREACHABLE_TAINT)
            .collect();
        if present {
            let added = k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(self.clock.now());
            for effect in ["NoSchedule", "NoExecute"] {
                taints.push(Taint {
                    key: UNREACHABLE_TAINT.into(),
                    value: None,
                    effect: effect.into(),
                    time_added: (effect == "NoExecute").then(|| added.clone()),
                });
            }
        }
        let api: Api<Node> = Api::all(self.client.clone());
        let patch = Patch::Merge(json!({"spec": {"taints": taints}}));
        if let Err(error) = api.patch(&name, &PatchParams::default(), &patch).await {
            tracing::debug!(node = %name, %error, "updating node taints failed");
        }
    }

    /// Remembers when each NoExecute taint was first seen.
    fn note_taints(&mut self, now: Timestamp) {
        let mut present = BTreeSet::new();
        for (name, node) in &self.nodes {
            for taint in node.spec.as_ref().and_then(|s| s.taints.as_ref()).into_iter().flatten() {
                if taint.effect == "NoExecute" {
                    let key = (name.clone(), taint.key.clone(), taint.effect.clone());
                    self.taints_seen.entry(key.clone()).or_insert(now);
                    present.insert(key);
                }
            }
        }
        self.taints_seen.retain(|k, _| present.contains(k));
    }

    async fn evict(&mut self, now: Timestamp) {
        let mut victims = Vec::new();
        for pod in self.pods.values() {
            let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
                continue;
            };
            let Some(node) = self.nodes.get(node_name) else {
                continue;
            };
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            if pod.metadata.deletion_timestamp.is_some() || self.evicted.contains(&uid) {
                continue;
            }
            let taints: Vec<Taint> = node
                .spec
                .as_ref()
                .and_then(|s| s.taints.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t.effect == "NoExecute")
                .collect();
            if taints.is_empty() {
                continue;
            }
            let tolerations =
                pod.spec.as_ref().and_then(|s| s.tolerations.clone()).unwrap_or_default();
            let Some(grace) = no_execute_grace(&taints, &tolerations) else {
                continue;
            };
            let since = taints
                .iter()
                .filter_map(|t| {
                    self.taints_seen.get(&(node_name.to_string(), t.key.clone(), t.effect.clone()))
                })
                .min()
                .copied()
                .unwrap_or(now);
            if now.duration_since(since).as_secs() >= grace {
                victims.push(pod.clone());
            }
        }
        for pod in victims {
            let (namespace, name) = pod_key(&pod);
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {
                    self.evicted.insert(pod.metadata.uid.clone().unwrap_or_default());
                    self.recorder.pod_event(
                        &pod,
                        "Normal",
                        "TaintManagerEviction",
                        format!("Marking for deletion Pod {namespace}/{name}"),
                    );
                }
                Err(error) => tracing::debug!(pod = %name, %error, "eviction failed"),
            }
        }
    }

    /// Pod GC: pods bound to nodes that do not exist are deleted at once.
    async fn collect_orphans(&mut self) {
        let orphans: Vec<Arc<Pod>> = self
            .pods
            .values()
            .filter(|p| {
                p.spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_deref())
                    .is_some_and(|n| !n.is_empty() && !self.nodes.contains_key(n))
            })
            .cloned()
            .collect();
        for pod in orphans {
            let (namespace, name) = pod_key(&pod);
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
            let params = DeleteParams { grace_period_seconds: Some(0), ..Default::default() };
            if let Err(error) = api.delete(&name, &params).await {
                tracing::debug!(pod = %name, %error, "deleting orphaned pod failed");
            }
            self.pods.remove(&(namespace, name));
        }
    }
}

fn ready_status(node: &Node) -> String {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.clone())
        .unwrap_or_else(|| "Unknown".into())
}

fn has_unreachable_taints(node: &Node) -> bool {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|t| t.iter().any(|t| t.key == UNREACHABLE_TAINT))
}
