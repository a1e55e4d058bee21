//! The operator's command shapes inside a WEKA pod: `bash -ce` scripts with pipes, `||`,
//! `grep -i -w`, `awk`, `ip route`, base64 secrets, `$(cat ...)`, `timeout` around a hanging
//! weka command (a fault), `weka local stop/start` and readiness; and a restarted container
//! that finds its resources and cluster identity again; a container given JOIN_IPS joins alone.

use std::time::Duration;

use crate::support::*;
use serde_json::json;

const SECOND: Duration = Duration::from_secs(1);

/// A one-container cluster of `compute-0` on node-1.
async fn single_compute_cluster(sim: &Sim) {
    sim.create_pod(weka_pod("compute-0", "compute", "node-1", &[])).await;
    sim.wait_running("compute-0").await;
    sim.write_resources("compute-0", &json!({"wekaPort": 15100, "agentPort": 15199})).await;
    sim.wait_ready("compute-0").await;
    let ip = sim.run("compute-0", &["cat", "/opt/weka/k8s-runtime/management_ips"]).await;
    let create = format!(
        "weka status || weka cluster create {ip} --host-ips {ip}:15100 --join-secret=`cat {USER_DIR}/join-secret` --admin-password `cat {USER_DIR}/password` "
    );
    sim.form_cluster("compute-0", &create).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_shell_idioms_work_in_a_weka_pod() {
    let sim = Sim::start(1).await;
    single_compute_cluster(&sim).await;
    let ip = sim.run("compute-0", &["cat", "/opt/weka/k8s-runtime/management_ips"]).await;

    let iface = format!("ip route show | grep -w {ip} | head -1 | awk '{{print $5}}'");
    assert_eq!(sim.run("compute-0", &["bash", "-ce", &iface]).await, "eth0\n");
    assert_eq!(sim.run("compute-0", &["bash", "-ce", "pgrep -f 'envoy' || true"]).await, "");
    let secret = format!(
        "printf '%s' '{}' | base64 -d > /tmp/token-1 && test \"$(cat '/tmp/token-1')\" = t0ken && rm -f /tmp/token-1 && test ! -f /tmp/token-1",
        base64_encode(b"t0ken")
    );
    Sim::ok(&sim.script("compute-0", &secret).await, "secret through a temporary file");
    let upgrade = "wekaauthcli status --json | grep upgrade_phase | grep -i drive || echo no-phase";
    assert_eq!(sim.run("compute-0", &["bash", "-ce", upgrade]).await, "no-phase\n");
    let overrides = "weka debug override list | grep authenticate_client_join || weka debug override add --key authenticate_client_join || weka debug override add --key authenticate_client_join --force";
    Sim::ok(&sim.script("compute-0", overrides).await, "client-join override");
    let listed = sim
        .script("compute-0", "weka debug override list | grep -iw AUTHENTICATE_CLIENT_JOIN")
        .await;
    Sim::ok(&listed, "override listed");
    let user = sim.json("compute-0", &["bash", "-ce", "wekaauthcli user -J"]).await;
    assert!(user.as_array().unwrap().iter().any(|u| u["username"] == "admin"), "{user}");
    let errexit =
        sim.script("compute-0", "false && true; weka cluster frobnicate; echo unreachable").await;
    assert_eq!(errexit.status.code(), Some(2), "bash -e stops at the failing weka command");
    assert!(!text(&errexit.stdout).contains("unreachable"));

    // A hanging command ends with the caller's timeout, on the pod's clock.
    sim.runtime.with_faults(|f| f.command_timeout("local stop"));
    let hang = sim.script("compute-0", "timeout 10s weka local stop -g");
    tokio::pin!(hang);
    let timed_out = loop {
        tokio::select! {
            out = &mut hang => break out,
            _ = tokio::time::sleep(Duration::from_millis(20)) => { sim.clock.advance(SECOND); }
        }
    };
    assert_eq!(timed_out.status.code(), Some(124), "{}", text(&timed_out.stderr));
    sim.runtime.with_faults(|f| f.clear_command_faults());

    // Stopping the local container by hand makes the pod unready until it starts again.
    Sim::ok(&sim.script("compute-0", "timeout 10s weka local stop -g").await, "local stop");
    let ps = sim.json("compute-0", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["runStatus"], "Stopped");
    sim.advance_until(SECOND, "compute-0 is unready", || async {
        !sim.is_ready("compute-0").await
    })
    .await;
    sim.run("compute-0", &["weka", "local", "start"]).await;
    sim.wait_ready("compute-0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_container_finds_its_resources_and_rejoins_its_cluster() {
    let sim = Sim::start(1).await;
    single_compute_cluster(&sim).await;
    let before = sim.identity("compute-0", "compute").await;

    let nodes = sim.handle.nodes().expect("nodes run").clone();
    let kubelet = nodes.kubelet("node-1").expect("node-1");
    let pod = kubelet.pod_named("default", "compute-0").expect("compute-0 runs on node-1");
    assert!(pod.crash("weka-container", 137), "crashed");
    sim.advance_until(SECOND, "compute-0 restarted and is Ready", || async {
        sim.pod("compute-0").await.is_some_and(|p| {
            ready(&p)
                && p.status
                    .and_then(|s| s.container_statuses)
                    .is_some_and(|c| c[0].restart_count == 1)
        })
    })
    .await;
    sim.advance_until(SECOND, "it is back in its cluster", || async {
        sim.exec("compute-0", &["weka", "status"]).await.status.success()
    })
    .await;
    assert_eq!(sim.identity("compute-0", "compute").await, before, "same cluster identity");
    let logs = sim.logs("compute-0").await;
    assert!(logs.contains("Container already exists, reconfiguring"), "{logs}");
    assert!(!logs.contains("waiting for /opt/weka/k8s-runtime/resources.json"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_with_join_ips_joins_the_cluster_by_itself() {
    let sim = Sim::start(2).await;
    single_compute_cluster(&sim).await;
    let ip = sim.run("compute-0", &["cat", "/opt/weka/k8s-runtime/management_ips"]).await;
    let join_ips = format!("{ip}:15100");
    sim.create_pod(weka_pod("compute-1", "compute", "node-2", &[("JOIN_IPS", &join_ips)])).await;
    sim.wait_running("compute-1").await;
    sim.write_resources("compute-1", &json!({"wekaPort": 15100, "agentPort": 15199})).await;
    sim.wait_ready("compute-1").await;
    let ps = sim.json("compute-1", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["internalStatus"]["display_status"], "CLUSTERIZING");
    sim.advance_until(SECOND, "compute-1 joined", || async {
        let ps = sim.json("compute-1", &["weka", "local", "ps", "--json"]).await;
        ps[0]["internalStatus"]["display_status"] == "READY"
    })
    .await;
    assert_eq!(sim.container_id("compute-1", "compute").await, 1);
    let status = sim.json("compute-1", &["wekaauthcli", "status", "--json"]).await;
    assert_eq!(status["containers"]["computes"], json!({"active": 2, "total": 2}));
}
