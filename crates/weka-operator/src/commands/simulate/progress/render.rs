//! A [`Snapshot`] as text: the live display's lines, the one-line summary of the plain log,
//! and the explanation of why the clusters are not Ready (for `--until-ready` timeouts).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::snapshot::{ClusterView, Snapshot};
use crate::commands::simulate::manifests::Targets;

/// Pending pods listed by name; the rest are counted.
const LISTED_PENDING: usize = 3;

/// The first line of the live display.
#[derive(Clone, Debug)]
pub struct Header {
    pub title: String,
    pub nodes: usize,
    pub latency: &'static str,
    pub faults: &'static str,
}

/// `1:05`, `12:00`.
pub fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

fn counts(phases: &BTreeMap<&str, usize>, separator: &str) -> String {
    phases.iter().map(|(p, n)| format!("{p} {n}")).collect::<Vec<_>>().join(separator)
}

fn mark(status: &str) -> char {
    match status {
        "True" => '✓',
        "False" => '✗',
        _ => '…',
    }
}

fn status_of(cluster: &ClusterView) -> &str {
    match (cluster.exists, cluster.status.as_str()) {
        (false, _) => "(not created yet)",
        (true, "") => "(no status yet)",
        (true, status) => status,
    }
}

/// The live display: header, each cluster with its conditions, containers per role and
/// phase, pods per phase and the ones that cannot be scheduled. Lines are cut at `width`.
pub fn live(snapshot: &Snapshot, header: &Header, took: Duration, width: usize) -> Vec<String> {
    let mut lines = vec![format!(
        "{} · {} nodes · latency {} · faults {} · {}",
        header.title,
        header.nodes,
        header.latency,
        header.faults,
        elapsed(took)
    )];
    for cluster in &snapshot.clusters {
        let ready =
            if cluster.is_ready() && cluster.status != "Ready" { "  ✓ Ready" } else { "" };
        lines.push(format!("WekaCluster {}: {}{ready}", cluster.target, status_of(cluster)));
        let mut line = String::new();
        for c in &cluster.conditions {
            let item = format!("{} {}", mark(&c.status), c.type_);
            if !line.is_empty() && line.chars().count() + 2 + item.chars().count() > width {
                lines.push(format!("  {}", std::mem::take(&mut line)));
            }
            if !line.is_empty() {
                line.push_str("  ");
            }
            line.push_str(&item);
        }
        if !line.is_empty() {
            lines.push(format!("  {line}"));
        }
        if let Some(waiting) = cluster.waiting_on() {
            lines.push(format!(
                "  waiting: {} ({}) {}",
                waiting.type_, waiting.reason, waiting.message
            ));
        }
    }
    let roles = snapshot.roles();
    lines.push(format!("WekaContainers: {}", snapshot.containers.len()));
    let column = roles.keys().map(|r| r.len()).max().unwrap_or(0).max(14);
    for (role, phases) in &roles {
        let total: usize = phases.values().sum();
        lines.push(format!("  {role:<column$}{total:>5}  {}", counts(phases, " · ")));
    }
    let phases = snapshot.pod_phases();
    lines.push(format!("Pods: {}  {}", snapshot.pods.len(), counts(&phases, " · ")));
    let pending: Vec<_> = snapshot.unschedulable().collect();
    for (pod, message) in pending.iter().take(LISTED_PENDING) {
        lines.push(format!("  unschedulable {pod}: {message}"));
    }
    if pending.len() > LISTED_PENDING {
        lines.push(format!("  ... and {} more unschedulable", pending.len() - LISTED_PENDING));
    }
    lines.into_iter().map(|l| cut(&l, width)).collect()
}

fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut out: String = line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One line for the plain log: each cluster's status and next condition, containers per
/// role and phase, pods per phase.
pub fn summary(snapshot: &Snapshot) -> String {
    let mut parts = Vec::new();
    for cluster in &snapshot.clusters {
        let mut part = format!("{} {}", cluster.target, status_of(cluster));
        if !cluster.conditions.is_empty() {
            let _ = write!(
                part,
                ", conditions {}/{} True",
                cluster.true_conditions(),
                cluster.conditions.len()
            );
        }
        if let Some(waiting) = cluster.waiting_on() {
            let _ = write!(part, ", waiting on {} ({})", waiting.type_, waiting.reason);
        }
        if cluster.is_ready() {
            part.push_str(", Ready");
        }
        parts.push(part);
    }
    let roles = snapshot.roles();
    if !roles.is_empty() {
        let text: Vec<String> = roles
            .iter()
            .map(|(role, phases)| format!("{role}: {}", counts(phases, ", ")))
            .collect();
        parts.push(format!("containers {}", text.join("; ")));
    }
    if !snapshot.pods.is_empty() {
        parts.push(format!("pods {}", counts(&snapshot.pod_phases(), ", ")));
    }
    parts.join(" | ")
}

/// Why the targets are not all Ready: each cluster's status and conditions that are not
/// True, the containers waited for that do not run, and the pods that cannot be scheduled.
pub fn not_ready(snapshot: &Snapshot, targets: &Targets) -> String {
    let mut text = String::new();
    for cluster in snapshot.clusters.iter().filter(|c| !c.is_ready()) {
        let _ = writeln!(
            text,
            "WekaCluster {} is not Ready: status {}",
            cluster.target,
            status_of(cluster)
        );
        for c in cluster.conditions.iter().filter(|c| c.status != "True") {
            let _ = writeln!(text, "  {}={} ({}): {}", c.type_, c.status, c.reason, c.message);
        }
    }
    for target in &targets.containers {
        let container = snapshot.container(target);
        let phase = container.map(|c| c.phase.as_str()).unwrap_or("(not created)");
        if phase != weka_api::WekaContainerStatus::RUNNING {
            let _ = writeln!(text, "WekaContainer {target} is not Running: {phase}");
            if let Some(waiting) = container.and_then(|c| c.waiting.as_deref()) {
                let _ = writeln!(text, "  {waiting}");
            }
        }
    }
    let roles = snapshot.roles();
    if !roles.is_empty() {
        let _ = writeln!(text, "WekaContainers:");
        for (role, phases) in &roles {
            let _ = writeln!(text, "  {role}: {}", counts(phases, ", "));
        }
    }
    let pending: Vec<_> = snapshot.unschedulable().collect();
    if !pending.is_empty() {
        let _ = writeln!(text, "Pods that cannot be scheduled:");
        for (pod, message) in pending {
            let _ = writeln!(text, "  {pod}: {message}");
        }
    }
    text.trim_end().to_string()
}
