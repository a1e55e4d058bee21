//! What the cluster shows of its containers without asking WEKA: the printer columns and
//! container counters (upstream `UpdateContainersCounters`; the counts `weka status` reports
//! are kept from its last reading while it is polled, see `metrics.rs`), and, ours, pods the
//! scheduler cannot place (condition `PodsScheduled` and a Warning event, so that a cluster
//! waiting for nodes says why).

use kube::ResourceExt;
use kube::runtime::events::EventType;
use weka_api::WekaContainer;
use weka_api::common::Counters;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::labels;
use weka_api::wekacluster::{ClusterPrinterColumns, ContainersMetrics, RoleContainerMetrics};
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use super::metrics;
use crate::controllers::cluster::state::ClusterState;
use crate::controllers::cluster::weka_stats::{self, counters_column};
use crate::engine::StepFuture;
use crate::pod::uses_drive_sharing;
use crate::runtime::CachedPod;

/// Condition type (ours): every pod of the cluster's containers is scheduled.
pub const PODS_SCHEDULED: &str = "PodsScheduled";

/// `ReportUnschedulablePods`: pods of the cluster that the scheduler marked Unschedulable
/// are listed with the scheduler's reason on `PodsScheduled` (False, reason `Unschedulable`)
/// and in a Warning event; the condition turns True when they are placed.
pub fn report_unschedulable_pods(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let store = s.ctx.reflectors.get::<CachedPod>().store();
        let (namespace, uid) = (s.namespace().to_string(), s.uid().to_string());
        let mut stuck: Vec<(String, String)> = store
            .state()
            .iter()
            .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
            .filter(|p| p.labels().get(labels::CLUSTER_ID) == Some(&uid))
            .filter_map(|p| unschedulable(p).map(|why| (p.name_any(), why)))
            .collect();
        stuck.sort();
        let desired = if stuck.is_empty() {
            Desired::new(PODS_SCHEDULED, Status::True, "Scheduled", "every pod is scheduled")
        } else {
            let (pod, why) = &stuck[0];
            let message = format!(
                "{} pod(s) cannot be scheduled ({}): {pod}: {why}",
                stuck.len(),
                stuck.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", ")
            );
            Desired::new(PODS_SCHEDULED, Status::False, "Unschedulable", message)
        };
        let message = desired.message.clone();
        if s.set_condition_now(desired) {
            s.persist_status().await?;
        }
        if !stuck.is_empty() {
            s.event_throttled(
                EventType::Warning,
                "Unschedulable",
                &message,
                std::time::Duration::from_secs(60),
            )
            .await;
        }
        Ok(())
    })
}

/// The scheduler's message when the pod is Pending, not bound to a node, with
/// `PodScheduled=False/Unschedulable`.
fn unschedulable(pod: &CachedPod) -> Option<String> {
    let bound = pod.node_name().is_some_and(|n| !n.is_empty());
    if bound || pod.phase() != Some("Pending") {
        return None;
    }
    let status = pod.status().ok()??;
    let condition = status.conditions.as_ref()?.iter().find(|c| c.type_ == "PodScheduled")?;
    (condition.status == "False" && condition.reason.as_deref() == Some("Unschedulable"))
        .then(|| condition.message.clone().unwrap_or_default())
}

