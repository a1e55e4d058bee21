//! The simulated world the operator runs against: kubesim (API server, scheduler, kubelets)
//! with wekasim's WEKA runtime as the behaviour of WEKA pods, and the backend nodes' drives
//! signed for WEKA (what a sign-drives policy leaves on a real node).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use kubesim::nodes::NodesConfig;
use kubesim::nodes::behaviour::Selector;
use kubesim::{Kubesim, KubesimConfig, KubesimHandle};
use serde_json::json;
use weka_api::constants::{annotations, labels};
use wekasim::WorldConfig;
use wekasim::runtime::{RuntimeConfig, WekaRuntime, world_on};

use super::SimulateError;
use super::latency::LatencyProfile;
use super::node_layout::NodeLayout;
use super::startup_delay::StartupDelay;

/// The user agent of simulate's own requests, so that the request log tells them apart from
/// the operator's.
pub const SIMULATE_AGENT: &str = "weka-operator-simulate";

pub struct EnvironmentOptions {
    pub listen: SocketAddr,
    pub kubeconfig: PathBuf,
    pub nodes: NodeLayout,
    pub latency: LatencyProfile,
    pub runtime: RuntimeConfig,
    pub state: Option<PathBuf>,
    /// Requests kept in kubesim's request log.
    pub request_log_capacity: usize,
}

pub struct Environment {
    pub kubesim: KubesimHandle,
    pub runtime: WekaRuntime,
    /// simulate's own client ([`SIMULATE_AGENT`]).
    pub client: Client,
}

impl Environment {
    pub async fn start(options: EnvironmentOptions) -> Result<Environment, SimulateError> {
        let mut node_sim = NodesConfig { spec: options.nodes.spec.clone(), ..Default::default() };
        let world_config = WorldConfig { latencies: options.latency.weka(), ..Default::default() };
        let world = world_on(&node_sim.clock, world_config);
        let runtime = wekasim::runtime::register(&node_sim.behaviours, world, options.runtime);
        crate::node_agent::sim::register(&node_sim.behaviours, runtime.clone());
        let delay = options.latency.container_start();
        if !delay.is_zero() {
            let inner = std::mem::take(&mut node_sim.behaviours);
            let every_container = Selector::Custom(Arc::new(|_, _| true));
            node_sim.behaviours.register(every_container, Arc::new(StartupDelay { inner, delay }));
        }
        let kubesim = Kubesim::start(KubesimConfig {
            listen: options.listen,
            kubeconfig_path: Some(options.kubeconfig),
            nodes: options.nodes.count,
            node_sim,
            request_log_capacity: options.request_log_capacity,
            state_file: options.state,
            ..Default::default()
        })
        .await?;
        let client = client(&kubesim)?;
        sign_drives(&client, &runtime).await?;
        Ok(Environment { kubesim, runtime, client })
    }

    /// Names of the nodes labelled as WEKA backends.
    pub async fn backend_nodes(&self) -> Result<Vec<String>, SimulateError> {
        backend_nodes(&self.client).await
    }
}

fn client(kubesim: &KubesimHandle) -> Result<Client, SimulateError> {
    let uri: http::Uri = kubesim.base_url().parse().map_err(|_| SimulateError::Client)?;
    let mut config = kube::Config::new(uri);
    config.default_namespace = "default".into();
    config.auth_info.token = Some(kubesim.token().to_string().into());
    config
        .headers
        .push((HeaderName::from_static("user-agent"), HeaderValue::from_static(SIMULATE_AGENT)));
    Client::try_from(config).map_err(|_| SimulateError::Client)
}

async fn backend_nodes(client: &Client) -> Result<Vec<String>, SimulateError> {
    let api: Api<Node> = Api::all(client.clone());
    let selector = format!("{}=true", labels::SUPPORTS_BACKENDS);
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(api_error("list nodes"))?;
    Ok(list.items.iter().map(|n| n.name_any()).collect())
}

/// Annotates each backend node with its disks' serials (`weka.io/weka-drives`) unless it has
/// them already (a resumed simulation).
async fn sign_drives(client: &Client, runtime: &WekaRuntime) -> Result<(), SimulateError> {
    let api: Api<Node> = Api::all(client.clone());
    for name in backend_nodes(client).await? {
        let node = api.get(&name).await.map_err(api_error("read a node"))?;
        if node.annotations().contains_key(annotations::WEKA_DRIVES) {
            continue;
        }
        let serials: Vec<String> =
            runtime.node_disks(&name).into_iter().map(|d| d.serial).collect();
        runtime.sign_disks(&name, serials.iter().cloned());
        let signed = serde_json::to_string(&serials).unwrap_or_default();
        let patch = json!({"metadata": {"annotations": {annotations::WEKA_DRIVES: signed}}});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(api_error("sign a node's drives"))?;
    }
    Ok(())
}

pub fn api_error(what: &'static str) -> impl Fn(kube::Error) -> SimulateError {
    move |source| SimulateError::Api { what, source }
}
