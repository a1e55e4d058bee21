//! What every reconcile of the WekaContainer controller shares: the step throttler, event
//! throttling and the recorder, the exec transport, the pod settings derived from the
//! configuration, per-node locks, failure counts for the backoff, and the timing knobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder};

use crate::engine::{PollBackoff, Throttler};
use crate::node_agent_client::NodeAgentClient;
use crate::pod::PodSettings;
use crate::runtime::Context;
use crate::weka::{KubePodExec, PodExec};

use super::helper_waiters::HelperWaiters;
use super::pod_notes::PodNotes;
use super::settings::pod_settings;
use super::wait_records::WaitSightings;

/// Timing of the controller's requeues.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// A ready container is looked at again this often (WEKA state has no watch).
    pub refresh: Duration,
    /// A flow that completed with the container not ready yet is rechecked this often.
    pub not_ready_recheck: Duration,
    /// A wait on watched state (pod, node) still gets a reconcile this often, in case an
    /// event was missed.
    pub safety_requeue: Duration,
    /// First retry after a failure; doubled per consecutive failure up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// A wait that changes nothing in the status but `Progressing` and `Ready` is written
    /// once it lasted this long ([`super::wait_records`]).
    pub record_waits_after: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            refresh: Duration::from_secs(300),
            not_ready_recheck: Duration::from_secs(15),
            safety_requeue: Duration::from_secs(600),
            min_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
            record_waits_after: Duration::from_secs(2),
        }
    }
}

/// Own status writes remembered per container, to recognise their echoes.
const OWN_WRITES_KEPT: usize = 4;

/// Controller-wide state (one per registered controller).
pub struct Shared {
    pub timing: Timing,
    pub throttler: Throttler,
    event_times: Mutex<HashMap<(String, String), Instant>>,
    failures: Mutex<HashMap<String, u32>>,
    node_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    discoveries_started: Mutex<HashMap<String, Instant>>,
    /// The resourceVersion of each container's last status write by this controller: its
    /// echo from the watch triggers no reconcile (the pass that wrote it chose what comes
    /// next). Other writers' changes always get one.
    own_status_writes: Mutex<HashMap<String, Vec<(String, Instant)>>>,
    /// Polls of WEKA state start frequent and back off to the step's interval.
    pub polls: PollBackoff,
    /// Containers waiting on a helper's result, woken when it has one.
    pub helper_waiters: HelperWaiters,
    /// What was already done to each container's current pod.
    pub pod_notes: PodNotes,
    /// Since when each container waits for what (its wait is written once it lasts).
    pub waits: WaitSightings,
    recorder: OnceLock<Recorder>,
    exec: OnceLock<Arc<dyn PodExec>>,
    settings: OnceLock<PodSettings>,
    agent: OnceLock<Result<Arc<NodeAgentClient>, String>>,
}

impl Shared {
    pub fn new(timing: Timing) -> Self {
        Shared {
            timing,
            throttler: Throttler::default(),
            event_times: Mutex::default(),
            failures: Mutex::default(),
            node_locks: Mutex::default(),
            discoveries_started: Mutex::default(),
            own_status_writes: Mutex::default(),
            polls: PollBackoff::default(),
            helper_waiters: HelperWaiters::default(),
            pod_notes: PodNotes::default(),
            waits: WaitSightings::default(),
            recorder: OnceLock::new(),
            exec: OnceLock::new(),
            settings: OnceLock::new(),
            agent: OnceLock::new(),
        }
    }

    /// Records a status write of this controller (the object's UID, the version written).
    /// A few versions are kept: a pass may write twice before the first echo arrives.
    pub fn wrote_status(&self, uid: &str, resource_version: Option<&str>) {
        let Some(version) = resource_version else { return };
        let mut writes = lock(&self.own_status_writes);
        let versions = writes.entry(uid.to_string()).or_default();
        if versions.len() == OWN_WRITES_KEPT {
            versions.remove(0);
        }
        versions.push((version.to_string(), Instant::now()));
    }

    /// Whether this version of the object is the echo of one of this controller's recent
    /// status writes (consumed: the same version delivered again, after a re-list, is
    /// reconciled).
    pub fn is_own_status_write(&self, uid: &str, resource_version: Option<&str>) -> bool {
        let Some(version) = resource_version else { return false };
        let mut writes = lock(&self.own_status_writes);
        let Some(versions) = writes.get_mut(uid) else { return false };
        let Some(at) = versions.iter().position(|(v, _)| v == version) else { return false };
        versions.drain(..=at);
        if versions.is_empty() {
            writes.remove(uid);
        }
        true
    }