/// `UpdateContainersCounters`: per role, containers and processes as active/created/desired,
/// drives likewise; the printer columns `computeContainers`, `driveContainers`, `drives`.
pub fn update_counters(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let Ok(template) = s.template.clone() else { return Ok(()) };
        let desired_of = |role| match role {
            ContainerMode::Compute => template.compute_containers,
            ContainerMode::Drive => template.drive_containers,
            ContainerMode::S3 => template.s3_containers,
            _ => template.nfs_containers,
        } as i64;
        let cores_of = |role| {
            match role {
                ContainerMode::Compute => template.compute_cores,
                ContainerMode::Drive => template.drive_cores,
                ContainerMode::S3 => template.s3_cores,
                _ => template.nfs_cores,
            }
            .max(1) as i64
        };
        let role_metrics = |role| {
            let desired = desired_of(role);
            if desired == 0 && !matches!(role, ContainerMode::Compute | ContainerMode::Drive) {
                return None;
            }
            let of_role: Vec<&WekaContainer> = s.containers_of(role).collect();
            let created = of_role.iter().filter(|c| is_created(c)).count() as i64;
            let active = of_role.iter().filter(|c| is_active(c)).count() as i64;
            let cores = cores_of(role);
            Some(RoleContainerMetrics {
                num_containers: Some(counters(active, created, desired)),
                processes: Some(counters(active * cores, created * cores, desired * cores)),
                cpu_utilization: None,
            })
        };
        let mut containers = ContainersMetrics {
            compute: role_metrics(ContainerMode::Compute),
            drive: role_metrics(ContainerMode::Drive),
            s3: role_metrics(ContainerMode::S3),
            nfs: role_metrics(ContainerMode::Nfs),
        };
        let mut drives =
            drive_counters(s, template.drive_containers as i64, template.num_drives as i64);
        // While `weka status` is polled, the counts it reports win over the ones seen here.
        if metrics::weka_owns_counts(s)
            && let Some(previous) = s.status().stats.as_ref()
        {
            weka_stats::keep_weka_counts(previous, &mut containers, &mut drives);
        }
        let printer_of = |m: &Option<RoleContainerMetrics>| {
            m.as_ref().and_then(|m| m.num_containers).map(|c| counters_column(&c))
        };
        let status = s.status_mut();
        let stats = status.stats.get_or_insert_with(Default::default);
        stats.containers = Some(containers.clone());
        let drive_stats = stats.drives.get_or_insert_with(Default::default);
        drive_stats.counters = Some(drives);
        let columns = status.printer.get_or_insert_with(ClusterPrinterColumns::default);
        columns.compute_containers = printer_of(&containers.compute);
        columns.drive_containers = printer_of(&containers.drive);
        columns.drives = Some(counters_column(&drives));
        // Written with the pass's status (a change of the counters alone at most every
        // `COUNTERS_EVERY`: `ClusterState::persist_status`).
        Ok(())
    })
}

fn is_created(c: &WekaContainer) -> bool {
    c.status.as_ref().is_some_and(|st| st.status != WekaContainerStatus::POD_NOT_RUNNING)
}

fn is_active(c: &WekaContainer) -> bool {
    c.status
        .as_ref()
        .is_some_and(|st| st.status == WekaContainerStatus::RUNNING && st.container_id.is_some())
}

/// Drives: desired from the template (virtual drives with drive sharing), created from the
/// containers' allocations, active from the drives WEKA reports added and active.
fn drive_counters(s: &ClusterState, drive_containers: i64, num_drives: i64) -> Counters {
    let drives: Vec<&WekaContainer> = s.containers_of(ContainerMode::Drive).collect();
    let sharing = drives.iter().any(|c| uses_drive_sharing(c));
    let allocated = |c: &&&WekaContainer| -> i64 {
        let allocations = c.status.as_ref().and_then(|st| st.allocations.as_ref());
        let count = if sharing {
            allocations.and_then(|a| a.virtual_drives.as_ref()).map_or(0, Vec::len)
        } else {
            allocations.and_then(|a| a.drives.as_ref()).map_or(0, Vec::len)
        };
        count as i64
    };
    let desired = if sharing {
        drives.iter().map(|c| allocated(&c)).sum()
    } else {
        drive_containers * num_drives.max(1)
    };
    let created = drives
        .iter()
        .filter(|c| is_created(c))
        .map(|c| if sharing { allocated(&c) } else { num_drives.max(1) })
        .sum();
    let active = drives
        .iter()
        .flat_map(|c| {
            c.status.as_ref().and_then(|st| st.added_drives.as_ref()).into_iter().flatten()
        })
        .filter(|d| d.status == "ACTIVE")
        .count() as i64;
    counters(active, created, desired)
}

fn counters(active: i64, created: i64, desired: i64) -> Counters {
    Counters { active: Some(active), created: Some(created), desired: Some(desired) }
}
