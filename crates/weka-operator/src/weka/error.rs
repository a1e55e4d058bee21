//! What can go wrong talking to WEKA, classified from the exec outcome and the stderr
//! substrings upstream matches. Command lines in here are already redacted when sensitive.

use super::exec::ExecError;

#[derive(Debug, thiserror::Error)]
pub enum WekaError {
    /// The command did not run to completion (timeout, pod or container gone, stream error).
    #[error("exec of `{command}` failed: {source}")]
    Transport {
        command: String,
        #[source]
        source: ExecError,
    },
    /// The command ran and failed in a way no idempotency rule accepts.
    #[error("`{command}` failed with exit code {exit_code}: {stderr}")]
    CommandFailed { command: String, exit_code: i32, stderr: String },
    /// Stdout was not the JSON the command should print.
    #[error("`{command}` printed unexpected JSON: {error}")]
    BadJson { command: String, error: String },
    /// The command succeeded but printed nothing where a value was expected.
    #[error("`{command}` printed nothing")]
    EmptyOutput { command: String },
    /// The object does not exist (an empty listing, or WEKA saying so).
    #[error("{what} not found")]
    NotFound { what: String },
    /// Creation refused because the object exists: callers usually treat it as done
    /// ([`AlreadyDone::or_already_done`]).
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    /// `cluster drive add` of a device WEKA already uses: usually the drive is added.
    #[error("device {device} is already in use (adding to container {container_id})")]
    DeviceInUse { container_id: i64, device: String },
    /// The local container is not (yet) a member of a cluster.
    #[error("container {container} is not part of a cluster yet: {reason}")]
    NotJoined { container: String, reason: String },
    /// The in-pod runtime has not bound its persistent directory yet.
    #[error("persistency is not yet configured")]
    PersistencyNotConfigured,
    /// `resources.json` read back differs from what was written.
    #[error("resources.json does not hold the expected allocations")]
    ResourcesMismatch,
    /// WEKA allows one interface per container in an NFS interface group.
    #[error(
        "container {container_id} already has another interface in NFS interface group {group}: {stderr}"
    )]
    InterfaceGroupConflict { group: String, container_id: i64, stderr: String },
    /// An argument the service cannot turn into a command line.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl WekaError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, WekaError::Transport { source: ExecError::Timeout(_), .. })
    }

    /// The pod or its `weka-container` does not exist or does not run.
    pub fn is_container_gone(&self) -> bool {
        matches!(self, WekaError::Transport { source, .. } if source.is_gone())
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, WekaError::NotFound { .. })
    }

    /// Creating what already exists, or adding a device already in use.
    pub fn is_already_done(&self) -> bool {
        matches!(self, WekaError::AlreadyExists { .. } | WekaError::DeviceInUse { .. })
    }
}

/// Treats "already exists" / "already in use" as success, as upstream's callers do.
pub trait AlreadyDone {
    fn or_already_done(self) -> Result<(), WekaError>;
}

impl AlreadyDone for Result<(), WekaError> {
    fn or_already_done(self) -> Result<(), WekaError> {
        match self {
            Err(e) if e.is_already_done() => Ok(()),
            other => other,
        }
    }
}
