//! `weka-operator`: the WEKA Kubernetes operator, one binary with subcommands:
//! `run` (against a real cluster), `simulate` (the whole system in-process), `bench`, `crds`.

mod cli;
mod commands;
#[allow(dead_code, unused_imports)] // driven by the controllers next
mod engine;
#[allow(dead_code)] // wired into the WekaContainer controller next
mod pod;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Crds(args) => commands::crds::run(&args),
        cli::Command::Run => commands::not_yet("run", 8),
        cli::Command::Simulate => commands::not_yet("simulate", 7),
        cli::Command::Bench => commands::not_yet("bench", 7),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
