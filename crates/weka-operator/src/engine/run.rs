//! Running a flow table against a state.

use std::time::Instant;

use weka_api::conditions::{Desired, Status};

use super::step::{FlowState, OnError, Step, StepError, Wait};
use super::throttle::{Clock, Throttler};

/// How a flow ended for this reconcile.
#[derive(Debug)]
pub enum FlowOutcome {
    /// Every applicable step succeeded.
    Completed,
    /// A `finish` step succeeded; later steps did not run.
    Finished { step: &'static str },
    /// A step is waiting for something.
    Waiting { step: &'static str, wait: Wait },
    /// A step failed (and did not continue on error).
    Failed { step: &'static str, reason: &'static str, message: String },
}

/// What happened to each step, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepTrace {
    Ran,
    Skipped { predicate: &'static str },
    AlreadyDone,
    Throttled,
    FailedButContinued { message: String },
}

/// The outcome of a flow and the trace of its steps.
#[derive(Debug)]
pub struct FlowReport {
    pub outcome: FlowOutcome,
    pub trace: Vec<(&'static str, StepTrace)>,
}

impl FlowReport {
    /// Names of the steps that ran (successfully or not).
    pub fn ran(&self) -> Vec<&'static str> {
        self.trace
            .iter()
            .filter(|(_, t)| matches!(t, StepTrace::Ran | StepTrace::FailedButContinued { .. }))
            .map(|(n, _)| *n)
            .collect()
    }
}

/// Runs `flow` in order against `state`.
pub async fn run_flow<S: FlowState + 'static>(
    flow: &[Step<S>],
    state: &mut S,
    throttler: &Throttler,
    clock: &dyn Clock,
) -> FlowReport {
    let mut trace = Vec::with_capacity(flow.len());
    for step in flow {
        if let Some((predicate, _)) = step.when.iter().find(|(_, holds)| !holds(state)) {
            trace.push((step.name, StepTrace::Skipped { predicate }));
            continue;
        }
        if let Some(once) = step.once
            && weka_api::conditions::is_true(state.conditions(), once.condition)
        {
            trace.push((step.name, StepTrace::AlreadyDone));
            continue;
        }
        let key = state.throttle_key();
        let now: Instant = clock.now();
        let interval = step.interval(state);
        let inputs = step.rerun_on.map(|inputs| inputs(state));
        if let Some(interval) = interval
            && !throttler.due(&key, step.name, interval, now)
            && inputs.is_none_or(|inputs| !throttler.inputs_changed(&key, step.name, inputs))
        {
            trace.push((step.name, StepTrace::Throttled));
            continue;
        }
        tracing::trace!(step = step.name, "running step");
        match (step.run)(state).await {
            Ok(()) => {
                trace.push((step.name, StepTrace::Ran));
                if interval.is_some() {
                    throttler.ran_with(&key, step.name, now, inputs);
                }
                if let Some(once) = step.once {
                    state.set_condition(Desired::new(
                        once.condition,
                        Status::True,
                        once.reason,
                        once.message,
                    ));
                }
                if step.finish {
                    return FlowReport {
                        outcome: FlowOutcome::Finished { step: step.name },
                        trace,
                    };
                }
            }
            Err(StepError::Wait(wait)) => {
                trace.push((step.name, StepTrace::Ran));
                tracing::debug!(step = step.name, reason = wait.reason, message = %wait.message, "step waits");
                return FlowReport {
                    outcome: FlowOutcome::Waiting { step: step.name, wait },
                    trace,
                };
            }
            Err(err @ StepError::Failed { .. }) if step.on_error == OnError::Continue => {
                tracing::warn!(step = step.name, error = %err, "step failed, flow continues");
                trace.push((step.name, StepTrace::FailedButContinued { message: err.to_string() }));
            }
            Err(err) => {
                trace.push((step.name, StepTrace::Ran));
                return failed(step.name, err, trace);
            }
        }
    }
    FlowReport { outcome: FlowOutcome::Completed, trace }
}

fn failed(step: &'static str, err: StepError, trace: Vec<(&'static str, StepTrace)>) -> FlowReport {
    let outcome = match err {
        StepError::Wait(wait) => FlowOutcome::Waiting { step, wait },
        StepError::Failed { reason, message } => {
            tracing::warn!(step, reason, %message, "step failed");
            FlowOutcome::Failed { step, reason, message }
        }
    };
    FlowReport { outcome, trace }
}

#[cfg(test)]
mod tests;
