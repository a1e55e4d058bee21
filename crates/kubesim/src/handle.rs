//! Starting kubesim in-process: [`Kubesim::start`] binds, opens the store (restoring a state
//! file if there is one), bootstraps the cluster objects, writes the kubeconfig, starts the
//! built-in controllers and serves, the API and the pod network's forward proxy (on a second
//! listener, see `crate::nodes::network`); the [`KubesimHandle`] gives tests the URLs, a
//! client, the request log and fault controls, and stops everything when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use crate::faults::Faults;
use crate::handlers::create_internal;
use crate::hooks::CRD_STORAGE;
use crate::nodes::network::forward_proxy as pod_network;
use crate::registry::{Registry, crd_resources};
use crate::request_log::RequestLog;
use crate::server::{ApiServer, Settings, router};
use crate::store::{ObjectKey, PersistError, StateOptions, Store, StoreConfig, object};
use crate::{bootstrap_nodes, gc, hooks, kubeconfig, lifecycle};

#[derive(Clone, Debug)]
pub struct KubesimConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The bearer token; a random one when `None`.
    pub token: Option<String>,
    /// Where to write the kubeconfig; a fresh temporary directory when `None`.
    pub kubeconfig_path: Option<PathBuf>,
    /// Ready Node objects to register (`node-1` ... `node-N`).
    pub nodes: usize,
    /// Changes kept per resource type for watches and lists from older resourceVersions.
    pub watch_history: usize,
    pub bookmark_interval: Duration,
    pub default_watch_timeout: Duration,
    pub request_log_capacity: usize,
    /// The node simulation (scheduler, kubelets; see `crate::nodes`): with `nodes` > 0 or
    /// nodes in its spec, the kubelets register the nodes instead of `bootstrap_nodes`.
    pub node_sim: crate::nodes::NodesConfig,
    /// Durable state: every acknowledged write is in this file (see `crate::store::persist`),
    /// and a start with an existing file restores it. In memory when `None`.
    pub state_file: Option<PathBuf>,
    /// Bytes of log after the snapshot beyond which the state file is compacted.
    pub state_compact_after_bytes: u64,
}

impl Default for KubesimConfig {
    fn default() -> Self {
        KubesimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            kubeconfig_path: None,
            nodes: 0,
            watch_history: 10_000,
            bookmark_interval: Duration::from_secs(60),
            default_watch_timeout: Duration::from_secs(1800),
            request_log_capacity: 100_000,
            node_sim: crate::nodes::NodesConfig::default(),
            state_file: None,
            state_compact_after_bytes: StateOptions::new("").compact_after_bytes,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot listen for the pod network proxy on {addr}: {source}")]
    PodNetwork { addr: SocketAddr, source: std::io::Error },
    #[error("cannot write the kubeconfig to {path}: {source}")]
    Kubeconfig { path: PathBuf, source: std::io::Error },
    #[error("cannot create the initial objects: {0}")]
    Bootstrap(#[from] crate::errors::Error),
    #[error("cannot start the simulated nodes: {0}")]
    Nodes(#[from] crate::nodes::NodesError),
    #[error(transparent)]
    State(#[from] PersistError),
}

pub struct Kubesim;

impl Kubesim {
    pub async fn start(config: KubesimConfig) -> Result<KubesimHandle, StartError> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let token =
            config.token.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        // The pod network's forward proxy listens next to the API, on a port of its own.
        let proxy_bind = SocketAddr::new(config.listen.ip(), 0);
        let proxy_listener = tokio::net::TcpListener::bind(proxy_bind)
            .await
            .map_err(|source| StartError::PodNetwork { addr: proxy_bind, source })?;
        let proxy_addr = proxy_listener
            .local_addr()
            .map_err(|source| StartError::PodNetwork { addr: proxy_bind, source })?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let store = open_store(&config).await?;
        let api = Arc::new(ApiServer {
            store,
            registry: Registry::new(),
            request_log: RequestLog::new(config.request_log_capacity),
            faults: Faults::default(),
            settings: Settings {
                token: token.clone(),
                bookmark_interval: config.bookmark_interval,
                default_watch_timeout: config.default_watch_timeout,
            },
            shutdown: shutdown_rx.clone(),
            lifecycle: Notify::new(),
            nodes: Default::default(),
        });
        let simulate_nodes = crate::nodes::Nodes::wanted(config.nodes, &config.node_sim);
        serve_restored_crds(&api);
        bootstrap(&api, if simulate_nodes { 0 } else { config.nodes })?;

        let base_url = format!("http://{addr}");
        let yaml = kubeconfig::render(&base_url, &token);
        let (kubeconfig_path, temp_dir) = match &config.kubeconfig_path {
            Some(path) => (path.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!("kubesim-{}", uuid::Uuid::new_v4()));
                (dir.join("kubeconfig"), Some(dir))
            }
        };
        kubeconfig::write(&kubeconfig_path, &yaml)
            .map_err(|source| StartError::Kubeconfig { path: kubeconfig_path.clone(), source })?;

        tokio::spawn(lifecycle::run(api.clone()));
        tokio::spawn(gc::run(api.clone()));
        let mut app = router(api.clone());
        if config.state_file.is_some() {
            app = app.layer(axum::middleware::from_fn_with_state(api.clone(), acknowledge_durable));
        }
        tokio::spawn(pod_network::serve(proxy_listener, api.clone(), shutdown_rx.clone()));
        let pod_network_url = pod_network::url(proxy_addr);
        let mut stop = shutdown_rx;
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            });
            if let Err(error) = serving.await {
                tracing::error!(%error, "kubesim server failed");
            }
        });
        tracing::info!(%base_url, %pod_network_url, "kubesim serving");
        // Node simulation: the scheduler and the kubelets work through the API just served.
        if simulate_nodes {
            let endpoint = crate::nodes::client::ApiEndpoint {
                base_url: base_url.clone(),
                token: token.clone(),
            };
            let nodes =
                crate::nodes::Nodes::start(endpoint, config.nodes, config.node_sim.clone()).await?;
            let _ = api.nodes.set(Arc::new(nodes));
        }
        Ok(KubesimHandle {
            api,
            addr,
            base_url,
            pod_network_url,
            token,
            kubeconfig_yaml: yaml,
            kubeconfig_path,
            temp_dir,
            shutdown: shutdown_tx,
        })
    }
}

