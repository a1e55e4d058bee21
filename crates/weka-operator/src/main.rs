//! `weka-operator`: the WEKA Kubernetes operator, one binary with subcommands:
//! `run` (against a real cluster), `simulate` (the whole system in-process), `bench`, `crds`,
//! `node-agent` (the per-node agent).

use std::process::ExitCode;

use weka_operator::cli::{Cli, Command};
use weka_operator::commands;

fn main() -> ExitCode {
    let cli = match Cli::parse_or_explain(std::env::args_os()) {
        Ok(cli) => cli,
        // Usage errors exit 2, help and version 0, as clap decides.
        Err(err) => err.exit(),
    };
    let result = match cli.command {
        Command::Crds(args) => commands::crds::run(&args),
        Command::Run(args) => commands::run::run(*args),
        Command::Simulate(args) => commands::simulate::run(*args),
        Command::Bench(args) => commands::bench::run(*args),
        Command::NodeAgent(args) => commands::node_agent::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
