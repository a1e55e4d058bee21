//! Polling a registered container's local API and turning the answers into the
//! `container_metrics` of `/getContainerInfo` (upstream `fetchAndPopulateMetrics` and
//! `getContainerInfo`).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Map;
use tokio::time::Instant;
use weka_api::common::{Counters, DriveFailure, DriveStats};

use super::host::{HostError, NodeHost};
use super::protocol::{LocalConfigSummary, LocalCpuUtilization, WekaContainerMetrics, methods};
use super::registry::{Polled, Registered};

/// Modes whose containers have no WEKA management process to ask (only scrape targets).
const NO_LOCAL_API: &[&str] = &["envoy"];
/// The status a drive counts as up with.
const DRIVE_ACTIVE: &str = "ACTIVE";

/// What one poll learnt; `error` is the config summary's failure, which decides the answer
/// of `/getContainerInfo` (the CPU call failing only leaves CPU unknown).
pub struct Poll {
    pub polled: Polled,
    pub error: Option<HostError>,
}

async fn call<T: DeserializeOwned>(
    host: &dyn NodeHost,
    entry: &Registered,
    method: &str,
) -> Result<T, HostError> {
    let value = host.local_rpc(&entry.target(), method, Map::new()).await?;
    serde_json::from_value(value).map_err(|e| HostError::Parse(format!("{method}: {e}")))
}

/// Asks the container for its config summary and CPU, keeping what was known when an answer
/// is missing or stale (a summary with `has_lease: false`).
pub async fn poll(host: &dyn NodeHost, entry: &Registered) -> Poll {
    let mut polled = entry.polled.clone();
    if NO_LOCAL_API.contains(&entry.request.mode.as_str()) {
        return Poll { polled, error: None };
    }
    let name = entry.request.container_name.as_str();
    let mut error = None;
    match call::<LocalConfigSummary>(host, entry, methods::GET_LOCAL_CONFIG_SUMMARY).await {
        Ok(summary) if summary.has_lease != Some(false) => {
            polled.summary = Some((summary, Instant::now()));
        }
        Ok(_) => tracing::debug!(container_name = name, "config summary without lease ignored"),
        Err(e) => {
            tracing::warn!(container_name = name, error = %e, "cannot read the config summary");
            error = Some(e);
        }
    }
    if error.as_ref().is_some_and(HostError::is_not_found) {
        return Poll { polled, error };
    }
    match call::<BTreeMap<String, LocalCpuUtilization>>(
        host,
        entry,
        methods::FETCH_LOCAL_REALTIME_CPU_USAGE,
    )
    .await
    {
        Ok(cpu) => polled.cpu = Some((cpu, Instant::now())),
        Err(e) => tracing::warn!(container_name = name, error = %e, "cannot read CPU usage"),
    }
    Poll { polled, error }
}

/// The highest CPU percentage among the container's processes (0 when unknown).
pub fn max_cpu(polled: &Polled) -> f64 {
    polled.cpu.iter().flat_map(|(cpu, _)| cpu.values()).filter_map(|c| c.value).fold(0.0, f64::max)
}

/// `container_metrics` from what was polled: processes up/total, the highest CPU, and for
/// drive containers the drives (ACTIVE ones count as up, the others are listed as failures).
pub fn metrics(entry: &Registered) -> WekaContainerMetrics {
    let summary = entry.polled.summary.as_ref().map(|(s, _)| s.clone()).unwrap_or_default();
    let total = summary.processes_summary.total;
    let mut metrics = WekaContainerMetrics {
        processes: Some(Counters {
            active: Some(total.up),
            created: Some(total.total),
            desired: None,
        }),
        cpu_utilization: Some(format!("{:.2}", max_cpu(&entry.polled))),
        ..Default::default()
    };
    if entry.request.mode == "drive" {
        let disks = &summary.disks_summary;
        let failures: Vec<DriveFailure> = disks
            .iter()
            .filter(|d| d.status != DRIVE_ACTIVE)
            .map(|d| DriveFailure {
                serial_id: Some(d.serial_number.clone()),
                weka_drive_id: Some(d.uid.clone()),
            })
            .collect();
        let active = disks.len() - failures.len();
        metrics.drives = Some(DriveStats {
            counters: Some(Counters {
                active: Some(active as i64),
                created: Some(disks.len() as i64),
                desired: None,
            }),
            failures: Some(failures),
        });
    }
    metrics
}
