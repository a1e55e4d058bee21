//! Command-line interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "weka-operator", version, about = "Kubernetes operator for WEKA storage")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every CRD as one multi-document YAML stream (or write one file per CRD).
    Crds(CrdsArgs),
    /// Run the operator against a Kubernetes cluster.
    Run,
    /// Bring up a simulated Kubernetes + WEKA and run the operator against it.
    Simulate,
    /// Scale benchmark on the simulator.
    Bench,
}

#[derive(Debug, Args)]
pub struct CrdsArgs {
    /// Write one `<plural>.yaml` per CRD into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
}
