//! Which waits are worth a status write. A pass that ends waiting sets `Progressing` and
//! `Ready` to the wait's reason; when nothing else in the status changed, that write only
//! tells a reader what the container waits for right now. Most waits of a bring-up last a
//! fraction of a second (the pod is being scheduled, the node agent is starting), and
//! writing each of them cost a status patch per wait per container. So a wait that changes
//! nothing but those two conditions is written once it has lasted `Timing::record_waits_after`
//! (the pass requeues itself for that moment); any other change of the status is written at
//! once, carrying the current wait with it.
//!
//! The sightings are kept in memory: after a restart a wait is simply timed again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct WaitSightings {
    /// Per container UID: the reason it waits for and since when this process saw it.
    seen: Mutex<HashMap<String, (String, Instant)>>,
}

impl WaitSightings {
    /// How long the container has been waiting for `reason`, as far as this process saw;
    /// zero when the reason is new (its clock starts now).
    pub fn waited(&self, container: &str, reason: &str) -> Duration {
        self.waited_at(container, reason, Instant::now())
    }

    fn waited_at(&self, container: &str, reason: &str, now: Instant) -> Duration {
        let mut seen = self.lock();
        match seen.get(container) {
            Some((known, since)) if known == reason => now.saturating_duration_since(*since),
            _ => {
                seen.insert(container.to_string(), (reason.to_string(), now));
                Duration::ZERO
            }
        }
    }

    /// The container no longer waits (its flow completed), or is gone.
    pub fn forget(&self, container: &str) {
        self.lock().remove(container);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_timed_from_its_first_sighting_and_a_new_reason_starts_over() {
        let sightings = WaitSightings::default();
        let t0 = Instant::now();
        let later = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(sightings.waited_at("c1", "PodNotScheduled", t0), Duration::ZERO);
        let waited = sightings.waited_at("c1", "PodNotScheduled", later(1500));
        assert_eq!(waited, Duration::from_millis(1500));
        assert_eq!(sightings.waited_at("c2", "PodNotScheduled", later(1500)), Duration::ZERO);
        assert_eq!(sightings.waited_at("c1", "WaitForDrivers", later(2000)), Duration::ZERO);
        let waited = sightings.waited_at("c1", "WaitForDrivers", later(2500));
        assert_eq!(waited, Duration::from_millis(500));
        sightings.forget("c2");
        assert_eq!(sightings.waited_at("c2", "PodNotScheduled", later(3000)), Duration::ZERO);
    }
}
