//! Back-off for replacing failed daemon pods, per DaemonSet and node (upstream's
//! `failedPodsBackoff`: 1 s doubling to 15 min), so a node that keeps failing the pod is not
//! hammered with creates.

use std::collections::HashMap;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

const INITIAL: Duration = Duration::from_secs(1);
const MAX: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
pub struct Backoff {
    /// key → (last replacement, current delay)
    entries: HashMap<String, (Timestamp, Duration)>,
}

fn elapsed(since: Timestamp, now: Timestamp) -> Duration {
    now.duration_since(since).unsigned_abs()
}

impl Backoff {
    pub fn key(ds_uid: &str, node: &str) -> String {
        format!("{ds_uid}/{node}")
    }

    /// How long until a failed pod may be replaced again; `None` if it may be now.
    pub fn remaining(&self, key: &str, now: Timestamp) -> Option<Duration> {
        let (last, delay) = self.entries.get(key)?;
        delay.checked_sub(elapsed(*last, now)).filter(|left| !left.is_zero())
    }

    /// A replacement happens now: the next one waits twice as long (starting over once an
    /// entry has been quiet for twice the maximum).
    pub fn step(&mut self, key: &str, now: Timestamp) {
        let delay = match self.entries.get(key) {
            Some((last, delay)) if elapsed(*last, now) <= 2 * MAX => (*delay * 2).min(MAX),
            _ => INITIAL,
        };
        self.entries.insert(key.to_string(), (now, delay));
    }

    /// Drops the entries of a DaemonSet that is gone.
    pub fn forget(&mut self, ds_uid: &str) {
        let prefix = format!("{ds_uid}/");
        self.entries.retain(|key, _| !key.starts_with(&prefix));
    }
}
