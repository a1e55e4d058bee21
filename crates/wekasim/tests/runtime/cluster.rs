//! A WEKA cluster formed entirely through `kubectl exec` into simulated WEKA pods, with no
//! operator: the test plays the operator's part with its command lines (resources.json by
//! base64 and rename, `weka status || weka cluster create ...` under `bash -ce`, drive add,
//! start-io), reads `weka status --json` as healthy, deactivates and removes a container,
//! and sees a failed drive in the JSON the operator reads.

use std::time::Duration;

use crate::support::*;
use serde_json::{Value, json};

const SECOND: Duration = Duration::from_secs(1);

/// Each node runs a drive pod (port 15000, two drives) and a compute pod (port 15100).
async fn start_backends(sim: &Sim, nodes: &[&str]) {
    for (i, node) in nodes.iter().enumerate() {
        sim.create_pod(weka_pod(&format!("drive-{i}"), "drive", node, &[("CORES", "2")])).await;
        sim.create_pod(weka_pod(&format!("compute-{i}"), "compute", node, &[])).await;
    }
    for (i, node) in nodes.iter().enumerate() {
        let (drive, compute) = (format!("drive-{i}"), format!("compute-{i}"));
        sim.wait_running(&drive).await;
        sim.wait_running(&compute).await;
        // The operator looks for the persistency marker before it writes resources.
        sim.run(&drive, &["test", "-f", "/opt/weka/k8s-runtime/persistency-configured"]).await;
        let disks = sim.runtime.node_disks(node);
        let resources = json!({
            "drives": [disks[0].serial, disks[1].serial],
            "wekaPort": 15000, "agentPort": 15099, "failureDomain": format!("fd-{i}"),
        });
        sim.write_resources(&drive, &resources).await;
        sim.write_resources(&compute, &json!({"wekaPort": 15100, "agentPort": 15199})).await;
    }
    for i in 0..nodes.len() {
        sim.wait_ready(&format!("drive-{i}")).await;
        sim.wait_ready(&format!("compute-{i}")).await;
    }
}

