//! Deleting WEKA pods: the pod stays Terminating until the operator allows the stop; a
//! deactivated member stays INACTIVE when its pod goes, a member stopped by force goes DOWN;
//! the debug sleep holds the pod until cancelled; modes that need no permission go at once,
//! and the node agent's instruction file allows a stop as the flag files do.

use std::time::Duration;

use crate::support::*;
use serde_json::json;
use wekasim::HostId;
use wekasim::world::container::ContainerStatus;
use wekasim::world::local::{AgentKey, RunStatus};

const SECOND: Duration = Duration::from_secs(1);

/// Compute pods `compute-<i>` on `node-<i+1>` formed into a cluster; its GUID.
async fn compute_cluster(sim: &Sim, count: usize, env: &[(&str, &str)]) -> String {
    for i in 0..count {
        let node = format!("node-{}", i + 1);
        sim.create_pod(weka_pod(&format!("compute-{i}"), "compute", &node, env)).await;
    }
    let mut names = Vec::new();
    let mut host_ips = Vec::new();
    for i in 0..count {
        let pod = format!("compute-{i}");
        sim.wait_running(&pod).await;
        sim.write_resources(&pod, &json!({"wekaPort": 15100, "agentPort": 15199})).await;
        sim.wait_ready(&pod).await;
        let ips = ["cat", "/opt/weka/k8s-runtime/management_ips"];
        sim.advance_until(SECOND, "the management IPs are written", || async {
            let out = sim.exec(&pod, &ips).await;
            out.status.success() && !text(&out.stdout).trim().is_empty()
        })
        .await;
        let ip = sim.run(&pod, &ips).await.trim().to_string();
        host_ips.push(format!("{ip}:15100"));
        names.push(ip);
    }
    let create = format!(
        "weka status || weka cluster create {} --host-ips {} --join-secret=`cat {USER_DIR}/join-secret` --admin-password `cat {USER_DIR}/password` ",
        names.join(" "),
        host_ips.join(",")
    );
    sim.form_cluster("compute-0", &create).await;
    let identity = sim.identity("compute-0", "compute").await;
    identity["value"]["cluster_guid"].as_str().expect("a cluster GUID").to_string()
}

fn member_status(sim: &Sim, guid: &str, host: u64) -> Option<(ContainerStatus, &'static str)> {
    let host = HostId(u32::try_from(host).ok()?);
    sim.runtime.with_world(|w| w.cluster(guid)?.container(host).map(|m| (m.status(), m.state())))
}

fn local_run_status(sim: &Sim, pod: &str, name: &str) -> Option<RunStatus> {
    let key = AgentKey::from(format!("default/{pod}"));
    sim.runtime.with_world(|w| w.local_container(&key, name).map(|lc| lc.run))
}

