//! Rendering and readiness of snapshots, without a server.

use super::render::{self, Header};
use super::snapshot::{ClusterView, ConditionView, ContainerView, PodView, Snapshot};
use crate::commands::simulate::manifests::{Target, Targets};

fn target(name: &str) -> Target {
    Target { namespace: "default".into(), name: name.into() }
}

fn condition(type_: &str, status: &str, message: &str) -> ConditionView {
    ConditionView {
        type_: type_.into(),
        status: status.into(),
        reason: "Step".into(),
        message: message.into(),
    }
}

fn container(name: &str, role: &str, phase: &str) -> ContainerView {
    ContainerView { target: target(name), role: role.into(), phase: phase.into(), waiting: None }
}

fn bringing_up() -> (Snapshot, Targets) {
    let targets = Targets { clusters: vec![target("demo")], containers: vec![] };
    let snapshot = Snapshot {
        clusters: vec![ClusterView {
            target: target("demo"),
            exists: true,
            status: "Init".into(),
            conditions: vec![
                condition("ClusterSecretsCreated", "True", ""),
                condition("PodsReady", "False", "2 of 12 containers are not ready"),
            ],
        }],
        containers: vec![
            container("demo-compute-1", "compute", "Running"),
            container("demo-compute-2", "compute", "PodNotRunning"),
            container("demo-drive-1", "drive", "Running"),
        ],
        pods: vec![
            PodView {
                target: target("demo-compute-1"),
                phase: "Running".into(),
                unschedulable: None,
            },
            PodView {
                target: target("demo-compute-2"),
                phase: "Pending".into(),
                unschedulable: Some(
                    "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
                        .into(),
                ),
            },
        ],
    };
    (snapshot, targets)
}

fn header() -> Header {
    Header { title: "weka-operator simulate".into(), nodes: 3, latency: "zero", faults: "none" }
}

#[test]
fn the_live_display_shows_conditions_roles_phases_and_unschedulable_pods() {
    let (snapshot, _) = bringing_up();
    let lines = render::live(&snapshot, &header(), std::time::Duration::from_secs(65), 200);
    let text = lines.join("\n");
    assert!(lines[0].ends_with("1:05"), "{text}");
    assert!(text.contains("WekaCluster default/demo: Init"), "{text}");
    assert!(text.contains("✓ ClusterSecretsCreated  ✗ PodsReady"), "{text}");
    assert!(text.contains("waiting: PodsReady (Step) 2 of 12 containers are not ready"), "{text}");
    assert!(text.contains("compute           2  PodNotRunning 1 · Running 1"), "{text}");
    assert!(
        text.contains("unschedulable default/demo-compute-2: 0/3 nodes are available"),
        "{text}"
    );
}

#[test]
fn live_lines_are_cut_to_the_width_so_the_redraw_count_holds() {
    let (snapshot, _) = bringing_up();
    for line in render::live(&snapshot, &header(), std::time::Duration::ZERO, 30) {
        assert!(line.chars().count() <= 30, "{line}");
    }
}

#[test]
fn the_plain_summary_names_status_next_condition_and_counts() {
    let (snapshot, _) = bringing_up();
    let summary = render::summary(&snapshot);
    assert_eq!(
        summary,
        "default/demo Init, conditions 1/2 True, waiting on PodsReady (Step) | containers compute: \
         PodNotRunning 1, Running 1; drive: Running 1 | pods Pending 1, Running 1"
    );
}

#[test]
fn ready_needs_the_cluster_ready_condition_and_every_target_container_running() {
    let (mut snapshot, mut targets) = bringing_up();
    assert!(!snapshot.all_ready(&targets));
    snapshot.clusters[0].conditions.push(condition("ClusterIsReady", "True", ""));
    assert!(snapshot.all_ready(&targets));
    targets.containers.push(target("demo-compute-2"));
    assert!(!snapshot.all_ready(&targets));
    snapshot.containers[1].phase = "Running".into();
    assert!(snapshot.all_ready(&targets));
}

#[test]
fn the_not_ready_reason_lists_conditions_containers_and_scheduling_messages() {
    let (mut snapshot, mut targets) = bringing_up();
    targets.containers.push(target("missing"));
    targets.containers.push(target("demo-compute-2"));
    snapshot.containers[1].waiting = Some("Ready (NoMatchingNode): no node matches".into());
    let reason = render::not_ready(&snapshot, &targets);
    assert!(reason.contains("WekaCluster default/demo is not Ready: status Init"), "{reason}");
    assert!(
        reason.contains("PodsReady=False (Step): 2 of 12 containers are not ready"),
        "{reason}"
    );
    assert!(
        reason.contains("WekaContainer default/missing is not Running: (not created)"),
        "{reason}"
    );
    assert!(reason.contains("default/demo-compute-2: 0/3 nodes are available"), "{reason}");
    assert!(!reason.contains("ClusterSecretsCreated"), "{reason}");
}

#[test]
fn a_cluster_not_created_yet_says_so() {
    let targets = Targets { clusters: vec![target("later")], containers: vec![] };
    let snapshot = Snapshot::observe(&targets, [], [], []);
    assert_eq!(render::summary(&snapshot), "default/later (not created yet)");
}
