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

/// Last successful runs of throttled steps, keyed by (object, step): when, and the
/// fingerprint of the inputs the run saw, for steps that rerun as soon as those change.
#[derive(Default)]
pub struct Throttler {
    last_run: Mutex<HashMap<(String, &'static str), LastRun>>,
}

/// When a step last succeeded, and the fingerprint of its inputs then, if it keeps one.
type LastRun = (Instant, Option<u64>);

impl Throttler {
    /// Whether the step may run now.
    pub fn due(&self, key: &str, step: &'static str, interval: Duration, now: Instant) -> bool {
        let map = self.last_run.lock().expect("throttler lock");
        map.get(&(key.to_string(), step))
            .is_none_or(|(last, _)| now.duration_since(*last) >= interval)
    }

    /// Whether the step's inputs differ from those of its last successful run (true when it
    /// has not run, or ran without recording them).
    pub fn inputs_changed(&self, key: &str, step: &'static str, inputs: u64) -> bool {
        let map = self.last_run.lock().expect("throttler lock");
        map.get(&(key.to_string(), step)).is_none_or(|(_, seen)| *seen != Some(inputs))
    }

    /// Records a successful run.
    pub fn ran(&self, key: &str, step: &'static str, now: Instant) {
        self.ran_with(key, step, now, None);
    }

    /// Records a successful run and the fingerprint of the inputs it saw.
    pub fn ran_with(&self, key: &str, step: &'static str, now: Instant, inputs: Option<u64>) {
        let mut map = self.last_run.lock().expect("throttler lock");
        map.insert((key.to_string(), step), (now, inputs));
    }

    /// When the step last succeeded for the object, if it did since the process started.
    pub fn last_run(&self, key: &str, step: &'static str) -> Option<Instant> {
        self.last_run
            .lock()
            .expect("throttler lock")
            .get(&(key.to_string(), step))
            .map(|(at, _)| *at)
    }

    /// Forgets an object (on deletion), so the map does not grow without bound.
    pub fn forget(&self, key: &str) {
        self.last_run.lock().expect("throttler lock").retain(|(k, _), _| k != key);
    }
}
