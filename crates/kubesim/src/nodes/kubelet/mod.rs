//! One simulated kubelet: registers its Node, heartbeats through a Lease, watches the pods
//! bound to it (`fieldSelector=spec.nodeName=NODE`) and runs each in a pod worker that writes
//! the pod's status and finishes its deletion, all through the API server.

mod heartbeat;
mod pod_worker;
mod probes;
mod runtime;
pub mod status;
mod volumes;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::behaviour::{BehaviourRegistry, Tree};
use super::client::{ApiEndpoint, ClientError, KUBELET_AGENT};
use super::clock::Clock;
use super::events::Recorder;
use super::images::ImageRegistry;
use super::node_spec::NodeConfig;

pub use heartbeat::{LEASE_NAMESPACE, micro_time};
pub use runtime::{PodRuntime, Slot};

/// What every kubelet of a simulation shares.
pub struct Shared {
    pub endpoint: ApiEndpoint,
    pub clock: Clock,
    pub behaviours: Arc<BehaviourRegistry>,
    pub images: ImageRegistry,
    pub record_events: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum KubeletError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("registering node {node}: {source}")]
    Register { node: String, source: kube::Error },
}

struct PodEntry {
    runtime: Arc<PodRuntime>,
    updates: watch::Sender<Arc<Pod>>,
    task: JoinHandle<()>,
}

pub struct Kubelet {
    pub name: String,
    pub config: NodeConfig,
    client: kube::Client,
    shared: Arc<Shared>,
    recorder: Recorder,
    pods: Mutex<HashMap<String, PodEntry>>,
    partitioned: watch::Sender<bool>,
    /// The node's host filesystem, shared by hostPath volumes.
    host: Arc<Tree>,
    ips: Mutex<BTreeSet<u8>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Pods whose worker finished: late watch events about them are ignored.
    done: Mutex<BTreeSet<String>>,
}

impl Kubelet {
    /// Registers the node and starts heartbeats and the pod loop.
    pub async fn start(
        config: NodeConfig,
        shared: Arc<Shared>,
    ) -> Result<Arc<Kubelet>, KubeletError> {
        let client = shared.endpoint.client(KUBELET_AGENT)?;
        let recorder = Recorder::new(
            client.clone(),
            shared.clock.clone(),
            "kubelet",
            Some(&config.name),
            shared.record_events,
        );
        let kubelet = Arc::new(Kubelet {
            name: config.name.clone(),
            config,
            client,
            shared,
            recorder,
            pods: Mutex::new(HashMap::new()),
            partitioned: watch::channel(false).0,
            host: Tree::new(),
            ips: Mutex::new(BTreeSet::new()),
            tasks: Mutex::new(Vec::new()),
            done: Mutex::new(BTreeSet::new()),
        });
        heartbeat::register(&kubelet)
            .await
            .map_err(|source| KubeletError::Register { node: kubelet.name.clone(), source })?;
        let beat = tokio::spawn(heartbeat::run(kubelet.clone()));
        let pods = tokio::spawn(pod_loop(kubelet.clone()));
        kubelet.lock_tasks().extend([beat, pods]);
        Ok(kubelet)
    }