    /// Whether the cached copy (at `cached_version`) is older than a status write this
    /// controller made in the last `within`: a pass on it would redo the work of the pass
    /// that wrote, and its own write would conflict. Versions are compared as numbers, as
    /// the API server issues them; a version that is not a number is trusted (the write's
    /// precondition still catches a stale copy). Writes the cache has caught up with are
    /// forgotten (an echo can reach the cache before the write's answer reaches us).
    pub fn awaits_own_echo(
        &self,
        uid: &str,
        cached_version: Option<&str>,
        within: Duration,
    ) -> bool {
        let Some(cached) = cached_version.and_then(|v| v.parse::<u64>().ok()) else {
            return false;
        };
        let mut writes = lock(&self.own_status_writes);
        let Some(versions) = writes.get_mut(uid) else { return false };
        versions.retain(|(version, at)| {
            at.elapsed() < within && version.parse::<u64>().is_ok_and(|v| v > cached)
        });
        let stale = !versions.is_empty();
        if !stale {
            writes.remove(uid);
        }
        stale
    }

    /// The exec transport (pods/exec through the operator's client).
    pub fn exec(&self, ctx: &Context) -> Arc<dyn PodExec> {
        self.exec.get_or_init(|| Arc::new(KubePodExec::new(ctx.client.clone()))).clone()
    }

    /// The client of the node agents (one connection pool and token cache); an error when
    /// the configured proxy is not a usable URL.
    pub fn agent_client(&self, ctx: &Context) -> Result<Arc<NodeAgentClient>, String> {
        self.agent
            .get_or_init(|| {
                NodeAgentClient::new(&ctx.config.metrics_collection.node_agent_proxy)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// What the pod builder reads from the operator configuration.
    pub fn pod_settings(&self, ctx: &Context) -> &PodSettings {
        self.settings.get_or_init(|| pod_settings(&ctx.config))
    }

    /// Publishes an event about `object`; failures are logged, never fatal.
    pub async fn publish(
        &self,
        ctx: &Context,
        object: &ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) {
        let recorder = self.recorder.get_or_init(|| ctx.recorder());
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(truncate(message, 1000)),
            action: "Reconcile".to_string(),
            secondary: None,
        };
        if let Err(err) = recorder.publish(&event, object).await {
            tracing::warn!(reason, error = %err, "cannot record event");
        }
    }

    /// Whether an event of `reason` about the object `key` may be published now (at most one
    /// per `interval`); records it when so.
    pub fn event_due(&self, key: &str, reason: &str, interval: Duration) -> bool {
        let mut times = lock(&self.event_times);
        let now = Instant::now();
        let slot = (key.to_string(), reason.to_string());
        if times.get(&slot).is_some_and(|last| now.duration_since(*last) < interval) {
            return false;
        }
        times.insert(slot, now);
        true
    }

    /// Counts a failed reconcile of `key`; returns the delay before the retry.
    pub fn failed(&self, key: &str) -> Duration {
        let mut failures = lock(&self.failures);
        let count = failures.entry(key.to_string()).or_insert(0);
        *count = count.saturating_add(1);
        let factor = 1u32.checked_shl(count.saturating_sub(1)).unwrap_or(u32::MAX);
        self.timing.min_backoff.saturating_mul(factor).min(self.timing.max_backoff)
    }

    /// A reconcile of `key` did not fail: the backoff starts over.
    pub fn succeeded(&self, key: &str) {
        lock(&self.failures).remove(key);
    }

    /// Forgets everything about an object that is gone.
    pub fn forget(&self, key: &str) {
        self.throttler.forget(key);
        lock(&self.failures).remove(key);
        lock(&self.event_times).retain(|(k, _), _| k != key);
        lock(&self.own_status_writes).remove(key);
        self.polls.done(key);
        self.pod_notes.forget(key);
        self.waits.forget(key);
    }

    /// Whether this reconcile should start the discovery `key` (a node on one boot): not when
    /// another did in the last `window` (its container may not be in the cache yet, and every
    /// container waiting on the node would otherwise try to create one). A hint against
    /// duplicate requests only: after a restart the API says what exists (a second create
    /// is a 409).
    pub fn start_discovery(&self, key: &str, window: Duration) -> bool {
        let mut started = lock(&self.discoveries_started);
        let now = Instant::now();
        started.retain(|_, at| now.duration_since(*at) < window);
        if started.contains_key(key) {
            return false;
        }
        started.insert(key.to_string(), now);
        true
    }

    /// The in-process lock serialising node-affinity decisions of one node and mode.
    pub fn node_lock(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.node_locks).entry(name.to_string()).or_default().clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets_on_success() {
        let shared = Shared::new(Timing::default());
        let delays: Vec<u64> = (0..8).map(|_| shared.failed("uid").as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 300, 300]);
        shared.succeeded("uid");
        assert_eq!(shared.failed("uid"), Duration::from_secs(5));
    }

    #[test]
    fn events_are_throttled_per_object_and_reason() {
        let shared = Shared::new(Timing::default());
        let minute = Duration::from_secs(60);
        assert!(shared.event_due("a", "NodeNotReady", minute));
        assert!(!shared.event_due("a", "NodeNotReady", minute));
        assert!(shared.event_due("a", "Other", minute));
        assert!(shared.event_due("b", "NodeNotReady", minute));
    }
}
