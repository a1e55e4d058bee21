//! What `weka status --json` (and the filesystems of `weka fs --json`) say about a cluster, as
//! `status.stats`, the printer columns `iops`, `throughput` and `filesystemCapacity`
//! (upstream `UpdateWekaStatusMetrics`, spec `wekacluster.md` §5.3), and as the cluster's
//! Prometheus series ([`crate::metrics::weka_clusters`]). Pure functions of the readings.

use std::collections::BTreeMap;

use weka_api::WekaClusterStatus;
use weka_api::common::Counters;
use weka_api::wekacluster::{
    CapacityMetrics, ClusterMetrics, ContainersMetrics, FilesystemMetrics, IoStats,
    RoleContainerMetrics, StatusIops, StatusThroughput,
};

use crate::metrics::weka_clusters::{Buckets, Capacity, ClusterSeries, Counts, Health, RoleCounts};
use crate::weka::fs::CapacityInfo;
use crate::weka::status::{Counter, WekaStatus};

/// WEKA processes per container of each role (the template's cores, at least one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cores {
    pub compute: i64,
    pub drive: i64,
}

/// Writes the reading into `status.stats` and the printer columns. `capacity` is `None` when
/// the filesystems could not be read: the filesystem figures keep their last values then, as
/// they do when WEKA lists no filesystem. `stats.lastUpdate` is left to the caller.
pub fn apply(
    status: &mut WekaClusterStatus,
    weka: &WekaStatus,
    capacity: Option<&CapacityInfo>,
    cores: Cores,
) {
    let stats = status.stats.get_or_insert_with(ClusterMetrics::default);
    let containers = stats.containers.get_or_insert_with(ContainersMetrics::default);
    set_role(&mut containers.compute, weka.containers.computes, cores.compute);
    set_role(&mut containers.drive, weka.containers.drives, cores.drive);
    let drives = stats.drives.get_or_insert_with(Default::default);
    let counters = drives.counters.get_or_insert_with(Counters::default);
    counters.active = Some(weka.drives.active);
    counters.created = Some(weka.drives.total);

    let activity = &weka.activity;
    let metadata = (activity.num_ops - activity.num_reads - activity.num_writes).max(0.0);
    stats.io_stats = Some(IoStats {
        throughput: Some(StatusThroughput {
            read: activity.sum_bytes_read as i64,
            write: activity.sum_bytes_written as i64,
        }),
        iops: Some(StatusIops {
            read: activity.num_reads as i64,
            write: activity.num_writes as i64,
            metadata: metadata as i64,
            total: activity.num_ops as i64,
        }),
    });
    stats.alerts_count = Some(weka.active_alerts_count);
    stats.cluster_status = Some(weka.status.clone());
    // Rebuilt each time: a failure level WEKA no longer lists must go.
    let failures: BTreeMap<String, String> = weka
        .rebuild
        .protection_state
        .iter()
        .map(|p| (p.num_failures.to_string(), float_metric(p.percent)))
        .collect();
    stats.num_failures = Some(failures);
    stats.capacity = Some(CapacityMetrics {
        total_bytes: Some(weka.capacity.total_bytes),
        unprovisioned_bytes: Some(weka.capacity.unprovisioned_bytes),
        unavailable_bytes: Some(weka.capacity.unavailable_bytes),
        hot_spare_bytes: Some(weka.capacity.hot_spare_bytes),
    });
    let filesystems = capacity.filter(|c| !c.filesystems.is_empty());
    if let Some(fs) = filesystems {
        stats.filesystem = Some(filesystem_metrics(fs));
    }

    let printer = status.printer.get_or_insert_with(Default::default);
    printer.throughput = Some(format!(
        "{}/{}",
        human_throughput(activity.sum_bytes_read),
        human_throughput(activity.sum_bytes_written)
    ));
    printer.iops = Some(format!(
        "{}/{}/{}",
        human_iops(activity.num_reads),
        human_iops(activity.num_writes),
        human_iops(metadata)
    ));
    if let Some(fs) = filesystems {
        printer.filesystem_capacity =
            Some(format!("{}/{}", human_size(fs.total_used), human_size(fs.total_available)));
    }
    // The counter columns follow the counts just read, as `UpdateContainersCounters` renders
    // them.
    let column = |role: &Option<RoleContainerMetrics>| {
        role.as_ref().and_then(|r| r.num_containers).map(|c| counters_column(&c))
    };
    if let Some(containers) = &stats.containers {
        printer.compute_containers = column(&containers.compute);
        printer.drive_containers = column(&containers.drive);
    }
    printer.drives = Some(counters_column(counters));
}

