//! Rendering of the per-cluster series: names, labels, values, removal.

use super::*;
use crate::metrics::Metrics;

fn series(name: &str) -> ClusterSeries {
    ClusterSeries {
        name: name.to_string(),
        namespace: "weka".to_string(),
        guid: "8c1d2f3e-0000-4000-8000-000000000001".to_string(),
        read_bytes: 1_048_576,
        write_bytes: 524_288,
        read_iops: 300,
        write_iops: 120,
        metadata_iops: 45,
        drives: Counts { active: 5, created: 6, desired: 6 },
        compute: RoleCounts {
            containers: Counts { active: 5, created: 5, desired: 6 },
            processes: Counts { active: 10, created: 10, desired: 12 },
        },
        drive: RoleCounts {
            containers: Counts { active: 6, created: 6, desired: 6 },
            processes: Counts { active: 6, created: 6, desired: 6 },
        },
        alerts: 3,
        health: Health {
            weka_status: "REBUILDING".to_string(),
            cr_status: "Ready".to_string(),
            stripe_width: 3,
            redundancy_level: 2,
            hot_spare: 1,
        },
        protection: vec![("0".to_string(), 97.5), ("1".to_string(), 2.5)],
        capacity: Capacity {
            total: 1000,
            unprovisioned: 400,
            unavailable: 0,
            hot_spare: 200,
            fs_total: 600,
            fs_used: 100,
            fs_available: 500,
            fs_ssd_total: 600,
            fs_ssd_used: 100,
            fs_ssd_available: 500,
            fs_obs_total: 0,
        },
        buckets: None,
    }
}

const LABELS: &str =
    r#"cluster_name="c1",namespace="weka",cluster_guid="8c1d2f3e-0000-4000-8000-000000000001""#;

/// The labels of `weka_cluster_status` after the WEKA status.
const LAYOUT: &str = r#"cr_status="Ready",stripe_width="3",redundancy_level="2",hot_spare="1""#;

fn line(name: &str, own: &str, value: &str) -> String {
    let sep = if own.is_empty() { "" } else { "," };
    format!("{name}{{{LABELS}{sep}{own}}} {value}\n")
}

#[test]
fn every_series_carries_the_cluster_labels_and_its_value() {
    let m = Metrics::new();
    m.weka_clusters.set(series("c1"));
    let text = m.encode();
    let expected = [
        line("weka_cluster_throughput_bytes_per_second", r#"type="read""#, "1048576"),
        line("weka_cluster_throughput_bytes_per_second", r#"type="write""#, "524288"),
        line("weka_throughput_bytes_per_second", r#"type="read""#, "1048576"),
        line("weka_cluster_iops", r#"type="read""#, "300"),
        line("weka_cluster_iops", r#"type="write""#, "120"),
        line("weka_cluster_iops", r#"type="metadata""#, "45"),
        line("weka_iops", r#"type="metadata""#, "45"),
        line("weka_cluster_drives_count", r#"status="desired""#, "6"),
        line("weka_cluster_drives_count", r#"status="active""#, "5"),
        line("weka_cluster_drives_count", r#"status="created""#, "6"),
        line("weka_cluster_processes_count", r#"type="compute",status="active""#, "10"),
        line("weka_cluster_processes_count", r#"type="compute",status="desired""#, "12"),
        line("weka_cluster_processes_count", r#"type="drive",status="created""#, "6"),
        line("weka_cluster_containers_count", r#"type="compute",status="active""#, "5"),
        line("weka_cluster_containers_count", r#"type="compute",status="desired""#, "6"),
        line("weka_cluster_containers_count", r#"type="drive",status="active""#, "6"),
        line("weka_cluster_alerts_count", "", "3"),
        line("weka_cluster_status", &format!(r#"status="REBUILDING",{LAYOUT}"#), "1"),
        line("weka_cluster_protection_level", r#"num_failures="0""#, "97.5"),
        line("weka_cluster_protection_level", r#"num_failures="1""#, "2.5"),
        line("weka_cluster_capacity_bytes", r#"type="total""#, "1000"),
        line("weka_cluster_capacity_bytes", r#"type="hotSpare""#, "200"),
        line("weka_cluster_capacity_bytes", r#"type="fs_used""#, "100"),
        line("weka_cluster_capacity_bytes", r#"type="fs_ssd_available""#, "500"),
        line("weka_cluster_capacity_bytes", r#"type="fs_obs_total""#, "0"),
    ];
    for want in &expected {
        assert!(text.contains(want.as_str()), "missing {want:?} in\n{text}");
    }
    assert!(text.contains("# TYPE weka_cluster_containers_count gauge\n"), "{text}");
    assert!(!text.contains("weka_cluster_obs_buckets_count"), "no tiering, no buckets:\n{text}");
    let capacity_types = text.lines().filter(|l| l.starts_with("weka_cluster_capacity_bytes{"));
    assert_eq!(capacity_types.count(), 11);
}

#[test]
fn a_cluster_that_is_not_serving_reports_zero_and_buckets_only_when_tiered() {
    let m = Metrics::new();
    let mut s = series("c1");
    s.health.weka_status = "UNINITIALIZED".to_string();
    s.buckets = Some(Buckets { total: 4, active: 3 });
    m.weka_clusters.set(s);
    let text = m.encode();
    let status = line("weka_cluster_status", &format!(r#"status="UNINITIALIZED",{LAYOUT}"#), "0");
    assert!(text.contains(&status), "{text}");
    assert!(text.contains(&line("weka_cluster_obs_buckets_count", r#"status="total""#, "4")));
    assert!(text.contains(&line("weka_cluster_obs_buckets_count", r#"status="active""#, "3")));
}

#[test]
fn a_new_reading_replaces_the_old_series_and_a_removed_cluster_leaves_none() {
    let m = Metrics::new();
    m.weka_clusters.set(series("c1"));
    let mut other = series("c2");
    other.guid = "other".to_string();
    m.weka_clusters.set(other);
    let mut changed = series("c1");
    changed.health.weka_status = "OK".to_string();
    m.weka_clusters.set(changed);
    let text = m.encode();
    let c1_status: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("weka_cluster_status{") && l.contains(r#"cluster_name="c1""#))
        .collect();
    assert_eq!(c1_status.len(), 1, "one status series per cluster:\n{text}");
    assert!(c1_status[0].contains(r#"status="OK""#), "{}", c1_status[0]);
    assert_eq!(text.matches("# TYPE weka_cluster_alerts_count gauge").count(), 1);
    assert_eq!(text.lines().filter(|l| l.starts_with("weka_cluster_alerts_count{")).count(), 2);

    assert!(m.weka_clusters.remove("weka", "c1"));
    assert!(!m.weka_clusters.remove("weka", "c1"));
    let text = m.encode();
    assert!(!text.contains(r#"cluster_name="c1""#), "{text}");
    assert!(text.contains(r#"cluster_name="c2""#), "{text}");
    assert!(m.weka_clusters.remove("weka", "c2"));
    assert!(!m.encode().contains("weka_cluster_"), "no clusters, no WEKA families");
}
