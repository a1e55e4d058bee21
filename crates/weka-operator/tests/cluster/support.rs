//! Shared by the `cluster_*` tests: kubesim with simulated backend nodes (labelled, with
//! drives, hugepages and the drive annotations the allocator reads), wekasim's in-pod
//! runtime over one WEKA world per test, the operator in-process with the WekaContainer and
//! WekaCluster controllers (restartable, to play crashes), real `kubectl` against kubesim's
//! kubeconfig, and waits with deadlines (never sleeps as synchronisation). Every test ends
//! with [`Env::finish`]: no pod was ever deleted with a forcing option.

#![allow(dead_code)] // each test binary uses a subset

use std::collections::BTreeMap;
use std::future::Future;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use kubesim::nodes::NodesConfig;
use kubesim::{Kubesim, KubesimConfig, KubesimHandle, RequestRecord};
use serde_json::{Value, json};
use weka_api::constants::annotations;
use weka_api::{WekaCluster, WekaContainer, conditions};
use weka_operator::config::Config;
use weka_operator::controllers::cluster::{Timing as ClusterTiming, WekaClusterController};
use weka_operator::controllers::container::{
    ContainerObject, Timing as ContainerTiming, WekaContainerController,
};
use weka_operator::metrics::Metrics;
use weka_operator::node_agent;
use weka_operator::runtime::{Operator, OperatorHandle};
use wekasim::runtime::{RuntimeConfig, WekaRuntime, register, world_on};
use wekasim::{Latencies, WorldConfig};

pub const NS: &str = "test";
pub const OPERATOR_NS: &str = "weka-operator-system";
/// A real WEKA version for the examples' placeholder tags.
pub const VERSION: &str = "4.4.5.118-k8s.4";
pub const IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4";
pub const NEW_IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.6.100-k8s.1";
/// The drive-signing tool's image repository (`SIGN_DRIVES_IMAGE`).
pub const SIGN_DRIVES_REPOSITORY: &str = "quay.io/weka.io/weka-sign-drives";
/// The operator's requests carry this agent, so the log tells them from the tests' own.
pub const OPERATOR_AGENT: &str = "weka-operator-under-test";
/// The label the test clusters select their nodes by.
pub const BACKEND_LABEL: (&str, &str) = ("weka.io/supports-backends", "true");
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A simulated node: name, labels, InternalIP (default: kubesim's), capacity overrides.
#[derive(Clone, Debug, Default)]
pub struct NodeSpec {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub internal_ip: Option<String>,
    pub capacity: Vec<(String, String)>,
}

impl NodeSpec {
    /// A backend node: the backend label, 8 NVMe drives, room for every WEKA role.
    pub fn backend(name: &str) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            labels: vec![(BACKEND_LABEL.0.into(), BACKEND_LABEL.1.into())],
            ..NodeSpec::default()
        }
    }

    pub fn label(mut self, key: &str, value: &str) -> NodeSpec {
        self.labels.push((key.into(), value.into()));
        self
    }

    pub fn ip(mut self, ip: &str) -> NodeSpec {
        self.internal_ip = Some(ip.into());
        self
    }

    pub fn capacity(mut self, resource: &str, quantity: &str) -> NodeSpec {
        self.capacity.push((resource.into(), quantity.into()));
        self
    }
}

/// One test's world.
pub struct Env {
    pub sim: KubesimHandle,
    pub client: Client,
    pub runtime: WekaRuntime,
    /// Extra operator flags.
    pub args: Vec<String>,
    operators: Vec<OperatorHandle>,
    finished: bool,
}

/// Fast polls and requeues for tests.
pub fn cluster_timing() -> ClusterTiming {
    ClusterTiming {
        weka_poll: Duration::from_millis(300),
        refresh: Duration::from_secs(2),
        safety_requeue: Duration::from_secs(10),
        port_recheck: Duration::from_millis(200),
        // Not shortened: kubesim reads a pod's Secret volumes once at pod start (a real
        // kubelet refreshes them), so pods would keep logging in as the deleted `admin`.
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
        ..ClusterTiming::default()
    }
}