    fn lock_tasks(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_pods(&self) -> std::sync::MutexGuard<'_, HashMap<String, PodEntry>> {
        self.pods.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the kubelet as a powered-off node stops: no more API calls, containers gone.
    pub fn stop(&self) {
        for task in self.lock_tasks().drain(..) {
            task.abort();
        }
        for (_, entry) in self.lock_pods().drain() {
            entry.task.abort();
        }
        self.partitioned.send_replace(true);
    }

    /// Cuts the kubelet off from the API server (heartbeats and pod status stop; containers
    /// keep running) or reconnects it.
    pub fn set_partitioned(&self, partitioned: bool) {
        self.partitioned.send_replace(partitioned);
    }

    pub fn is_partitioned(&self) -> bool {
        *self.partitioned.borrow()
    }

    pub fn pod(&self, uid: &str) -> Option<Arc<PodRuntime>> {
        self.lock_pods().get(uid).map(|e| e.runtime.clone())
    }

    /// The pod runtime by namespace and name.
    pub fn pod_named(&self, namespace: &str, name: &str) -> Option<Arc<PodRuntime>> {
        self.lock_pods()
            .values()
            .find(|e| e.runtime.namespace == namespace && e.runtime.name == name)
            .map(|e| e.runtime.clone())
    }

    fn allocate_ip(&self) -> String {
        let base = self.config.pod_cidr.trim_end_matches(".0/24");
        let mut used = self.ips.lock().unwrap_or_else(|p| p.into_inner());
        let octet = (2..=254u8).find(|o| !used.contains(o)).unwrap_or(254);
        used.insert(octet);
        format!("{base}.{octet}")
    }

    fn release_ip(&self, ip: &str) {
        if let Some(octet) = ip.rsplit('.').next().and_then(|o| o.parse::<u8>().ok())
            && ip.starts_with(self.config.pod_cidr.trim_end_matches(".0/24"))
        {
            self.ips.lock().unwrap_or_else(|p| p.into_inner()).remove(&octet);
        }
    }

    fn dispatch(self: &Arc<Self>, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        if self.done.lock().unwrap_or_else(|p| p.into_inner()).contains(&uid) {
            return;
        }
        let pod = Arc::new(pod);
        let mut pods = self.lock_pods();
        if let Some(entry) = pods.get(&uid) {
            entry.updates.send_replace(pod);
            return;
        }
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let runtime = Arc::new(PodRuntime::new(
            &uid,
            pod.metadata.namespace.as_deref().unwrap_or(""),
            pod.metadata.name.as_deref().unwrap_or(""),
            commands_tx,
        ));
        let (updates, updates_rx) = watch::channel(pod.clone());
        let worker =
            pod_worker::Worker::new(self.clone(), pod, updates_rx, runtime.clone(), commands_rx);
        let task = tokio::spawn(worker.run());
        pods.insert(uid, PodEntry { runtime, updates, task });
    }

    /// The pod left the API server (or never was): its worker ends without API calls.
    fn forget(&self, uid: &str) {
        // Dropping the sender tells the worker the pod is gone.
        self.lock_pods().remove(uid);
    }

    /// Called by a worker when it is done with its pod.
    fn finished(&self, uid: &str) {
        self.done.lock().unwrap_or_else(|p| p.into_inner()).insert(uid.to_string());
        self.lock_pods().remove(uid);
    }
}

async fn pod_loop(kubelet: Arc<Kubelet>) {
    let api: Api<Pod> = Api::all(kubelet.client.clone());
    let config = watcher::Config::default().fields(&format!("spec.nodeName={}", kubelet.name));
    let mut stream = watcher(api, config).default_backoff().boxed();
    let mut listed: Option<BTreeSet<String>> = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Init) => listed = Some(BTreeSet::new()),
            Ok(watcher::Event::InitApply(pod)) => {
                if let (Some(seen), Some(uid)) = (listed.as_mut(), pod.metadata.uid.clone()) {
                    seen.insert(uid);
                }
                kubelet.dispatch(pod);
            }
            Ok(watcher::Event::InitDone) => {
                if let Some(seen) = listed.take() {
                    let gone: Vec<String> = kubelet
                        .lock_pods()
                        .keys()
                        .filter(|uid| !seen.contains(*uid))
                        .cloned()
                        .collect();
                    for uid in gone {
                        kubelet.forget(&uid);
                    }
                }
            }
            Ok(watcher::Event::Apply(pod)) => kubelet.dispatch(pod),
            Ok(watcher::Event::Delete(pod)) => {
                if let Some(uid) = pod.metadata.uid.as_deref() {
                    kubelet.forget(uid);
                }
            }
            Err(error) => tracing::debug!(node = %kubelet.name, %error, "pod watch failed"),
        }
    }
}
