//! Engine semantics, on a toy state.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use weka_api::conditions::{self, Desired};

use super::*;
use crate::engine::step::{FlowState, Step, StepError, StepFuture};
use crate::engine::throttle::{Clock, Throttler};

#[derive(Default)]
struct Toy {
    log: Vec<&'static str>,
    conditions: Vec<Condition>,
    ready: bool,
    fail_b: bool,
}

impl FlowState for Toy {
    fn conditions(&self) -> &[Condition] {
        &self.conditions
    }
    fn set_condition(&mut self, desired: Desired<'_>) {
        let now = Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        conditions::set(&mut self.conditions, desired, now);
    }
    fn throttle_key(&self) -> String {
        "toy".into()
    }
}

fn a(s: &mut Toy) -> StepFuture<'_> {
    s.log.push("a");
    s.ready = true;
    Box::pin(async { Ok(()) })
}
fn b(s: &mut Toy) -> StepFuture<'_> {
    s.log.push("b");
    let fail = s.fail_b;
    Box::pin(
        async move { if fail { Err(StepError::failed("BFailed", "b broke")) } else { Ok(()) } },
    )
}
fn wait(s: &mut Toy) -> StepFuture<'_> {
    s.log.push("wait");
    Box::pin(async { Err(StepError::poll("NotYet", "state not there", Duration::from_secs(15))) })
}
fn c(s: &mut Toy) -> StepFuture<'_> {
    s.log.push("c");
    Box::pin(async { Ok(()) })
}

struct Fixed(Mutex<Instant>);
impl Clock for Fixed {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

async fn run(
    flow: &[Step<Toy>],
    toy: &mut Toy,
    throttler: &Throttler,
    clock: &Fixed,
) -> FlowReport {
    run_flow(flow, toy, throttler, clock).await
}

#[tokio::test]
async fn predicates_are_evaluated_against_the_state_earlier_steps_left() {
    static FLOW: &[Step<Toy>] = &[
        Step::new("c-before", c).when(&[("ready", |s: &Toy| s.ready)]),
        Step::new("a", a),
        Step::new("c-after", c).when(&[("ready", |s: &Toy| s.ready)]),
    ];
    let mut toy = Toy::default();
    let report =
        run(FLOW, &mut toy, &Throttler::default(), &Fixed(Mutex::new(Instant::now()))).await;
    assert!(matches!(report.outcome, FlowOutcome::Completed));
    assert_eq!(toy.log, ["a", "c"]);
    assert_eq!(report.trace[0].1, StepTrace::Skipped { predicate: "ready" });
}

#[tokio::test]
async fn a_once_step_records_its_condition_and_is_skipped_afterwards() {
    static FLOW: &[Step<Toy>] = &[Step::new("a", a).once("Done", "AWorked", "a happened")];
    let mut toy = Toy::default();
    let (throttler, clock) = (Throttler::default(), Fixed(Mutex::new(Instant::now())));
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert!(conditions::is_true(&toy.conditions, "Done"));
    let report = run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["a"], "second run skips the step");
    assert_eq!(report.trace[0].1, StepTrace::AlreadyDone);
}

#[tokio::test]
async fn the_conditions_of_once_steps_before_a_wait_are_kept_for_the_controller_to_write() {
    static FLOW: &[Step<Toy>] = &[
        Step::new("a", a).once("ADone", "AWorked", "a happened"),
        Step::new("c", c).once("CDone", "CWorked", "c happened"),
        Step::new("wait", wait),
    ];
    let mut toy = Toy::default();
    let (throttler, clock) = (Throttler::default(), Fixed(Mutex::new(Instant::now())));
    let report = run(FLOW, &mut toy, &throttler, &clock).await;
    assert!(matches!(report.outcome, FlowOutcome::Waiting { step: "wait", .. }));
    assert!(conditions::is_true(&toy.conditions, "ADone"));
    assert!(conditions::is_true(&toy.conditions, "CDone"));
    // The next pass skips both and stops at the wait again.
    let report = run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["a", "c", "wait", "wait"]);
    assert_eq!(report.trace[0].1, StepTrace::AlreadyDone);
}