pub fn container_timing() -> ContainerTiming {
    ContainerTiming {
        refresh: Duration::from_secs(3),
        not_ready_recheck: Duration::from_secs(1),
        safety_requeue: Duration::from_secs(10),
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
        ..ContainerTiming::default()
    }
}

impl Env {
    /// kubesim (nodes simulated, none yet), the CRDs, the namespaces and the runtime's boot
    /// scripts; the operator not started.
    pub async fn new() -> Env {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        // One node outside the backends (kubesim simulates nodes when it starts with one).
        let spec = serde_yaml::from_str("nodes: [{name: infra}]").expect("node spec");
        let node_sim = NodesConfig { spec, ..NodesConfig::default() };
        let world_config = WorldConfig { latencies: Latencies::zero(), ..WorldConfig::default() };
        let world = world_on(&node_sim.clock, world_config);
        let runtime = register(&node_sim.behaviours, world, RuntimeConfig::default());
        // The drive-signing tool's image runs wekasim's one-off operations too.
        runtime.install(&node_sim.behaviours, SIGN_DRIVES_REPOSITORY);
        node_agent::sim::register(&node_sim.behaviours, runtime.clone());
        let config = KubesimConfig {
            nodes: 1,
            node_sim,
            request_log_capacity: 1_000_000,
            ..KubesimConfig::default()
        };
        let sim = Kubesim::start(config).await.expect("kubesim starts");
        let client = sim.client();
        install_crds(&client).await;
        for ns in [NS, OPERATOR_NS] {
            let namespace = Namespace {
                metadata: ObjectMeta { name: Some(ns.into()), ..Default::default() },
                ..Default::default()
            };
            Api::<Namespace>::all(client.clone())
                .create(&PostParams::default(), &namespace)
                .await
                .expect("namespace created");
        }
        let scripts = ConfigMap {
            metadata: ObjectMeta { name: Some("weka-boot-scripts".into()), ..Default::default() },
            data: Some(BTreeMap::from([("weka_runtime.py".into(), "# runtime".into())])),
            ..Default::default()
        };
        Api::<ConfigMap>::namespaced(client.clone(), OPERATOR_NS)
            .create(&PostParams::default(), &scripts)
            .await
            .expect("boot scripts created");
        // The install's node agents (one per node, as nodes come).
        node_agent::sim::install(&client, OPERATOR_NS, "weka-operator:test")
            .await
            .expect("node agents");
        Env { sim, client, runtime, args: Vec::new(), operators: Vec::new(), finished: false }
    }

    /// [`Env::new`] with `count` backend nodes `backend-<i>` and the operator started.
    pub async fn with_backends(count: usize) -> Env {
        let mut env = Env::new().await;
        env.add_backends(0, count).await;
        env.start_operator().await;
        env
    }

    /// Adds backend nodes `backend-<from>` .. `backend-<from + count - 1>`.
    pub async fn add_backends(&self, from: usize, count: usize) {
        for i in from..from + count {
            self.add_node(NodeSpec::backend(&format!("backend-{i}"))).await;
        }
    }

