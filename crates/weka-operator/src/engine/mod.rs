//! The step engine: a flow is a table of named steps, run in order on every reconcile.
//!
//! A [`Step`] says *when* it applies (named predicates, evaluated lazily against the state as
//! earlier steps left it), *what* it does (an async function of the state), and how its outcome
//! is recorded:
//! - `once`: on success a condition is set True and the step is skipped while it stays True
//!   (a run-once step whose progress survives restarts because it lives in `status.conditions`:
//!   the engine records it in memory and the controller writes the status once, when the flow
//!   stops, together with its `Progressing`/`Ready`; steps are idempotent, so a crash before
//!   that write only repeats them);
//! - `on_error`: abort the flow (default) or continue with the next step;
//! - `throttle`: run at most once per interval per object (a fixed interval, or one read from
//!   the state, such as a configured polling rate);
//! - `finish`: a success ends the flow for this reconcile.
//!
//! A step that cannot proceed yet returns [`StepError::Wait`] with a reason: the flow stops,
//! the controller reports the reason (a `Progressing` condition) and requeues only when the
//! wait is on state that no watch will announce (WEKA's own state, read over exec).

mod poll;
mod run;
mod step;
mod throttle;

pub use poll::{FIRST_POLL, PollBackoff};
pub use run::{FlowOutcome, FlowReport, run_flow};
pub use step::{FlowState, OnError, Once, Predicate, Step, StepError, StepFuture, Wait};
pub use throttle::{Clock, SystemClock, Throttler};
