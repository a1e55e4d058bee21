//! The metrics step group (upstream `metrics_steps.go`): the container is registered with
//! its node's agent (which then serves its metrics and JSON-RPC), and the agent's view of its
//! processes, drives and mounts is copied to `status.stats` and the printer columns.
//!
//! Deliberate difference: upstream rewrites `status.stats` on every poll (a status write per
//! container per minute, `lastUpdate` always moving). Here the status changes only when a
//! count changes — processes, drives, active mounts — and `lastUpdate` says when that was;
//! the live figures (CPU, throughput) are on the agent's `/metrics`, which is where a
//! time series belongs, and `status.stats.cpuUtilization` stays empty. An idle cluster
//! therefore makes no writes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use weka_api::common::{Counters, DriveStats};
use weka_api::wekacontainer::{ContainerMode, ContainerStats};

use super::node_agent::{self, Agent};
use super::pod_is_terminating;
use crate::controllers::container::state::{ContainerState, now};
use crate::engine::{StepError, StepFuture};
use crate::node_agent::protocol::{RegisterRequest, ScrapeTarget};
use crate::pod::{has_frontend, uses_drive_sharing};

/// The step's throttle: `METRICS_CONTAINERS_POLLING_RATE`.
pub fn polling_rate(s: &ContainerState) -> Duration {
    s.ctx.config.metrics_collection.containers_polling_rate
}

/// Modes whose stats are polled (upstream's list for `SetStatusMetrics`).
pub fn reports_status_metrics(mode: ContainerMode) -> bool {
    use ContainerMode::*;
    matches!(mode, Compute | Client | S3 | Nfs | Drive)
}

/// Modes registered with the agent (`RegisterContainerOnMetrics`, `Deregister...`).
pub fn registers_on_metrics(mode: ContainerMode) -> bool {
    use ContainerMode::*;
    matches!(mode, Compute | Client | S3 | Nfs | Drive | Envoy | Ssdproxy)
}

fn counters_text(c: &Counters) -> String {
    let n = |v: Option<i64>| v.unwrap_or(0);
    format!("{}/{}/{}", n(c.active), n(c.created), n(c.desired))
}

async fn agent_of(s: &ContainerState) -> Result<Agent, StepError> {
    node_agent::agent(s).await.map_err(|e| node_agent::step_error("NodeAgentUnavailable", e))
}

/// `SetStatusMetrics`: the agent's counts of the container, with what is desired.
pub fn set_status_metrics(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let agent = agent_of(s).await?;
        let timeout = s.ctx.config.metrics_collection.containers_info_timeout;
        let mut stats = agent
            .client
            .container_info(&agent.endpoint, &agent.token, s.uid(), timeout)
            .await
            .map_err(|e| StepError::failed("GetContainerInfoFailed", e))?;
        let desired_processes = s.spec().num_cores as i64 + 1;
        stats.processes.get_or_insert_with(Counters::default).desired = Some(desired_processes);
        if s.mode() == ContainerMode::Drive {
            let desired = if uses_drive_sharing(&s.container) {
                let allocations = s.status().allocations.clone().unwrap_or_default();
                allocations.virtual_drives.map(|v| v.len() as i64).unwrap_or(0)
            } else {
                s.spec().num_drives.map(|n| n as i64).unwrap_or(0)
            };
            let drives = stats.drives.get_or_insert_with(DriveStats::default);
            drives.counters.get_or_insert_with(Counters::default).desired = Some(desired);
        }
        if has_frontend(&s.container) {
            match node_agent::active_mounts(s).await {
                Ok(mounts) => stats.active_mounts = Some(mounts),
                Err(err) => return Err(StepError::failed("GetActiveMountsFailed", err)),
            }
        }
        apply_stats(s, stats);
        Ok(())
    })
}

/// Writes `stats` (in memory) unless only the live figures moved. The CPU figure is left
/// out: written only when a count changes it would be stale, and written on every poll it
/// would be a status write per container per minute.
fn apply_stats(s: &mut ContainerState, mut stats: ContainerStats) {
    stats.cpu_utilization = None;
    let previous = s.status().stats.clone();
    let comparable = |st: &ContainerStats| (st.processes, st.drives.clone(), st.active_mounts);
    if previous.as_ref().is_some_and(|p| comparable(p) == comparable(&stats)) {
        return;
    }
    stats.last_update = Some(now());
    let status = s.status_mut();
    let printer = status.printer.get_or_insert_with(Default::default);
    if let Some(processes) = &stats.processes {
        printer.processes = Some(counters_text(processes));
    }
    if let Some(counters) = stats.drives.as_ref().and_then(|d| d.counters.as_ref()) {
        printer.drives = Some(counters_text(counters));
    }
    if let Some(mounts) = stats.active_mounts {
        printer.active_mounts = Some(mounts.to_string());
    }
    status.stats = Some(stats);
}