/// Active and created containers and processes of a role, as WEKA counts them; desired stays
/// as the template says (`UpdateContainersCounters`).
fn set_role(role: &mut Option<RoleContainerMetrics>, weka: Counter, cores: i64) {
    let role = role.get_or_insert_with(RoleContainerMetrics::default);
    let containers = role.num_containers.get_or_insert_with(Counters::default);
    containers.active = Some(weka.active);
    let processes = role.processes.get_or_insert_with(Counters::default);
    processes.active = Some(weka.active * cores);
    processes.created = Some(weka.total * cores);
}

fn filesystem_metrics(fs: &CapacityInfo) -> FilesystemMetrics {
    FilesystemMetrics {
        total_provisioned_capacity: Some(fs.total_provisioned),
        total_used_capacity: Some(fs.total_used),
        total_available_capacity: Some(fs.total_available),
        total_provisioned_ssd_capacity: Some(fs.total_provisioned_ssd),
        total_used_ssd_capacity: Some(fs.total_used_ssd),
        total_available_ssd_capacity: Some(fs.total_available_ssd),
        has_tiered_filesystems: Some(fs.has_tiered_filesystems),
        total_obs_capacity: (fs.has_tiered_filesystems && fs.total_obs > 0).then_some(fs.total_obs),
        obs_bucket_count: Some(fs.obs_bucket_count),
        active_obs_bucket_count: Some(fs.active_obs_bucket_count),
    }
}

/// The counts `weka status` owns once read: active containers, active and created processes
/// (compute and drive), active and created drives. While the cluster is polled they are kept
/// from `previous` over the ones counted from the WekaContainers, so that the two steps
/// writing counters do not undo each other's values on every reconcile.
pub fn keep_weka_counts(
    previous: &ClusterMetrics,
    containers: &mut ContainersMetrics,
    drives: &mut Counters,
) {
    let before = previous.containers.as_ref();
    let keep = |now: &mut Option<RoleContainerMetrics>, then: Option<&RoleContainerMetrics>| {
        let (Some(now), Some(then)) = (now.as_mut(), then) else { return };
        if let (Some(n), Some(t)) = (now.num_containers.as_mut(), then.num_containers) {
            n.active = t.active.or(n.active);
        }
        if let (Some(n), Some(t)) = (now.processes.as_mut(), then.processes) {
            n.active = t.active.or(n.active);
            n.created = t.created.or(n.created);
        }
    };
    keep(&mut containers.compute, before.and_then(|c| c.compute.as_ref()));
    keep(&mut containers.drive, before.and_then(|c| c.drive.as_ref()));
    if let Some(then) = previous.drives.as_ref().and_then(|d| d.counters) {
        drives.active = then.active.or(drives.active);
        drives.created = then.created.or(drives.created);
    }
}

