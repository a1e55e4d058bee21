//! Steps and what they return.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use weka_api::conditions::Desired;

/// The future a step's action returns.
pub type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StepError>> + Send + 'a>>;

/// A named condition on the state; the name shows in traces ("skipped: pod exists").
pub type Predicate<S> = (&'static str, fn(&S) -> bool);

/// One entry of a flow table.
pub struct Step<S: 'static> {
    /// Unique within the flow; used in logs, events and throttling keys.
    pub name: &'static str,
    /// All must hold for the step to run; checked when the step's turn comes.
    pub when: &'static [Predicate<S>],
    /// The action.
    pub run: for<'a> fn(&'a mut S) -> StepFuture<'a>,
    /// Record a condition on success and skip the step while it is True.
    pub once: Option<Once>,
    pub on_error: OnError,
    /// Run at most once per interval (per object).
    pub throttle: Option<Duration>,
    /// As `throttle`, the interval read from the state when the step's turn comes (e.g. from
    /// the operator's configuration); `throttle` wins when both are set.
    pub throttle_by: Option<fn(&S) -> Duration>,
    /// A fingerprint of what the step acts on: a throttled step runs before its interval is
    /// up when this differs from the one its last successful run saw.
    pub rerun_on: Option<fn(&S) -> u64>,
    /// A success ends the flow for this reconcile.
    pub finish: bool,
}

impl<S: 'static> Step<S> {
    /// A step that always applies, aborts on error, and records nothing.
    pub const fn new(name: &'static str, run: for<'a> fn(&'a mut S) -> StepFuture<'a>) -> Self {
        Step {
            name,
            when: &[],
            run,
            once: None,
            on_error: OnError::Abort,
            throttle: None,
            throttle_by: None,
            rerun_on: None,
            finish: false,
        }
    }

    pub const fn when(mut self, predicates: &'static [Predicate<S>]) -> Self {
        self.when = predicates;
        self
    }

    pub const fn once(
        mut self,
        condition: &'static str,
        reason: &'static str,
        message: &'static str,
    ) -> Self {
        self.once = Some(Once { condition, reason, message });
        self
    }

    pub const fn continue_on_error(mut self) -> Self {
        self.on_error = OnError::Continue;
        self
    }

    pub const fn throttled(mut self, interval: Duration) -> Self {
        self.throttle = Some(interval);
        self
    }

    /// Throttled by an interval the state knows only at run time.
    pub const fn throttled_by(mut self, interval: fn(&S) -> Duration) -> Self {
        self.throttle_by = Some(interval);
        self
    }

    /// A throttled step also runs as soon as `inputs` changes (e.g. a list of endpoints it
    /// publishes), not only once per interval.
    pub const fn or_when_changed(mut self, inputs: fn(&S) -> u64) -> Self {
        self.rerun_on = Some(inputs);
        self
    }

    /// The throttling interval of this step for `state`, if any.
    pub fn interval(&self, state: &S) -> Option<Duration> {
        self.throttle.or_else(|| self.throttle_by.map(|interval| interval(state)))
    }

    pub const fn finish_on_success(mut self) -> Self {
        self.finish = true;
        self
    }
}

/// The condition a run-once step records on success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Once {
    pub condition: &'static str,
    pub reason: &'static str,
    pub message: &'static str,
}

/// What a failed step does to the rest of the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    Abort,
    Continue,
}

/// Why a step cannot proceed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// CamelCase, becomes the `Progressing` condition's reason.
    pub reason: &'static str,
    pub message: String,
    /// `Some` when no watch event will announce the change (WEKA state polled over exec).
    pub recheck_after: Option<Duration>,
}

/// A step's failure.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Not a failure: the flow stops here until something changes.
    #[error("waiting: {}", .0.message)]
    Wait(Wait),
    /// A real failure, with the reason for events and the error for logs.
    #[error("{reason}: {message}")]
    Failed { reason: &'static str, message: String },
}

impl StepError {
    /// Waits for a change that a watch will announce (pod, node, owned objects).
    pub fn wait(reason: &'static str, message: impl Into<String>) -> Self {
        StepError::Wait(Wait { reason, message: message.into(), recheck_after: None })
    }

    /// Waits for state with no watch; the controller rechecks after `after`.
    pub fn poll(reason: &'static str, message: impl Into<String>, after: Duration) -> Self {
        StepError::Wait(Wait { reason, message: message.into(), recheck_after: Some(after) })
    }

    pub fn failed(reason: &'static str, message: impl std::fmt::Display) -> Self {
        StepError::Failed { reason, message: message.to_string() }
    }
}

/// What the engine needs from a flow's state.
pub trait FlowState: Send {
    /// The object's current conditions (for run-once steps).
    fn conditions(&self) -> &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition];
    /// Records a condition in memory (the controller writes the status once the flow stops).
    fn set_condition(&mut self, desired: Desired<'_>);
    /// The key of this object for throttling (e.g. its UID).
    fn throttle_key(&self) -> String;
}
