//! kubesim's clock seen as wekasim's [`Clock`]: the world and the simulated nodes share one
//! time, so advancing kubesim's virtual clock in a test moves WEKA's transitions along too.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use kubesim::nodes::clock::Clock as NodeClock;

use crate::clock::Clock;
use crate::world::{WekaWorld, WorldConfig};

/// A kubesim clock (real or virtual) answering wekasim's `now`.
#[derive(Clone, Debug)]
pub struct KubeClock(pub NodeClock);

impl Clock for KubeClock {
    fn now(&self) -> SystemTime {
        SystemTime::from(self.0.now())
    }
}

/// A world on kubesim's clock, behind the lock the pods of one kubesim instance share.
pub fn world_on(clock: &NodeClock, config: WorldConfig) -> Arc<Mutex<WekaWorld>> {
    Arc::new(Mutex::new(WekaWorld::with_config(Arc::new(KubeClock(clock.clone())), config)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_world_follows_a_virtual_kube_clock() {
        let clock = NodeClock::virtual_now();
        let world = world_on(&clock, WorldConfig::default());
        let before = world.lock().unwrap().now();
        clock.advance(Duration::from_secs(42));
        let after = world.lock().unwrap().now();
        assert_eq!(after.duration_since(before).unwrap(), Duration::from_secs(42));
    }
}
