//! Command-line interface.

use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand};

pub use crate::commands::bench::BenchArgs;
pub use crate::commands::node_agent::NodeAgentArgs;
pub use crate::commands::simulate::SimulateArgs;
use crate::config::Config;

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
    Run(Box<RunArgs>),
    /// Bring up a simulated Kubernetes + WEKA, run the operator against it and bring a WEKA
    /// cluster to Ready.
    Simulate(Box<SimulateArgs>),
    /// Scale benchmark on the simulator: time to Ready, API requests, RSS, pod recreation.
    Bench(Box<BenchArgs>),
    /// Run the per-node agent (what `run` does with OPERATOR_MODE=node-agent).
    NodeAgent(Box<NodeAgentArgs>),
}

#[derive(Debug, Args)]
pub struct CrdsArgs {
    /// Write one `<plural>.yaml` per CRD into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
}

/// A flag given twice keeps its last value (so wrappers can append overrides).
#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct RunArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub config: Config,
}

/// How to reach the cluster: in-cluster service account, else `KUBECONFIG` or
/// `~/.kube/config`, unless a kubeconfig or context is named.
#[derive(Debug, Clone, Args, Default)]
#[command(next_help_heading = "Cluster connection")]
pub struct ConnectArgs {
    /// Kubeconfig file (default: in-cluster, else KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

impl Cli {
    /// Parses the command line; a usage error names the flag and, when the bad value came
    /// from the environment or the flag has one, its environment variable.
    pub fn parse_or_explain<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Cli::try_parse_from(args).map_err(name_the_env_var)
    }
}

/// Adds "(environment variable X)" to errors about a bad value, so that a value set by the
/// Deployment's env is traced back to it; clap itself names only the flag.
fn name_the_env_var(mut err: clap::Error) -> clap::Error {
    if !matches!(err.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue) {
        return err;
    }
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg).cloned() else {
        return err;
    };
    let long: String = arg
        .trim_start_matches("--")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let command = Cli::command();
    let env = command
        .get_subcommands()
        .flat_map(|sub| sub.get_arguments())
        .find(|a| a.get_long() == Some(long.as_str()))
        .and_then(|a| a.get_env())
        .map(|env| env.to_string_lossy().into_owned());
    if let Some(env) = env {
        err.insert(ContextKind::InvalidArg, ContextValue::String(format!("{arg} (env {env})")));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let mut all = vec!["weka-operator"];
        all.extend_from_slice(args);
        Cli::parse_or_explain(all)
    }

    #[test]
    fn run_accepts_connection_flags_and_config() {
        let cli =
            parse(&["run", "--kubeconfig", "/tmp/kc", "--context", "dev", "--namespace", "weka"])
                .expect("parses");
        let Command::Run(run) = cli.command else { panic!("not run") };
        assert_eq!(run.connect.context.as_deref(), Some("dev"));
        assert_eq!(run.config.scope.namespace(), Some("weka"));
    }

    #[test]
    fn simulate_takes_several_files_and_passes_flags_after_dashes_to_the_operator() {
        let cli = parse(&[
            "simulate",
            "--apply",
            "a.yaml",
            "b.yaml",
            "--until-ready",
            "--timeout",
            "90s",
            "--",
            "--log-level=debug",
        ])
        .unwrap();
        let Command::Simulate(sim) = cli.command else { panic!("not simulate") };
        assert_eq!(sim.apply.len(), 2);
        assert_eq!(sim.timeout, std::time::Duration::from_secs(90));
        assert_eq!(sim.operator_args, ["--log-level=debug"]);
        assert!(parse(&["simulate", "--faults", "meteor"]).is_err());
        let Command::Bench(bench) = parse(&["bench", "--json"]).unwrap().command else {
            panic!("not bench")
        };
        assert_eq!((bench.nodes, bench.containers), (200, 1000));
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_repeated_flag_keeps_its_last_value() {
        let cli = parse(&["run", "--shutdown-timeout", "1s", "--shutdown-timeout", "2s"]).unwrap();
        let Command::Run(run) = cli.command else { panic!("not run") };
        assert_eq!(run.config.timeouts.shutdown, std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_bad_value_names_flag_env_and_value() {
        let err = parse(&["run", "--reconcile-timeout", "5parsecs"]).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.exit_code(), 2);
        assert!(text.contains("--reconcile-timeout"), "{text}");
        assert!(text.contains("RECONCILE_TIMEOUT"), "{text}");
        assert!(text.contains("5parsecs"), "{text}");
        let err = parse(&["run", "--enable-leader-election=yes"]).unwrap_err();
        assert!(err.to_string().contains("ENABLE_LEADER_ELECTION"), "{err}");
    }
}
