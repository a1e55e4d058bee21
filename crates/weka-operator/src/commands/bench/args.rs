//! The flags of `weka-operator bench`.

use std::time::Duration;

use clap::Args;

use crate::commands::simulate::latency::LatencyProfile;
use crate::config::parse;

/// `weka-operator bench [FLAGS] [-- RUN_FLAGS...]`
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Brings up the WEKA clusters on the simulator with the operator as a child process, then \
reports time to Ready against the critical path of the simulated latencies, the operator's \
API requests (from kubesim's request log), its writes during a steady state, its peak RSS \
and how fast deleted pods come back.

Flags after `--` go to the operator (`weka-operator run`).")]
pub struct BenchArgs {
    /// Simulated backend nodes.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub nodes: usize,
    /// WekaContainers in all (half compute, half drive).
    #[arg(long, value_name = "M", default_value_t = 1000)]
    pub containers: usize,
    /// WekaClusters to spread them over [default: as few as fit; a cluster puts at most one
    /// compute and one drive container on a node].
    #[arg(long, value_name = "K")]
    pub clusters: Option<usize>,
    #[arg(long, value_enum, default_value_t = LatencyProfile::Realistic)]
    pub latency: LatencyProfile,
    /// How long to wait for Ready.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse::duration)]
    pub timeout: Duration,
    /// Real time after Ready during which the operator's writes are counted.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse::duration)]
    pub steady_state: Duration,
    /// Pods deleted one after the other to time their recreation.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub recreate_sample: usize,
    /// The report as JSON on stdout (progress goes to stderr either way).
    #[arg(long)]
    pub json: bool,
    /// Flags for the operator process (`weka-operator run ...`).
    #[arg(last = true, value_name = "RUN_FLAGS")]
    pub operator_args: Vec<String>,
}
