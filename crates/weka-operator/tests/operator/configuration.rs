//! Bad configuration exits 2 with a message naming the setting and the value; the
//! Deployment in deploy/operator uses exactly the flags and variables the CLI accepts, and its
//! ports match the configured addresses.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use clap::CommandFactory;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Container;
use weka_operator::cli::{self, Cli};

fn run_binary(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weka-operator"));
    command.args(args).env_remove("RUST_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("binary runs")
}

fn assert_bad_config(output: &Output, mentions: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "exit code; stderr: {stderr}");
    for text in mentions {
        assert!(stderr.contains(text), "{text:?} not in: {stderr}");
    }
}

#[test]
fn bad_flag_values_exit_2_naming_flag_env_and_value() {
    let out = run_binary(&["run", "--reconcile-timeout", "5parsecs"], &[]);
    assert_bad_config(
        &out,
        &["--reconcile-timeout", "RECONCILE_TIMEOUT", "5parsecs", "Go duration"],
    );
    let out = run_binary(&["run", "--max-workers-wekacluster", "0"], &[]);
    assert_bad_config(&out, &["--max-workers-wekacluster", "MAX_WORKERS_WEKACLUSTER", "\"0\""]);
    let out = run_binary(&["run", "--no-such-flag"], &[]);
    assert_bad_config(&out, &["--no-such-flag"]);
}

#[test]
fn bad_environment_values_exit_2_naming_the_variable() {
    let out = run_binary(&["run"], &[("KUBE_EXEC_TIMEOUT", "forever")]);
    assert_bad_config(&out, &["KUBE_EXEC_TIMEOUT", "forever"]);
    let out = run_binary(&["run"], &[("ENABLE_LEADER_ELECTION", "yes")]);
    assert_bad_config(&out, &["ENABLE_LEADER_ELECTION", "yes"]);
    let out = run_binary(&["run"], &[("LOG_FORMAT", "xml")]);
    assert_bad_config(&out, &["LOG_FORMAT", "xml"]);
    let out = run_binary(&["run"], &[("HEALTH_PROBE_BIND_ADDRESS", "8081")]);
    assert_bad_config(&out, &["HEALTH_PROBE_BIND_ADDRESS", "8081"]);
    let out = run_binary(&["run"], &[("METRICS_CLUSTERS_NODE_SELECTOR", "role=metrics")]);
    assert_bad_config(&out, &["METRICS_CLUSTERS_NODE_SELECTOR", "JSON"]);
}

#[test]
fn inconsistent_settings_exit_2_before_connecting() {
    let out = run_binary(&["run"], &[("LEADER_ELECTION_RENEW_DEADLINE", "20s")]);
    assert_bad_config(&out, &["LEADER_ELECTION_RENEW_DEADLINE = 20s", "lease duration (15s)"]);
    let out = run_binary(&["run", "--namespace", "Not_A_Namespace"], &[]);
    assert_bad_config(&out, &["WATCH_NAMESPACE", "Not_A_Namespace"]);
    let out = run_binary(&["run"], &[("RUST_LOG", "info,[bad")]);
    assert_bad_config(&out, &["RUST_LOG"]);
}

#[test]
fn crds_prints_every_custom_resource_definition() {
    let out = run_binary(&["crds"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("kind: CustomResourceDefinition"));
}

fn deploy_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/operator").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn operator_container(deployment: &Deployment) -> Container {
    let pod = deployment.spec.clone().and_then(|s| s.template.spec).expect("pod spec");
    pod.containers.into_iter().find(|c| c.name == "operator").expect("operator container")
}

/// The flag of each environment variable the CLI reads, from clap's own definition.
fn flag_of_env() -> BTreeMap<String, String> {
    let command = Cli::command();
    let run = command.find_subcommand("run").expect("run subcommand");
    run.get_arguments()
        .filter_map(|a| {
            Some((a.get_env()?.to_string_lossy().into_owned(), a.get_long()?.to_string()))
        })
        .collect()
}

#[test]
fn the_deployment_uses_exactly_flags_and_env_vars_the_cli_accepts() {
    let deployment: Deployment =
        serde_yaml::from_str(&deploy_file("deployment.yaml")).expect("parses");
    let container = operator_container(&deployment);
    let flags = flag_of_env();
    let mut argv = vec!["weka-operator".to_string()];
    argv.extend(container.args.clone().unwrap_or_default());
    for var in container.env.clone().unwrap_or_default() {
        let flag = flags.get(&var.name).unwrap_or_else(|| {
            panic!("the Deployment sets {} but the CLI does not read it", var.name)
        });
        let value = match (&var.value, &var.value_from) {
            (Some(value), None) => value.clone(),
            // Downward API values: any pod name / namespace / uid.
            (None, Some(_)) => "from-the-downward-api".to_string(),
            other => panic!("{}: unexpected value {other:?}", var.name),
        };
        argv.push(format!("--{flag}={value}"));
    }
    let cli =
        Cli::parse_or_explain(&argv).unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}"));
    let cli::Command::Run(run) = cli.command else { panic!("the Deployment does not run `run`") };
    run.config.validate().expect("the Deployment's configuration is valid");
    assert!(run.config.leader_election.enabled, "two replicas need leader election");

    let port = |name: &str| {
        container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| u16::try_from(p.container_port).expect("port"))
            .unwrap_or_else(|| panic!("no container port {name}"))
    };
    assert_eq!(run.config.http.health.port(), Some(port("probes")));
    assert_eq!(run.config.http.metrics.port(), Some(port("metrics")));
    let annotations = deployment
        .spec
        .clone()
        .and_then(|s| s.template.metadata)
        .and_then(|m| m.annotations)
        .unwrap_or_default();
    assert_eq!(
        annotations.get("prometheus.io/port").map(String::as_str),
        Some(port("metrics").to_string().as_str())
    );

    // The probes use the probe port; the metrics Service targets the metrics port.
    for probe in [&container.liveness_probe, &container.readiness_probe] {
        let http = probe.as_ref().and_then(|p| p.http_get.clone()).expect("HTTP probe");
        let target = match http.port {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(name) => port(&name),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => {
                u16::try_from(n).expect("port")
            }
        };
        assert_eq!(Some(target), run.config.http.health.port());
    }
    let service: k8s_openapi::api::core::v1::Service =
        serde_yaml::from_str(&deploy_file("metrics-service.yaml")).expect("service parses");
    let service_port =
        service.spec.and_then(|s| s.ports).and_then(|p| p.into_iter().next()).expect("a port");
    match service_port.target_port {
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(name)) => {
            assert_eq!(port(&name), port("metrics"))
        }
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) => {
            assert_eq!(Some(n as u16), run.config.http.metrics.port())
        }
        None => assert_eq!(Some(service_port.port as u16), run.config.http.metrics.port()),
    }

    // In-flight reconciles get less than the kubelet's grace period.
    let grace = deployment
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|p| p.termination_grace_period_seconds)
        .expect("grace period");
    assert!(
        run.config.timeouts.shutdown.as_secs() < u64::try_from(grace).expect("positive"),
        "SHUTDOWN_TIMEOUT must be below terminationGracePeriodSeconds"
    );
}
