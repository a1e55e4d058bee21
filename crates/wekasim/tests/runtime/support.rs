//! Helpers for the runtime tests: kubesim with simulated nodes on a virtual clock, the WEKA
//! runtime installed over one world, WEKA pods as the operator builds them (the parts the
//! runtime reads), kubectl, and waiting on conditions (polling with a deadline while the
//! virtual clock moves; never sleeping as synchronisation).

#![allow(dead_code)]

use std::future::Future;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, PostParams};
use kubesim::nodes::NodesConfig;
use kubesim::nodes::behaviour::BehaviourRegistry;
use kubesim::nodes::clock::Clock;
use kubesim::{Kubesim, KubesimConfig, KubesimHandle};
use serde_json::{Value, json};
use wekasim::runtime::{RuntimeConfig, WekaRuntime, register, world_on};
use wekasim::{Latencies, WorldConfig};

pub const TIMEOUT: Duration = Duration::from_secs(60);
pub const IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4";
pub const USER_DIR: &str = "/var/run/secrets/weka-operator/operator-user";
pub const ADMIN_PASSWORD: &str = "Op3ratorPassw0rd";
pub const JOIN_SECRET: &str = "j0in-s3cret";

pub struct Sim {
    pub handle: KubesimHandle,
    pub runtime: WekaRuntime,
    pub clock: Clock,
}

impl Sim {
    pub async fn start(nodes: usize) -> Sim {
        Self::start_with(nodes, RuntimeConfig::default()).await
    }

    pub async fn start_with(nodes: usize, config: RuntimeConfig) -> Sim {
        let clock = Clock::virtual_now();
        let behaviours = Arc::new(BehaviourRegistry::new());
        let world_config =
            WorldConfig { latencies: Latencies::realistic(), ..WorldConfig::default() };
        let runtime = register(&behaviours, world_on(&clock, world_config), config);
        let node_sim = NodesConfig { clock: clock.clone(), behaviours, ..NodesConfig::default() };
        let handle = Kubesim::start(KubesimConfig { nodes, node_sim, ..KubesimConfig::default() })
            .await
            .expect("kubesim starts");
        let sim = Sim { handle, runtime, clock };
        sim.create_credentials().await;
        sim
    }

