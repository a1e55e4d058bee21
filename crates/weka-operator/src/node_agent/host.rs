//! [`NodeHost`]: everything the agent needs from the machine it runs on, behind one trait, so
//! that the HTTP server is the same on a real node ([`super::linux::LinuxHost`]) and in the
//! simulator ([`super::sim::SimHost`]).

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::protocol::DriveInfo;

/// A local WEKA container the agent calls over JSON-RPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalTarget {
    /// UID of the WekaContainer (upstream names the socket directory after it).
    pub container_id: String,
    /// The local WEKA container name (`spec.wekaContainerName`), the socket's directory.
    pub weka_container_name: String,
    /// Name of the WekaContainer resource, for logs.
    pub container_name: String,
}

/// Which wekafs driver interface file to read active mounts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountsInterface<'a> {
    /// `/proc/wekafs/interface`: the node's driver.
    Global,
    /// `/proc/wekafs/<name>/interface`: one client container's driver (drivers that keep one
    /// interface per container). `uuid` is the WekaContainer UID the operator sent.
    Container { name: &'a str, uuid: &'a str },
}

/// What can go wrong on the machine side. [`HostError::NotFound`] is singled out because the
/// HTTP layer answers it with 404 (a missing socket, no wekafs driver).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A file or socket the request needs does not exist.
    #[error("{0}")]
    NotFound(String),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    /// A file or answer did not have the expected form.
    #[error("{0}")]
    Parse(String),
    /// The local container answered with a JSON-RPC error object.
    #[error("JSONRPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    /// The local container's HTTP server answered with another status than 200.
    #[error("status code: {0}")]
    Status(String),
    #[error("request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The connection or the HTTP exchange failed.
    #[error("{0}")]
    Transport(String),
}

impl HostError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        HostError::Io { context: context.into(), source }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, HostError::NotFound(_))
    }
}

/// The machine under the agent.
#[async_trait]
pub trait NodeHost: Send + Sync + 'static {
    /// The shared token the operator must present (the raw file contents; never logged).
    async fn read_token(&self) -> Result<String, HostError>;

    /// The node's WEKA-partitioned drives (upstream `discoverWekaDrives`).
    async fn find_drives(&self) -> Result<Vec<DriveInfo>, HostError>;

    /// The `Active mounts:` count of a wekafs interface; [`HostError::NotFound`] when that
    /// interface does not exist (no driver loaded, or no per-container interface).
    async fn active_mounts(&self, interface: MountsInterface<'_>) -> Result<i64, HostError>;

    /// One JSON-RPC 2.0 call to a local container; the `result` on success.
    /// [`HostError::NotFound`] when the container's socket does not exist.
    async fn local_rpc(
        &self,
        target: &LocalTarget,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<Value, HostError>;
}
