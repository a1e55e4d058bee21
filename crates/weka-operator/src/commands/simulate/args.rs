//! The flags of `weka-operator simulate`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::faults::FaultProfile;
use super::latency::LatencyProfile;
use crate::config::parse;

/// `weka-operator simulate [FLAGS] [-- RUN_FLAGS...]`
#[derive(Debug, Clone, Args)]
#[command(after_help = "\
Without flags: 8 simulated backend nodes, the default WekaCluster (6 compute + 6 drive \
containers), realistic latencies; progress until the cluster is Ready, then kubectl hints; \
serves until Ctrl-C.

Flags after `--` go to the operator (`weka-operator run`), e.g. `-- --log-level=debug`.")]
pub struct SimulateArgs {
    /// Simulated nodes in all [default: 8, or the node-spec file's nodes].
    #[arg(long, value_name = "N")]
    pub nodes: Option<usize>,
    /// Node-spec YAML (kubesim's format: labels, taints, capacity per node); replaces the
    /// default backend nodes. Nodes labelled weka.io/supports-backends=true get signed drives.
    #[arg(long, value_name = "FILE")]
    pub node_spec: Option<PathBuf>,
    /// Apply these manifests (multi-document YAML) instead of the default WekaCluster.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub apply: Vec<PathBuf>,
    /// Where to write the kubeconfig [default: a new temporary directory, printed].
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Address of the simulated API server (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// How long simulated WEKA transitions and container start-ups take.
    #[arg(long, value_enum, default_value_t = LatencyProfile::Realistic)]
    pub latency: LatencyProfile,
    /// Faults to inject while the system runs.
    #[arg(long, value_enum, default_value_t = FaultProfile::None)]
    pub faults: FaultProfile,
    /// Keep the simulated cluster's objects in FILE; running again with the same file
    /// continues where it left off.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Exit 0 once every applied cluster is Ready (non-zero with the reason on timeout).
    #[arg(long)]
    pub until_ready: bool,
    /// With --until-ready: how long to wait (e.g. 90s, 10m).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse::duration)]
    pub timeout: Duration,
    /// The operator's and the simulator's logs on stderr instead of files.
    #[arg(long)]
    pub verbose: bool,
    /// Flags for the operator process (`weka-operator run ...`).
    #[arg(last = true, value_name = "RUN_FLAGS")]
    pub operator_args: Vec<String>,
}