    /// The operator-user secret the operator mounts into WEKA pods.
    async fn create_credentials(&self) {
        let secret: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "weka-operator-cluster", "namespace": "default"},
            "stringData": {"username": "admin", "password": ADMIN_PASSWORD, "org": "Root",
                           "join-secret": JOIN_SECRET},
        }))
        .expect("a valid secret");
        Api::<Secret>::namespaced(self.handle.client(), "default")
            .create(&PostParams::default(), &secret)
            .await
            .expect("secret created");
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.handle.client(), "default")
    }

    pub async fn create_pod(&self, pod: Pod) {
        self.pods().create(&PostParams::default(), &pod).await.expect("pod created");
    }

    pub async fn pod(&self, name: &str) -> Option<Pod> {
        self.pods().get_opt(name).await.expect("pod read")
    }

    /// Runs kubectl against the server (in a blocking thread, so the server keeps serving).
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        let kubeconfig = self.handle.kubeconfig_path().to_path_buf();
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

    /// `kubectl exec <pod> -c weka-container -- <argv>`.
    pub async fn exec(&self, pod: &str, argv: &[&str]) -> Output {
        let mut args = vec!["exec", pod, "-c", "weka-container", "--"];
        args.extend_from_slice(argv);
        self.kubectl(&args).await
    }

    /// `bash -ce <script>` as the operator runs scripts.
    pub async fn script(&self, pod: &str, script: &str) -> Output {
        self.exec(pod, &["bash", "-ce", script]).await
    }

    #[track_caller]
    pub fn ok(output: &Output, what: &str) -> String {
        assert!(
            output.status.success(),
            "{what} failed ({:?}): stdout {} stderr {}",
            output.status.code(),
            text(&output.stdout),
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// An argv exec that must succeed; its stdout.
    pub async fn run(&self, pod: &str, argv: &[&str]) -> String {
        let out = self.exec(pod, argv).await;
        Self::ok(&out, &format!("{pod}: {argv:?}"))
    }

    /// An argv exec whose stdout is JSON.
    pub async fn json(&self, pod: &str, argv: &[&str]) -> Value {
        let stdout = self.run(pod, argv).await;
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{argv:?}: not JSON ({e}): {stdout}"))
    }

    /// Writes `resources.json` with the operator's script (persistency check, base64, rename).
    pub async fn write_resources(&self, pod: &str, resources: &Value) {
        let b64 = base64_encode(resources.to_string().as_bytes());
        let script = format!(
            "\ntest -f /opt/weka/k8s-runtime/persistency-configured || exit 1\nmkdir -p /opt/weka/k8s-runtime/tmp\necho '{b64}' | base64 -d > /opt/weka/k8s-runtime/tmp/resources.json\nmv /opt/weka/k8s-runtime/tmp/resources.json /opt/weka/k8s-runtime/resources.json\n"
        );
        Self::ok(&self.script(pod, &script).await, &format!("{pod}: write resources.json"));
    }

    /// Runs the operator's `weka status || weka cluster create ...` script in `pod`: like the
    /// real command it returns once the cluster is formed, so the virtual clock moves while
    /// it runs. `weka status` succeeds from then on.
    pub async fn form_cluster(&self, pod: &str, script: &str) {
        let out = self.advancing(self.script(pod, script)).await;
        Self::ok(&out, "cluster create");
        Self::ok(&self.exec(pod, &["weka", "status"]).await, "`weka status` once formed");
    }

    /// Awaits `work` while advancing the virtual clock a second at a time.
    pub async fn advancing<T>(&self, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            tokio::select! {
                out = &mut work => return out,
                () = tokio::time::sleep(Duration::from_millis(20)) => {
                    assert!(tokio::time::Instant::now() < deadline, "timed out advancing");
                    self.clock.advance(Duration::from_secs(1));
                }
            }
        }
    }

    /// Advances the virtual clock one `step` at a time until `check` holds.
    pub async fn advance_until<F, Fut>(&self, step: Duration, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if check().await {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out until {what}");
            self.clock.advance(step);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Advances the virtual clock `steps` times by `step`, checking that `holds` stays true.
    pub async fn advance_while<F, Fut>(&self, step: Duration, steps: u32, what: &str, mut holds: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        for n in 0..steps {
            assert!(holds().await, "{what} no longer holds after {n} steps of {step:?}");
            self.clock.advance(step);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(holds().await, "{what} no longer holds at the end");
    }

    /// Polls `check` without moving the clock.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while !check().await {
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn is_running(&self, name: &str) -> bool {
        self.pod(name).await.is_some_and(|p| phase(&p) == "Running")
    }

    pub async fn is_ready(&self, name: &str) -> bool {
        self.pod(name).await.is_some_and(|p| phase(&p) == "Running" && ready(&p))
    }

    pub async fn wait_running(&self, name: &str) {
        self.wait_until(&format!("{name} runs"), || self.is_running(name)).await;
    }

    pub async fn wait_ready(&self, name: &str) {
        self.advance_until(Duration::from_secs(1), &format!("{name} is Ready"), || {
            self.is_ready(name)
        })
        .await;
    }

    /// Waits until the pod is gone, moving the clock (debug sleeps run on it).
    pub async fn wait_gone(&self, name: &str) {
        self.advance_until(Duration::from_secs(1), &format!("{name} is gone"), || async {
            self.pod(name).await.is_none()
        })
        .await;
    }

    pub async fn logs(&self, pod: &str) -> String {
        text(&self.kubectl(&["logs", pod, "-c", "weka-container"]).await.stdout)
    }

    pub async fn container_id(&self, pod: &str, name: &str) -> u64 {
        let identity = self.identity(pod, name).await;
        identity["value"]["host_id"].as_u64().unwrap_or_else(|| panic!("{pod} joined: {identity}"))
    }

    /// `container-get-identity`, as the operator asks it.
    pub async fn identity(&self, pod: &str, name: &str) -> Value {
        let script = format!(
            "weka local run wapi -H localhost:$(cat /opt/weka/k8s-runtime/vars/agent_port)/jrpc -W container-get-identity --container-name {name} --json"
        );
        let stdout = Self::ok(&self.script(pod, &script).await, "container-get-identity");
        serde_json::from_str(&stdout).expect("identity JSON")
    }
}

/// A WEKA pod as the operator builds it, reduced to what the runtime reads: the image, the
/// `weka-container` container, the env, host network, the credentials and persistence volumes.
pub fn weka_pod(name: &str, mode: &str, node: &str, env: &[(&str, &str)]) -> Pod {
    let mut vars = vec![
        json!({"name": "MODE", "value": mode}),
        json!({"name": "NAME", "value": mode}),
        json!({"name": "PORT", "value": "0"}),
        json!({"name": "AGENT_PORT", "value": "0"}),
        json!({"name": "CORES", "value": "1"}),
        json!({"name": "IMAGE_NAME", "value": IMAGE}),
        json!({"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}),
        json!({"name": "MANAGEMENT_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}),
        json!({"name": "POD_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}}),
    ];
    for (key, value) in env {
        vars.retain(|v| v["name"] != *key);
        vars.push(json!({"name": key, "value": value}));
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"weka.io/mode": mode}},
        "spec": {
            "hostNetwork": true,
            "nodeSelector": {"kubernetes.io/hostname": node},
            "terminationGracePeriodSeconds": 31536000,
            "containers": [{
                "name": "weka-container",
                "image": IMAGE,
                "command": ["python3", "/opt/weka_runtime.py"],
                "env": vars,
                "volumeMounts": [
                    {"name": "weka-credentials", "mountPath": USER_DIR},
                    {"name": "weka-container-persistence-dir", "mountPath": "/host-binds/opt-weka"},
                ],
            }],
            "volumes": [
                {"name": "weka-credentials", "secret": {"secretName": "weka-operator-cluster"}},
                {"name": "weka-container-persistence-dir",
                 "hostPath": {"path": format!("/opt/k8s-weka/containers/{name}"), "type": "DirectoryOrCreate"}},
            ],
        },
    }))
    .expect("a valid pod")
}

pub fn phase(pod: &Pod) -> String {
    pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default()
}

pub fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}

pub fn host_ip(pod: &Pod) -> String {
    pod.status.as_ref().and_then(|s| s.host_ip.clone()).unwrap_or_default()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
