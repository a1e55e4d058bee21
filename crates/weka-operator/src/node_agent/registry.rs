//! The containers registered with this agent, by WekaContainer UID. Memory only, as upstream:
//! the operator re-registers every container on its polling cadence, so a restarted agent
//! fills up again by itself.

use std::collections::BTreeMap;

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::RwLock;
use tokio::time::Instant;

use super::host::LocalTarget;
use super::protocol::{LocalConfigSummary, LocalCpuUtilization, RegisterRequest};

/// What the agent last learnt from a container's local API.
#[derive(Clone, Debug, Default)]
pub struct Polled {
    /// `get_local_config_summary`, with when it was read.
    pub summary: Option<(LocalConfigSummary, Instant)>,
    /// `fetch_local_realtime_cpu_usage` by `NodeId<N>`, with when it was read.
    pub cpu: Option<(BTreeMap<String, LocalCpuUtilization>, Instant)>,
}

/// One registered container.
#[derive(Clone, Debug)]
pub struct Registered {
    pub request: RegisterRequest,
    /// Which registration this is: a poll started before a re-registration is dropped.
    pub generation: u64,
    pub polled: Polled,
}

impl Registered {
    pub fn target(&self) -> LocalTarget {
        LocalTarget {
            container_id: self.request.container_id.clone(),
            weka_container_name: self.request.weka_container_name.clone(),
            container_name: self.request.container_name.clone(),
        }
    }

    /// Whether the container's per-container wekafs interface may be read (client images
    /// whose driver keeps one interface per container).
    pub fn per_container_interface(&self) -> bool {
        self.request.feature_flags.as_ref().is_some_and(|f| f.allow_per_container_driver_interface)
    }
}

#[derive(Default)]
pub struct Registry {
    containers: RwLock<BTreeMap<String, Registered>>,
    generations: AtomicU64,
}

impl Registry {
    /// Adds or replaces a container; what was polled before is forgotten, as upstream does.
    /// Returns the pod status it had, if it was registered.
    pub async fn register(&self, request: RegisterRequest) -> Option<String> {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let entry = Registered { request, generation, polled: Polled::default() };
        let key = entry.request.container_id.clone();
        let previous = self.containers.write().await.insert(key, entry);
        previous.map(|p| p.request.pod_status)
    }

    /// Forgets a container; `false` if it was not registered.
    pub async fn deregister(&self, container_id: &str) -> bool {
        self.containers.write().await.remove(container_id).is_some()
    }

    pub async fn get(&self, container_id: &str) -> Option<Registered> {
        self.containers.read().await.get(container_id).cloned()
    }

    pub async fn all(&self) -> Vec<Registered> {
        self.containers.read().await.values().cloned().collect()
    }

    pub async fn len(&self) -> usize {
        self.containers.read().await.len()
    }

    /// Stores what a poll learnt, unless the container was deregistered or re-registered
    /// meanwhile (then the poll belongs to an older registration).
    pub async fn store_polled(&self, container_id: &str, generation: u64, polled: Polled) {
        if let Some(entry) = self.containers.write().await.get_mut(container_id)
            && entry.generation == generation
        {
            entry.polled = polled;
        }
    }
}
