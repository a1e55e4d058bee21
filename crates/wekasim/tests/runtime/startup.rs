//! Start-up as the operator watches it: a backend waits for its resources and for the node's
//! drivers (named in `/tmp/weka-drivers.log`) until a drivers-loader pod loads them; one-off
//! pods write their results and keep running for the operator to read them.

use std::time::Duration;

use crate::support::*;
use serde_json::json;
use wekasim::runtime::RuntimeConfig;

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_waits_for_resources_and_drivers_until_a_drivers_loader_loads_them() {
    let config = RuntimeConfig { drivers_preloaded: false, ..RuntimeConfig::default() };
    let sim = Sim::start_with(1, config).await;
    sim.create_pod(weka_pod("compute-0", "compute", "node-1", &[])).await;
    sim.wait_running("compute-0").await;
    sim.advance_while(SECOND, 10, "compute-0 is not Ready without resources", || async {
        !sim.is_ready("compute-0").await
    })
    .await;
    let no_log = sim.exec("compute-0", &["cat", "/tmp/weka-drivers.log"]).await;
    assert!(!no_log.status.success(), "no drivers log before resources");
    let no_agent = sim.exec("compute-0", &["weka", "local", "ps", "--json"]).await;
    assert!(text(&no_agent.stderr).contains("agent is not running"), "{}", text(&no_agent.stderr));

    sim.write_resources("compute-0", &json!({"wekaPort": 15100, "agentPort": 15199})).await;
    sim.advance_until(SECOND, "the drivers log names the missing driver", || async {
        let out = sim.exec("compute-0", &["cat", "/tmp/weka-drivers.log"]).await;
        text(&out.stdout) == "wekafsio"
    })
    .await;
    assert!(!sim.is_ready("compute-0").await);
    let lsmod = sim.script("compute-0", "lsmod | grep -w wekafsio").await;
    assert_eq!(lsmod.status.code(), Some(1));

    sim.create_pod(weka_pod("loader", "drivers-loader", "node-1", &[])).await;
    sim.wait_ready("loader").await;
    let results = sim.json("loader", &["cat", "/weka-runtime/results.json"]).await;
    assert_eq!(results, json!({"err": null, "drivers_loaded": true}));
    sim.wait_ready("compute-0").await;
    assert_eq!(sim.run("compute-0", &["cat", "/tmp/weka-drivers.log"]).await, "");
    Sim::ok(&sim.script("compute-0", "lsmod | grep -w wekafsio").await, "drivers listed");
    assert!(sim.is_running("loader").await, "a one-off pod keeps running after its results");

    let logs = sim.logs("compute-0").await;
    for line in [
        "Persistency configured successfully",
        "waiting for /opt/weka/k8s-runtime/resources.json",
        "found resources.json",
        "PORT=15100, AGENT_PORT=15199",
        "Driver wekafsio not loaded, waiting for it",
        "All drivers loaded successfully",
        "Weka-agent started successfully",
        "Container is UP and running",
    ] {
        assert!(logs.contains(line), "missing {line:?} in:\n{logs}");
    }
    assert!(logs.lines().all(|l| l.contains(" - root - ")), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_off_pods_write_results_for_the_operator() {
    let config = RuntimeConfig { disks_presigned: false, ..RuntimeConfig::default() };
    let sim = Sim::start_with(1, config).await;
    sim.create_pod(weka_pod("discovery", "discovery", "node-1", &[])).await;
    let sign =
        json!({"type": "sign-drives", "payload": json!({"type": "all-not-root"}).to_string()});
    sim.create_pod(weka_pod("sign", "adhoc-op", "node-1", &[("INSTRUCTIONS", &sign.to_string())]))
        .await;
    let flags = json!({"type": "feature-flags-update", "payload": "{}"}).to_string();
    sim.create_pod(weka_pod(
        "flags",
        "adhoc-op-with-container",
        "node-1",
        &[("INSTRUCTIONS", &flags)],
    ))
    .await;
    sim.create_pod(weka_pod("builder", "drivers-builder", "node-1", &[])).await;

    sim.wait_ready("discovery").await;
    let discovery = sim.json("discovery", &["cat", "/weka-runtime/results.json"]).await;
    assert_eq!(discovery["schema"], 1);
    assert_eq!(discovery["kubernetes_distro"], "k8s");
    assert_eq!(discovery["os"], "ubuntu");
    assert_eq!(discovery["is_ht"], true);

    sim.wait_ready("sign").await;
    let signed = sim.json("sign", &["cat", "/weka-runtime/results.json"]).await;
    let disks = sim.runtime.node_disks("node-1");
    assert_eq!(signed["err"], json!(null));
    assert_eq!(signed["drives"].as_array().map(Vec::len), Some(disks.len()));
    assert_eq!(signed["drives"][0]["serial_id"], disks[0].serial.as_str());
    assert_eq!(signed["drives"][0]["partition"], "/dev/nvme0n1p1");
    assert_eq!(signed["raw_drives"][0]["path"], "/dev/nvme0n1");
    assert_eq!(signed["raw_drives"][0]["is_mounted"], false);

    sim.wait_ready("flags").await;
    let flags = sim.json("flags", &["cat", "/weka-runtime/results.json"]).await;
    assert_eq!(flags["feature_flags"]["driver_supports_auto_drain"], true);
    let ps = sim.json("flags", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["name"], "adhoc");

    sim.wait_ready("builder").await;
    let built = sim.json("builder", &["cat", "/weka-runtime/results.json"]).await;
    assert_eq!(built["driver_built"], true);
    assert_eq!(built["weka_version"], "4.4.5.118-k8s.4");
    assert_eq!(built["err"], "");
    assert!(built["kernel_signature"].as_str().is_some_and(|s| s.len() == 16), "{built}");

    let bad = json!({"type": "frobnicate"}).to_string();
    sim.create_pod(weka_pod("bad", "adhoc-op", "node-1", &[("INSTRUCTIONS", &bad)])).await;
    sim.advance_until(SECOND, "a bad instruction fails the container", || async {
        sim.pod("bad").await.is_some_and(|p| {
            p.status
                .and_then(|s| s.container_statuses)
                .is_some_and(|c| c[0].restart_count > 0 || c[0].last_state.is_some())
        })
    })
    .await;
}
