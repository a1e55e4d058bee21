//! Shared by the `container_*` tests: a kubesim with simulated nodes and the WEKA CRDs
//! (applied through the API), the operator started in-process with only the WekaContainer
//! controller, waiting on conditions with deadlines, and the request-log checks every test
//! makes ([`Env::finish`]: no pod of a WekaContainer is ever force-deleted).
//!
//! WEKA pods run wekasim's in-pod runtime (`wekasim::runtime`), over one simulated WEKA
//! world per test, on kubesim's (real) clock with instant WEKA transitions.

#![allow(dead_code)] // each test binary uses a subset

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderName, HeaderValue};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use kubesim::nodes::NodesConfig;
use kubesim::{Kubesim, KubesimConfig, KubesimHandle, RequestRecord};
use serde_json::{Value, json};
use weka_api::WekaContainer;
use weka_api::conditions;
use weka_api::constants::conditions as cond;
use weka_operator::config::Config;
use weka_operator::controllers::container::{ContainerObject, Timing, WekaContainerController};
use weka_operator::metrics::Metrics;
use weka_operator::node_agent;
use weka_operator::runtime::{Operator, OperatorHandle};
use wekasim::runtime::{RuntimeConfig, WekaRuntime, register, world_on};
use wekasim::{Latencies, WorldConfig};

pub const NS: &str = "test";
pub const OPERATOR_NS: &str = "weka-operator-system";
pub const IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4";
pub const NEW_IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.6.100-k8s.1";
/// The operator's requests carry this agent, so the log tells them from the tests' own.
pub const OPERATOR_AGENT: &str = "weka-operator-under-test";
/// The image of the node-agent pods (the operator's image; not checked, since the operator
/// under test has no `OPERATOR_IMAGE`).
pub const AGENT_IMAGE: &str = "weka-operator:test";
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The stop markers, as the operator writes them.
pub const ALLOW_STOP: &str = "touch /tmp/.allow-stop && kill 1";
pub const ALLOW_FORCE_STOP: &str = "touch /tmp/.allow-force-stop && kill 1";

/// One test's world.
pub struct Env {
    pub sim: KubesimHandle,
    pub client: Client,
    pub runtime: WekaRuntime,
    pub timing: Timing,
    pub args: Vec<String>,
    operator: Option<OperatorHandle>,
    finished: bool,
}

/// Fast requeues for tests.
pub fn test_timing() -> Timing {
    Timing {
        refresh: Duration::from_secs(5),
        not_ready_recheck: Duration::from_secs(5),
        safety_requeue: Duration::from_secs(60),
        min_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(5),
        ..Timing::default()
    }
}

impl Env {
    /// kubesim with `nodes` nodes, the CRDs, namespaces, the boot-scripts ConfigMap; the
    /// operator not started yet.
    pub async fn new(nodes: usize) -> Env {
        Self::with_runtime(nodes, RuntimeConfig::default()).await
    }

    /// As [`Env::new`], the WEKA runtime configured.
    pub async fn with_runtime(nodes: usize, runtime_config: RuntimeConfig) -> Env {
        // RUST_LOG=weka_operator=debug shows the operator's log with the test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let node_sim = NodesConfig::default();
        let world_config = WorldConfig { latencies: Latencies::zero(), ..WorldConfig::default() };
        let world = world_on(&node_sim.clock, world_config);
        let runtime = register(&node_sim.behaviours, world, runtime_config);
        node_agent::sim::register(&node_sim.behaviours, runtime.clone());
        let sim = Kubesim::start(KubesimConfig { nodes, node_sim, ..Default::default() })
            .await
            .expect("kubesim starts");
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
        node_agent::sim::install(&client, OPERATOR_NS, AGENT_IMAGE).await.expect("node agents");
        wait_for("a node agent on every node", TIMEOUT, || {
            let daemonsets = Api::<DaemonSet>::namespaced(client.clone(), OPERATOR_NS);
            async move {
                let ds = daemonsets.get("weka-node-agent").await.ok()?;
                let status = ds.status?;
                (status.number_ready == nodes as i32).then_some(())
            }
        })
        .await;
        Env {
            sim,
            client,
            runtime,
            timing: test_timing(),
            args: Vec::new(),
            operator: None,
            finished: false,
        }
    }

