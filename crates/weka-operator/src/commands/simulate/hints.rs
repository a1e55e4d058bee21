//! What simulate prints once everything is Ready: where the kubeconfig and logs are, and
//! kubectl commands to try against the running simulation.

use std::path::Path;
use std::time::Duration;

use super::manifests::Targets;
use super::progress::Snapshot;
use super::progress::render::elapsed;

pub struct Paths<'a> {
    pub kubeconfig: &'a Path,
    pub operator_log: Option<&'a Path>,
    pub simulator_log: Option<&'a Path>,
}

pub fn ready_message(
    snapshot: &Snapshot,
    targets: &Targets,
    paths: &Paths<'_>,
    took: Duration,
) -> String {
    let mut text = String::new();
    let what: Vec<String> = targets
        .clusters
        .iter()
        .map(|t| format!("WekaCluster {t}"))
        .chain(targets.containers.iter().map(|t| format!("WekaContainer {t}")))
        .collect();
    let what = if what.is_empty() { "Nothing to wait for".to_string() } else { what.join(", ") };
    text.push_str(&format!("\n{what}: Ready after {}.\n\n", elapsed(took)));
    let kubeconfig = paths.kubeconfig.display();
    text.push_str(&format!("kubeconfig: {kubeconfig}\n\nTry, in another terminal:\n"));
    text.push_str(&format!("  export KUBECONFIG={kubeconfig}\n"));
    let namespace = targets
        .clusters
        .first()
        .or(targets.containers.first())
        .map(|t| t.namespace.clone())
        .unwrap_or_else(|| "default".into());
    let ns = if namespace == "default" { String::new() } else { format!(" -n {namespace}") };
    text.push_str(&format!("  kubectl get wekaclusters,wekacontainers,pods{ns} -o wide\n"));
    if let Some(cluster) = targets.clusters.first() {
        text.push_str(&format!("  kubectl describe wekacluster {}{ns}\n", cluster.name));
    }
    let pod_of = |role: &str| {
        snapshot
            .containers
            .iter()
            .find(|c| c.role == role && c.target.namespace == namespace && c.phase == "Running")
            .map(|c| c.target.name.clone())
    };
    let compute = pod_of("compute").unwrap_or_else(|| "<compute pod>".into());
    text.push_str(&format!("  kubectl exec{ns} {compute} -c weka-container -- weka status\n"));
    let victim = pod_of("drive").or_else(|| pod_of("compute")).unwrap_or_else(|| "<pod>".into());
    text.push_str(&format!(
        "  kubectl delete pod{ns} {victim}    # the operator re-creates it under the same name\n"
    ));
    if let Some(log) = paths.operator_log {
        text.push_str(&format!("\nOperator log:  {}\n", log.display()));
    }
    if let Some(log) = paths.simulator_log {
        text.push_str(&format!("Simulator log: {}\n", log.display()));
    }
    text.push_str("\nServing until Ctrl-C.\n");
    text
}
