//! The mapping of a `weka status` reading into `status.stats`, the printer columns and the
//! Prometheus series.

use weka_api::common::{Counters, DriveStats};
use weka_api::wekacluster::{ClusterPrinterColumns, RoleContainerMetrics};

use super::*;
use crate::weka::fs::{Filesystem, ObsBucket};
use crate::weka::status::{
    Activity, Capacity as WekaCapacity, ContainerCounts, ProtectionState, Rebuild,
};

const GIB: i64 = 1 << 30;

fn reading() -> WekaStatus {
    WekaStatus {
        status: "OK".to_string(),
        io_status: "STARTED".to_string(),
        active_alerts_count: 2,
        activity: Activity {
            num_ops: 1500.0,
            num_reads: 1000.0,
            num_writes: 250.0,
            sum_bytes_read: 3.5 * 1024.0 * 1024.0,
            sum_bytes_written: 512.0,
            ..Activity::default()
        },
        capacity: WekaCapacity {
            total_bytes: 100 * GIB,
            unprovisioned_bytes: 40 * GIB,
            unavailable_bytes: 0,
            hot_spare_bytes: 20 * GIB,
        },
        containers: ContainerCounts {
            computes: Counter { active: 5, total: 6 },
            drives: Counter { active: 6, total: 6 },
            ..ContainerCounts::default()
        },
        drives: Counter { active: 11, total: 12 },
        rebuild: Rebuild {
            protection_state: vec![
                ProtectionState { mib: 1000, num_failures: 0, percent: 99.5 },
                ProtectionState { mib: 5, num_failures: 1, percent: 0.5 },
            ],
            ..Rebuild::default()
        },
        hot_spare: 1,
        stripe_data_drives: 3,
        stripe_protection_drives: 2,
        ..WekaStatus::default()
    }
}

fn filesystems() -> CapacityInfo {
    let fs = |name: &str, total: i64, used: i64, ready: bool| Filesystem {
        name: name.to_string(),
        is_ready: ready,
        total_budget: total,
        ssd_budget: total,
        used_total: used,
        used_ssd: used,
        available_ssd: total - used,
        ..Filesystem::default()
    };
    CapacityInfo::from_filesystems(vec![
        fs("default", 10 * GIB, 2 * GIB, true),
        fs(".config_fs", GIB, GIB / 2, true),
        fs("creating", 50 * GIB, 0, false),
    ])
}

const CORES: Cores = Cores { compute: 2, drive: 1 };

/// A status as `UpdateContainersCounters` leaves it: desired and created from the template
/// and the WekaContainers.
fn counted() -> WekaClusterStatus {
    let role = |desired, cores| RoleContainerMetrics {
        num_containers: Some(Counters {
            active: Some(0),
            created: Some(desired),
            desired: Some(desired),
        }),
        processes: Some(Counters {
            active: Some(0),
            created: Some(desired * cores),
            desired: Some(desired * cores),
        }),
        cpu_utilization: None,
    };
    WekaClusterStatus {
        status: WekaClusterStatus::READY.to_string(),
        cluster_id: Some("guid-1".to_string()),
        stats: Some(ClusterMetrics {
            containers: Some(ContainersMetrics {
                compute: Some(role(6, 2)),
                drive: Some(role(6, 1)),
                ..ContainersMetrics::default()
            }),
            drives: Some(DriveStats {
                counters: Some(Counters { active: Some(0), created: Some(12), desired: Some(12) }),
                failures: None,
            }),
            ..ClusterMetrics::default()
        }),
        ..WekaClusterStatus::default()
    }
}