    /// [`Env::new`] and the operator started.
    pub async fn started(nodes: usize) -> Env {
        let mut env = Env::new(nodes).await;
        env.start_operator().await;
        env
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
        args.push(format!("--node-agent-proxy={}", self.sim.pod_network_url()));
        args.extend(self.args.iter().cloned());
        Config::try_parse_from(args).expect("test configuration parses")
    }

    /// Starts an operator instance (its own client, identified by [`OPERATOR_AGENT`]).
    pub async fn start_operator(&mut self) {
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
        operator.register::<ContainerObject, _>(WekaContainerController::with_timing(self.timing));
        self.operator = Some(operator.start().await.expect("operator starts"));
    }

    /// Drops the operator at once, like a crash (in-flight reconciles are abandoned).
    pub fn kill_operator(&mut self) {
        self.operator = None;
    }

    pub fn containers(&self) -> Api<WekaContainer> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), NS)
    }

    pub fn nodes(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    /// Creates a WekaContainer from `spec` (JSON) under `name`.
    pub async fn create(&self, name: &str, spec: Value) -> WekaContainer {
        let object: WekaContainer = serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaContainer",
            "metadata": {"name": name, "namespace": NS},
            "spec": spec,
        }))
        .expect("a WekaContainer");
        self.containers()
            .create(&PostParams::default(), &object)
            .await
            .expect("WekaContainer created")
    }

    /// A WekaCluster object to own containers, with the port range its controller would
    /// reserve (no cluster controller runs in these tests: it stays inert otherwise).
    pub async fn create_cluster(&self, name: &str) -> weka_api::WekaCluster {
        let cluster: weka_api::WekaCluster = serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaCluster",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"image": IMAGE},
        }))
        .expect("a WekaCluster");
        let api = Api::<weka_api::WekaCluster>::namespaced(self.client.clone(), NS);
        api.create(&PostParams::default(), &cluster).await.expect("WekaCluster created");
        // The port range the cluster controller would have reserved for its containers.
        let ports =
            json!({"status": {"status": "Init", "ports": {"basePort": 15000, "portRange": 500}}});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&ports))
            .await
            .expect("WekaCluster ports recorded")
    }

    /// Creates a WekaContainer owned by `cluster`.
    pub async fn create_owned(
        &self,
        name: &str,
        cluster: &weka_api::WekaCluster,
        spec: Value,
    ) -> WekaContainer {
        let object: WekaContainer = serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaContainer",
            "metadata": {"name": name, "namespace": NS, "ownerReferences": [{
                "apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaCluster",
                "name": cluster.name_any(), "uid": cluster.uid().unwrap(),
                "controller": true, "blockOwnerDeletion": true,
            }]},
            "spec": spec,
        }))
        .expect("a WekaContainer");
        self.containers()
            .create(&PostParams::default(), &object)
            .await
            .expect("WekaContainer created")
    }

    /// Runs `argv` in the pod's `weka-container` (as a user or another controller would):
    /// (stdout, exit code).
    pub async fn exec(&self, pod: &str, argv: &[&str]) -> (String, i32) {
        self.exec_in(NS, pod, "weka-container", argv).await
    }

    /// Runs `argv` in a container of any pod: (stdout, exit code).
    pub async fn exec_in(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        argv: &[&str],
    ) -> (String, i32) {
        use tokio::io::AsyncReadExt;
        let params = kube::api::AttachParams::default().container(container).stderr(false);
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let mut process = pods.exec(pod, argv.to_vec(), &params).await.expect("exec starts");
        let mut stdout = String::new();
        if let Some(mut out) = process.stdout() {
            out.read_to_string(&mut stdout).await.expect("stdout read");
        }
        let status = process.take_status().expect("status channel").await;
        let code = match status {
            Some(s) if s.status.as_deref() == Some("Success") => 0,
            Some(s) => s
                .details
                .and_then(|d| d.causes)
                .into_iter()
                .flatten()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
                .and_then(|c| c.message?.parse().ok())
                .unwrap_or(-1),
            None => -1,
        };
        (stdout, code)
    }

    /// Makes sure WEKA starts in `pod`: the runtime waits for `resources.json`, which the
    /// follow-up's `WriteResources` step writes; when it is not written within a few seconds
    /// of the pod running, the test writes `fallback` the same way (base64 and rename, once
    /// the runtime configured persistency).
    pub async fn ensure_resources(&self, pod: &str, fallback: &Value) {
        use base64::Engine;
        const RESOURCES: &str = "/opt/weka/k8s-runtime/resources.json";
        self.wait_pod_running(pod).await;
        self.wait_for("persistency configured", || async {
            let (_, code) = self
                .exec(pod, &["test", "-f", "/opt/weka/k8s-runtime/persistency-configured"])
                .await;
            (code == 0).then_some(())
        })
        .await;
        let grace = Instant::now() + Duration::from_secs(5);
        while Instant::now() < grace {
            if self.exec(pod, &["test", "-f", RESOURCES]).await.1 == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(fallback.to_string());
        let script = format!(
            "mkdir -p /opt/weka/k8s-runtime/tmp && echo '{b64}' | base64 -d > /opt/weka/k8s-runtime/tmp/resources.json && mv /opt/weka/k8s-runtime/tmp/resources.json {RESOURCES}"
        );
        let (_, code) = self.exec(pod, &["bash", "-ce", &script]).await;
        assert_eq!(code, 0, "resources.json written in {pod}");
    }

    /// Forms a WEKA cluster of the containers whose pods are `pods`, with the cluster
    /// controller's command line (the cluster controller does not run in these tests).
    pub async fn form_cluster(&self, pods: &[&str]) {
        let mut names = Vec::new();
        let mut host_ips = Vec::new();
        for pod in pods {
            let read = |path: &'static str| async move {
                let (out, code) = self.exec(pod, &["cat", path]).await;
                (code == 0 && !out.trim().is_empty())
                    .then(|| out.trim().lines().next().unwrap_or_default().to_string())
            };
            let ip = self
                .wait_for("management IPs written", || read("/opt/weka/k8s-runtime/management_ips"))
                .await;
            let port =
                self.wait_for("port written", || read("/opt/weka/k8s-runtime/vars/port")).await;
            host_ips.push(format!("{ip}:{port}"));
            names.push(ip);
        }
        let create = format!(
            "weka status || weka cluster create {} --host-ips {}",
            names.join(" "),
            host_ips.join(",")
        );
        let (_, code) = self.exec(pods[0], &["bash", "-ce", &create]).await;
        assert_eq!(code, 0, "cluster created");
    }

    /// A merge patch of the WekaContainer's spec.
    pub async fn patch_spec(&self, name: &str, spec: Value) {
        let body = json!({ "spec": spec });
        self.containers()
            .patch(name, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .expect("spec patched");
    }

    pub async fn get(&self, name: &str) -> Option<WekaContainer> {
        self.containers().get_opt(name).await.expect("get WekaContainer")
    }

    /// Waits (polling, with a deadline) until `check` gives `Some`.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        wait_for(what, TIMEOUT, check).await
    }

    /// Waits until the container satisfies `check`.
    pub async fn wait_container(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&WekaContainer) -> bool,
    ) -> WekaContainer {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let current = self.get(name).await;
            if let Some(c) = current.as_ref().filter(|c| check(c)) {
                return c.clone();
            }
            if Instant::now() > deadline {
                let status = current
                    .and_then(|c| c.status)
                    .map(|s| serde_json::to_string_pretty(&s).unwrap());
                let context = self.diagnostics().await;
                panic!(
                    "timed out after {TIMEOUT:?} waiting for {name}: {what}; last status: {status:?}\n{context}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What a timed-out wait prints besides the object: the namespace's WekaContainers and
    /// pods with their states, and the operator's last writes (flakes under load are
    /// diagnosed from this alone).
    pub async fn diagnostics(&self) -> String {
        let mut lines = vec!["WekaContainers:".to_string()];
        for c in
            self.containers().list(&Default::default()).await.map(|l| l.items).unwrap_or_default()
        {
            let status = c.status.as_ref().map(|s| s.status.clone()).unwrap_or_default();
            lines.push(format!("  {} ({}): {status}", c.name_any(), c.spec.mode));
        }
        lines.push("pods:".into());
        for p in self.pods().list(&Default::default()).await.map(|l| l.items).unwrap_or_default() {
            let phase = p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
            let deleting = p.metadata.deletion_timestamp.is_some();
            lines.push(format!(
                "  {}: {phase}{}",
                p.name_any(),
                if deleting { ", deleting" } else { "" }
            ));
        }
        lines.push("the operator's last writes:".into());
        let writes = self.operator_writes();
        for r in &writes[writes.len().saturating_sub(15)..] {
            let target = [Some(r.resource.as_str()), r.subresource.as_deref(), r.name.as_deref()];
            let target: Vec<&str> = target.into_iter().flatten().collect();
            lines.push(format!("  {} {} -> {}", r.verb, target.join("/"), r.code));
        }
        lines.join("\n")
    }

    /// Waits until condition `type_` of the container has `status` (and `reason`, if given).
    pub async fn wait_condition(
        &self,
        name: &str,
        type_: &str,
        status: &str,
        reason: Option<&str>,
    ) -> WekaContainer {
        let what = format!("condition {type_}={status} {}", reason.unwrap_or_default());
        self.wait_container(name, &what, |c| {
            condition(c, type_).is_some_and(|cond| {
                cond.status == status && reason.is_none_or(|r| cond.reason == r)
            })
        })
        .await
    }

    pub async fn wait_pod(&self, name: &str, what: &str, check: impl Fn(&Pod) -> bool) -> Pod {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let current = self.pods().get_opt(name).await.expect("pod read");
            if let Some(pod) = current.as_ref().filter(|p| check(p)) {
                return pod.clone();
            }
            if Instant::now() > deadline {
                let status = current
                    .and_then(|p| p.status)
                    .map(|s| serde_json::to_string_pretty(&s).unwrap());
                let context = self.diagnostics().await;
                panic!(
                    "timed out after {TIMEOUT:?} waiting for pod {name}: {what}; last status: {status:?}\n{context}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_pod_running(&self, name: &str) -> Pod {
        self.wait_pod(name, "running", |p| {
            phase(p) == "Running" && p.metadata.deletion_timestamp.is_none()
        })
        .await
    }

    pub async fn wait_gone(&self, name: &str) {
        let what = format!("WekaContainer {name} is gone");
        self.wait_for(&what, || async { self.get(name).await.is_none().then_some(()) }).await;
    }

    pub async fn wait_no_pod(&self, name: &str) {
        let what = format!("pod {name} is gone");
        self.wait_for(&what, || async {
            self.pods().get_opt(name).await.ok().flatten().is_none().then_some(())
        })
        .await;
    }

    /// Events about the WekaContainer `name` with `reason` (events.k8s.io and core).
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

    /// The operator's requests, oldest first.
    pub fn operator_requests(&self) -> Vec<RequestRecord> {
        self.sim.request_log().find(|r| r.user_agent.as_deref() == Some(OPERATOR_AGENT))
    }

    /// Writes the operator made (everything but get/list/watch), oldest first.
    pub fn operator_writes(&self) -> Vec<RequestRecord> {
        self.operator_requests()
            .into_iter()
            .filter(|r| !matches!(r.verb.as_str(), "get" | "list" | "watch" | ""))
            .filter(|r| r.subresource.as_deref() != Some("exec"))
            .collect()
    }

    /// Waits until the operator has written nothing for `quiet` (everything converged),
    /// failing after `within`.
    pub async fn wait_quiet(&self, quiet: Duration, within: Duration) {
        let deadline = Instant::now() + within;
        let mut count = self.operator_writes().len();
        let mut since = Instant::now();
        while since.elapsed() < quiet {
            assert!(Instant::now() < deadline, "the operator kept writing for {within:?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
            let now = self.operator_writes().len();
            if now != count {
                count = now;
                since = Instant::now();
            }
        }
    }

    /// Commands the operator ran in the pod `pod` (argv of each exec).
    pub fn execs_in(&self, pod: &str) -> Vec<Vec<String>> {
        self.operator_requests()
            .into_iter()
            .filter(|r| r.resource == "pods" && r.subresource.as_deref() == Some("exec"))
            .filter(|r| r.name.as_deref() == Some(pod))
            .map(|r| query_values(&r.query, "command"))
            .collect()
    }

    /// Whether the operator wrote the stop marker `script` in `pod`.
    pub fn wrote_marker(&self, pod: &str, script: &str) -> bool {
        self.execs_in(pod).iter().any(|argv| argv == &["bash", "-ce", script])
    }

    /// The operator's pod deletions of `pod`.
    pub fn pod_deletes(&self, pod: &str) -> Vec<RequestRecord> {
        self.operator_requests()
            .into_iter()
            // A delete its precondition refused (a pass on a stale cached pod) deleted nothing.
            .filter(|r| {
                r.verb == "delete"
                    && r.resource == "pods"
                    && r.name.as_deref() == Some(pod)
                    && r.code < 300
            })
            .collect()
    }

    /// The request-log checks every test ends with.
    pub fn finish(mut self) {
        self.finished = true;
        assert_no_forced_pod_deletes(&self.sim);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        self.operator = None;
        if !self.finished && !std::thread::panicking() {
            assert_no_forced_pod_deletes(&self.sim);
        }
    }
}

impl Env {
    /// Two compute containers of WekaCluster `cluster-a` (on node-1 and node-2), joined to one
    /// WEKA cluster that the test forms (the cluster controller's part), both Ready.
    pub async fn joined_computes(&self) -> weka_api::WekaCluster {
        let cluster = self.create_cluster("cluster-a").await;
        for (name, node) in [("compute-a", "node-1"), ("compute-b", "node-2")] {
            self.create_owned(name, &cluster, spec("compute", json!({"nodeAffinity": node}))).await;
        }
        self.join_computes().await;
        for name in ["compute-a", "compute-b"] {
            self.wait_condition(name, cond::READY, "True", None).await;
        }
        cluster
    }

    /// Starts WEKA in compute-a and compute-b and forms their WEKA cluster.
    pub async fn join_computes(&self) {
        for name in ["compute-a", "compute-b"] {
            self.ensure_resources(name, &json!({"wekaPort": 15100, "agentPort": 15199})).await;
        }
        self.form_cluster(&["compute-a", "compute-b"]).await;
    }
}

/// Ready; or waiting (Progressing True, Ready False for the same reason); or reconciled with
/// readiness pending (results, WEKA running, joining). A failed step shows as none of these.
pub fn not_failing(c: &WekaContainer) -> bool {
    let (Some(ready), Some(progressing)) =
        (condition(c, cond::READY), condition(c, cond::PROGRESSING))
    else {
        return false;
    };
    let waiting = progressing.status == "True" && ready.reason == progressing.reason;
    let reconciled = progressing.status == "False"
        && progressing.reason == "Reconciled"
        && ["ResultsPending", "NotRunning", "NotJoined"].contains(&ready.reason.as_str());
    ready.status == "True" || waiting || reconciled
}

/// [`not_failing`], and past the pod's own start (scheduling, starting).
pub fn settled(c: &WekaContainer) -> bool {
    let pod_level = condition(c, cond::READY)
        .is_some_and(|r| ["PodNotScheduled", "PodNotRunning"].contains(&r.reason.as_str()));
    not_failing(c) && !pod_level
}

/// Every pod UID seen per pod name in the test namespace, from a watch started now.
pub struct PodHistory {
    seen: Arc<std::sync::Mutex<BTreeMap<String, Vec<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl PodHistory {
    pub fn start(env: &Env) -> PodHistory {
        use futures::StreamExt;
        let seen: Arc<std::sync::Mutex<BTreeMap<String, Vec<String>>>> = Arc::default();
        let record = seen.clone();
        let stream = kube::runtime::watcher(env.pods(), Default::default());
        let task = tokio::spawn(async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(event) = stream.next().await {
                let pods = match event {
                    Ok(
                        kube::runtime::watcher::Event::Apply(pod)
                        | kube::runtime::watcher::Event::InitApply(pod),
                    ) => vec![pod],
                    _ => continue,
                };
                let mut seen = record.lock().unwrap();
                for pod in pods {
                    let uids = seen.entry(pod.name_any()).or_default();
                    let uid = pod.uid().unwrap_or_default();
                    if !uids.contains(&uid) {
                        uids.push(uid);
                    }
                }
            }
        });
        PodHistory { seen, task }
    }

    /// The UIDs the pod `name` had, in order.
    pub fn uids(&self, name: &str) -> Vec<String> {
        self.seen.lock().unwrap().get(name).cloned().unwrap_or_default()
    }
}

impl Drop for PodHistory {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// No pod was ever deleted with `gracePeriodSeconds=0` or another forcing option, by anyone
/// but the simulated kubelet and pod garbage collector (whose final deletes of pods that
/// already stopped, or of pods of a deleted node, carry 0 as a real kubelet's do).
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
            && (r.grace_period_seconds.is_some()
                || r.propagation_policy.is_some()
                || r.query.contains("force"))
    });
    assert!(forced.is_empty(), "pods were deleted with a forcing option: {forced:#?}");
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `within`.
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
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in weka_api::crds::all() {
        api.create(&PostParams::default(), &crd).await.expect("CRD created");
    }
    wait_for("CRDs served", TIMEOUT, || async {
        let list = client.list_api_group_resources(weka_api::API_VERSION).await.ok()?;
        list.resources.iter().any(|r| r.name == "wekacontainers").then_some(())
    })
    .await;
}

pub fn condition<'c>(
    c: &'c WekaContainer,
    type_: &str,
) -> Option<&'c k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    conditions::find(c.status.as_ref()?.conditions.as_deref()?, type_)
}

pub fn status_of(c: &WekaContainer) -> String {
    c.status.as_ref().map(|s| s.status.clone()).unwrap_or_default()
}

pub fn phase(pod: &Pod) -> String {
    pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default()
}

pub fn pod_image(pod: &Pod) -> String {
    pod.spec.as_ref().and_then(|s| s.containers.first()?.image.clone()).unwrap_or_default()
}

pub fn has_finalizer(c: &WekaContainer) -> bool {
    c.finalizers().iter().any(|f| f == weka_api::constants::finalizers::WEKA)
}

/// A bare container of `mode` (one core, the test image), `extra` merged over it.
pub fn spec(mode: &str, extra: Value) -> Value {
    let mut spec = json!({"name": format!("{mode}0"), "mode": mode, "image": IMAGE, "numCores": 1});
    if let (Some(base), Value::Object(more)) = (spec.as_object_mut(), extra) {
        base.extend(more);
    }
    spec
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
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
