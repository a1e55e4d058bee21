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
mod session;

pub use args::BenchArgs;

use super::CommandError;
use super::simulate::SimulateError;

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
    let report = rt.block_on(session::bench(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(BenchError::Json)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