/// The cluster's Prometheus series: `status.stats` (after [`apply`]), `status.status`, the
/// GUID, and the stripe and hot-spare layout of the same reading.
pub fn series(
    name: &str,
    namespace: &str,
    status: &WekaClusterStatus,
    weka: &WekaStatus,
) -> ClusterSeries {
    let stats = status.stats.clone().unwrap_or_default();
    let io = stats.io_stats.unwrap_or_default();
    let throughput = io.throughput.unwrap_or_default();
    let iops = io.iops.unwrap_or_default();
    let roles = stats.containers.unwrap_or_default();
    let role = |r: Option<RoleContainerMetrics>| {
        let r = r.unwrap_or_default();
        RoleCounts { containers: counts(r.num_containers), processes: counts(r.processes) }
    };
    let raw = stats.capacity.unwrap_or_default();
    let fs = stats.filesystem.unwrap_or_default();
    let tiered = fs.has_tiered_filesystems == Some(true);
    ClusterSeries {
        name: name.to_string(),
        namespace: namespace.to_string(),
        guid: status.cluster_id.clone().unwrap_or_default(),
        read_bytes: throughput.read,
        write_bytes: throughput.write,
        read_iops: iops.read,
        write_iops: iops.write,
        metadata_iops: iops.metadata,
        drives: counts(stats.drives.and_then(|d| d.counters)),
        compute: role(roles.compute),
        drive: role(roles.drive),
        alerts: stats.alerts_count.unwrap_or(0),
        health: Health {
            weka_status: stats.cluster_status.unwrap_or_default(),
            cr_status: status.status.clone(),
            stripe_width: weka.stripe_data_drives,
            redundancy_level: weka.stripe_protection_drives,
            hot_spare: weka.hot_spare,
        },
        protection: weka
            .rebuild
            .protection_state
            .iter()
            .map(|p| (p.num_failures.to_string(), p.percent))
            .collect(),
        capacity: Capacity {
            total: raw.total_bytes.unwrap_or(0),
            unprovisioned: raw.unprovisioned_bytes.unwrap_or(0),
            unavailable: raw.unavailable_bytes.unwrap_or(0),
            hot_spare: raw.hot_spare_bytes.unwrap_or(0),
            fs_total: fs.total_provisioned_capacity.unwrap_or(0),
            fs_used: fs.total_used_capacity.unwrap_or(0),
            fs_available: fs.total_available_capacity.unwrap_or(0),
            fs_ssd_total: fs.total_provisioned_ssd_capacity.unwrap_or(0),
            fs_ssd_used: fs.total_used_ssd_capacity.unwrap_or(0),
            fs_ssd_available: fs.total_available_ssd_capacity.unwrap_or(0),
            fs_obs_total: fs.total_obs_capacity.unwrap_or(0),
        },
        buckets: tiered.then(|| Buckets {
            total: fs.obs_bucket_count.unwrap_or(0),
            active: fs.active_obs_bucket_count.unwrap_or(0),
        }),
    }
}

fn counts(c: Option<Counters>) -> Counts {
    let c = c.unwrap_or_default();
    Counts {
        active: c.active.unwrap_or(0),
        created: c.created.unwrap_or(0),
        desired: c.desired.unwrap_or(0),
    }
}

/// `active/created/desired` (the container and drive printer columns).
pub fn counters_column(c: &Counters) -> String {
    format!("{}/{}/{}", c.active.unwrap_or(0), c.created.unwrap_or(0), c.desired.unwrap_or(0))
}

/// A percentage as upstream's float metrics print it (two decimals).
fn float_metric(value: f64) -> String {
    format!("{value:.2}")
}

const KIB: f64 = 1024.0;
const BINARY_UNITS: [(&str, f64); 4] =
    [("TiB", KIB * KIB * KIB * KIB), ("GiB", KIB * KIB * KIB), ("MiB", KIB * KIB), ("KiB", KIB)];

/// Bytes in the largest binary unit they reach, one decimal: `1.5GiB`, `512B`, `0B`.
pub fn human_size(bytes: i64) -> String {
    let magnitude = bytes.unsigned_abs() as f64;
    match BINARY_UNITS.iter().find(|(_, size)| magnitude >= *size) {
        Some((unit, size)) => format!("{:.1}{unit}", bytes as f64 / size),
        None => format!("{bytes}B"),
    }
}

/// Bytes per second like [`human_size`] with `/s`; under one byte per second is `--`.
pub fn human_throughput(bytes_per_second: f64) -> String {
    match BINARY_UNITS.iter().find(|(_, size)| bytes_per_second >= *size) {
        Some((unit, size)) => format!("{:.1}{unit}/s", bytes_per_second / size),
        None if bytes_per_second < 1.0 => "--".to_string(),
        None => format!("{bytes_per_second:.0}B/s"),
    }
}

/// Operations per second in decimal units (`K`, `M`, `G`, `T`); under one is `--`.
pub fn human_iops(iops: f64) -> String {
    const UNITS: [(&str, f64); 4] = [("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)];
    match UNITS.iter().find(|(_, size)| iops >= *size) {
        Some((unit, size)) => format!("{:.1}{unit}", iops / size),
        None if iops < 1.0 => "--".to_string(),
        None => format!("{iops:.0}"),
    }
}

#[cfg(test)]
mod tests;
