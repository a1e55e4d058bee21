//! The HTTP endpoints and the start-up CRD check, against kubesim.

use std::time::Duration;

use crate::common::*;
use kubesim::{FaultAction, FaultRule};
use weka_operator::cli::ConnectArgs;
use weka_operator::metrics::Metrics;
use weka_operator::runtime::{self, RunError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_turns_200_once_the_caches_sync_and_healthz_is_always_200() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    // The cache of config maps cannot sync while listing them fails.
    let fault = sim
        .faults()
        .add(FaultRule::new(FaultAction::internal_error()).resource("configmaps").verb("list"));
    let seen = Reconciled::default();
    let operator = start_operator(&sim, test_config(&[]), &seen).await;
    let health = operator.health_addr().expect("health endpoint");

    assert_eq!(http_get(health, "/healthz").await, (200, "ok".to_string()));
    let (status, body) = http_get(health, "/readyz").await;
    assert_eq!(status, 503);
    assert!(body.contains("caches not synced: configmaps"), "{body}");

    sim.faults().remove(fault);
    eventually("/readyz is 200", Duration::from_secs(15), || async {
        (http_get(health, "/readyz").await == (200, "ok".to_string())).then_some(())
    })
    .await;
    operator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_reconciles_api_requests_and_leadership() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    create_config_map(&client, "counted").await;
    let seen = Reconciled::default();
    let operator = start_operator(&sim, test_config(&["--enable-leader-election"]), &seen).await;
    let metrics = operator.metrics_addr().expect("metrics endpoint");
    let identity = operator.identity().to_string();
    eventually("a reconcile", Duration::from_secs(10), || async {
        reconciled_by(&seen, &identity, "counted").then_some(())
    })
    .await;

    let expected = [
        r#"controller_runtime_reconcile_total{controller="configmaps-test",result="success"}"#,
        r#"controller_runtime_reconcile_time_seconds_count{controller="configmaps-test"}"#,
        r#"controller_runtime_max_concurrent_reconciles{controller="configmaps-test"} 2"#,
        r#"workqueue_depth{name="configmaps-test"}"#,
        r#"rest_client_requests_total{verb="list",code="200"}"#,
        r#"rest_client_requests_total{verb="watch",code="200"}"#,
        r#"rest_client_requests_total{verb="update",code="200"}"#,
        r#"leader_election_master_status{name="ad0b5146.weka.io"} 1"#,
    ];
    let body = eventually("every metric exposed", Duration::from_secs(10), || async {
        let (status, body) = http_get(metrics, "/metrics").await;
        (status == 200 && expected.iter().all(|m| body.contains(m))).then_some(body)
    })
    .await;
    let successes: u64 = body
        .lines()
        .find(|l| l.starts_with(expected[0]))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("a count");
    assert!(successes >= 1);
    operator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_crds_are_named_with_the_command_that_installs_them() {
    let sim = kubesim().await;
    let metrics = Metrics::new();
    let connect =
        ConnectArgs { kubeconfig: Some(sim.kubeconfig_path().to_path_buf()), context: None };
    let client = runtime::connect(&connect, &metrics).await.expect("client");

    let err = runtime::check_crds(&client).await.expect_err("no CRDs installed");
    let text = err.to_string();
    assert!(matches!(err, RunError::MissingCrds(ref m) if m.missing.len() == 5), "{text}");
    for name in
        ["wekaclusters", "wekacontainers", "wekaclients", "wekapolicies", "wekamanualoperations"]
    {
        assert!(text.contains(&format!("{name}.weka.weka.io")), "{name} not named: {text}");
    }
    assert!(text.contains("kubectl apply -k deploy/crds"), "{text}");
    assert!(text.contains("weka-operator crds | kubectl apply -f -"), "{text}");

    install_crds(&client, Some(&["wekaclusters", "wekacontainers", "wekaclients"])).await;
    let text = runtime::check_crds(&client).await.expect_err("two missing").to_string();
    assert!(text.contains("wekapolicies.weka.weka.io (WekaPolicy)"), "{text}");
    assert!(text.contains("wekamanualoperations.weka.weka.io (WekaManualOperation)"), "{text}");
    assert!(!text.contains("wekaclusters"), "{text}");

    install_crds(&client, Some(&["wekapolicies", "wekamanualoperations"])).await;
    runtime::check_crds(&client).await.expect("all installed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_with_the_missing_crd_error() {
    let sim = kubesim().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_weka-operator"))
        .args([
            "run",
            "--health-probe-bind-address=127.0.0.1:0",
            "--metrics-bind-address=127.0.0.1:0",
        ])
        .arg("--kubeconfig")
        .arg(sim.kubeconfig_path())
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the WEKA CRDs are not installed"), "{stderr}");
    assert!(stderr.contains("kubectl apply -k deploy/crds"), "{stderr}");
}