    /// Adds a simulated node with its drive annotations (as drive signing writes them).
    pub async fn add_node(&self, spec: NodeSpec) {
        let nodes = self.sim.nodes().expect("nodes are simulated");
        let mut config = nodes.default_node(&spec.name).expect("node config");
        for (k, v) in &spec.labels {
            config.labels.insert(k.clone(), v.clone());
        }
        if let Some(ip) = &spec.internal_ip {
            config.internal_ip = ip.clone();
        }
        let disks = self.runtime.node_disks(&spec.name);
        let mut capacity = vec![
            ("weka.io/drives".to_string(), disks.len().to_string()),
            ("weka.io/shared-drives-capacity".to_string(), "28000".to_string()),
            ("weka.io/shared-drives-capacity-qlc".to_string(), "28000".to_string()),
            ("hugepages-2Mi".to_string(), "64Gi".to_string()),
            ("memory".to_string(), "256Gi".to_string()),
            ("cpu".to_string(), "64".to_string()),
        ];
        capacity.extend(spec.capacity.iter().cloned());
        for (k, v) in capacity {
            config.capacity.insert(k.clone(), v.clone());
            config.allocatable.insert(k, v);
        }
        nodes.add_node(config).await.expect("node added");
        let serials: Vec<String> = disks.iter().map(|d| d.serial.clone()).collect();
        // Drive sharing: the first six drives TLC, the others QLC.
        let shared: Vec<Value> = disks
            .iter()
            .enumerate()
            .map(|(i, d)| {
                json!({"physical_uuid": format!("{}-uuid", d.serial), "serial": d.serial,
                       "capacity_gib": d.size_bytes >> 30, "type": if i < 6 { "TLC" } else { "QLC" }})
            })
            .collect();
        let patch = json!({"metadata": {"annotations": {
            annotations::WEKA_DRIVES: serde_json::to_string(&serials).unwrap(),
            annotations::SHARED_DRIVES: serde_json::to_string(&shared).unwrap(),
        }}});
        let api: Api<Node> = Api::all(self.client.clone());
        wait_for("the node is registered", TIMEOUT, || async {
            api.patch(&spec.name, &PatchParams::default(), &Patch::Merge(&patch)).await.ok()
        })
        .await;
    }

    pub fn config(&self) -> Config {
        let mut args: Vec<String> = [
            "weka-operator",
            "--health-probe-bind-address=0",
            "--metrics-bind-address=0",
            "--namespace=test",
            "--pod-namespace=weka-operator-system",
            "--kube-exec-timeout=10s",
            "--shutdown-timeout=1s",
            "--debug-sleep=0",
        ]
        .map(String::from)
        .to_vec();
        // Removed drive containers' drives are re-signed by the drive-signing tool.
        args.push(format!("--sign-drives-image={SIGN_DRIVES_REPOSITORY}:1.0.0"));
        args.push(format!("--node-agent-proxy={}", self.sim.pod_network_url()));
        args.extend(self.args.iter().cloned());
        Config::try_parse_from(args).expect("test configuration parses")
    }

    /// Starts an operator instance with both controllers (its own client, identified by
    /// [`OPERATOR_AGENT`]).
    pub async fn start_operator(&mut self) {
        self.start_with(true).await;
    }

    /// Another operator instance running only the WekaCluster controller (no leader
    /// election: both instances reconcile every cluster at once).
    pub async fn start_second_operator(&mut self) {
        self.start_with(false).await;
    }

    async fn start_with(&mut self, containers: bool) {
        let uri: http::Uri = self.sim.base_url().parse().unwrap();
        let mut config = kube::Config::new(uri);
        config.default_namespace = NS.into();
        config.auth_info.token = Some(self.sim.token().to_string().into());
        config.headers.push((
            HeaderName::from_static("user-agent"),
            HeaderValue::from_static(OPERATOR_AGENT),
        ));
        let client = Client::try_from(config).expect("operator client");
        let mut operator = Operator::new(client, self.config(), Arc::new(Metrics::new()));
        if containers {
            operator.register::<ContainerObject, _>(WekaContainerController::with_timing(
                container_timing(),
            ));
        }
        operator.register::<WekaCluster, _>(WekaClusterController::with_timing(cluster_timing()));
        self.operators.push(operator.start().await.expect("operator starts"));
    }