async fn delete(sim: &Sim, pod: &str) {
    let out = sim.kubectl(&["delete", "pod", pod, "--wait=false"]).await;
    Sim::ok(&out, "kubectl delete --wait=false");
    sim.wait_until("SIGTERM reached the runtime", || async {
        sim.logs(pod).await.contains("Received signal SIGTERM")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pod_stays_terminating_until_allow_stop_and_its_deactivated_member_stays_inactive()
 {
    let sim = Sim::start(2).await;
    let guid = compute_cluster(&sim, 2, &[("WEKA_OPERATOR_DEBUG_SLEEP", "600")]).await;
    let id = sim.container_id("compute-1", "compute").await;

    // The operator deactivates the member first, from another container.
    let id_text = id.to_string();
    sim.run("compute-0", &["wekaauthcli", "cluster", "container", "deactivate", &id_text]).await;
    sim.advance_until(SECOND, "the member is INACTIVE", || async {
        member_status(&sim, &guid, id) == Some((ContainerStatus::Inactive, "INACTIVE"))
    })
    .await;

    delete(&sim, "compute-1").await;
    sim.advance_while(Duration::from_secs(5), 12, "compute-1 is Terminating", || async {
        sim.pod("compute-1").await.is_some()
    })
    .await;
    Sim::ok(&sim.script("compute-1", "kill 1").await, "a wake-up without permission");
    sim.wait_until("the runtime looked again and keeps waiting", || async {
        sim.logs("compute-1").await.matches("Waiting for shutdown instruction...").count() >= 2
    })
    .await;
    let terminating = sim.pod("compute-1").await.expect("still there a minute later");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    let listed = sim
        .kubectl(&["get", "pod", "compute-1", "-o", "jsonpath={.metadata.deletionTimestamp}"])
        .await;
    assert!(!text(&listed.stdout).is_empty(), "kubectl sees it Terminating");
    let ps = sim.json("compute-1", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["runStatus"], "Running", "the container runs while waiting");
    assert!(sim.logs("compute-1").await.contains("Waiting for shutdown instruction..."));

    let allow = sim.script("compute-1", "touch /tmp/.allow-stop && kill 1").await;
    Sim::ok(&allow, "allow-stop");
    sim.wait_until("the local container stopped", || async {
        local_run_status(&sim, "compute-1", "compute") == Some(RunStatus::Stopped)
    })
    .await;
    assert_eq!(
        member_status(&sim, &guid, id),
        Some((ContainerStatus::Inactive, "INACTIVE")),
        "the cluster shows the member deactivated, not DOWN"
    );
    let logs = sim.logs("compute-1").await;
    assert!(logs.contains("Received 'allow-stop' instruction"), "{logs}");
    assert!(logs.contains("weka local stop -g"), "graceful stop: {logs}");
    assert!(logs.contains("600 seconds exit-sleep"), "{logs}");

    // The debug sleep holds the pod until it is cancelled.
    sim.advance_while(SECOND, 30, "the debug sleep holds compute-1", || async {
        sim.pod("compute-1").await.is_some()
    })
    .await;
    sim.run("compute-1", &["touch", "/tmp/.cancel-debug-sleep"]).await;
    sim.wait_gone("compute-1").await;
    assert_eq!(member_status(&sim, &guid, id), Some((ContainerStatus::Inactive, "INACTIVE")));
    let status = sim.json("compute-0", &["wekaauthcli", "status", "--json"]).await;
    assert_eq!(status["containers"]["computes"], json!({"active": 1, "total": 2}));
    assert_eq!(status["active_alerts_count"], 0, "an inactive member raises no alert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_force_stop_takes_down_a_member_that_was_not_deactivated() {
    let sim = Sim::start(2).await;
    let guid = compute_cluster(&sim, 2, &[]).await;
    let id = sim.container_id("compute-1", "compute").await;
    assert_eq!(member_status(&sim, &guid, id), Some((ContainerStatus::Up, "ACTIVE")));

    delete(&sim, "compute-1").await;
    let force = sim.script("compute-1", "touch /tmp/.allow-force-stop && kill 1").await;
    Sim::ok(&force, "allow-force-stop");
    sim.wait_gone("compute-1").await;
    assert_eq!(member_status(&sim, &guid, id), Some((ContainerStatus::Down, "ACTIVE")));
    assert_eq!(local_run_status(&sim, "compute-1", "compute"), Some(RunStatus::Stopped));
    let status = sim.json("compute-0", &["wekaauthcli", "status", "--json"]).await;
    assert_eq!(status["containers"]["computes"], json!({"active": 1, "total": 2}));
    assert_eq!(status["active_alerts_count"], 1, "a DOWN member raises an alert");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envoy_pod_stops_at_once_while_a_client_waits_for_permission() {
    let sim = Sim::start(1).await;
    sim.create_pod(weka_pod("envoy-0", "envoy", "node-1", &[("NAME", "envoy")])).await;
    let client_env = [("PORT", "0"), ("AGENT_PORT", "0"), ("BASE_PORT", "46000")];
    sim.create_pod(weka_pod("client-0", "client", "node-1", &client_env)).await;
    sim.wait_running("envoy-0").await;
    sim.write_resources("envoy-0", &json!({"agentPort": 15299})).await;
    sim.wait_running("client-0").await;
    sim.write_resources("client-0", &json!({})).await;
    sim.wait_ready("envoy-0").await;
    sim.wait_ready("client-0").await;
    assert_eq!(
        sim.run("client-0", &["cat", "/opt/weka/k8s-runtime/vars/agent_port"]).await,
        "46000"
    );
    assert_eq!(sim.run("client-0", &["cat", "/opt/weka/k8s-runtime/vars/port"]).await, "46001");
    let ps = sim.json("envoy-0", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["type"], "envoy");

    delete(&sim, "envoy-0").await;
    sim.wait_gone("envoy-0").await;

    delete(&sim, "client-0").await;
    sim.advance_while(Duration::from_secs(5), 12, "a client waits for permission", || async {
        sim.pod("client-0").await.is_some()
    })
    .await;
    // The client force-drain the operator runs when mounts remain.
    let drain = sim
        .script("client-0", "weka local stop --force && echo drain > /proc/wekafs/interface")
        .await;
    Sim::ok(&drain, "force drain");
    assert_eq!(local_run_status(&sim, "client-0", "client"), Some(RunStatus::Stopped));
    // The node agent's instruction file (where the operator cannot exec) allows the stop.
    let instruct = "dir=/host-binds/shared/instructions/$POD_ID/boot-1 && mkdir -p $dir && echo '{\"allow_stop\":true,\"allow_force_stop\":false}' > $dir/shutdown_instructions.json && kill 1";
    Sim::ok(&sim.script("client-0", instruct).await, "shutdown instructions");
    sim.wait_gone("client-0").await;
}
