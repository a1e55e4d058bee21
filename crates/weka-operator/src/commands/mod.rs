//! One module per subcommand.

pub mod bench;
pub mod crds;
pub mod node_agent;
pub mod run;
pub mod simulate;

/// Errors of the subcommands.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("invalid configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("invalid configuration: {0}")]
    Telemetry(#[from] crate::telemetry::TelemetryError),
    #[error(transparent)]
    Run(#[from] crate::runtime::RunError),
    #[error(transparent)]
    Simulate(#[from] simulate::SimulateError),
    #[error(transparent)]
    Bench(#[from] bench::BenchError),
    #[error("invalid OPERATOR_MODE {0:?}: expected manager or node-agent")]
    UnknownMode(String),
    #[error(transparent)]
    NodeAgent(#[from] crate::node_agent::AgentError),
}

impl CommandError {
    /// 2 for bad configuration (as clap's usage errors), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Config(_) | CommandError::Telemetry(_) => 2,
            _ => 1,
        }
    }
}