/// A Kubernetes time as chrono's.
fn chrono_time(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> DateTime<Utc> {
    let nanos = u32::try_from(t.0.subsec_nanosecond()).unwrap_or(0);
    DateTime::from_timestamp(t.0.as_second(), nanos).unwrap_or_else(Utc::now)
}

/// The pod's phase as the agent is told it (`Terminating` while deleted), and since when.
fn pod_status(pod: Option<&Pod>) -> (&'static str, DateTime<Utc>) {
    let Some(pod) = pod else { return ("Unknown", Utc::now()) };
    let created =
        pod.metadata.creation_timestamp.as_ref().map(chrono_time).unwrap_or_else(Utc::now);
    if pod_is_terminating(pod) {
        let deleted = pod.metadata.deletion_timestamp.as_ref().map(chrono_time).unwrap_or(created);
        let grace = pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds).unwrap_or(0);
        // The deletionTimestamp is the end of the grace period; the termination began earlier.
        return ("Terminating", deleted - chrono::Duration::seconds(grace.max(0)));
    }
    let status = pod.status.as_ref();
    let since = |kind: &str| {
        status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == kind && c.status == "True"))
            .and_then(|c| c.last_transition_time.as_ref())
            .map(chrono_time)
    };
    match status.and_then(|s| s.phase.as_deref()) {
        Some("Running") => {
            ("Running", since("Ready").or_else(|| since("ContainersReady")).unwrap_or(created))
        }
        Some("Pending") => ("Pending", since("PodScheduled").unwrap_or(created)),
        Some("Succeeded") => ("Succeeded", created),
        Some("Failed") => ("Failed", created),
        _ => ("Unknown", created),
    }
}

/// The throttle slot of a registration: one per pod status, so a change of status registers
/// again at once.
fn register_slot(status: &str) -> &'static str {
    match status {
        "Running" => "RegisterContainerOnMetrics/Running",
        "Pending" => "RegisterContainerOnMetrics/Pending",
        "Terminating" => "RegisterContainerOnMetrics/Terminating",
        "Succeeded" => "RegisterContainerOnMetrics/Succeeded",
        "Failed" => "RegisterContainerOnMetrics/Failed",
        _ => "RegisterContainerOnMetrics/Unknown",
    }
}

/// `RegisterContainerOnMetrics`: tells the node's agent about the container (its local
/// socket name, labels, mode, the envoy admin port to scrape) at most once per polling
/// interval and pod status.
pub fn register_container_on_metrics(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let (pod_status, since) = pod_status(s.pod.as_deref());
        let slot = register_slot(pod_status);
        let key = s.uid().to_string();
        let interval = polling_rate(s);
        if !s.shared.throttler.due(&key, slot, interval, std::time::Instant::now()) {
            return Ok(());
        }
        let scrape_targets = match s.mode() {
            ContainerMode::Envoy => s
                .spec()
                .exposed_ports
                .iter()
                .flatten()
                .filter(|p| p.name.as_deref() == Some("envoy-admin"))
                .map(|p| ScrapeTarget {
                    port: i64::from(p.container_port),
                    path: "/stats/prometheus".to_string(),
                    endpoint: String::new(),
                    app_name: "weka_s3_envoy".to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let request = RegisterRequest {
            container_name: s.name().to_string(),
            container_id: key.clone(),
            weka_container_name: s.spec().name.clone(),
            labels: s.container.metadata.labels.clone().unwrap_or_default(),
            mode: s.mode().as_str().to_string(),
            scrape_targets,
            pod_status: pod_status.to_string(),
            pod_status_start_time: since,
            feature_flags: None,
        };
        let agent = agent_of(s).await?;
        let timeout = s.ctx.config.metrics_collection.containers_register_timeout;
        agent
            .client
            .register(&agent.endpoint, &agent.token, &request, timeout)
            .await
            .map_err(|e| StepError::failed("RegisterOnMetricsFailed", e))?;
        s.shared.throttler.ran(&key, slot, std::time::Instant::now());
        Ok(())
    })
}

/// `DeregisterContainerFromMetrics`: the agent forgets the container. An agent that is not
/// there has nothing to forget.
pub fn deregister_container_from_metrics(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let agent = match node_agent::agent(s).await {
            Ok(agent) => agent,
            Err(crate::node_agent_client::AgentError::PodNotFound { .. }) => {
                return Ok(());
            }
            Err(err) => return Err(node_agent::step_error("NodeAgentUnavailable", err)),
        };
        let timeout = s.ctx.config.metrics_collection.containers_register_timeout;
        agent
            .client
            .deregister(&agent.endpoint, &agent.token, s.uid(), timeout)
            .await
            .map_err(|e| StepError::failed("DeregisterFromMetricsFailed", e))
    })
}
