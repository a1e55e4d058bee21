//! The DaemonSet controller, as kube-controller-manager's: one pod per eligible node.
//!
//! Like the scheduler, it is a client of the API server: it watches DaemonSets, nodes and pods
//! (keeping the pods DaemonSets control, see [`cache`]), and after each batch of events syncs
//! the DaemonSets the events concern (a node change concerns all). A sync is a pure decision
//! ([`plan`], [`status`]) followed by writes ([`sync`]):
//! - a node that should run a daemon pod ([`placement`]: nodeSelector, required node affinity,
//!   taints against the template's tolerations plus the daemon tolerations) and has none gets
//!   one, created from the template with ownerReferences and the `controller-revision-hash` /
//!   `pod-template-generation` labels, pinned to the node by a required node affinity on
//!   `metadata.name` so that the scheduler binds it (as upstream does, not by setting nodeName);
//! - a node that should not run one loses it (a NoExecute taint it does not tolerate, labels no
//!   longer matching); extra pods on a node, succeeded ones and (with back-off) failed ones go;
//!   pods waiting for a node that was removed go (bound ones are the pod GC's, see
//!   [`lifecycle`](super::lifecycle));
//! - with the RollingUpdate strategy, pods of an older template ([`revision`]) are deleted at
//!   most maxUnavailable at a time and replaced on the next syncs (maxSurge is not honoured:
//!   a node never runs old and new side by side); OnDelete leaves them;
//! - the status counts are written through `/status` when they change, with
//!   observedGeneration, so `kubectl get ds` and `kubectl rollout status ds/NAME` work.
//!
//! Writes it has not yet seen in its watch are [`expectations`]: until then it only updates
//! the status, so it never doubles a pod. Deleting a DaemonSet is the garbage collector's
//! business (its pods carry a controller reference with blockOwnerDeletion). Orphaned pods
//! matching a selector are not adopted, and no ControllerRevisions are stored.
//! Timers only for minReadySeconds and failed-pod back-off; otherwise it waits on its watches.

mod backoff;
mod cache;
mod expectations;
pub mod placement;
pub mod plan;
pub mod revision;
pub mod status;
mod sync;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::FutureExt;
use futures::channel::mpsc;
use futures::stream::{BoxStream, StreamExt, select_all};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};

use super::clock::Clock;
use super::events::Recorder;
use backoff::Backoff;
use cache::{Cache, DsKey};
use expectations::Expectations;

/// The component name on its events, as upstream's.
pub const COMPONENT: &str = "daemonset-controller";

#[allow(clippy::large_enum_variant)] // short-lived channel messages
enum Msg {
    DaemonSet(watcher::Event<DaemonSet>),
    Pod(watcher::Event<Pod>),
    Node(watcher::Event<Node>),
    /// A timer for this DaemonSet ran out (minReadySeconds, back-off).
    Requeue(DsKey),
}

struct Controller {
    client: kube::Client,
    clock: Clock,
    recorder: Recorder,
    cache: Cache,
    expectations: Expectations,
    backoff: Backoff,
    dirty: BTreeSet<DsKey>,
    /// Pending timers, by when they fire.
    timers: HashMap<DsKey, Timestamp>,
    requeue: mpsc::UnboundedSender<DsKey>,
    daemonsets_listed: bool,
    pods_listed: bool,
    nodes_listed: bool,
}

pub async fn run(client: kube::Client, clock: Clock, record_events: bool) {
    let recorder = Recorder::new(client.clone(), clock.clone(), COMPONENT, None, record_events);
    let daemonsets = watcher(Api::<DaemonSet>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::DaemonSet));
    let pods = watcher(Api::<Pod>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Pod));
    let nodes = watcher(Api::<Node>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .map(|e| e.map(Msg::Node));
    let (requeue, requeued) = mpsc::unbounded();
    let requeued = requeued.map(|key| Ok::<Msg, watcher::Error>(Msg::Requeue(key)));
    let streams: Vec<BoxStream<'static, Result<Msg, watcher::Error>>> =
        vec![daemonsets.boxed(), pods.boxed(), nodes.boxed(), requeued.boxed()];
    let mut messages = select_all(streams);
    let mut controller = Controller {
        client,
        clock,
        recorder,
        cache: Cache::default(),
        expectations: Expectations::default(),
        backoff: Backoff::default(),
        dirty: BTreeSet::new(),
        timers: HashMap::new(),
        requeue,
        daemonsets_listed: false,
        pods_listed: false,
        nodes_listed: false,
    };
    while let Some(message) = messages.next().await {
        controller.apply(message);
        while let Some(Some(message)) = messages.next().now_or_never() {
            controller.apply(message);
        }
        if controller.daemonsets_listed && controller.pods_listed && controller.nodes_listed {
            controller.sync_dirty().await;
        }
    }
}

