//! The simulated WEKA world: clusters by GUID, the agents of pods with their local containers,
//! the clock, pending transitions and faults.

pub mod cluster;
pub mod config;
pub mod container;
pub mod drive;
pub mod fs;
pub mod health;
pub mod kubernetes_uids;
pub mod local;
pub mod local_rpc;
pub mod mounts;
pub mod nfs;
pub mod s3;
pub mod telemetry;
pub mod users;
pub mod virtual_drives;

mod formation;
mod lifecycle;
pub mod members;
pub(crate) mod schedule;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use crate::clock::Clock;
use crate::error::WekaError;
use crate::faults::{FaultState, Faults};
use crate::latency::Latencies;
use crate::rng::SimRng;
use cluster::Cluster;
use local::{AgentKey, LocalAgent, LocalContainer};
use schedule::Schedule;

pub use formation::CreateCluster;

/// The WEKA version simulated containers report unless their spec says otherwise.
pub const DEFAULT_RELEASE: &str = "4.4.2.157-k8s.2";

#[derive(Clone, Debug)]
pub struct WorldConfig {
    /// Seeds GUIDs, UUIDs and tokens.
    pub seed: u64,
    pub latencies: Latencies,
    pub release: String,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 0x5eed,
            latencies: Latencies::default(),
            release: DEFAULT_RELEASE.to_string(),
        }
    }
}

#[derive(Debug)]
pub struct WekaWorld {
    clock: Arc<dyn Clock>,
    pub(crate) latencies: Latencies,
    pub(crate) release: String,
    pub(crate) rng: SimRng,
    pub(crate) clusters: BTreeMap<String, Cluster>,
    pub(crate) agents: BTreeMap<AgentKey, LocalAgent>,
    pub(crate) schedule: Schedule,
    pub(crate) faults: FaultState,
    /// Kubernetes UIDs (pods, WekaContainers) of the agents (`kubernetes_uids.rs`).
    pub(crate) kubernetes_uids: BTreeMap<String, AgentKey>,
    /// The ssdproxy drives of each node, by node name (`virtual_drives.rs`).
    pub(crate) proxy_drives: BTreeMap<String, virtual_drives::ProxyDrives>,
}

/// What a cluster operation may use besides the cluster: the time, latencies to schedule
/// transitions with, the id generator, and (read-only) the pods' local containers.
pub struct OpCtx<'a> {
    pub(crate) now: SystemTime,
    pub(crate) latencies: &'a Latencies,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) schedule: &'a mut Schedule,
    pub(crate) agents: &'a BTreeMap<AgentKey, LocalAgent>,
}

impl WekaWorld {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_config(clock, WorldConfig::default())
    }

    pub fn with_config(clock: Arc<dyn Clock>, config: WorldConfig) -> Self {
        WekaWorld {
            clock,
            latencies: config.latencies,
            release: config.release,
            rng: SimRng::new(config.seed),
            clusters: BTreeMap::new(),
            agents: BTreeMap::new(),
            schedule: Schedule::default(),
            faults: FaultState::default(),
            kubernetes_uids: BTreeMap::new(),
            proxy_drives: BTreeMap::new(),
        }
    }

    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    pub fn latencies(&self) -> &Latencies {
        &self.latencies
    }

    /// Applies to transitions started from now on.
    pub fn set_latencies(&mut self, latencies: Latencies) {
        self.latencies = latencies;
    }

    /// Settles, then gives read access: the way tests inspect state after moving the clock.
    pub fn settled(&mut self) -> &Self {
        self.settle();
        self
    }

    pub fn cluster(&self, guid: &str) -> Option<&Cluster> {
        self.clusters.get(guid)
    }

    pub fn clusters(&self) -> impl Iterator<Item = &Cluster> {
        self.clusters.values()
    }

    /// Direct access for tests that set up state the CLI cannot reach.
    pub fn cluster_mut(&mut self, guid: &str) -> Option<&mut Cluster> {
        self.clusters.get_mut(guid)
    }

    pub fn agent(&self, key: &AgentKey) -> Option<&LocalAgent> {
        self.agents.get(key)
    }

    pub fn local_container(&self, key: &AgentKey, name: &str) -> Option<&LocalContainer> {
        self.agents.get(key)?.containers.get(name)
    }

    pub fn faults(&mut self) -> Faults<'_> {
        Faults::new(self)
    }

    /// Runs `f` on cluster `guid` after settling; what it schedules starts now.
    pub fn op<R>(
        &mut self,
        guid: &str,
        f: impl FnOnce(&mut Cluster, &mut OpCtx) -> Result<R, WekaError>,
    ) -> Result<R, WekaError> {
        self.settle();
        let now = self.now();
        let WekaWorld { latencies, rng, clusters, agents, schedule, .. } = self;
        let cluster =
            clusters.get_mut(guid).ok_or_else(|| WekaError::ClusterNotFound(guid.to_string()))?;
        let mut ctx = OpCtx { now, latencies, rng, schedule, agents };
        let result = f(cluster, &mut ctx);
        self.settle();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send + 'static>() {}

    #[test]
    fn the_world_can_be_shared_behind_a_mutex_across_tasks() {
        assert_send::<WekaWorld>();
    }
}
