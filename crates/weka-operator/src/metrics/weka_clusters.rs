//! The WEKA-level metrics of every WekaCluster (spec `wekaclient-and-ops.md` §5.4): throughput,
//! IOPS, drive/process/container counts, alerts, health, protection, capacity and object-store
//! buckets, each series labelled `cluster_name`, `namespace` and `cluster_guid`.
//!
//! Our design, deliberately unlike upstream's: upstream runs a `monitoring-<cluster>` nginx
//! Deployment per cluster and execs into its pod to write these series into a file that pod
//! serves. Here the operator's own `/metrics` serves them, from the values the cluster
//! controller last read from `weka status` (the same reading it writes to `status.stats`): one
//! scrape target for all clusters, no extra pod, and no writes over exec. A cluster's series
//! are dropped when the cluster is deleted.
//!
//! The series are kept as one [`ClusterSeries`] per cluster and rendered at scrape time (a
//! Prometheus collector), so labels that change with the cluster's state (`weka_cluster_status`
//! carries the WEKA status as a label) never leave stale series behind.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue};
use prometheus_client::metrics::MetricType;

/// Active, created and desired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub active: i64,
    pub created: i64,
    pub desired: i64,
}

/// Containers and WEKA processes of one role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleCounts {
    pub containers: Counts,
    pub processes: Counts,
}

/// What labels `weka_cluster_status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// WEKA's own status word (`OK`, `REBUILDING`, ...).
    pub weka_status: String,
    /// The WekaCluster's `status.status`.
    pub cr_status: String,
    pub stripe_width: i64,
    pub redundancy_level: i64,
    pub hot_spare: i64,
}

impl Health {
    /// The value of `weka_cluster_status`: 1 while WEKA serves (OK, REDISTRIBUTING, REBUILDING).
    pub fn serving(&self) -> i64 {
        i64::from(matches!(self.weka_status.as_str(), "OK" | "REDISTRIBUTING" | "REBUILDING"))
    }
}

/// Bytes, by the `type` label of `weka_cluster_capacity_bytes`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacity {
    pub total: i64,
    pub unprovisioned: i64,
    pub unavailable: i64,
    pub hot_spare: i64,
    pub fs_total: i64,
    pub fs_used: i64,
    pub fs_available: i64,
    pub fs_ssd_total: i64,
    pub fs_ssd_used: i64,
    pub fs_ssd_available: i64,
    pub fs_obs_total: i64,
}

impl Capacity {
    fn by_type(&self) -> [(&'static str, i64); 11] {
        [
            ("total", self.total),
            ("unprovisioned", self.unprovisioned),
            ("unavailable", self.unavailable),
            ("hotSpare", self.hot_spare),
            ("fs_total", self.fs_total),
            ("fs_used", self.fs_used),
            ("fs_available", self.fs_available),
            ("fs_ssd_total", self.fs_ssd_total),
            ("fs_ssd_used", self.fs_ssd_used),
            ("fs_ssd_available", self.fs_ssd_available),
            ("fs_obs_total", self.fs_obs_total),
        ]
    }
}

/// Object-store buckets of tiered filesystems.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Buckets {
    pub total: i64,
    pub active: i64,
}

/// Everything exported about one WekaCluster, as last read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterSeries {
    pub name: String,
    pub namespace: String,
    /// The WEKA cluster GUID (`status.clusterID`).
    pub guid: String,
    /// Bytes per second.
    pub read_bytes: i64,
    pub write_bytes: i64,
    pub read_iops: i64,
    pub write_iops: i64,
    pub metadata_iops: i64,
    pub drives: Counts,
    pub compute: RoleCounts,
    pub drive: RoleCounts,
    pub alerts: i64,
    pub health: Health,
    /// Percent of data per number of failures it would survive less (`numFailures` → percent).
    pub protection: Vec<(String, f64)>,
    pub capacity: Capacity,
    /// Only for clusters with tiered filesystems.
    pub buckets: Option<Buckets>,
}

/// The per-cluster series, registered once with the operator's registry (see
/// [`crate::metrics::Metrics`]); the cluster controller sets and removes clusters.
#[derive(Clone, Debug, Default)]
pub struct WekaClusterMetrics {
    clusters: Arc<Mutex<BTreeMap<(String, String), ClusterSeries>>>,
}

impl WekaClusterMetrics {
    /// Replaces everything exported about the cluster.
    pub fn set(&self, series: ClusterSeries) {
        let key = (series.namespace.clone(), series.name.clone());
        self.lock().insert(key, series);
    }

    /// Stops exporting the cluster; whether it was exported.
    pub fn remove(&self, namespace: &str, name: &str) -> bool {
        self.lock().remove(&(namespace.to_string(), name.to_string())).is_some()
    }

