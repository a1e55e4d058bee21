//! One module per subcommand.

pub mod crds;

/// Errors of the subcommands.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("`weka-operator {command}` is not implemented yet (issue {issue})")]
    NotYet { command: &'static str, issue: u32 },
}

pub fn not_yet(command: &'static str, issue: u32) -> Result<(), CommandError> {
    Err(CommandError::NotYet { command, issue })
}
