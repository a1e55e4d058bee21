//! In-pod files: what is sent, and how replies are read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use weka_api::wekacontainer::ContainerAllocations;

use super::*;
use crate::weka::files::{DriversState, ShutdownInstructions, shutdown_instructions_dir};

const PERSISTENCY: &str = "test -f /opt/weka/k8s-runtime/persistency-configured";
const READ_RESOURCES: &str = "cat /opt/weka/k8s-runtime/resources.json";

fn allocations() -> ContainerAllocations {
    ContainerAllocations {
        drives: Some(strings(&["SN-0-0", "SN-0-1"])),
        weka_port: Some(14000),
        agent_port: Some(13999),
        failure_domain: Some("rack-1".to_string()),
        net_devices: Some(strings(&["udp"])),
        ..ContainerAllocations::default()
    }
}

#[tokio::test]
async fn resources_are_not_written_before_persistency_is_configured() {
    let sim = Sim::pods(1, 0);
    sim.exec.reply_script(PERSISTENCY, exit(1, ""));
    let err = sim.cli("drive-0").write_resources(&allocations()).await.unwrap_err();
    assert!(matches!(err, WekaError::PersistencyNotConfigured), "{err}");
    assert_eq!(sim.exec.calls().len(), 1);
    assert_eq!(sim.exec.calls()[0].timeout, Duration::from_secs(30));
}

#[tokio::test]
async fn resources_are_written_atomically_and_verified() {
    let sim = Sim::pods(1, 0);
    let json = serde_json::to_string(&allocations()).unwrap();
    sim.exec.reply_script(PERSISTENCY, ok(""));
    sim.exec.reply_script_prefix("\ntest -f", ok(""));
    sim.exec.reply_script(READ_RESOURCES, ok(&json));
    sim.cli("drive-0").write_resources(&allocations()).await.unwrap();
    let scripts: Vec<String> = sim.exec.argvs().into_iter().map(|a| a[2].clone()).collect();
    let b64 = BASE64.encode(&json);
    assert_eq!(scripts.len(), 3);
    assert_eq!(
        scripts[1],
        format!(
            "
test -f /opt/weka/k8s-runtime/persistency-configured || exit 1
mkdir -p /opt/weka/k8s-runtime/tmp
echo '{b64}' | base64 -d > /opt/weka/k8s-runtime/tmp/resources.json
mv /opt/weka/k8s-runtime/tmp/resources.json /opt/weka/k8s-runtime/resources.json
"
        )
    );
    assert_eq!(scripts[2], READ_RESOURCES);
    let written: serde_json::Value = serde_json::from_slice(&BASE64.decode(b64).unwrap()).unwrap();
    assert_eq!(written["drives"][0], "SN-0-0");
    assert_eq!(written["wekaPort"], 14000);
}

