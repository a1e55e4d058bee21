//! Graceful shutdown: no new work, in-flight reconciles finish within the shutdown timeout
//! (or are abandoned after it), the Lease is released, and the binary exits 0 on SIGTERM.

use std::convert::Infallible;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use weka_operator::config::Config;
use weka_operator::leader_election::Leadership;
use weka_operator::runtime::{Context, Reconciler};

/// A controller whose reconciles take `delay`; records starts and finishes.
struct SlowConfigMaps {
    delay: Duration,
    started: Arc<Mutex<Vec<String>>>,
    finished: Arc<Mutex<Vec<String>>>,
}

impl Reconciler<ConfigMap> for SlowConfigMaps {
    type Error = Infallible;

    fn name(&self) -> &'static str {
        "slow-configmaps"
    }

    fn max_workers(&self, _config: &Config) -> u16 {
        1
    }

    async fn reconcile(
        &self,
        object: Arc<ConfigMap>,
        _ctx: Arc<Context>,
    ) -> Result<Action, Infallible> {
        self.started.lock().unwrap().push(object.name_any());
        tokio::time::sleep(self.delay).await;
        self.finished.lock().unwrap().push(object.name_any());
        Ok(Action::await_change())
    }
}

async fn lease_holder(client: &kube::Client) -> Option<String> {
    let lease =
        Api::<Lease>::namespaced(client.clone(), "default").get("ad0b5146.weka.io").await.ok()?;
    lease.spec?.holder_identity
}

/// Starts one leading operator with a slow controller, and a reconcile in flight.
async fn operator_mid_reconcile(
    sim: &kubesim::KubesimHandle,
    delay: Duration,
    shutdown_timeout: &str,
) -> (weka_operator::runtime::OperatorHandle, Arc<Mutex<Vec<String>>>) {
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    let started = Arc::new(Mutex::new(Vec::new()));
    let finished = Arc::new(Mutex::new(Vec::new()));
    let config = test_config(&["--enable-leader-election", shutdown_timeout]);
    let slow = SlowConfigMaps { delay, started: started.clone(), finished: finished.clone() };
    let operator = start_operator_with(sim, config, move |op| {
        op.register(slow);
    })
    .await;
    let mut state = operator.leadership();
    tokio::time::timeout(Duration::from_secs(10), state.wait_for(Leadership::is_leader))
        .await
        .expect("leads")
        .expect("election running");
    create_config_map(&client, "in-flight").await;
    eventually("the reconcile started", Duration::from_secs(10), || async {
        (!started.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    (operator, finished)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_reconciles_finish_then_releases_the_lease() {
    let sim = kubesim().await;
    let (operator, finished) =
        operator_mid_reconcile(&sim, Duration::from_millis(500), "--shutdown-timeout=10s").await;
    assert!(finished.lock().unwrap().is_empty());
    operator.shutdown().await;
    assert_eq!(*finished.lock().unwrap(), vec!["in-flight".to_string()]);
    assert_eq!(lease_holder(&sim.client()).await.as_deref(), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciles_longer_than_the_shutdown_timeout_are_abandoned() {
    let sim = kubesim().await;
    let (operator, finished) =
        operator_mid_reconcile(&sim, Duration::from_secs(60), "--shutdown-timeout=300ms").await;
    let asked = Instant::now();
    operator.shutdown().await;
    assert!(asked.elapsed() < Duration::from_secs(5), "took {:?}", asked.elapsed());
    assert!(finished.lock().unwrap().is_empty());
    assert_eq!(lease_holder(&sim.client()).await.as_deref(), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_binary_with_exit_0_and_releases_the_lease() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_weka-operator"))
        .args([
            "run",
            "--health-probe-bind-address=127.0.0.1:0",
            "--metrics-bind-address=127.0.0.1:0",
            "--enable-leader-election",
            "--leader-election-namespace=default",
            "--log-level=info",
            "--log-format=json",
        ])
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let leading = line.contains("became leader");
            seen.push(line);
            if leading {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never became leader; log: {seen:#?}"));
    let line = seen.last().expect("a line");
    let json: serde_json::Value = serde_json::from_str(line).expect("JSON logs");
    assert_eq!(json["level"], "INFO");
    assert!(lease_holder(&client).await.is_some_and(|h| !h.is_empty()));

    let pid = child.id().expect("running").to_string();
    let killed =
        std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert_eq!(status.code(), Some(0));
    assert_eq!(lease_holder(&client).await.as_deref(), Some(""));
}
