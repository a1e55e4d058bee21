//! At most one run per interval, per object and step. Kept in memory: after a restart a
//! throttled step simply runs once more, which every step must tolerate anyway.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Time source, replaceable in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Last successful runs of throttled steps, keyed by (object, step).
#[derive(Default)]
pub struct Throttler {
    last_run: Mutex<HashMap<(String, &'static str), Instant>>,
}

impl Throttler {
    /// Whether the step may run now.
    pub fn due(&self, key: &str, step: &'static str, interval: Duration, now: Instant) -> bool {
        let map = self.last_run.lock().expect("throttler lock");
        map.get(&(key.to_string(), step)).is_none_or(|last| now.duration_since(*last) >= interval)
    }

    /// Records a successful run.
    pub fn ran(&self, key: &str, step: &'static str, now: Instant) {
        self.last_run.lock().expect("throttler lock").insert((key.to_string(), step), now);
    }

    /// When the step last succeeded for the object, if it did since the process started.
    pub fn last_run(&self, key: &str, step: &'static str) -> Option<Instant> {
        self.last_run.lock().expect("throttler lock").get(&(key.to_string(), step)).copied()
    }

    /// Forgets an object (on deletion), so the map does not grow without bound.
    pub fn forget(&self, key: &str) {
        self.last_run.lock().expect("throttler lock").retain(|(k, _), _| k != key);
    }
}