    /// The `/metrics` address of the newest operator instance (when [`Env::args`] asks for
    /// one, e.g. `--metrics-bind-address=127.0.0.1:0`).
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.operators.last().and_then(|o| o.metrics_addr())
    }

    /// Drops every operator instance at once, like a crash (in-flight reconciles are
    /// abandoned, nothing is cleaned up).
    pub fn kill_operator(&mut self) {
        self.operators.clear();
    }

    pub fn clusters(&self) -> Api<WekaCluster> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn containers(&self) -> Api<WekaContainer> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), NS)
    }

    /// Creates a WekaCluster from its JSON (namespace forced to the test namespace).
    pub async fn create_cluster(&self, mut object: Value) -> WekaCluster {
        object["metadata"]["namespace"] = json!(NS);
        let cluster: WekaCluster = serde_json::from_value(object).expect("a WekaCluster");
        self.clusters().create(&PostParams::default(), &cluster).await.expect("WekaCluster created")
    }

    pub async fn cluster(&self, name: &str) -> Option<WekaCluster> {
        self.clusters().get_opt(name).await.expect("get WekaCluster")
    }

    pub async fn patch_cluster(&self, name: &str, body: Value) {
        self.clusters()
            .patch(name, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .expect("WekaCluster patched");
    }

    pub async fn delete_cluster(&self, name: &str) {
        self.clusters().delete(name, &DeleteParams::default()).await.expect("WekaCluster deleted");
    }

    /// Waits until the cluster satisfies `check`; the panic shows its last status.
    pub async fn wait_cluster(
        &self,
        name: &str,
        what: &str,
        within: Duration,
        check: impl Fn(&WekaCluster) -> bool,
    ) -> WekaCluster {
        let deadline = Instant::now() + within;
        loop {
            let current = self.cluster(name).await;
            if let Some(c) = current.as_ref().filter(|c| check(c)) {
                return c.clone();
            }
            if Instant::now() > deadline {
                let status = current.and_then(|c| c.status);
                panic!(
                    "timed out after {within:?} waiting for {name}: {what}\nlast status: {}\ncontainers:\n{}\npods:\n{}",
                    serde_json::to_string_pretty(&status).unwrap(),
                    self.describe_containers().await,
                    self.describe_pods().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until condition `type_` of the cluster has `status` (and `reason`, if given).
    pub async fn wait_condition(
        &self,
        name: &str,
        type_: &str,
        status: &str,
        reason: Option<&str>,
    ) -> WekaCluster {
        let what = format!("condition {type_}={status} {}", reason.unwrap_or_default());
        self.wait_cluster(name, &what, TIMEOUT, |c| {
            condition(c, type_).is_some_and(|cond| {
                cond.status == status && reason.is_none_or(|r| cond.reason == r)
            })
        })
        .await
    }

    /// The cluster's WekaContainers (by owner UID), by name.
    pub async fn owned_containers(&self, cluster: &WekaCluster) -> Vec<WekaContainer> {
        let uid = cluster.uid().unwrap_or_default();
        let mut list: Vec<WekaContainer> = self
            .containers()
            .list(&ListParams::default())
            .await
            .expect("list WekaContainers")
            .items
            .into_iter()
            .filter(|c| c.owner_references().iter().any(|r| r.uid == uid))
            .collect();
        list.sort_by_key(|c| c.name_any());
        list
    }

    /// Names of the WekaContainers of any cluster (not the container controller's node
    /// helpers, see [`is_helper`]).
    pub async fn container_names(&self) -> Vec<String> {
        let list = self.containers().list(&ListParams::default()).await.expect("list");
        let mut names: Vec<String> =
            list.items.iter().filter(|c| !is_helper(c)).map(|c| c.name_any()).collect();
        names.sort();
        names
    }

    /// Polls `check` until it gives `Some`; on timeout the panic shows the containers and
    /// pods.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        self.wait_within(what, TIMEOUT, check).await
    }

    pub async fn wait_within<T, F, Fut>(&self, what: &str, within: Duration, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + within;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() > deadline {
                panic!(
                    "timed out after {within:?} waiting for: {what}\ncontainers:\n{}\npods:\n{}",
                    self.describe_containers().await,
                    self.describe_pods().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs kubectl against kubesim (in a blocking thread, so the server keeps serving).
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        let kubeconfig = self.sim.kubeconfig_path().to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("kubectl")
                .args(&args)
                .env("KUBECONFIG", kubeconfig)
                .env_remove("KUBERNETES_SERVICE_HOST")
                .output()
                .expect("kubectl runs")
        })
        .await
        .expect("kubectl thread")
    }

    /// `kubectl wait --for=condition=Ready wekacluster/NAME`: the real client's view.
    pub async fn kubectl_wait_ready(&self, name: &str, timeout: Duration) {
        let resource = format!("wekacluster/{name}");
        let timeout = format!("--timeout={}s", timeout.as_secs());
        let out =
            self.kubectl(&["wait", "-n", NS, "--for=condition=Ready", &resource, &timeout]).await;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if !out.status.success() {
            let status = self.cluster(name).await.and_then(|c| c.status);
            panic!(
                "kubectl wait failed: {} {}\nlast status: {}\ncontainers:\n{}",
                text(&out.stdout),
                text(&out.stderr),
                serde_json::to_string_pretty(&status).unwrap(),
                self.describe_containers().await
            );
        }
    }

    /// One line per WekaContainer: status, and its `Progressing`/`Ready` reasons (for
    /// failure messages).
    pub async fn describe_containers(&self) -> String {
        let list = self.containers().list(&ListParams::default()).await.expect("list");
        let line = |c: &WekaContainer| {
            let status = c.status.clone().unwrap_or_default();
            let conds = status.conditions.unwrap_or_default();
            let reason = |t: &str| {
                conds
                    .iter()
                    .find(|x| x.type_ == t)
                    .map(|x| format!("{}={} {}: {}", t, x.status, x.reason, x.message))
            };
            format!(
                "{} [{}] {} | {} | {}",
                c.name_any(),
                c.spec.mode,
                status.status,
                reason("Progressing").unwrap_or_default(),
                reason("Ready").unwrap_or_default()
            )
        };
        list.items.iter().map(line).collect::<Vec<_>>().join("\n")
    }

    /// One line per pod: phase, node, and why it is not scheduled.
    pub async fn describe_pods(&self) -> String {
        let list = self.pods().list(&ListParams::default()).await.expect("pods");
        let line = |p: &Pod| {
            let status = p.status.clone().unwrap_or_default();
            let scheduled = status
                .conditions
                .unwrap_or_default()
                .into_iter()
                .find(|c| c.type_ == "PodScheduled")
                .map(|c| format!("{} {}", c.status, c.message.unwrap_or_default()))
                .unwrap_or_default();
            let node = p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
            format!(
                "{} {} on {node:?} | {scheduled}",
                p.name_any(),
                status.phase.unwrap_or_default()
            )
        };
        list.items.iter().map(line).collect::<Vec<_>>().join("\n")
    }

    /// Event notes about the object `name` with `reason` (events.k8s.io).
    pub async fn events(&self, name: &str, reason: &str) -> Vec<String> {
        let api: Api<k8s_openapi::api::events::v1::Event> =
            Api::namespaced(self.client.clone(), NS);
        let list = api.list(&ListParams::default()).await.expect("events");
        list.items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .filter(|e| e.reason.as_deref() == Some(reason))
            .map(|e| e.note.unwrap_or_default())
            .collect()
    }

    pub async fn wait_event(&self, name: &str, reason: &str) -> String {
        let what = format!("event {reason} about {name}");
        self.wait_for(&what, || async { self.events(name, reason).await.into_iter().next() }).await
    }

    /// Leases other than the nodes' heartbeats.
    pub async fn leases(&self) -> Vec<String> {
        let api: Api<Lease> = Api::all(self.client.clone());
        let list = api.list(&ListParams::default()).await.expect("leases");
        list.items
            .iter()
            .filter(|l| l.namespace().as_deref() != Some("kube-node-lease"))
            .map(|l| format!("{}/{}", l.namespace().unwrap_or_default(), l.name_any()))
            .collect()
    }

    /// Serials of the nodes' disks that carry the signature of WEKA cluster `guid`, as the
    /// nodes' kernels show them.
    pub async fn drives_signed_by(&self, guid: &str) -> Vec<String> {
        let api: Api<Node> = Api::all(self.client.clone());
        let nodes = api.list(&ListParams::default()).await.expect("nodes");
        let mut serials: Vec<String> = nodes
            .items
            .iter()
            .flat_map(|n| self.runtime.kernel_drives(&n.name_any()))
            .filter(|d| d.weka_guid == guid)
            .map(|d| d.serial_id)
            .collect();
        serials.sort();
        serials
    }

    /// Claims the nodes still carry (`node: annotation=value`, empty ones left out).
    pub async fn node_claims(&self) -> Vec<String> {
        let api: Api<Node> = Api::all(self.client.clone());
        let nodes = api.list(&ListParams::default()).await.expect("nodes");
        let keys = [
            annotations::DRIVE_CLAIMS,
            annotations::PORT_CLAIMS,
            annotations::VIRTUAL_DRIVE_CLAIMS,
        ];
        let mut claims = Vec::new();
        for node in &nodes.items {
            for key in keys {
                let value = node.annotations().get(key).map(|v| v.trim()).unwrap_or_default();
                if !matches!(value, "" | "{}" | "null") {
                    claims.push(format!("{}: {key}={value}", node.name_any()));
                }
            }
        }
        claims
    }

    /// Asserts nothing of any cluster is left: no WekaContainers, pods, Secrets of the
    /// operator, Leases, claims on the nodes; and the helpers containers made for
    /// themselves (force-resign-drives, owned by the container) go with them, within
    /// [`TIMEOUT`]. (The container controller's node helpers — drivers loaders and other
    /// one-off operations, owned by no cluster — keep their own lifetime.)
    pub async fn assert_nothing_left(&self) {
        self.wait_for("the helpers of deleted containers gone", || async {
            let list = self.containers().list(&ListParams::default()).await.ok()?;
            list.items.iter().all(|c| !owned_by_a_container(c)).then_some(())
        })
        .await;
        let list = self.containers().list(&ListParams::default()).await.expect("list");
        let helpers: Vec<String> =
            list.items.iter().filter(|c| is_helper(c)).map(|c| c.name_any()).collect();
        let left: Vec<String> =
            list.items.iter().filter(|c| !is_helper(c)).map(|c| c.name_any()).collect();
        assert_eq!(left, Vec::<String>::new(), "WekaContainers left");
        let pods = self.pods().list(&ListParams::default()).await.expect("pods");
        let pods: Vec<String> =
            pods.items.iter().map(|p| p.name_any()).filter(|p| !helpers.contains(p)).collect();
        assert_eq!(pods, Vec::<String>::new(), "pods left");
        let secrets = self.secrets().list(&ListParams::default()).await.expect("secrets");
        let secrets: Vec<String> =
            secrets.items.iter().map(|s| s.name_any()).filter(|n| n.starts_with("weka-")).collect();
        assert_eq!(secrets, Vec::<String>::new(), "secrets left");
        assert_eq!(self.leases().await, Vec::<String>::new(), "leases left");
        assert_eq!(self.node_claims().await, Vec::<String>::new(), "node claims left");
    }

    /// Waits until the WekaCluster is gone.
    pub async fn wait_cluster_gone(&self, name: &str, within: Duration) {
        let what = format!("WekaCluster {name} is gone");
        self.wait_within(&what, within, || async {
            self.cluster(name).await.is_none().then_some(())
        })
        .await;
    }

    /// The operator's requests, oldest first.
    pub fn operator_requests(&self) -> Vec<RequestRecord> {
        self.sim.request_log().find(|r| r.user_agent.as_deref() == Some(OPERATOR_AGENT))
    }

    /// The operator's execs, oldest first: (pod, argv).
    pub fn operator_execs(&self) -> Vec<(String, Vec<String>)> {
        self.operator_requests()
            .into_iter()
            .filter(|r| r.resource == "pods" && r.subresource.as_deref() == Some("exec"))
            .map(|r| (r.name.clone().unwrap_or_default(), query_values(&r.query, "command")))
            .collect()
    }

    /// The request-log checks every test ends with.
    pub fn finish(mut self) {
        self.finished = true;
        self.operators.clear();
        assert_no_forced_pod_deletes(&self.sim);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.operators.clear();
        if !self.finished && !std::thread::panicking() {
            assert_no_forced_pod_deletes(&self.sim);
        }
    }
}

/// No pod was ever deleted with `gracePeriodSeconds=0` or another forcing option by anyone
/// but the simulated kubelet and pod garbage collector.
pub fn assert_no_forced_pod_deletes(sim: &KubesimHandle) {
    let system = |r: &RequestRecord| {
        r.user_agent
            .as_deref()
            .is_some_and(|a| a.starts_with("kubelet/") || a.starts_with("kube-controller-manager/"))
    };
    let forced: Vec<RequestRecord> = sim.request_log().find(|r| {
        r.resource == "pods"
            && matches!(r.verb.as_str(), "delete" | "deletecollection")
            && !system(r)
            && (r.grace_period_seconds == Some(0) || r.query.contains("force"))
    });
    assert!(forced.is_empty(), "pods were deleted with a forcing option: {forced:#?}");
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `within`.
pub async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in weka_api::crds::all() {
        api.create(&PostParams::default(), &crd).await.expect("CRD created");
    }
    wait_for("CRDs served", TIMEOUT, || async {
        let list = client.list_api_group_resources(weka_api::API_VERSION).await.ok()?;
        ["wekaclusters", "wekacontainers", "wekaclients"]
            .iter()
            .all(|p| list.resources.iter().any(|r| r.name == *p))
            .then_some(())
    })
    .await;
}

/// The container controller's node helpers (drivers loaders, one-off operations): no
/// cluster's members, though they carry the labels of the container that needed them.
pub fn is_helper(c: &WekaContainer) -> bool {
    use weka_api::wekacontainer::ContainerMode::*;
    matches!(
        c.spec.mode,
        DriversLoader | DriversBuilder | AdhocOp | AdhocOpWithContainer | Discovery
    )
}

/// A helper a WekaContainer made for itself (its controller is that container), such as the
/// force-resign-drives container a drive container's teardown runs.
pub fn owned_by_a_container(c: &WekaContainer) -> bool {
    c.owner_references().iter().any(|o| o.kind == "WekaContainer" && o.controller == Some(true))
}

pub fn condition<'c>(c: &'c WekaCluster, type_: &str) -> Option<&'c Condition> {
    conditions::find(c.status.as_ref()?.conditions.as_deref()?, type_)
}

pub fn condition_of_container<'c>(c: &'c WekaContainer, type_: &str) -> Option<&'c Condition> {
    conditions::find(c.status.as_ref()?.conditions.as_deref()?, type_)
}

