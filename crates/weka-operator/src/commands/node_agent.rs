//! `weka-operator node-agent`, and `weka-operator run` with `OPERATOR_MODE=node-agent`: the
//! per-node agent on a real node ([`LinuxHost`]), until SIGTERM or SIGINT. Upstream selects
//! the agent with `OPERATOR_MODE` only; the subcommand is the same thing spelled on the
//! command line.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::CommandError;
use crate::config::{BindAddress, Logging, parse};
use crate::node_agent::{AgentError, LinuxHost, LinuxPaths, NodeAgent, serve};
use crate::runtime::RunError;
use crate::shutdown::TerminationSignals;
use crate::telemetry;

/// What `OPERATOR_MODE` may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorMode {
    Manager,
    NodeAgent,
}

impl OperatorMode {
    pub fn parse(value: &str) -> Result<Self, CommandError> {
        match value.trim() {
            "manager" => Ok(OperatorMode::Manager),
            "node-agent" => Ok(OperatorMode::NodeAgent),
            other => Err(CommandError::UnknownMode(other.to_string())),
        }
    }
}

#[derive(Debug, Args)]
pub struct NodeAgentArgs {
    /// Listen address (HOST:PORT or :PORT).
    #[arg(long = "bind-address", env = "NODE_AGENT_BIND_ADDRESS", default_value = ":8090", value_parser = parse::bind_address, value_name = "ADDR")]
    pub bind_address: BindAddress,
    /// The node this agent runs on (downward API); labels its metrics.
    #[arg(long = "node-name", env = "NODE_NAME", default_value = "")]
    pub node_name: String,
    /// Root of the node's filesystem as the agent sees it (`/`; another directory in tests).
    #[arg(long = "host-root", default_value = "/", value_name = "DIR")]
    pub host_root: PathBuf,
    #[command(flatten)]
    pub logging: Logging,
}

/// `weka-operator node-agent`.
pub fn run(args: NodeAgentArgs) -> Result<(), CommandError> {
    telemetry::init(&args.logging)?;
    let paths = LinuxPaths::rooted(&args.host_root);
    start(args.bind_address, args.node_name, paths)
}

/// Runs the agent on a new tokio runtime until a termination signal (exit 0) or until the
/// token cannot be read (an error, exit 1).
pub fn start(bind: BindAddress, node_name: String, paths: LinuxPaths) -> Result<(), CommandError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    rt.block_on(serve_until_signal(bind, node_name, paths))?;
    Ok(())
}

async fn serve_until_signal(
    bind: BindAddress,
    node_name: String,
    paths: LinuxPaths,
) -> Result<(), AgentError> {
    let mut signals = TerminationSignals::install()
        .map_err(|source| AgentError::Bind { addr: "signal handlers".into(), source })?;
    let addr = bind.socket_addr().ok_or_else(|| AgentError::Bind {
        addr: bind.to_string(),
        source: std::io::Error::other("the node agent cannot be disabled"),
    })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| AgentError::Bind { addr: addr.to_string(), source })?;
    tracing::info!(%addr, node = %node_name, "node agent serving");
    let host = Arc::new(LinuxHost::new(paths));
    let agent = NodeAgent::with_node_name(host, Some(node_name));
    serve(listener, agent, async move {
        let signal = signals.recv().await;
        tracing::info!(signal, "node agent stopping");
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_upstream_modes_are_known() {
        assert_eq!(OperatorMode::parse("manager").unwrap(), OperatorMode::Manager);
        assert_eq!(OperatorMode::parse("node-agent").unwrap(), OperatorMode::NodeAgent);
        let err = OperatorMode::parse("agent").unwrap_err();
        assert_eq!(err.exit_code(), 1);
        assert!(err.to_string().contains("OPERATOR_MODE"), "{err}");
    }

    #[test]
    fn the_subcommand_and_run_take_the_bind_address() {
        use crate::cli::{Cli, Command};
        let cli = Cli::parse_or_explain(["weka-operator", "node-agent", "--bind-address", ":9000"])
            .expect("parses");
        let Command::NodeAgent(args) = cli.command else { panic!("not node-agent") };
        assert_eq!(args.bind_address.port(), Some(9000));
        assert_eq!(args.host_root, PathBuf::from("/"));
        let cli = Cli::parse_or_explain([
            "weka-operator",
            "run",
            "--operator-mode",
            "node-agent",
            "--node-agent-bind-address",
            "127.0.0.1:9001",
        ])
        .expect("parses");
        let Command::Run(run) = cli.command else { panic!("not run") };
        assert_eq!(run.config.mode.operator_mode, "node-agent");
        assert_eq!(run.config.mode.node_agent_bind_address.to_string(), "127.0.0.1:9001");
    }
}