async fn status(sim: &Sim) -> Value {
    sim.json("compute-0", &["wekaauthcli", "status", "--json"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_formed_through_kubectl_exec_serves_io_loses_a_container_and_reports_a_failed_drive()
 {
    let sim = Sim::start(3).await;
    let nodes = ["node-1", "node-2", "node-3"];
    start_backends(&sim, &nodes).await;

    // What the runtime wrote for the operator.
    let drive0 = sim.pod("drive-0").await.unwrap();
    let ip0 = host_ip(&drive0);
    assert_eq!(sim.run("drive-0", &["cat", "/opt/weka/k8s-runtime/management_ips"]).await, ip0);
    assert_eq!(sim.run("drive-0", &["cat", "/opt/weka/k8s-runtime/vars/port"]).await, "15000");
    assert_eq!(
        sim.run("drive-0", &["cat", "/opt/weka/k8s-runtime/vars/agent_port"]).await,
        "15099"
    );
    assert_eq!(sim.run("drive-0", &["cat", "/tmp/weka-drivers.log"]).await, "", "drivers loaded");
    let kernel = sim.json("drive-0", &["cat", "/opt/weka/k8s-runtime/drives.json"]).await;
    let disks = sim.runtime.node_disks("node-1");
    assert_eq!(kernel.as_array().map(Vec::len), Some(2), "{kernel}");
    assert_eq!(kernel[0]["serial_id"], disks[0].serial.as_str());
    assert_eq!(kernel[0]["block_device"], "/dev/nvme0n1");
    assert_eq!(kernel[0]["is_signed"], false);
    let flags = sim.json("drive-0", &["cat", "/opt/weka/k8s-runtime/feature_flags.json"]).await;
    assert_eq!(flags["traces_override_in_slash_traces"], true);
    let ps = sim.json("drive-0", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["name"], "drive");
    assert_eq!(ps[0]["runStatus"], "Running");
    assert_eq!(ps[0]["internalStatus"]["display_status"], "STEM");
    let stem = sim.exec("drive-0", &["weka", "status"]).await;
    assert!(!stem.status.success(), "no cluster yet: `weka status` fails");

    // Form the cluster with the operator's command line.
    let mut names = Vec::new();
    let mut host_ips = Vec::new();
    for (prefix, port) in [("drive", 15000), ("compute", 15100)] {
        for i in 0..nodes.len() {
            let pod = format!("{prefix}-{i}");
            let ip = sim.run(&pod, &["cat", "/opt/weka/k8s-runtime/management_ips"]).await;
            host_ips.push(format!("{ip}:{port}"));
            names.push(ip);
        }
    }
    let create = format!(
        "weka status || weka cluster create {} --host-ips {} --join-secret=`cat {USER_DIR}/join-secret` --admin-password `cat {USER_DIR}/password` ",
        names.join(" "),
        host_ips.join(",")
    );
    // `cluster create` returns only once the cluster is formed: not while the clock stands.
    let creating = sim.script("drive-0", &create);
    tokio::pin!(creating);
    let early = tokio::time::timeout(Duration::from_millis(500), &mut creating).await;
    assert!(early.is_err(), "cluster create returned before the cluster formed");
    Sim::ok(&sim.advancing(creating).await, "cluster create");
    Sim::ok(&sim.exec("drive-0", &["weka", "status"]).await, "`weka status` once formed");
    let again = sim.script("drive-0", &create).await;
    Sim::ok(&again, "`weka status ||` short-circuits a second create");
    sim.run("drive-0", &["bash", "-ce", "weka cluster update --cluster-name sim-cluster"]).await;
    sim.run("drive-0", &["bash", "-ce", "weka cluster hot-spare 0"]).await;
    let ps = sim.json("compute-2", &["weka", "local", "ps", "--json"]).await;
    assert_eq!(ps[0]["internalStatus"]["display_status"], "READY");

    // Add each drive container's drives, as the drive container itself does.
    for i in 0..nodes.len() {
        let pod = format!("drive-{i}");
        let id = sim.container_id(&pod, "drive").await.to_string();
        let kernel = sim.json(&pod, &["cat", "/opt/weka/k8s-runtime/drives.json"]).await;
        for drive in kernel.as_array().unwrap() {
            let device = drive["block_device"].as_str().unwrap();
            sim.run(&pod, &["weka", "cluster", "drive", "add", &id, device]).await;
        }
        let twice = sim.exec(&pod, &["weka", "cluster", "drive", "add", &id, "/dev/nvme0n1"]).await;
        assert!(!twice.status.success());
        assert!(
            text(&twice.stderr).contains("Device is already in use"),
            "{}",
            text(&twice.stderr)
        );
    }
    sim.advance_until(SECOND, "all drives are active", || async {
        status(&sim).await["drives"]["active"] == 6
    })
    .await;
    // `start-io` returns only once IO runs (the operator marks the cluster Ready after it).
    let start_io = async {
        sim.run("compute-0", &["wekaauthcli", "cluster", "start-io"]).await;
        status(&sim).await["io_status"].clone()
    };
    let advance = sim.advance_until(SECOND, "io is started", || async {
        status(&sim).await["io_status"] == "STARTED"
    });
    let (io_when_start_io_returned, ()) = tokio::join!(start_io, advance);
    assert_eq!(io_when_start_io_returned, "STARTED");
    let healthy = status(&sim).await;
    assert_eq!(healthy["status"], "OK");
    assert_eq!(healthy["name"], "sim-cluster");
    assert_eq!(healthy["drives"], json!({"active": 6, "total": 6}));
    assert_eq!(healthy["containers"]["drives"], json!({"active": 3, "total": 3}));
    assert_eq!(healthy["containers"]["computes"], json!({"active": 3, "total": 3}));
    assert_eq!(healthy["active_alerts_count"], 0);
    let signed = sim.json("drive-1", &["cat", "/opt/weka/k8s-runtime/drives.json"]).await;
    assert_eq!(signed[0]["is_signed"], false, "drives.json is written once, at start");

    // Deactivate and remove a compute container, as the deletion flow does.
    let id = sim.container_id("compute-2", "compute").await.to_string();
    sim.run("compute-0", &["wekaauthcli", "cluster", "container", "deactivate", &id]).await;
    sim.advance_until(SECOND, "the container is INACTIVE", || async {
        let row =
            sim.json("compute-0", &["wekaauthcli", "cluster", "container", &id, "--json"]).await;
        row[0]["status"] == "INACTIVE"
    })
    .await;
    sim.run("compute-0", &["wekaauthcli", "cluster", "container", "remove", &id]).await;
    let row = sim.json("compute-0", &["wekaauthcli", "cluster", "container", &id, "--json"]).await;
    assert_eq!(row, json!([]));
    let gone = sim.exec("compute-0", &["wekaauthcli", "cluster", "container", "remove", &id]).await;
    assert!(
        text(&gone.stderr).contains(&format!("Host HostId<{id}> not found")),
        "{}",
        text(&gone.stderr)
    );
    assert_eq!(status(&sim).await["containers"]["computes"], json!({"active": 2, "total": 2}));

    // A drive fails: the operator's JSON shows it.
    let drives = sim.json("compute-0", &["wekaauthcli", "cluster", "drive", "--json"]).await;
    let uuid = drives[0]["uuid"].as_str().unwrap().to_string();
    let guid = healthy["guid"].as_str().unwrap().to_string();
    sim.runtime.with_faults(|f| f.drive_failed(&guid, &uuid, true)).unwrap();
    let one = sim.json("compute-0", &["wekaauthcli", "cluster", "drive", &uuid, "--json"]).await;
    assert_eq!(one[0]["status"], "FAILED");
    let degraded = status(&sim).await;
    assert_eq!(degraded["drives"]["active"], 5);
    assert_eq!(degraded["status"], "REBUILDING");
    assert_eq!(degraded["active_alerts_count"], 1);
}
