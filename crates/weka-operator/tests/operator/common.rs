//! Helpers of the operator-process tests: a kubesim with the WEKA CRDs, operator instances
//! with a test-only controller, HTTP GETs, and waiting on conditions with a deadline.

#![allow(dead_code)] // each test binary uses a subset

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::controller::Action;
use kube::{Api, Client, ResourceExt};
use kubesim::{Kubesim, KubesimConfig, KubesimHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weka_operator::cli::ConnectArgs;
use weka_operator::config::Config;
use weka_operator::metrics::Metrics;
use weka_operator::runtime::{self, Context, Operator, OperatorHandle, Reconciler};

pub const TEST_NAMESPACE: &str = "test";
pub const CONTROLLER: &str = "configmaps-test";

pub async fn kubesim() -> KubesimHandle {
    Kubesim::start(KubesimConfig::default()).await.expect("kubesim starts")
}

/// Installs the WEKA CRDs whose plural is in `plurals` (all when `None`) and waits until
/// discovery serves them.
pub async fn install_crds(client: &Client, plurals: Option<&[&str]>) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut installed = Vec::new();
    for crd in weka_api::crds::all() {
        if plurals.is_some_and(|p| !p.contains(&crd.spec.names.plural.as_str())) {
            continue;
        }
        installed.push(crd.spec.names.plural.clone());
        api.create(&PostParams::default(), &crd).await.expect("CRD created");
    }
    eventually("CRDs served", Duration::from_secs(10), || async {
        let list = client.list_api_group_resources(weka_api::API_VERSION).await.ok()?;
        installed.iter().all(|p| list.resources.iter().any(|r| r.name == *p)).then_some(())
    })
    .await;
}

pub async fn create_namespace(client: &Client, name: &str) {
    let ns = Namespace {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .expect("namespace created");
}

pub async fn create_config_map(client: &Client, name: &str) {
    let cm = ConfigMap {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        ..Default::default()
    };
    Api::<ConfigMap>::namespaced(client.clone(), TEST_NAMESPACE)
        .create(&PostParams::default(), &cm)
        .await
        .expect("config map created");
}

/// A test configuration: ephemeral ports, the test namespace, and fast leader election.
pub fn test_config(extra: &[&str]) -> Config {
    let mut args = vec![
        "weka-operator",
        "--health-probe-bind-address=127.0.0.1:0",
        "--metrics-bind-address=127.0.0.1:0",
        "--namespace=test",
        "--leader-election-namespace=default",
        "--leader-election-lease-duration=2s",
        "--leader-election-renew-deadline=1500ms",
        "--leader-election-retry-period=200ms",
        "--shutdown-timeout=5s",
    ];
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args).expect("test configuration parses");
    config.validate().expect("test configuration is valid");
    config
}

/// Reconciles: (operator identity, config map name), in order.
pub type Reconciled = Arc<Mutex<Vec<(String, String)>>>;

/// The test-only controller: records every ConfigMap it reconciles.
pub struct RecordConfigMaps {
    pub seen: Reconciled,
}

impl Reconciler<ConfigMap> for RecordConfigMaps {
    type Error = Infallible;

    fn name(&self) -> &'static str {
        CONTROLLER
    }

    fn max_workers(&self, _config: &Config) -> u16 {
        2
    }

    async fn reconcile(
        &self,
        object: Arc<ConfigMap>,
        ctx: Arc<Context>,
    ) -> Result<Action, Infallible> {
        self.seen.lock().unwrap().push((ctx.identity.clone(), object.name_any()));
        Ok(Action::await_change())
    }
}

/// Starts one operator instance with its own client (from the kubeconfig) and identity,
/// running the test controller.
pub async fn start_operator(
    sim: &KubesimHandle,
    config: Config,
    seen: &Reconciled,
) -> OperatorHandle {
    let seen = seen.clone();
    start_operator_with(sim, config, move |operator| {
        operator.register(RecordConfigMaps { seen });
    })
    .await
}

/// Starts one operator instance with the controllers `register` adds.
pub async fn start_operator_with(
    sim: &KubesimHandle,
    config: Config,
    register: impl FnOnce(&mut Operator),
) -> OperatorHandle {
    let metrics = Arc::new(Metrics::new());
    let connect =
        ConnectArgs { kubeconfig: Some(sim.kubeconfig_path().to_path_buf()), context: None };
    let client = runtime::connect(&connect, &metrics).await.expect("client");
    let mut operator = Operator::new(client, config, metrics);
    register(&mut operator);
    operator.start().await.expect("operator starts")
}

pub fn reconciled_by(seen: &Reconciled, identity: &str, name: &str) -> bool {
    seen.lock().unwrap().iter().any(|(who, what)| who == identity && what == name)
}

/// Polls `check` every 20 ms until it returns `Some`, or panics after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A plain HTTP/1.1 GET: (status, body).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("response read");
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
