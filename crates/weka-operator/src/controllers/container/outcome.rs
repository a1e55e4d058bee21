//! How a flow's outcome becomes conditions, events and the next reconcile.
//!
//! - Waiting: `Progressing` True and `Ready` False with the wait's reason and message; a
//!   requeue only when the wait is on WEKA state (no watch announces it), else the watches
//!   bring the next reconcile (with a long safety requeue). A wait that changes nothing else
//!   in the status is written only once it lasted a moment ([`super::wait_records`]).
//! - Completed: `Progressing` False; `Ready` as the mode defines it ([`readiness`]); a
//!   periodic refresh (sooner while not ready: WEKA's state is polled).
//! - Polls (waits on WEKA state, and not ready yet) start at a second and back off to their
//!   interval ([`crate::engine::PollBackoff`]).
//! - Failed: a Warning event (at most one per object and reason a minute), `Ready` False, and
//!   the error goes to the error policy (exponential backoff).
//! - A status write that loses to a newer version of the object (409: the pass ran on a stale
//!   copy) is not a failure: the watch brings the new version, and a short requeue backs it.

use std::time::Duration;

use kube::runtime::controller::Action;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;

use super::ContainerError;
use super::readiness;
use super::state::{CONFLICT, ContainerState};
use crate::engine::{FlowOutcome, FlowReport, StepError};

pub async fn conclude(
    report: FlowReport,
    s: &mut ContainerState,
) -> Result<Action, ContainerError> {
    let timing = s.shared.timing;
    if s.gone {
        return Ok(Action::await_change());
    }
    let generation = s.container.metadata.generation;
    match report.outcome {
        FlowOutcome::Waiting { step, wait } => {
            tracing::debug!(step, reason = wait.reason, message = %wait.message, "waiting");
            // When the wait is to be written if it lasts: how much longer that is.
            let mut record_in = None;
            if wait.reason != CONFLICT {
                set(s, cond::PROGRESSING, Status::True, wait.reason, &wait.message, generation);
                set(s, cond::READY, Status::False, wait.reason, &wait.message, generation);
                let waited = s.shared.waits.waited(s.uid(), wait.reason);
                if s.only_wait_conditions_changed() && waited < timing.record_waits_after {
                    tracing::trace!(reason = wait.reason, "the wait is written if it lasts");
                    record_in = Some(timing.record_waits_after - waited);
                } else if write(s).await? == Written::Stale {
                    return Ok(Action::requeue(STALE_RETRY));
                }
            }
            s.shared.succeeded(s.uid());
            let next = match (wait.recheck_after, s.needs_spec_change) {
                (Some(after), _) => Some(s.shared.polls.interval(s.uid(), wait.reason, after)),
                (None, true) => None,
                (None, false) => Some(timing.safety_requeue),
            };
            Ok(match next.into_iter().chain(record_in).min() {
                Some(after) => Action::requeue(after),
                None => Action::await_change(),
            })
        }
        FlowOutcome::Completed | FlowOutcome::Finished { .. } => {
            let readiness = readiness::check(&s.container);
            set(s, cond::PROGRESSING, Status::False, "Reconciled", "", generation);
            let next = match &readiness {
                Ok(message) => {
                    set(s, cond::READY, Status::True, "Ready", message, generation);
                    timing.refresh
                }
                Err(not_ready) => {
                    set(
                        s,
                        cond::READY,
                        Status::False,
                        not_ready.reason,
                        &not_ready.message,
                        generation,
                    );
                    s.shared.polls.interval(s.uid(), not_ready.reason, timing.not_ready_recheck)
                }
            };
            if readiness.is_ok() {
                s.shared.polls.done(s.uid());
            }
            s.shared.waits.forget(s.uid());
            if write(s).await? == Written::Stale {
                return Ok(Action::requeue(STALE_RETRY));
            }
            s.shared.succeeded(s.uid());
            Ok(Action::requeue(next))
        }
        FlowOutcome::Failed { step, reason, message } => {
            s.warn(reason, &message).await;
            let text = format!("{step}: {message}");
            set(s, cond::READY, Status::False, reason, &text, generation);
            if let Err(err) = write(s).await {
                tracing::warn!(error = %err, "cannot record the failure in status");
            }
            Err(ContainerError::StepFailed { step, reason, message })
        }
    }
}

fn set(
    s: &mut ContainerState,
    type_: &str,
    status: Status,
    reason: &str,
    message: &str,
    generation: Option<i64>,
) {
    s.set_condition_now(Desired::new(type_, status, reason, message).observed(generation));
}

/// How soon a pass whose status write met a newer object runs again, if no watch event
/// brings it sooner.
const STALE_RETRY: Duration = Duration::from_millis(200);

#[derive(Debug, PartialEq, Eq)]
enum Written {
    Stored,
    /// The object changed since the pass read it; nothing was written.
    Stale,
}

async fn write(s: &mut ContainerState) -> Result<Written, ContainerError> {
    match s.persist_status().await {
        Ok(()) => Ok(Written::Stored),
        Err(StepError::Wait(wait)) if wait.reason == CONFLICT => {
            tracing::debug!("the status write met a newer version of the object");
            Ok(Written::Stale)
        }
        Err(err) => Err(ContainerError::Status(err.to_string())),
    }
}
