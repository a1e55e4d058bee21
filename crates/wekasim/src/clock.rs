//! Time as the simulated WEKA sees it. Every transition (a join, a drive phasing in, io
//! starting) is due at a point in time; it completes when the clock has passed that point and
//! the world is next observed, never by sleeping.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A source of "now". Implemented by [`ManualClock`] for tests, [`SystemClock`] for demos, and
/// by adapters over other simulators' clocks (kubesim's virtual clock) so that both agree.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share the same time, so a test keeps one
/// handle and gives another to the world.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

/// 2025-01-01T00:00:00Z, where manual clocks start unless told otherwise.
pub const MANUAL_CLOCK_START: Duration = Duration::from_secs(1_735_689_600);

impl Default for ManualClock {
    fn default() -> Self {
        Self::starting_at(SystemTime::UNIX_EPOCH + MANUAL_CLOCK_START)
    }
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn starting_at(start: SystemTime) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    pub fn advance_secs(&self, secs: u64) {
        self.advance(Duration::from_secs(secs));
    }

    /// A handle usable where an `Arc<dyn Clock>` is wanted.
    pub fn shared(&self) -> Arc<dyn Clock> {
        Arc::new(self.clone())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// RFC 3339 with microseconds and a `Z`, the way WEKA prints times in JSON.
pub fn format_time(at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new();
        let other = clock.clone();
        let start = clock.now();
        other.advance_secs(5);
        assert_eq!(clock.now().duration_since(start).unwrap(), Duration::from_secs(5));
    }

    #[test]
    fn times_print_like_weka() {
        let clock = ManualClock::new();
        assert_eq!(format_time(clock.now()), "2025-01-01T00:00:00.000000Z");
    }
}
