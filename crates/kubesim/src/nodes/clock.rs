//! Time as the simulated nodes see it: real time for demos, or a virtual clock that tests
//! advance, so grace periods, back-offs and tolerationSeconds take no wall-clock time.
//!
//! Every wait in the scheduler, kubelets and node lifecycle goes through [`Clock::sleep`]; with
//! a virtual clock such a sleep ends only when the test advances past its deadline.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::jiff::{SignedDuration, Timestamp};
use tokio::sync::oneshot;

#[derive(Clone)]
pub struct Clock(Arc<Kind>);

enum Kind {
    Real,
    Virtual(Mutex<VirtualState>),
}

struct VirtualState {
    now: Timestamp,
    next_id: u64,
    sleepers: BTreeMap<(Timestamp, u64), oneshot::Sender<()>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Kind::Real => f.write_str("Clock::Real"),
            Kind::Virtual(_) => write!(f, "Clock::Virtual({})", self.now()),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::real()
    }
}

impl Clock {
    pub fn real() -> Self {
        Clock(Arc::new(Kind::Real))
    }

    /// A virtual clock that starts at the current real time and moves only when advanced.
    pub fn virtual_now() -> Self {
        Self::virtual_at(Timestamp::now())
    }

    pub fn virtual_at(start: Timestamp) -> Self {
        let state = VirtualState { now: start, next_id: 0, sleepers: BTreeMap::new() };
        Clock(Arc::new(Kind::Virtual(Mutex::new(state))))
    }

    pub fn is_virtual(&self) -> bool {
        matches!(&*self.0, Kind::Virtual(_))
    }

    pub fn now(&self) -> Timestamp {
        match &*self.0 {
            Kind::Real => Timestamp::now(),
            Kind::Virtual(state) => lock(state).now,
        }
    }

    /// Waits `duration` of this clock's time.
    pub async fn sleep(&self, duration: Duration) {
        match &*self.0 {
            Kind::Real => tokio::time::sleep(duration).await,
            Kind::Virtual(state) => {
                if duration.is_zero() {
                    tokio::task::yield_now().await;
                    return;
                }
                let receiver = {
                    let mut state = lock(state);
                    let deadline = add(state.now, duration);
                    let id = state.next_id;
                    state.next_id += 1;
                    let (sender, receiver) = oneshot::channel();
                    state.sleepers.insert((deadline, id), sender);
                    receiver
                };
                // An error means the clock is gone; nothing will ever wake us then, so end.
                let _ = receiver.await;
            }
        }
    }

    /// Moves a virtual clock forward, waking every sleep whose deadline has come. A real clock
    /// cannot be moved: this returns false and does nothing.
    pub fn advance(&self, duration: Duration) -> bool {
        let Kind::Virtual(state) = &*self.0 else {
            return false;
        };
        let mut state = lock(state);
        state.now = add(state.now, duration);
        let now = state.now;
        let due: Vec<_> =
            state.sleepers.keys().take_while(|(deadline, _)| *deadline <= now).cloned().collect();
        for key in due {
            if let Some(sender) = state.sleepers.remove(&key) {
                let _ = sender.send(());
            }
        }
        state.sleepers.retain(|_, sender| !sender.is_closed());
        true
    }

    /// How many sleeps are waiting on a virtual clock (0 for a real one): tests wait for the
    /// simulation to be parked before they advance.
    pub fn sleepers(&self) -> usize {
        match &*self.0 {
            Kind::Real => 0,
            Kind::Virtual(state) => {
                let mut state = lock(state);
                state.sleepers.retain(|_, sender| !sender.is_closed());
                state.sleepers.len()
            }
        }
    }

    /// The earliest deadline a sleep waits for on a virtual clock.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        match &*self.0 {
            Kind::Real => None,
            Kind::Virtual(state) => {
                let mut state = lock(state);
                state.sleepers.retain(|_, sender| !sender.is_closed());
                state.sleepers.keys().next().map(|(deadline, _)| *deadline)
            }
        }
    }

    /// Seconds elapsed since `then` (negative if `then` is in the future).
    pub fn seconds_since(&self, then: Timestamp) -> i64 {
        self.now().duration_since(then).as_secs()
    }
}

fn add(at: Timestamp, duration: Duration) -> Timestamp {
    let duration = SignedDuration::try_from(duration).unwrap_or(SignedDuration::MAX);
    at.saturating_add(duration).unwrap_or(Timestamp::MAX)
}

fn lock(state: &Mutex<VirtualState>) -> std::sync::MutexGuard<'_, VirtualState> {
    state.lock().unwrap_or_else(|poison| poison.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_sleep_ends_only_when_advanced_past_its_deadline() {
        let clock = Clock::virtual_now();
        let start = clock.now();
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(30)).await }
        });
        while clock.sleepers() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(clock.advance(Duration::from_secs(29)));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        sleeper.await.unwrap();
        assert_eq!(clock.seconds_since(start), 30);
        assert_eq!(clock.sleepers(), 0);
    }

    #[tokio::test]
    async fn real_clock_cannot_be_advanced() {
        let clock = Clock::real();
        assert!(!clock.advance(Duration::from_secs(1)));
        clock.sleep(Duration::from_millis(1)).await;
    }
}