#[test]
fn the_reading_fills_stats_as_upstream_maps_it() {
    let mut status = counted();
    apply(&mut status, &reading(), Some(&filesystems()), CORES);
    let stats = status.stats.clone().unwrap();
    let compute = stats.containers.as_ref().unwrap().compute.clone().unwrap();
    assert_eq!(
        compute.num_containers,
        Some(Counters { active: Some(5), created: Some(6), desired: Some(6) }),
        "active from WEKA, created and desired kept"
    );
    assert_eq!(
        compute.processes,
        Some(Counters { active: Some(10), created: Some(12), desired: Some(12) })
    );
    let drive = stats.containers.as_ref().unwrap().drive.clone().unwrap();
    assert_eq!(drive.processes.unwrap().active, Some(6));
    assert_eq!(
        stats.drives.unwrap().counters,
        Some(Counters { active: Some(11), created: Some(12), desired: Some(12) })
    );
    let io = stats.io_stats.unwrap();
    assert_eq!(io.throughput, Some(StatusThroughput { read: 3_670_016, write: 512 }));
    assert_eq!(io.iops, Some(StatusIops { read: 1000, write: 250, metadata: 250, total: 1500 }));
    assert_eq!(stats.alerts_count, Some(2));
    assert_eq!(stats.cluster_status.as_deref(), Some("OK"));
    let failures = stats.num_failures.unwrap();
    assert_eq!(failures.get("0").map(String::as_str), Some("99.50"));
    assert_eq!(failures.get("1").map(String::as_str), Some("0.50"));
    assert_eq!(
        stats.capacity,
        Some(CapacityMetrics {
            total_bytes: Some(100 * GIB),
            unprovisioned_bytes: Some(40 * GIB),
            unavailable_bytes: Some(0),
            hot_spare_bytes: Some(20 * GIB),
        })
    );
    let fs = stats.filesystem.unwrap();
    assert_eq!(fs.total_provisioned_capacity, Some(11 * GIB), "ready filesystems only");
    assert_eq!(fs.total_used_capacity, Some(2 * GIB + GIB / 2));
    assert_eq!(fs.total_available_capacity, Some(8 * GIB + GIB / 2));
    assert_eq!(fs.has_tiered_filesystems, Some(false));
    assert_eq!(fs.total_obs_capacity, None);
    assert_eq!(stats.last_update, None, "stamped by the step, not here");
}

#[test]
fn the_printer_columns_are_human_readable() {
    let mut status = counted();
    apply(&mut status, &reading(), Some(&filesystems()), CORES);
    let printer = status.printer.unwrap();
    assert_eq!(
        printer,
        ClusterPrinterColumns {
            compute_containers: Some("5/6/6".to_string()),
            drive_containers: Some("6/6/6".to_string()),
            drives: Some("11/12/12".to_string()),
            throughput: Some("3.5MiB/s/512B/s".to_string()),
            iops: Some("1.0K/250/250".to_string()),
            filesystem_capacity: Some("2.5GiB/8.5GiB".to_string()),
            capacity: None,
        }
    );
}

#[test]
fn an_idle_cluster_prints_dashes_and_unknown_filesystems_keep_their_last_values() {
    let mut status = counted();
    apply(&mut status, &reading(), Some(&filesystems()), CORES);
    let mut idle = reading();
    idle.activity = Activity::default();
    idle.rebuild.protection_state.truncate(1);
    apply(&mut status, &idle, None, CORES);
    let printer = status.printer.clone().unwrap();
    assert_eq!(printer.iops.as_deref(), Some("--/--/--"));
    assert_eq!(printer.throughput.as_deref(), Some("--/--"));
    assert_eq!(printer.filesystem_capacity.as_deref(), Some("2.5GiB/8.5GiB"));
    let stats = status.stats.unwrap();
    assert_eq!(stats.filesystem.unwrap().total_used_capacity, Some(2 * GIB + GIB / 2));
    assert_eq!(stats.num_failures.unwrap().len(), 1, "failure levels gone from WEKA are dropped");
}