#[tokio::test]
async fn resources_that_read_back_differently_are_a_mismatch() {
    let sim = Sim::pods(1, 0);
    sim.exec.reply_script(PERSISTENCY, ok(""));
    sim.exec.reply_script_prefix("\ntest -f", ok(""));
    sim.exec.reply_script(READ_RESOURCES, ok(r#"{"drives": ["SN-0-0"], "wekaPort": 14000}"#));
    let err = sim.cli("drive-0").write_resources(&allocations()).await.unwrap_err();
    assert!(matches!(err, WekaError::ResourcesMismatch), "{err}");
    sim.exec.reply_script_prefix("\ntest -f", exit(1, ""));
    let err = sim.cli("drive-0").write_resources(&allocations()).await.unwrap_err();
    assert!(matches!(err, WekaError::PersistencyNotConfigured), "lost between check and write");
}

#[tokio::test]
async fn runtime_files_are_read_and_parsed() {
    let sim = Sim::pods(1, 0);
    let cli = sim.cli("drive-0");
    sim.exec.reply(&["cat", "/opt/weka/k8s-runtime/management_ips"], ok("10.0.1.1\n10.0.1.2\n"));
    assert_eq!(cli.management_ips().await.unwrap(), strings(&["10.0.1.1", "10.0.1.2"]));
    sim.exec.reply_script(
        "cat /opt/weka/k8s-runtime/drives.json",
        ok(r#"[{"serial_id": "SN-0-0", "block_device": "/dev/nvme0n1", "partition": "/dev/nvme0n1p1", "is_signed": false, "weka_guid": null}]"#),
    );
    let drives = cli.kernel_drives().await.unwrap();
    assert_eq!(
        (drives[0].serial_id.as_str(), drives[0].device_path.as_str()),
        ("SN-0-0", "/dev/nvme0n1")
    );
    sim.exec.reply(
        &["cat", "/opt/weka/k8s-runtime/feature_flags.json"],
        ok(r#"{"traces_override_in_slash_traces": true}"#),
    );
    assert_eq!(cli.feature_flags().await.unwrap()["traces_override_in_slash_traces"], true);
    sim.exec.reply(&["cat", "/weka-runtime/results.json"], ok("  \n"));
    assert!(matches!(cli.results().await, Err(WekaError::EmptyOutput { .. })));
    sim.exec.reply(&["cat", "/weka-runtime/results.json"], ok(r#"{"drivers_loaded": true}"#));
    assert_eq!(cli.results().await.unwrap(), r#"{"drivers_loaded": true}"#);
    let timeouts: Vec<Duration> = sim.exec.calls().iter().map(|c| c.timeout).collect();
    assert_eq!(timeouts[0], Duration::from_secs(10), "management IPs");
}

#[tokio::test]
async fn the_drivers_marker_is_empty_when_loaded() {
    let sim = Sim::pods(1, 0);
    let cli = sim.cli("drive-0");
    let script = "cat /tmp/weka-drivers.log";
    sim.exec.reply_script(script, ok(""));
    assert_eq!(cli.drivers_state().await.unwrap(), DriversState::Loaded);
    sim.exec.reply_script(script, ok("wekafsio\n"));
    assert_eq!(cli.drivers_state().await.unwrap(), DriversState::Missing("wekafsio".to_string()));
    sim.exec
        .reply_script(script, exit(1, "cat: /tmp/weka-drivers.log: No such file or directory\n"));
    assert!(matches!(cli.drivers_state().await, Err(WekaError::CommandFailed { .. })));
    assert!(sim.exec.calls().iter().all(|c| c.timeout == Duration::from_secs(15)));
}

#[tokio::test]
async fn stop_markers_touch_the_file_and_signal_the_runtime() {
    let sim = Sim::pods(1, 0);
    let cli = sim.cli("drive-0");
    sim.exec.reply_script_prefix("touch /tmp/", ok(""));
    sim.exec.reply_script("test -f /tmp/.allow-force-stop", exit(1, ""));
    cli.allow_stop().await.unwrap();
    assert!(!cli.force_stop_allowed().await.unwrap());
    cli.allow_force_stop().await.unwrap();
    let scripts: Vec<String> = sim.exec.argvs().into_iter().map(|a| a[2].clone()).collect();
    assert_eq!(
        scripts,
        strings(&[
            "touch /tmp/.allow-stop && kill 1",
            "test -f /tmp/.allow-force-stop",
            "touch /tmp/.allow-force-stop && kill 1",
        ])
    );
    assert_eq!(sim.exec.calls()[0].timeout, Duration::from_secs(60));
    sim.exec.remove_pod("drive-0");
    cli.allow_stop().await.unwrap();
    cli.allow_force_stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_instructions_go_through_the_node_agent_container() {
    let sim = Sim::pods(1, 0);
    sim.exec.reply_script_prefix("mkdir -p", ok(""));
    let agent = sim.cli("drive-0").for_target(ExecTarget::in_container(
        NAMESPACE,
        "weka-node-agent-x",
        "node-agent",
    ));
    let dir = shutdown_instructions_dir("owner-uid", "pod-uid", "boot-1");
    let instructions = ShutdownInstructions { allow_stop: true, allow_force_stop: false };
    agent.write_shutdown_instructions(&dir, instructions).await.unwrap();
    let call = sim.exec.calls().pop().unwrap();
    assert_eq!(call.target.container, "node-agent");
    let b64 = BASE64.encode(r#"{"allow_stop":true,"allow_force_stop":false}"#);
    assert_eq!(
        call.argv[2],
        format!(
            "mkdir -p '/host-binds/shared/containers/owner-uid/instructions/pod-uid/boot-1' && echo '{b64}' | base64 -d > '/host-binds/shared/containers/owner-uid/instructions/pod-uid/boot-1/shutdown_instructions.json'"
        )
    );
}

#[tokio::test]
async fn cluster_metrics_are_replaced_through_a_temporary_file() {
    let sim = Sim::pods(1, 0);
    let script =
        "cat <<EOF > /data/metrics.tmp\nweka_up 1\nEOF\nmv /data/metrics.tmp /data/metrics\n";
    sim.exec.reply(&["/bin/sh", "-ec", script], ok(""));
    let metrics_pod = ExecTarget::in_container(NAMESPACE, "c-metrics-0", "weka-cluster-metrics");
    sim.cli("drive-0").for_target(metrics_pod).write_cluster_metrics("weka_up 1").await.unwrap();
    assert_eq!(sim.exec.calls()[0].target.pod, "c-metrics-0");
}

#[test]
fn a_weka_container_is_exec_ed_in_its_pod_of_the_same_name() {
    let mut container: weka_api::WekaContainer = serde_json::from_value(serde_json::json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {"name": "c1-drive-0"},
        "spec": {
            "name": "drive",
            "mode": "drive",
            "image": "quay.io/weka.io/weka-in-container:4.4.5",
            "numCores": 1,
        },
    }))
    .unwrap();
    assert_eq!(ExecTarget::for_container(&container), None);
    container.metadata.namespace = Some("weka".to_string());
    assert_eq!(ExecTarget::for_container(&container), Some(ExecTarget::weka("weka", "c1-drive-0")));
}
