//! `weka-operator bench`: the scale benchmark on the simulator. It starts the same world as
//! `simulate` (kubesim + wekasim, the operator as a `weka-operator run` child process), with
//! N big backend nodes, applies the [`plan`] (M containers as WekaClusters, or directly), and
//! measures:
//! - time from the apply to Ready, against the [`critical_path`] of the simulated latencies;
//! - the operator's API requests by verb and resource ([`requests`], from the request log),
//!   and its writes against the minimum a bring-up needs;
//! - its writes during a steady state after Ready (real time: the operator's timers run on
//!   the wall clock);
//! - its peak RSS: `VmHWM` of the operator's own process (a child, so the simulator's memory
//!   is not counted);
//! - the p99 time from a pod's deletion to its recreation ([`recreate`]).
//!
//! The [`report`] is a table, or JSON with `--json`.

mod args;
pub mod critical_path;
pub mod plan;
pub mod recreate;
pub mod report;
pub mod requests;

use std::net::SocketAddr;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use wekasim::runtime::RuntimeConfig;

pub use args::BenchArgs;

use super::CommandError;
use super::simulate::environment::{Environment, EnvironmentOptions};
use super::simulate::node_layout::NodeLayout;
use super::simulate::operator_process::{OperatorOptions, OperatorProcess};
use super::simulate::progress::{Header, Observer, Progress, Sink, line_to};
use super::simulate::waiting::{self, Waited, Watch};
use super::simulate::{
    OPERATOR_STOP_GRACE, RunDir, SimulateError, apply, logging, manifests, prepare,
};
use crate::shutdown::TerminationSignals;
use critical_path::CriticalPath;
use plan::Plan;
use report::{Report, SteadyState};
use requests::RequestStats;

