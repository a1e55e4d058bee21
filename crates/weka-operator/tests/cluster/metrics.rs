//! WEKA-level metrics of a Ready cluster: `weka status` read into `status.stats` and the
//! printer columns (also as `kubectl get -o wide` shows them), and the same reading on the
//! operator's own `/metrics` with the cluster's labels, gone once the cluster is deleted.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use weka_api::WekaCluster;

use crate::support::*;

/// A plain HTTP/1.1 GET of `path`: the body, when the answer is 200.
async fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

fn read_from_weka(c: &WekaCluster) -> bool {
    let Some(status) = c.status.as_ref() else { return false };
    let printer = status.printer.clone().unwrap_or_default();
    let reads = |s: &weka_api::wekacluster::ClusterMetrics| {
        s.io_stats.as_ref().and_then(|io| io.iops.as_ref()).is_some_and(|iops| iops.read > 0)
    };
    status.stats.as_ref().is_some_and(|s| s.last_update.is_some() && reads(s))
        && printer.iops.is_some()
        && printer.throughput.is_some()
        && printer.filesystem_capacity.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_cluster_reports_weka_status_in_its_stats_and_on_the_operators_metrics() {
    let mut env = Env::new().await;
    env.args = vec![
        "--metrics-bind-address=127.0.0.1:0".to_string(),
        "--metrics-clusters-polling-rate=1s".to_string(),
    ];
    env.add_backends(0, 5).await;
    env.start_operator().await;
    env.create_cluster(small_cluster("gauges", 5, 5, json!({"hotSpare": 1}))).await;
    env.kubectl_wait_ready("gauges", Duration::from_secs(120)).await;
    // Nothing mounts a simulated cluster: without a workload it shows no IO.
    let formed = env
        .wait_cluster("gauges", "the WEKA cluster GUID", TIMEOUT, |c| {
            c.status.as_ref().is_some_and(|s| s.cluster_id.is_some())
        })
        .await;
    let guid = formed.status.and_then(|s| s.cluster_id).expect("the WEKA cluster GUID");
    env.runtime.with_faults(|f| f.run_workload(&guid, true)).expect("the WEKA cluster");
    let cluster = env
        .wait_cluster("gauges", "status.stats read from weka status", TIMEOUT, read_from_weka)
        .await;

    // status.stats: what WEKA reports.
    let status = cluster.status.clone().unwrap();
    let total_bytes = env
        .runtime
        .with_world(|w| w.cluster(&guid).expect("the WEKA cluster").capacity().total_bytes as i64);
    let stats = status.stats.clone().unwrap();
    assert_eq!(stats.cluster_status.as_deref(), Some("OK"));
    assert_eq!(stats.capacity.and_then(|c| c.total_bytes), Some(total_bytes));
    assert_eq!(stats.alerts_count, Some(0));
    let containers = stats.containers.clone().unwrap();
    let compute = containers.compute.unwrap().num_containers.unwrap();
    assert_eq!((compute.active, compute.desired), (Some(5), Some(5)));
    assert_eq!(stats.drives.unwrap().counters.unwrap().active, Some(5));
    let iops = stats.io_stats.and_then(|io| io.iops).expect("IOPS");
    assert!(iops.read > 0 && iops.total >= iops.read + iops.write, "{iops:?}");
    let fs = stats.filesystem.expect("the default filesystems' capacity");
    assert!(fs.total_provisioned_capacity.unwrap_or(0) > 0, "{fs:?}");
    assert!(stats.num_failures.is_some_and(|f| !f.is_empty()));

    // The printer columns, as kubectl shows them.
    let printer = status.printer.clone().unwrap();
    let (iops, throughput) = (printer.iops.unwrap(), printer.throughput.unwrap());
    assert_eq!(iops.split('/').count(), 3, "R/W/M: {iops}");
    assert_eq!(throughput.split('/').filter(|p| *p != "s").count(), 2, "R/W: {throughput}");
    assert!(printer.filesystem_capacity.as_deref().is_some_and(|c| c.contains("B/")));
    let out = env.kubectl(&["get", "-n", NS, "wekacluster", "gauges", "-o", "wide"]).await;
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for column in ["IOPS(R/W/M)", "THRPT(R/W)", "FS(CAPACITY)"] {
        assert!(table.contains(column), "{column} missing:\n{table}");
    }
    let row = table.lines().find(|l| l.starts_with("gauges")).expect("the cluster's row");
    assert!(!row.contains("<none>"), "every column filled:\n{table}");

    // The same reading on the operator's /metrics, with the cluster's labels.
    let addr = env.metrics_addr().expect("the operator serves /metrics");
    let labels = format!(r#"cluster_name="gauges",namespace="{NS}",cluster_guid="{guid}""#);
    let series = |name: &str, own: &str| format!("{name}{{{labels},{own}}}");
    let wanted = [
        format!(
            "{} 5",
            series("weka_cluster_containers_count", r#"type="compute",status="active""#)
        ),
        format!(
            "{} 5",
            series("weka_cluster_containers_count", r#"type="drive",status="desired""#)
        ),
        format!("{} 5", series("weka_cluster_drives_count", r#"status="active""#)),
        format!("{} 5", series("weka_cluster_processes_count", r#"type="drive",status="active""#)),
        format!("weka_cluster_alerts_count{{{labels}}} 0"),
        format!("{} {total_bytes}", series("weka_cluster_capacity_bytes", r#"type="total""#)),
        series("weka_cluster_iops", r#"type="read""#),
        series("weka_cluster_throughput_bytes_per_second", r#"type="write""#),
        format!(r#"weka_cluster_status{{{labels},status="OK",cr_status="Ready","#),
        series("weka_cluster_protection_level", r#"num_failures="0""#),
    ];
    let text = env
        .wait_for("the cluster's WEKA series on /metrics", || async {
            let text = http_get(addr, "/metrics").await?;
            wanted.iter().all(|w| text.contains(w.as_str())).then_some(text)
        })
        .await;
    let status_line = text.lines().find(|l| l.starts_with("weka_cluster_status{")).unwrap();
    assert!(status_line.ends_with(" 1"), "{status_line}");
    assert!(status_line.contains(r#"hot_spare="1""#), "{status_line}");

    // Deleted: its series leave /metrics.
    env.delete_cluster("gauges").await;
    env.wait_for("the deleted cluster's series gone from /metrics", || async {
        let text = http_get(addr, "/metrics").await?;
        (!text.contains(r#"cluster_name="gauges""#)).then_some(())
    })
    .await;
    env.finish();
}
