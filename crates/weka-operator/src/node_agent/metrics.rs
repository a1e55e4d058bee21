//! `/metrics`: the registered containers' state as Prometheus gauges (upstream's
//! `metricsHandler`, reduced to what the config summary and CPU poll give): processes up and
//! down, CPU per process, drives that are not active, and how long the pod has been in its
//! status. Label sets follow upstream: the WekaContainer's labels (`/`, `-`, `.` → `_`), the
//! node name, `container_name` and `mode`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry as PromRegistry;
use tokio::time::Instant;

use super::registry::Registered;

/// Data older than this is not exported (upstream: 5 minutes).
const STALE_AFTER: Duration = Duration::from_secs(300);
/// Drive statuses that do not count as inactive.
const HEALTHY_DRIVE: &[&str] = &["ACTIVE", "PHASING_IN"];

type Labels = Vec<(String, String)>;
type Gauges = Family<Labels, Gauge<f64, AtomicU64>>;

/// A Kubernetes label key as a Prometheus label name.
pub fn normalize_label_name(key: &str) -> String {
    key.replace(['/', '-', '.'], "_")
}

/// The labels every metric of a container carries.
fn base_labels(entry: &Registered, node_name: Option<&str>) -> BTreeMap<String, String> {
    let request = &entry.request;
    let mut labels: BTreeMap<String, String> =
        request.labels.iter().map(|(k, v)| (normalize_label_name(k), v.clone())).collect();
    if let Some(node) = node_name.filter(|n| !n.is_empty()) {
        labels.insert("node_name".into(), node.to_string());
    }
    let mut all = labels.clone();
    all.insert("container_name".into(), request.container_name.clone());
    all.insert("mode".into(), request.mode.clone());
    if request.mode == "client" {
        let target = labels.get("weka_io_target_cluster_name").cloned().unwrap_or_default();
        all.insert("weka_io_cluster_name".into(), target);
    }
    if let Some(cluster) = labels.get("weka_io_cluster_name") {
        all.insert("cluster_name".into(), cluster.clone());
    }
    all
}

fn with(base: &BTreeMap<String, String>, extra: &[(&str, String)]) -> Labels {
    let mut labels = base.clone();
    for (k, v) in extra {
        labels.insert((*k).to_string(), v.clone());
    }
    labels.into_iter().collect()
}

/// `NodeId<41>` → `41`.
fn process_id(node_id: &str) -> Option<String> {
    let inner = node_id.strip_prefix("NodeId<")?.strip_suffix('>')?;
    inner.parse::<u64>().ok().map(|n| n.to_string())
}

/// Renders the text exposition of `entries` as of `now`.
pub fn render(entries: &[Registered], node_name: Option<&str>, now: Instant) -> String {
    let processes = Gauges::default();
    let cpu = Gauges::default();
    let inactive_drives = Gauges::default();
    let in_status = Gauges::default();
    let fresh = |at: &Instant| now.saturating_duration_since(*at) <= STALE_AFTER;
    let wall_now: DateTime<Utc> = Utc::now();
    for entry in entries {
        let base = base_labels(entry, node_name);
        if let Some((summary, at)) = &entry.polled.summary
            && fresh(at)
        {
            let total = summary.processes_summary.total;
            processes.get_or_create(&with(&base, &[("status", "up".into())])).set(total.up as f64);
            let down = (total.total - total.up) as f64;
            processes.get_or_create(&with(&base, &[("status", "down".into())])).set(down);
            for disk in &summary.disks_summary {
                if HEALTHY_DRIVE.contains(&disk.status.as_str()) && !disk.is_failed {
                    continue;
                }
                let labels = with(
                    &base,
                    &[
                        ("status", disk.status.clone()),
                        ("serial", disk.serial_number.clone()),
                        ("weka_uid", disk.uid.clone()),
                        ("is_failed", disk.is_failed.to_string()),
                    ],
                );
                inactive_drives.get_or_create(&labels).set(1.0);
            }
        }
        if let Some((usage, at)) = &entry.polled.cpu
            && fresh(at)
        {
            for (node_id, load) in usage {
                let (Some(pid), None) = (process_id(node_id), &load.err) else { continue };
                let labels = with(&base, &[("process_id", pid)]);
                cpu.get_or_create(&labels).set(load.value.unwrap_or(0.0));
            }
        }
        let request = &entry.request;
        if !request.pod_status.is_empty() && request.pod_status_start_time.timestamp() > 0 {
            let since = (wall_now - request.pod_status_start_time).num_milliseconds() as f64;
            let labels = with(&base, &[("pod_status", request.pod_status.clone())]);
            in_status.get_or_create(&labels).set(since / 1000.0);
        }
    }
    let mut registry = PromRegistry::default();
    registry.register("weka_processes_count", "Weka processes counter by state up/down", processes);
    registry.register("weka_cpu_utilization_percent", "Weka container CPU utilization", cpu);
    registry.register("weka_inactive_drives", "Weka drives that are not active", inactive_drives);
    registry.register(
        "weka_pod_in_status_duration_seconds",
        "Time in seconds since the pod entered its current status",
        in_status,
    );
    let mut text = String::new();
    let _ = encode(&mut text, &registry);
    text
}