pub fn is_true(c: &WekaCluster, type_: &str) -> bool {
    condition(c, type_).is_some_and(|cond| cond.status == "True")
}

pub fn status_of(c: &WekaCluster) -> String {
    c.status.as_ref().map(|s| s.status.clone()).unwrap_or_default()
}

/// A small dynamic-template cluster on the backend nodes (5 drive + 5 compute is the
/// smallest WEKA forms), `extra` merged over its spec.
pub fn small_cluster(name: &str, drives: usize, computes: usize, extra: Value) -> Value {
    let mut spec = json!({
        "template": "dynamic",
        "image": IMAGE,
        "gracefulDestroyDuration": "0s",
        "dynamicTemplate": {"driveContainers": drives, "computeContainers": computes, "numDrives": 1},
        "nodeSelector": {BACKEND_LABEL.0: BACKEND_LABEL.1},
    });
    if let (Some(base), Value::Object(more)) = (spec.as_object_mut(), extra) {
        base.extend(more);
    }
    json!({"apiVersion": weka_api::API_VERSION, "kind": "WekaCluster",
           "metadata": {"name": name, "namespace": NS}, "spec": spec})
}

/// An example of `../shared/fixtures/examples` as JSON, its image tag replaced by a real
/// version and its namespace by the test namespace.
pub fn example(file: &str) -> Value {
    let relative =
        format!("{}/../../../shared/fixtures/examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let absolute = format!("/work/shared/fixtures/examples/{file}");
    let text = std::fs::read_to_string(&relative)
        .or_else(|_| std::fs::read_to_string(&absolute))
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    let mut value: Value = serde_yaml::from_str(&text).expect("example YAML");
    let image = value["spec"]["image"].as_str().unwrap_or_default().to_string();
    let repository = image.rsplit_once(':').map(|(r, _)| r).unwrap_or(&image).to_string();
    value["spec"]["image"] = json!(format!("{repository}:{VERSION}"));
    value["metadata"]["namespace"] = json!(NS);
    value
}

/// A seeded pseudo-random generator (xorshift), so a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `lo..hi` (milliseconds, counts).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// The values of `key` in a URL query string, percent-decoded.
pub fn query_values(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""),
                16,
            ) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