/// Enough for a 1,000-container bring-up and the kubelets' heartbeats meanwhile.
const REQUEST_LOG: usize = 3_000_000;
/// Manifests applied at once.
const APPLY_CONCURRENCY: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Simulate(#[from] SimulateError),
    #[error("cannot plan the benchmark: {0}")]
    Plan(String),
    #[error("interrupted ({0})")]
    Interrupted(&'static str),
    #[error("cannot print the report: {0}")]
    Json(#[from] serde_json::Error),
}

pub fn run(args: BenchArgs) -> Result<(), CommandError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(SimulateError::Runtime)?;
    let report = rt.block_on(bench(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(BenchError::Json)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

fn say(text: &str) {
    line_to(Sink::Stderr, text);
}

async fn bench(args: &BenchArgs) -> Result<Report, BenchError> {
    let mut signals = TerminationSignals::install().map_err(SimulateError::Signals)?;
    let plan = Plan::new(args.containers, args.nodes, args.clusters, args.containers_only)?;
    let manifests = plan.manifests()?;
    let targets = manifests::targets(&manifests);
    let run_dir = RunDir::create("bench", None)?;
    logging::init(Some(&run_dir.simulator_log))?;
    let runtime = RuntimeConfig { disks_per_node: plan.disks(args.nodes), ..Default::default() };
    let nodes =
        NodeLayout::backends_sized(args.nodes, runtime.disks_per_node, &plan.capacity(args.nodes));
    let started = Instant::now();
    let env = Environment::start(EnvironmentOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        kubeconfig: run_dir.kubeconfig.clone(),
        nodes,
        latency: args.latency,
        runtime,
        state: None,
        request_log_capacity: REQUEST_LOG,
    })
    .await?;
    say(&format!(
        "{} nodes up in {:.1?}; kubeconfig {}",
        args.nodes,
        started.elapsed(),
        run_dir.kubeconfig.display()
    ));
    prepare(&env, &manifests).await?;
    let mut operator = OperatorProcess::spawn(&OperatorOptions {
        kubeconfig: &run_dir.kubeconfig,
        log: Some(&run_dir.operator_log),
        extra_args: &args.operator_args,
    })?;
    say(&format!("operator pid {}, log {}", operator.pid(), run_dir.operator_log.display()));

    let applied_at = Instant::now();
    futures::stream::iter(&manifests)
        .map(|m| apply(&env.client, m))
        .buffer_unordered(APPLY_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await?;
    say(&format!("applied {} objects in {:.1?}", manifests.len(), applied_at.elapsed()));
    let header = Header {
        title: "bench".into(),
        nodes: args.nodes,
        latency: args.latency.name(),
        faults: "none",
    };
    let mut progress =
        Progress::new(Observer::start(&env.client), targets, header, false).with_sink(Sink::Stderr);
    let mut background = Box::pin(std::future::pending::<()>());
    let mut watch =
        Watch { signals: &mut signals, operator: &mut operator, background: &mut background };
    let waited =
        waiting::until_ready(&mut progress, Some(applied_at + args.timeout), &mut watch).await;
    let time_to_ready = applied_at.elapsed();
    let (ready, snapshot) = match waited {
        Waited::Ready(snapshot) => (true, snapshot),
        Waited::TimedOut { reason } => {
            say(&format!("not Ready after {:.0?}:\n{reason}", args.timeout));
            (false, progress.observer.snapshot(&progress.targets))
        }
        Waited::Signal(signal) => return Err(BenchError::Interrupted(signal)),
        Waited::OperatorExited(status) => {
            let tail = watch.operator.log_tail(20);
            return Err(SimulateError::OperatorExited { status, tail }.into());
        }
    };
    say(&format!("Ready after {time_to_ready:.1?}"));

    let log = env.kubesim.request_log();
    let bring_up = RequestStats::of(&log.entries(), plan.containers());
    let conditions: Vec<usize> = snapshot.clusters.iter().map(|c| c.conditions.len()).collect();
    let (compute, drive) = roles(&plan);
    let minimum = requests::minimum_writes(compute, drive, &conditions);

    log.clear();
    say(&format!("steady state: counting the operator's writes for {:.0?}", args.steady_state));
    tokio::select! {
        () = tokio::time::sleep(args.steady_state) => {}
        signal = watch.signals.recv() => return Err(BenchError::Interrupted(signal)),
    }
    let steady = RequestStats::of(&log.entries(), plan.containers());
    let steady_writes = steady.rows.into_iter().filter(|r| is_write_row(r)).collect();

    let sample = recreate::sample(&progress.observer, if ready { args.recreate_sample } else { 0 });
    say(&format!("deleting {} pods one after the other", sample.len()));
    let recreation = recreate::measure(&env.client, &progress.observer, &sample).await?;
    let rss = operator.peak_rss_bytes();
    let _ = operator.stop(OPERATOR_STOP_GRACE).await;

    let path = CriticalPath::of(&plan, args.latency);
    let total = path.total();
    Ok(Report {
        nodes: args.nodes,
        containers: plan.containers(),
        clusters: match &plan {
            Plan::Clusters(shapes) => shapes.len(),
            Plan::Containers(_) => 0,
        },
        ready_means: if args.containers_only {
            "every WekaContainer Running"
        } else {
            "every WekaCluster Ready"
        },
        latency: args.latency.name(),
        ready,
        time_to_ready,
        critical_path_total: total,
        ready_over_critical_path: (!total.is_zero())
            .then(|| time_to_ready.as_secs_f64() / total.as_secs_f64()),
        critical_path: path,
        writes_over_minimum: bring_up.writes as f64 / minimum.max(1) as f64,
        bring_up_requests: bring_up,
        minimum_writes: minimum,
        steady_state: SteadyState {
            duration: args.steady_state,
            clock: "real",
            operator_writes: steady.writes,
            writes: steady_writes,
        },
        operator_peak_rss_bytes: rss,
        rss_source: "VmHWM of the operator's own process (`weka-operator run`, a child of bench)",
        recreation,
        operator_log: run_dir.operator_log.display().to_string(),
    })
}

fn roles(plan: &Plan) -> (usize, usize) {
    match plan {
        Plan::Clusters(shapes) => {
            (shapes.iter().map(|s| s.compute).sum(), shapes.iter().map(|s| s.drive).sum())
        }
        Plan::Containers(n) => (*n, 0),
    }
}

fn is_write_row(row: &requests::Row) -> bool {
    let exec = row.resource.ends_with("/exec");
    let event = row.resource == "events";
    matches!(row.verb.as_str(), "create" | "update" | "patch" | "delete" | "deletecollection")
        && !exec
        && !event
}
