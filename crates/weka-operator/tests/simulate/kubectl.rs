//! `weka-operator simulate` as a user runs it: started in the background (a second
//! terminal), driven with real kubectl against the kubeconfig it writes, stopped with Ctrl-C.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{SMALL_CLUSTER, Simulation, scratch, write};

/// The bring-up of the small cluster, zero latencies, on 5 nodes.
fn small_cluster(test: &str) -> Simulation {
    let dir = scratch(test);
    let manifest = write(&dir, "cluster.yaml", SMALL_CLUSTER);
    let manifest = manifest.to_str().unwrap();
    Simulation::start(&dir, &["--apply", manifest, "--nodes", "5", "--latency", "zero"])
}

fn operator_gone(sim: &Simulation) -> bool {
    let pid = sim.operator_pid().expect("simulate names the operator's pid");
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn kubectl_sees_what_simulate_installed_and_ctrl_c_stops_simulate_and_its_operator() {
    let mut sim = small_cluster("simulate-installed");
    sim.kubectl_eventually(&["get", "wekacluster", "small", "-o", "name"], Duration::from_secs(60));
    let nodes =
        sim.kubectl_ok(&["get", "nodes", "-l", "weka.io/supports-backends=true", "-o", "name"]);
    assert_eq!(nodes.lines().count(), 5, "{nodes}");
    let drives = sim.kubectl_ok(&[
        "get",
        "node",
        "node-1",
        "-o",
        "jsonpath={.metadata.annotations.weka\\.io/weka-drives}",
    ]);
    assert!(drives.starts_with("[\"SIM"), "signed drives: {drives}");
    let classes = sim.kubectl_ok(&["get", "priorityclasses", "-o", "name"]);
    assert!(
        classes.contains("weka-initial-no-evict") && classes.contains("weka-targeted-no-evict"),
        "{classes}"
    );
    sim.kubectl_ok(&["get", "secret", "quay-io-robot-secret", "-n", "default"]);
    sim.kubectl_ok(&["get", "configmap", "weka-boot-scripts", "-n", "weka-operator-system"]);
    let crds = sim.kubectl_ok(&["get", "crds", "-o", "name"]);
    assert_eq!(crds.lines().filter(|l| l.contains(".weka.weka.io")).count(), 5, "{crds}");

    sim.interrupt();
    let status = sim.wait(Duration::from_secs(60));
    assert!(status.success(), "exit {status}\n{}", sim.transcript());
    assert!(operator_gone(&sim), "the operator outlived simulate\n{}", sim.transcript());
}

#[test]
fn a_user_waits_for_the_cluster_execs_weka_status_deletes_a_pod_and_stops_with_ctrl_c() {
    let mut sim = small_cluster("simulate-kubectl");
    sim.kubectl_eventually(&["get", "wekacluster", "small", "-o", "name"], Duration::from_secs(60));
    sim.kubectl_ok(&[
        "wait",
        "--for=condition=ClusterIsReady",
        "wekacluster/small",
        "--timeout=240s",
    ]);

    let listing = sim.kubectl_ok(&["get", "wekaclusters,wekacontainers,pods"]);
    assert!(listing.contains("wekacluster.weka.weka.io/small"), "{listing}");
    assert_eq!(listing.lines().filter(|l| l.starts_with("pod/small-")).count(), 10, "{listing}");
    assert_eq!(
        listing.lines().filter(|l| l.starts_with("wekacontainer.weka.weka.io/small-")).count(),
        10,
        "{listing}"
    );

    let compute = sim.kubectl_ok(&[
        "get",
        "pods",
        "-l",
        "weka.io/mode=compute",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let status =
        sim.kubectl_ok(&["exec", &compute, "-c", "weka-container", "--", "weka", "status"]);
    assert!(status.contains("cluster:") && status.contains("status: OK"), "{status}");

    let victim = sim.kubectl_ok(&[
        "get",
        "pods",
        "-l",
        "weka.io/mode=drive",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let uid_of = |sim: &Simulation| {
        let out =
            sim.kubectl(&["get", "pod", &victim, "-o", "jsonpath={.metadata.uid} {.status.phase}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let before = uid_of(&sim);
    sim.kubectl_ok(&["delete", "pod", &victim, "--wait=false"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = uid_of(&sim);
        let (uid, phase) = now.split_once(' ').unwrap_or((now.as_str(), ""));
        if !uid.is_empty() && !before.starts_with(uid) && phase == "Running" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pod {victim} not recreated: {now}\n{}",
            sim.transcript()
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    sim.interrupt();
    let status = sim.wait(Duration::from_secs(60));
    assert!(status.success(), "exit {status}\n{}", sim.transcript());
    assert!(operator_gone(&sim), "the operator outlived simulate\n{}", sim.transcript());
}
