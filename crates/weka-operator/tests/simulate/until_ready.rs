//! `weka-operator simulate --until-ready`: exit 0 once every applied cluster is Ready, or
//! non-zero with the reason (conditions, scheduling messages) when the deadline passes.

use std::time::Duration;

use crate::support::{SMALL_CLUSTER, run_to_end, scratch, write};

#[test]
fn until_ready_exits_zero_once_the_cluster_is_ready() {
    let dir = scratch("simulate-ready");
    let manifest = write(&dir, "cluster.yaml", SMALL_CLUSTER);
    let args = [
        "--apply",
        manifest.to_str().unwrap(),
        "--nodes",
        "5",
        "--latency",
        "zero",
        "--until-ready",
        "--timeout",
        "240s",
    ];
    let (status, stdout, stderr) = run_to_end(&dir, &args, Duration::from_secs(300));
    assert!(status.success(), "exit {status}\n{stdout}\n{stderr}");
    assert!(stdout.contains("every applied cluster is Ready"), "{stdout}");
}

#[test]
fn until_ready_fails_with_the_scheduling_messages_when_the_cluster_cannot_be_placed() {
    let dir = scratch("simulate-too-few-nodes");
    let manifest = write(&dir, "cluster.yaml", SMALL_CLUSTER);
    let args = [
        "--apply",
        manifest.to_str().unwrap(),
        "--nodes",
        "3",
        "--latency",
        "zero",
        "--until-ready",
        "--timeout",
        "20s",
    ];
    let (status, stdout, stderr) = run_to_end(&dir, &args, Duration::from_secs(90));
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("not Ready after 20s"), "{stderr}");
    assert!(stderr.contains("WekaCluster default/small is not Ready"), "{stderr}");
    assert!(stderr.contains("Pods that cannot be scheduled"), "{stderr}");
    assert!(stderr.contains("0/3 nodes are available"), "{stderr}");
}

#[test]
fn until_ready_explains_why_a_container_that_fits_no_node_does_not_run() {
    let dir = scratch("simulate-unplaceable");
    let container = "apiVersion: weka.weka.io/v1alpha1
kind: WekaContainer
metadata: {name: nowhere, namespace: default}
spec:
  name: nowhere
  mode: compute
  numCores: 1
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  nodeSelector: {weka.io/rack: missing}
";
    let manifest = write(&dir, "container.yaml", container);
    let args = [
        "--apply",
        manifest.to_str().unwrap(),
        "--nodes",
        "2",
        "--latency",
        "zero",
        "--until-ready",
        "--timeout",
        "15s",
    ];
    let (status, stdout, stderr) = run_to_end(&dir, &args, Duration::from_secs(90));
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("WekaContainer default/nowhere is not Running"), "{stderr}");
    assert!(stderr.contains("no node matches spec.nodeSelector"), "{stderr}");
}

#[test]
fn a_manifest_that_does_not_parse_is_refused_naming_the_file() {
    let dir = scratch("simulate-bad-manifest");
    let manifest =
        write(&dir, "broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [not, a, map]\n");
    let args = ["--apply", manifest.to_str().unwrap(), "--until-ready"];
    let (status, stdout, stderr) = run_to_end(&dir, &args, Duration::from_secs(30));
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("broken.yaml (document 1)"), "{stderr}");
}
