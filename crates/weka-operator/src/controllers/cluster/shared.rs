//! What every reconcile of the WekaCluster controller shares: timing, the step throttler,
//! event throttling and the recorder, the exec transport, the cluster settings derived from
//! the configuration, and failure counts for the backoff.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder};

use crate::cluster::ClusterSettings;
use crate::engine::{PollBackoff, Throttler};
use crate::runtime::Context;
use crate::weka::{KubePodExec, PodExec};

/// Timing of the controller: requeues and the intervals of throttled steps.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// WEKA state (drives added, upgrade health) has no watch: it is polled this often.
    pub weka_poll: Duration,
    /// A ready cluster is looked at again this often (metrics, CSI endpoints, admin user).
    pub refresh: Duration,
    /// A wait on watched state (containers, pods) still gets a reconcile this often.
    pub safety_requeue: Duration,
    /// Another cluster's port range overlaps ours and one of us must give way: recheck.
    pub port_recheck: Duration,
    /// The default `admin` user is deleted this long after the operator's users exist.
    pub admin_user_grace: Duration,
    /// The CSI secret's endpoints are rewritten at most this often.
    pub csi_refresh: Duration,
    /// First retry after a failure; doubled per consecutive failure up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            weka_poll: Duration::from_secs(10),
            refresh: Duration::from_secs(60),
            safety_requeue: Duration::from_secs(300),
            port_recheck: Duration::from_secs(2),
            admin_user_grace: Duration::from_secs(300),
            csi_refresh: Duration::from_secs(300),
            min_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// Controller-wide state (one per registered controller).
pub struct Shared {
    pub timing: Timing,
    pub throttler: Throttler,
    event_times: Mutex<HashMap<(String, String), Instant>>,
    failures: Mutex<HashMap<String, u32>>,
    /// Polls of WEKA state start frequent and back off to the step's interval.
    pub polls: PollBackoff,
    recorder: OnceLock<Recorder>,
    exec: OnceLock<Arc<dyn PodExec>>,
    settings: OnceLock<ClusterSettings>,
}

impl Shared {
    pub fn new(timing: Timing) -> Self {
        Shared {
            timing,
            throttler: Throttler::default(),
            event_times: Mutex::default(),
            failures: Mutex::default(),
            polls: PollBackoff::default(),
            recorder: OnceLock::new(),
            exec: OnceLock::new(),
            settings: OnceLock::new(),
        }
    }

    /// The exec transport (pods/exec through the operator's client).
    pub fn exec(&self, ctx: &Context) -> Arc<dyn PodExec> {
        self.exec.get_or_init(|| Arc::new(KubePodExec::new(ctx.client.clone()))).clone()
    }

    /// What the cluster domain reads from the operator configuration.
    pub fn settings(&self, ctx: &Context) -> &ClusterSettings {
        self.settings.get_or_init(|| ClusterSettings::from_config(&ctx.config))
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
        self.polls.done(key);
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
        assert!(shared.event_due("a", "WaitingForDrives", minute));
        assert!(!shared.event_due("a", "WaitingForDrives", minute));
        assert!(shared.event_due("a", "Other", minute));
        assert!(shared.event_due("b", "WaitingForDrives", minute));
    }
}
