//! One module per subcommand.

pub mod crds;
pub mod run;

/// Errors of the subcommands.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("`weka-operator {command}` is not implemented yet (issue {issue})")]
    NotYet { command: &'static str, issue: u32 },
    #[error("invalid configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("invalid configuration: {0}")]
    Telemetry(#[from] crate::telemetry::TelemetryError),
    #[error(transparent)]
    Run(#[from] crate::runtime::RunError),
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

pub fn not_yet(command: &'static str, issue: u32) -> Result<(), CommandError> {
    Err(CommandError::NotYet { command, issue })
}