impl Controller {
    fn apply(&mut self, message: Result<Msg, watcher::Error>) {
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                tracing::debug!(%error, "daemonset controller watch failed");
                return;
            }
        };
        match message {
            Msg::DaemonSet(event) => self.daemonset_event(event),
            Msg::Pod(event) => self.pod_event(event),
            Msg::Node(event) => self.node_event(event),
            Msg::Requeue(key) => {
                self.timers.remove(&key);
                self.dirty.insert(key);
            }
        }
    }

    fn daemonset_event(&mut self, event: watcher::Event<DaemonSet>) {
        match event {
            watcher::Event::Apply(ds) => {
                let key = self.cache.set_daemonset(ds);
                self.dirty.insert(key);
            }
            watcher::Event::Delete(ds) => {
                let key = self.cache.remove_daemonset(&ds);
                if let Some(uid) = ds.metadata.uid.as_deref() {
                    self.expectations.forget(uid);
                    self.backoff.forget(uid);
                }
                self.timers.remove(&key);
                self.dirty.remove(&key);
            }
            watcher::Event::Init => self.cache.begin_daemonsets(),
            watcher::Event::InitApply(ds) => self.cache.listed_daemonset(ds),
            watcher::Event::InitDone => {
                self.cache.end_daemonsets();
                self.daemonsets_listed = true;
                self.dirty.extend(self.cache.daemonsets.keys().cloned());
            }
        }
    }

    fn pod_event(&mut self, event: watcher::Event<Pod>) {
        let owner = match event {
            watcher::Event::Apply(pod) => {
                let owner = cache::controller_uid(&pod).map(str::to_string);
                if let Some(uid) = owner.as_deref() {
                    self.expectations.observe(uid, &pod, false);
                }
                self.cache.set_pod(pod);
                owner
            }
            watcher::Event::Delete(pod) => {
                let owner = self.cache.remove_pod(&pod);
                if let Some(uid) = owner.as_deref() {
                    self.expectations.observe(uid, &pod, true);
                }
                owner
            }
            watcher::Event::Init => {
                self.cache.begin_pods();
                None
            }
            watcher::Event::InitApply(pod) => {
                self.cache.listed_pod(pod);
                None
            }
            watcher::Event::InitDone => {
                self.cache.end_pods();
                // The cache is whole again: whatever was awaited is in it, or never will be.
                self.expectations.clear();
                self.pods_listed = true;
                self.dirty.extend(self.cache.daemonsets.keys().cloned());
                None
            }
        };
        if let Some(key) = owner.and_then(|uid| self.cache.key_of_uid(&uid)) {
            self.dirty.insert(key);
        }
    }

    fn node_event(&mut self, event: watcher::Event<Node>) {
        let changed = match event {
            watcher::Event::Apply(node) => self.cache.set_node(node),
            watcher::Event::Delete(node) => {
                self.cache.remove_node(node.metadata.name.as_deref().unwrap_or(""));
                true
            }
            watcher::Event::Init => {
                self.cache.begin_nodes();
                false
            }
            watcher::Event::InitApply(node) => {
                self.cache.listed_node(node);
                false
            }
            watcher::Event::InitDone => {
                self.cache.end_nodes();
                self.nodes_listed = true;
                true
            }
        };
        if changed {
            self.dirty.extend(self.cache.daemonsets.keys().cloned());
        }
    }

    /// Syncs the DaemonSet again after `delay` of the simulation's clock (one timer per
    /// DaemonSet: an earlier one already pending covers a later request).
    fn requeue_after(&mut self, key: &DsKey, delay: Duration) {
        let due = self.clock.now() + delay;
        if self.timers.get(key).is_some_and(|pending| *pending <= due) {
            return;
        }
        self.timers.insert(key.clone(), due);
        let (clock, requeue, key) = (self.clock.clone(), self.requeue.clone(), key.clone());
        tokio::spawn(async move {
            clock.sleep(delay).await;
            let _ = requeue.unbounded_send(key);
        });
    }
}
