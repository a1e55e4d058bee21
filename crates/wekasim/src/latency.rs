//! How long each asynchronous WEKA transition takes in simulated time.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latencies {
    /// `cluster create`: the listed containers go from CLUSTERIZING to READY/UP.
    pub cluster_form: Duration,
    /// A container with join IPs reaches the cluster: CLUSTERIZING to READY/UP. Also a known
    /// member reconnecting after `weka local start`.
    pub container_join: Duration,
    /// `cluster drive add` / `activate`: PHASING_IN to ACTIVE.
    pub drive_activate: Duration,
    /// `cluster drive deactivate`: PHASING_OUT to INACTIVE.
    pub drive_deactivate: Duration,
    /// `cluster container deactivate`: DEACTIVATING to INACTIVE (its drives phase out too).
    pub container_deactivate: Duration,
    /// `cluster start-io`: io status STARTING to STARTED.
    pub start_io: Duration,
    /// A crashed process comes back UP (when the crash fault asks for a restart).
    pub process_restart: Duration,
    /// After a failure, data is rebuilt and the cluster is fully protected again.
    pub rebuild: Duration,
}

impl Latencies {
    /// Every transition completes at the next observation.
    pub fn zero() -> Self {
        Latencies {
            cluster_form: Duration::ZERO,
            container_join: Duration::ZERO,
            drive_activate: Duration::ZERO,
            drive_deactivate: Duration::ZERO,
            container_deactivate: Duration::ZERO,
            start_io: Duration::ZERO,
            process_restart: Duration::ZERO,
            rebuild: Duration::ZERO,
        }
    }

    /// A few seconds each, roughly what a small real cluster shows.
    pub fn realistic() -> Self {
        Latencies {
            cluster_form: Duration::from_secs(10),
            container_join: Duration::from_secs(8),
            drive_activate: Duration::from_secs(5),
            drive_deactivate: Duration::from_secs(10),
            container_deactivate: Duration::from_secs(15),
            start_io: Duration::from_secs(5),
            process_restart: Duration::from_secs(10),
            rebuild: Duration::from_secs(60),
        }
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Self::realistic()
    }
}
