//! The node simulation as one handle: starts the scheduler, the node lifecycle controller, the
//! DaemonSet controller and one kubelet per node, and offers the node controls tests and
//! `simulate` use.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, DeleteParams};
use tokio::task::JoinHandle;

use super::behaviour::BehaviourRegistry;
use super::client::{ApiEndpoint, CONTROLLER_AGENT, ClientError, SCHEDULER_AGENT};
use super::clock::Clock;
use super::images::ImageRegistry;
use super::kubelet::{Kubelet, KubeletError, PodRuntime, Shared};
use super::node_spec::{NodeConfig, NodeSpecError, NodeSpecFile};
use super::{daemonsets, lifecycle, scheduler};

/// How to simulate nodes.
#[derive(Clone)]
pub struct NodesConfig {
    /// Run the scheduler, kubelets and node controller at all (with no nodes to start with,
    /// nothing runs unless this is set and nodes are added later).
    pub enabled: bool,
    /// The node-spec file's content (`--node-spec`); its nodes come first.
    pub spec: NodeSpecFile,
    pub clock: Clock,
    pub behaviours: Arc<BehaviourRegistry>,
    pub images: ImageRegistry,
    /// Record Events (Scheduled, Pulled, Started, FailedScheduling, ...).
    pub record_events: bool,
}

impl Default for NodesConfig {
    fn default() -> Self {
        NodesConfig {
            enabled: true,
            spec: NodeSpecFile::default(),
            clock: Clock::real(),
            behaviours: Arc::new(BehaviourRegistry::new()),
            images: ImageRegistry::new(),
            record_events: true,
        }
    }
}

impl std::fmt::Debug for NodesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodesConfig")
            .field("enabled", &self.enabled)
            .field("spec", &self.spec)
            .field("clock", &self.clock)
            .field("record_events", &self.record_events)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NodesError {
    #[error(transparent)]
    Spec(#[from] NodeSpecError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Kubelet(#[from] KubeletError),
    #[error("node {0:?} already exists")]
    Exists(String),
    #[error("no simulated node {0:?}")]
    NoSuchNode(String),
    #[error("deleting node {node}: {source}")]
    Delete { node: String, source: kube::Error },
}

pub struct Nodes {
    shared: Arc<Shared>,
    spec: NodeSpecFile,
    kubelets: Mutex<BTreeMap<String, Arc<Kubelet>>>,
    next_index: Mutex<usize>,
    controllers: Vec<JoinHandle<()>>,
    client: kube::Client,
}

impl Nodes {
    /// Starts the scheduler and node controller and registers `count` nodes (the spec file's
    /// first), returning once every node is registered.
    pub async fn start(
        endpoint: ApiEndpoint,
        count: usize,
        config: NodesConfig,
    ) -> Result<Nodes, NodesError> {
        let configs = config.spec.resolve(count)?;
        let shared = Arc::new(Shared {
            endpoint: endpoint.clone(),
            clock: config.clock.clone(),
            behaviours: config.behaviours.clone(),
            images: config.images.clone(),
            record_events: config.record_events,
        });
        let scheduler_client = endpoint.client(SCHEDULER_AGENT)?;
        let controller_client = endpoint.client(CONTROLLER_AGENT)?;
        let controllers = vec![
            tokio::spawn(scheduler::run(
                scheduler_client,
                config.clock.clone(),
                config.record_events,
            )),
            tokio::spawn(lifecycle::run(
                controller_client.clone(),
                config.clock.clone(),
                config.record_events,
            )),
            tokio::spawn(daemonsets::run(
                controller_client.clone(),
                config.clock.clone(),
                config.record_events,
            )),
        ];
        let nodes = Nodes {
            shared,
            spec: config.spec,
            kubelets: Mutex::new(BTreeMap::new()),
            next_index: Mutex::new(configs.len()),
            controllers,
            client: controller_client,
        };
        let started = futures::future::join_all(
            configs.into_iter().map(|c| Kubelet::start(c, nodes.shared.clone())),
        )
        .await;
        for kubelet in started {
            let kubelet = kubelet?;
            nodes.lock().insert(kubelet.name.clone(), kubelet);
        }
        Ok(nodes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Kubelet>>> {
        self.kubelets.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    pub fn behaviours(&self) -> &Arc<BehaviourRegistry> {
        &self.shared.behaviours
    }

    pub fn images(&self) -> &ImageRegistry {
        &self.shared.images
    }

    pub fn node_names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn kubelet(&self, node: &str) -> Option<Arc<Kubelet>> {
        self.lock().get(node).cloned()
    }

    /// A node like the `--nodes` ones, named `name`.
    pub fn default_node(&self, name: &str) -> Result<NodeConfig, NodesError> {
        let mut index = self.next_index.lock().unwrap_or_else(|p| p.into_inner());
        let config = self.spec.build(name, *index, &Default::default())?;
        *index += 1;
        Ok(config)
    }

    /// Starts a kubelet for a new node and registers it.
    pub async fn add_node(&self, config: NodeConfig) -> Result<(), NodesError> {
        if self.lock().contains_key(&config.name) {
            return Err(NodesError::Exists(config.name));
        }
        let kubelet = Kubelet::start(config, self.shared.clone()).await?;
        self.lock().insert(kubelet.name.clone(), kubelet);
        Ok(())
    }

    /// Powers a node off and deletes its Node object (its pods are then garbage collected).
    pub async fn remove_node(&self, name: &str) -> Result<(), NodesError> {
        let kubelet =
            self.lock().remove(name).ok_or_else(|| NodesError::NoSuchNode(name.into()))?;
        kubelet.stop();
        let api: Api<Node> = Api::all(self.client.clone());
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(source) => Err(NodesError::Delete { node: name.into(), source }),
        }
    }

    /// NotReady: the kubelet stops talking to the API server (no heartbeats, no pod status)
    /// while its containers keep running; `ready = true` reconnects it.
    pub fn set_node_ready(&self, name: &str, ready: bool) -> Result<(), NodesError> {
        let kubelet = self.kubelet(name).ok_or_else(|| NodesError::NoSuchNode(name.into()))?;
        kubelet.set_partitioned(!ready);
        Ok(())
    }

    /// The runtime of a pod wherever it runs.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Arc<PodRuntime>> {
        let kubelets: Vec<Arc<Kubelet>> = self.lock().values().cloned().collect();
        kubelets.iter().find_map(|k| k.pod_named(namespace, name))
    }

    /// Crashes a running container (its main process exits with `exit_code`); false if there
    /// is no such running container.
    pub fn crash_container(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        exit_code: i32,
    ) -> bool {
        self.pod(namespace, pod).is_some_and(|p| p.crash(container, exit_code))
    }
}

impl Nodes {
    /// Stops the scheduler, the node and DaemonSet controllers and every kubelet.
    pub fn shutdown(&self) {
        for task in &self.controllers {
            task.abort();
        }
        for kubelet in self.lock().values() {
            kubelet.stop();
        }
    }

    /// Whether a simulation should run for `count` nodes and this configuration.
    pub fn wanted(count: usize, config: &NodesConfig) -> bool {
        config.enabled && (count > 0 || !config.spec.nodes.is_empty())
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        self.shutdown();
    }
}