#[test]
fn a_tiered_filesystem_counts_buckets_and_object_capacity() {
    let mut fs = filesystems();
    let mut tiered = fs.filesystems[0].clone();
    tiered.name = "tiered".to_string();
    tiered.total_budget = 100 * GIB;
    tiered.ssd_budget = 10 * GIB;
    tiered.obs_buckets = vec![
        ObsBucket { name: "b1".to_string(), status: "UP".to_string(), ..ObsBucket::default() },
        ObsBucket { name: "b2".to_string(), status: "DOWN".to_string(), ..ObsBucket::default() },
    ];
    fs.filesystems.push(tiered);
    let fs = CapacityInfo::from_filesystems(fs.filesystems);
    let mut status = counted();
    apply(&mut status, &reading(), Some(&fs), CORES);
    let metrics = status.stats.as_ref().unwrap().filesystem.unwrap();
    assert_eq!(metrics.has_tiered_filesystems, Some(true));
    assert_eq!(metrics.obs_bucket_count, Some(2));
    assert_eq!(metrics.active_obs_bucket_count, Some(1));
    assert_eq!(metrics.total_obs_capacity, Some(90 * GIB));
    let series = series("c1", "ns", &status, &reading());
    assert_eq!(series.buckets, Some(Buckets { total: 2, active: 1 }));
    assert_eq!(series.capacity.fs_obs_total, 90 * GIB);
}

#[test]
fn the_series_carry_the_same_reading() {
    let mut status = counted();
    apply(&mut status, &reading(), Some(&filesystems()), CORES);
    let s = series("c1", "ns", &status, &reading());
    assert_eq!((s.name.as_str(), s.namespace.as_str(), s.guid.as_str()), ("c1", "ns", "guid-1"));
    assert_eq!((s.read_bytes, s.write_bytes), (3_670_016, 512));
    assert_eq!((s.read_iops, s.write_iops, s.metadata_iops), (1000, 250, 250));
    assert_eq!(s.drives, Counts { active: 11, created: 12, desired: 12 });
    assert_eq!(s.compute.containers, Counts { active: 5, created: 6, desired: 6 });
    assert_eq!(s.compute.processes, Counts { active: 10, created: 12, desired: 12 });
    assert_eq!(s.alerts, 2);
    assert_eq!(
        s.health,
        Health {
            weka_status: "OK".to_string(),
            cr_status: "Ready".to_string(),
            stripe_width: 3,
            redundancy_level: 2,
            hot_spare: 1,
        }
    );
    assert_eq!(s.protection, vec![("0".to_string(), 99.5), ("1".to_string(), 0.5)]);
    assert_eq!(s.capacity.total, 100 * GIB);
    assert_eq!(s.capacity.fs_available, 8 * GIB + GIB / 2);
    assert_eq!(s.buckets, None);
}

#[test]
fn counts_weka_reported_win_over_the_ones_counted_from_containers() {
    let mut status = counted();
    apply(&mut status, &reading(), Some(&filesystems()), CORES);
    let previous = status.stats.unwrap();
    // What `UpdateContainersCounters` counts from the WekaContainers a moment later.
    let mut containers = counted().stats.unwrap().containers.unwrap();
    containers.compute.as_mut().unwrap().num_containers.as_mut().unwrap().active = Some(6);
    let mut drives = Counters { active: Some(12), created: Some(12), desired: Some(12) };
    keep_weka_counts(&previous, &mut containers, &mut drives);
    let compute = containers.compute.unwrap();
    assert_eq!(compute.num_containers.unwrap().active, Some(5));
    assert_eq!(compute.num_containers.unwrap().created, Some(6), "created stays counted");
    assert_eq!(compute.processes.unwrap().active, Some(10));
    assert_eq!(drives, Counters { active: Some(11), created: Some(12), desired: Some(12) });
}

#[test]
fn sizes_rates_and_iops_read_like_upstream() {
    assert_eq!(human_size(0), "0B");
    assert_eq!(human_size(512), "512B");
    assert_eq!(human_size(1536), "1.5KiB");
    assert_eq!(human_size(3 * GIB), "3.0GiB");
    assert_eq!(human_size(2 * 1024 * GIB), "2.0TiB");
    assert_eq!(human_throughput(0.5), "--");
    assert_eq!(human_throughput(100.0), "100B/s");
    assert_eq!(human_throughput(2048.0), "2.0KiB/s");
    assert_eq!(human_iops(0.0), "--");
    assert_eq!(human_iops(999.0), "999");
    assert_eq!(human_iops(1500.0), "1.5K");
    assert_eq!(human_iops(2.5e6), "2.5M");
}
