//! How a flow's outcome becomes the standard conditions, events and the next reconcile.
//!
//! - `Ready`: True while the WEKA cluster is formed, serves IO and the cluster is not being
//!   deleted (`status.status == Ready` with `ClusterIsReady`); it stays True through scaling
//!   and upgrades. Otherwise False with the reason the flow stopped at.
//! - `Progressing`: True with the reason of the current stage while the flow waits (or
//!   retries a failure); False once it ran to its end.
//! - Waits on WEKA state are polled (their `recheck_after`, sooner while the wait is young:
//!   [`crate::engine::PollBackoff`]); waits on watched objects get the
//!   watch events, with a long safety requeue. A failure is a Warning event and the error
//!   policy's backoff. A finished flow is looked at again after `refresh`, or sooner when
//!   its WEKA metrics are polled more often than that.

use kube::runtime::controller::Action;
use weka_api::WekaClusterStatus;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;

use super::ClusterError;
use super::state::{CONFLICT, ClusterState};
use super::steps::metrics;
use crate::engine::{FlowOutcome, FlowReport, StepError};

pub async fn conclude(report: FlowReport, s: &mut ClusterState) -> Result<Action, ClusterError> {
    let timing = s.shared.timing;
    if s.gone {
        return Ok(Action::await_change());
    }
    match report.outcome {
        FlowOutcome::Waiting { step, wait } => {
            tracing::debug!(step, reason = wait.reason, message = %wait.message, "waiting");
            if wait.reason != CONFLICT {
                progressing(s, Status::True, wait.reason, &wait.message);
                readiness(s, wait.reason, &wait.message);
                if write(s).await? == Written::Stale {
                    return Ok(Action::requeue(STALE_RETRY));
                }
            }
            s.shared.succeeded(s.uid());
            let next = match wait.recheck_after {
                Some(after) => s.shared.polls.interval(s.uid(), wait.reason, after),
                None => timing.safety_requeue,
            };
            Ok(Action::requeue(with_deferred_counters(s, next)))
        }
        FlowOutcome::Completed | FlowOutcome::Finished { .. } => {
            match s.upgrading.clone() {
                Some(message) => progressing(s, Status::True, "Upgrading", &message),
                None => {
                    progressing(s, Status::False, "Reconciled", "the cluster is as its spec asks")
                }
            }
            readiness(s, "NotReady", "the cluster is not ready");
            s.shared.polls.done(s.uid());
            if write(s).await? == Written::Stale {
                return Ok(Action::requeue(STALE_RETRY));
            }
            s.shared.succeeded(s.uid());
            let next = metrics::next_look(s, timing.refresh);
            Ok(Action::requeue(with_deferred_counters(s, next)))
        }
        FlowOutcome::Failed { step, reason, message } => {
            s.warn(reason, &message).await;
            let text = format!("{step}: {message}");
            progressing(s, Status::True, reason, &text);
            readiness(s, reason, &text);
            if let Err(err) = write(s).await {
                tracing::warn!(error = %err, "cannot record the failure in status");
            }
            Err(ClusterError::StepFailed { step, reason, message })
        }
    }
}

/// `next`, or sooner when a write of the counters was put off and falls due before.
fn with_deferred_counters(s: &ClusterState, next: std::time::Duration) -> std::time::Duration {
    s.counters_deferred.map_or(next, |due| due.min(next))
}

/// Whether the WEKA cluster serves IO and the WekaCluster is not being deleted.
pub fn is_ready(s: &ClusterState) -> bool {
    !s.is_marked_for_deletion()
        && s.status().status == WekaClusterStatus::READY
        && s.condition_true(cond::CLUSTER_READY)
}

fn readiness(s: &mut ClusterState, reason: &str, message: &str) {
    let desired = if is_ready(s) {
        Desired::new(cond::READY, Status::True, "Ready", "the WEKA cluster is formed and serves IO")
    } else if s.is_marked_for_deletion() {
        Desired::new(
            cond::READY,
            Status::False,
            "Deleting",
            format!("the cluster is being deleted: {message}"),
        )
    } else {
        Desired::new(cond::READY, Status::False, reason, message)
    };
    s.set_condition_now(desired);
}

fn progressing(s: &mut ClusterState, status: Status, reason: &str, message: &str) {
    s.set_condition_now(Desired::new(cond::PROGRESSING, status, reason, message));
}

/// How soon a pass whose status write met a newer object runs again, if no watch event
/// brings it sooner. Not a failure: no Warning, no backoff.
const STALE_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

#[derive(Debug, PartialEq, Eq)]
enum Written {
    Stored,
    /// The object changed since the pass read it; nothing was written.
    Stale,
}

async fn write(s: &mut ClusterState) -> Result<Written, ClusterError> {
    match s.persist_status().await {
        Ok(()) => Ok(Written::Stored),
        Err(StepError::Wait(wait)) if wait.reason == CONFLICT => {
            tracing::debug!("the status write met a newer version of the cluster");
            Ok(Written::Stale)
        }
        Err(err) => Err(ClusterError::Status(err.to_string())),
    }
}