    /// The series of one cluster, if exported.
    pub fn get(&self, namespace: &str, name: &str) -> Option<ClusterSeries> {
        self.lock().get(&(namespace.to_string(), name.to_string())).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<(String, String), ClusterSeries>> {
        self.clusters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The labels of one sample: the cluster's, then the metric's own.
type Labels = Vec<(&'static str, String)>;

fn labels(c: &ClusterSeries, own: &[(&'static str, &str)]) -> Labels {
    let mut labels = vec![
        ("cluster_name", c.name.clone()),
        ("namespace", c.namespace.clone()),
        ("cluster_guid", c.guid.clone()),
    ];
    labels.extend(own.iter().map(|(k, v)| (*k, v.to_string())));
    labels
}

/// One gauge family; nothing at all when it has no samples.
fn gauge<V: EncodeGaugeValue>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    samples: Vec<(Labels, V)>,
) -> fmt::Result {
    if samples.is_empty() {
        return Ok(());
    }
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in &samples {
        family.encode_family(labels)?.encode_gauge(value)?;
    }
    Ok(())
}

fn by_type(c: &ClusterSeries, values: &[(&str, i64)]) -> Vec<(Labels, i64)> {
    values.iter().map(|(t, v)| (labels(c, &[("type", t)]), *v)).collect()
}

fn throughput(c: &ClusterSeries) -> Vec<(Labels, i64)> {
    by_type(c, &[("read", c.read_bytes), ("write", c.write_bytes)])
}

fn iops(c: &ClusterSeries) -> Vec<(Labels, i64)> {
    by_type(c, &[("read", c.read_iops), ("write", c.write_iops), ("metadata", c.metadata_iops)])
}

fn drives(c: &ClusterSeries) -> Vec<(Labels, i64)> {
    let d = c.drives;
    [("desired", d.desired), ("active", d.active), ("created", d.created)]
        .iter()
        .map(|(status, v)| (labels(c, &[("status", status)]), *v))
        .collect()
}

/// Per role and status, of containers or of processes.
fn role_counts(c: &ClusterSeries, of: fn(&RoleCounts) -> Counts) -> Vec<(Labels, i64)> {
    let (compute, drive) = (of(&c.compute), of(&c.drive));
    [
        ("compute", "active", compute.active),
        ("drive", "active", drive.active),
        ("compute", "desired", compute.desired),
        ("drive", "desired", drive.desired),
        ("compute", "created", compute.created),
        ("drive", "created", drive.created),
    ]
    .iter()
    .map(|(role, status, v)| (labels(c, &[("type", role), ("status", status)]), *v))
    .collect()
}

fn health(c: &ClusterSeries) -> (Labels, i64) {
    let h = &c.health;
    let (width, level, spare) =
        (h.stripe_width.to_string(), h.redundancy_level.to_string(), h.hot_spare.to_string());
    let own = [
        ("status", h.weka_status.as_str()),
        ("cr_status", h.cr_status.as_str()),
        ("stripe_width", width.as_str()),
        ("redundancy_level", level.as_str()),
        ("hot_spare", spare.as_str()),
    ];
    (labels(c, &own), h.serving())
}

fn protection(c: &ClusterSeries) -> Vec<(Labels, f64)> {
    c.protection.iter().map(|(n, pct)| (labels(c, &[("num_failures", n)]), *pct)).collect()
}

fn buckets(c: &ClusterSeries) -> Vec<(Labels, i64)> {
    let Some(b) = c.buckets else { return Vec::new() };
    [("total", b.total), ("active", b.active)]
        .iter()
        .map(|(status, v)| (labels(c, &[("status", status)]), *v))
        .collect()
}

impl Collector for WekaClusterMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let clusters = self.lock();
        let all = || clusters.values();
        let each = |f: fn(&ClusterSeries) -> Vec<(Labels, i64)>| -> Vec<(Labels, i64)> {
            all().flat_map(f).collect()
        };
        let e = &mut encoder;
        gauge(
            e,
            "weka_cluster_throughput_bytes_per_second",
            "Weka clusters throughput",
            each(throughput),
        )?;
        gauge(
            e,
            "weka_throughput_bytes_per_second",
            "DEPRECATED: use weka_cluster_throughput_bytes_per_second",
            each(throughput),
        )?;
        gauge(e, "weka_cluster_iops", "Weka clusters iops", each(iops))?;
        gauge(e, "weka_iops", "DEPRECATED: use weka_cluster_iops", each(iops))?;
        gauge(
            e,
            "weka_cluster_drives_count",
            "Weka cluster drives count, per status",
            each(drives),
        )?;
        let processes: Vec<_> = all().flat_map(|c| role_counts(c, |r| r.processes)).collect();
        gauge(
            e,
            "weka_cluster_processes_count",
            "Weka clusters processes count, per type and status",
            processes,
        )?;
        let containers: Vec<_> = all().flat_map(|c| role_counts(c, |r| r.containers)).collect();
        gauge(
            e,
            "weka_cluster_containers_count",
            "Weka containers count, per type and status",
            containers,
        )?;
        let alerts: Vec<_> = all().map(|c| (labels(c, &[]), c.alerts)).collect();
        gauge(e, "weka_cluster_alerts_count", "Active WEKA alerts", alerts)?;
        let health: Vec<_> = all().map(health).collect();
        gauge(
            e,
            "weka_cluster_status",
            "1 while the WEKA cluster is OK, REDISTRIBUTING or REBUILDING, else 0",
            health,
        )?;
        let protection: Vec<_> = all().flat_map(protection).collect();
        gauge(
            e,
            "weka_cluster_protection_level",
            "Percent of data per protection state (number of failures)",
            protection,
        )?;
        let capacity: Vec<_> = all().flat_map(|c| by_type(c, &c.capacity.by_type())).collect();
        gauge(e, "weka_cluster_capacity_bytes", "Weka cluster capacity in bytes", capacity)?;
        gauge(e, "weka_cluster_obs_buckets_count", "Number of Object Store buckets", each(buckets))
    }
}

#[cfg(test)]
mod tests;