/// The store: in memory, or restored from and kept in the state file. Opening waits for the
/// file's lock (a previous server may still be letting go of it), so off the runtime.
async fn open_store(config: &KubesimConfig) -> Result<Store, StartError> {
    let store_config = StoreConfig { history_limit: config.watch_history };
    let Some(path) = &config.state_file else {
        return Ok(Store::new(store_config));
    };
    let options =
        StateOptions { path: path.clone(), compact_after_bytes: config.state_compact_after_bytes };
    let opened = tokio::task::spawn_blocking(move || Store::open(store_config, &options)).await;
    match opened {
        Ok(result) => Ok(result?),
        Err(join) => Err(StartError::State(PersistError::Io {
            path: path.clone(),
            source: std::io::Error::other(join.to_string()),
        })),
    }
}

/// Serves the kinds of the CRDs a restored store holds, as when they were created.
fn serve_restored_crds(api: &ApiServer) {
    for crd in api.store.list(CRD_STORAGE, None).items {
        if object::deletion_timestamp(&crd).is_none() {
            hooks::establish(api, &crd);
        } else if let Ok(resources) = crd_resources(&crd) {
            // Terminating: its kinds stay served until the lifecycle controller is done.
            api.registry.set_custom(object::name(&crd).unwrap_or(""), resources);
        }
    }
}

/// With durable state, a write is answered only once it is on disk.
async fn acknowledge_durable(
    State(api): State<Arc<ApiServer>>,
    request: Request,
    next: Next,
) -> Response {
    let reads = matches!(*request.method(), http::Method::GET | http::Method::HEAD);
    let response = next.run(request).await;
    if reads || !response.status().is_success() {
        return response;
    }
    match api.store.durable(api.store.current_rv()).await {
        Ok(()) => response,
        Err(error) => crate::errors::Error::Internal(format!("the write is not durable: {error}"))
            .into_response(),
    }
}

/// The namespaces every cluster starts with, and the requested nodes (those a restored
/// store already holds are kept).
fn bootstrap(api: &ApiServer, nodes: usize) -> Result<(), crate::errors::Error> {
    let namespaces = api.registry.lookup("", "v1", "namespaces").expect("namespaces are built in");
    let missing =
        |storage: &str, name: &str| api.store.get(storage, &ObjectKey::new("", name)).is_none();
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        if missing(&namespaces.storage, name) {
            let ns: Value =
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            create_internal(api, &namespaces, ns)?;
        }
    }
    let node_resource = api.registry.lookup("", "v1", "nodes").expect("nodes are built in");
    for index in 1..=nodes {
        let node = bootstrap_nodes::node(index);
        if missing(&node_resource.storage, object::name(&node).unwrap_or("")) {
            create_internal(api, &node_resource, node)?;
        }
    }
    Ok(())
}

pub struct KubesimHandle {
    api: Arc<ApiServer>,
    addr: SocketAddr,
    base_url: String,
    pod_network_url: String,
    token: String,
    kubeconfig_yaml: String,
    kubeconfig_path: PathBuf,
    temp_dir: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
}

impl KubesimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The pod network's forward proxy, `http://127.0.0.1:PORT`: HTTP requests sent through it
    /// in absolute form (`curl -x URL http://POD_IP:PORT/PATH`, reqwest's `Proxy::http(URL)`,
    /// `HTTP_PROXY=URL`) reach the simulated pod holding that IP (see `crate::nodes::network`).
    pub fn pod_network_url(&self) -> &str {
        &self.pod_network_url
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn kubeconfig_yaml(&self) -> &str {
        &self.kubeconfig_yaml
    }

    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// A kube-rs client for this server (default namespace `default`).
    pub fn client(&self) -> kube::Client {
        let uri: http::Uri = self.base_url.parse().expect("the base URL is a valid URI");
        let mut config = kube::Config::new(uri);
        config.default_namespace = "default".into();
        config.auth_info.token = Some(self.token.clone().into());
        kube::Client::try_from(config).expect("a plain HTTP client can always be built")
    }

    pub fn request_log(&self) -> &RequestLog {
        &self.api.request_log
    }

    pub fn faults(&self) -> &Faults {
        &self.api.faults
    }

    /// The object store, for tests that act as cluster components (e.g. a kubelet).
    pub fn store(&self) -> &Store {
        &self.api.store
    }

    /// The simulated nodes (node controls, clock, behaviours), when they run.
    pub fn nodes(&self) -> Option<&Arc<crate::nodes::Nodes>> {
        self.api.nodes.get()
    }

    /// Stops serving: open watches end and the listener closes (dropping the handle does it
    /// too).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for KubesimHandle {
    fn drop(&mut self) {
        if let Some(nodes) = self.api.nodes.get() {
            nodes.shutdown();
        }
        let _ = self.shutdown.send(true);
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
