//! Polls of state no watch announces (WEKA's, a one-off's results) start frequent and back
//! off: a transition that takes seconds is seen within about a third of its time, and a
//! long wait costs no more polls than the step's own interval allows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The first recheck of a wait on polled state.
pub const FIRST_POLL: Duration = Duration::from_secs(1);

/// Since when each object has waited on polled state, and on what (in memory: after a
/// restart a wait starts over at frequent polls, which costs a few early polls).
#[derive(Default)]
pub struct PollBackoff {
    since: Mutex<HashMap<String, (&'static str, Instant)>>,
}

impl PollBackoff {
    /// When to look again for the object `key` waiting on `reason`: a third of the time it
    /// has waited on that reason, at least [`FIRST_POLL`], at most `longest`.
    pub fn interval(&self, key: &str, reason: &'static str, longest: Duration) -> Duration {
        self.interval_at(key, reason, longest, Instant::now())
    }

    fn interval_at(
        &self,
        key: &str,
        reason: &'static str,
        longest: Duration,
        now: Instant,
    ) -> Duration {
        let mut since = lock(&self.since);
        let began = match since.get(key) {
            Some((waited_on, began)) if *waited_on == reason => *began,
            _ => {
                since.insert(key.to_string(), (reason, now));
                now
            }
        };
        (now.saturating_duration_since(began) / 3).clamp(FIRST_POLL.min(longest), longest)
    }

    /// The object no longer waits on polled state (or is gone).
    pub fn done(&self, key: &str) {
        lock(&self.since).remove(key);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn polls_start_at_a_second_and_back_off_to_the_steps_interval() {
        let polls = PollBackoff::default();
        let t0 = Instant::now();
        assert_eq!(polls.interval_at("a", "NotJoined", S(15), t0), S(1));
        assert_eq!(polls.interval_at("a", "NotJoined", S(15), t0 + S(2)), S(1));
        assert_eq!(polls.interval_at("a", "NotJoined", S(15), t0 + S(12)), S(4));
        assert_eq!(polls.interval_at("a", "NotJoined", S(15), t0 + S(120)), S(15));
        // Another reason is another wait; other objects are apart.
        assert_eq!(polls.interval_at("a", "DrivesAdding", S(15), t0 + S(121)), S(1));
        assert_eq!(polls.interval_at("b", "NotJoined", S(15), t0 + S(121)), S(1));
        // A step interval under a second is kept.
        assert_eq!(
            polls.interval_at("c", "Conflict", Duration::from_millis(200), t0),
            Duration::from_millis(200)
        );
        polls.done("a");
        assert_eq!(polls.interval_at("a", "DrivesAdding", S(15), t0 + S(200)), S(1));
    }
}