#[tokio::test]
async fn a_wait_stops_the_flow_and_carries_its_reason() {
    static FLOW: &[Step<Toy>] = &[Step::new("wait", wait), Step::new("c", c)];
    let mut toy = Toy::default();
    let report =
        run(FLOW, &mut toy, &Throttler::default(), &Fixed(Mutex::new(Instant::now()))).await;
    match report.outcome {
        FlowOutcome::Waiting { step, wait } => {
            assert_eq!(step, "wait");
            assert_eq!(wait.reason, "NotYet");
            assert_eq!(wait.recheck_after, Some(Duration::from_secs(15)));
        }
        other => panic!("expected a wait, got {other:?}"),
    }
    assert_eq!(toy.log, ["wait"]);
}

#[tokio::test]
async fn errors_abort_unless_the_step_continues_on_error() {
    static ABORT: &[Step<Toy>] = &[Step::new("b", b), Step::new("c", c)];
    static CONTINUE: &[Step<Toy>] = &[Step::new("b", b).continue_on_error(), Step::new("c", c)];
    let clock = Fixed(Mutex::new(Instant::now()));
    let mut toy = Toy { fail_b: true, ..Toy::default() };
    let report = run(ABORT, &mut toy, &Throttler::default(), &clock).await;
    assert!(matches!(report.outcome, FlowOutcome::Failed { step: "b", reason: "BFailed", .. }));
    assert_eq!(toy.log, ["b"]);
    let mut toy = Toy { fail_b: true, ..Toy::default() };
    let report = run(CONTINUE, &mut toy, &Throttler::default(), &clock).await;
    assert!(matches!(report.outcome, FlowOutcome::Completed));
    assert_eq!(toy.log, ["b", "c"]);
}

#[tokio::test]
async fn a_throttled_step_runs_once_per_interval() {
    static FLOW: &[Step<Toy>] = &[Step::new("c", c).throttled(Duration::from_secs(60))];
    let start = Instant::now();
    let clock = Fixed(Mutex::new(start));
    let throttler = Throttler::default();
    let mut toy = Toy::default();
    run(FLOW, &mut toy, &throttler, &clock).await;
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["c"]);
    *clock.0.lock().unwrap() = start + Duration::from_secs(61);
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["c", "c"]);
}

#[tokio::test]
async fn a_step_throttled_by_the_state_reads_its_interval_when_its_turn_comes() {
    fn interval(toy: &Toy) -> Duration {
        Duration::from_secs(if toy.ready { 10 } else { 60 })
    }
    static FLOW: &[Step<Toy>] = &[Step::new("c", c).throttled_by(interval)];
    let start = Instant::now();
    let clock = Fixed(Mutex::new(start));
    let throttler = Throttler::default();
    let mut toy = Toy::default();
    run(FLOW, &mut toy, &throttler, &clock).await;
    *clock.0.lock().unwrap() = start + Duration::from_secs(11);
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["c"]);
    toy.ready = true;
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["c", "c"]);
}

#[tokio::test]
async fn a_throttled_step_reruns_early_when_its_inputs_change() {
    fn inputs(toy: &Toy) -> u64 {
        u64::from(toy.ready)
    }
    static FLOW: &[Step<Toy>] =
        &[Step::new("c", c).throttled(Duration::from_secs(300)).or_when_changed(inputs)];
    let clock = Fixed(Mutex::new(Instant::now()));
    let throttler = Throttler::default();
    let mut toy = Toy::default();
    run(FLOW, &mut toy, &throttler, &clock).await;
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["c"], "same inputs, interval not up: throttled");
    toy.ready = true;
    run(FLOW, &mut toy, &throttler, &clock).await;
    run(FLOW, &mut toy, &throttler, &clock).await;
    assert_eq!(toy.log, ["c", "c"], "changed inputs run once, then throttled again");
}

#[tokio::test]
async fn a_finishing_step_ends_the_flow() {
    static FLOW: &[Step<Toy>] = &[Step::new("a", a).finish_on_success(), Step::new("c", c)];
    let mut toy = Toy::default();
    let report =
        run(FLOW, &mut toy, &Throttler::default(), &Fixed(Mutex::new(Instant::now()))).await;
    assert!(matches!(report.outcome, FlowOutcome::Finished { step: "a" }));
    assert_eq!(toy.log, ["a"]);
}
