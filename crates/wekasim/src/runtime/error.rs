//! Why the runtime's main process fails (it logs the error and exits non-zero, as upstream's
//! Python does on an exception; the kubelet then restarts the container).

use kubesim::nodes::behaviour::FsError;

use crate::error::WekaError;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("MODE is not set")]
    NoMode,
    #[error("unsupported MODE {0:?}")]
    UnknownMode(String),
    #[error("NAME is not set")]
    NoName,
    #[error("Shutdown requested")]
    ShutdownRequested,
    #[error("Failed to read valid JSON from resources.json after {0} attempts")]
    BadResources(u32),
    #[error("resources.json has no {0}")]
    MissingResource(&'static str),
    #[error("BASE_PORT is not set")]
    NoBasePort,
    #[error("Failed to discover management IPs")]
    NoManagementIp,
    #[error("Failed writing {path}: {source}")]
    Write { path: String, source: FsError },
    #[error("Command {command} failed with exit code {code}: {stderr}")]
    Command { command: String, code: i32, stderr: String },
    #[error(transparent)]
    Weka(#[from] WekaError),
    #[error("unsupported instruction: {0}")]
    Instruction(String),
}
