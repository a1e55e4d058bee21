//! [`LinuxHost`]: the agent on a real node. It reads the token file, the node's block devices
//! (`drives.rs`), the wekafs driver's interface files (`mounts.rs`) and talks JSON-RPC to
//! local WEKA containers over their unix sockets (`jsonrpc.rs`). Every path comes from
//! [`LinuxPaths`], so tests run it against a directory tree.

mod drives;
mod jsonrpc;
mod mounts;

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::host::{HostError, LocalTarget, MountsInterface, NodeHost};
use super::protocol::{DriveInfo, TOKEN_FILE};

pub use drives::{UNSIGNED_SIGNATURE, WEKA_PARTITION_TYPE};
pub use mounts::parse_active_mounts;

/// Upstream's HTTP timeout for calls to local containers.
pub const LOCAL_RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the agent finds things on its node (the agent pod's mounts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinuxPaths {
    /// The token Secret's file.
    pub token_file: PathBuf,
    /// `/dev`: block devices, and `disk/by-path`, `disk/by-id` under it.
    pub dev: PathBuf,
    /// `/sys/class/block`: a partition's device path (its parent disk, the NVMe serial).
    pub sys_class_block: PathBuf,
    /// `/sys/block`: a disk's `major:minor`.
    pub sys_block: PathBuf,
    /// The host's udev database (`/run` of the host, mounted at `/host/run`).
    pub udev_data: PathBuf,
    /// `/proc/wekafs`: the WEKA driver's interface files.
    pub proc_wekafs: PathBuf,
    /// Per-WekaContainer shared directories (`<uid>/local-sockets/<name>/container.sock`).
    pub containers: PathBuf,
    /// Where short links to long socket paths are made (unix socket paths are limited).
    pub tmp: PathBuf,
}

impl Default for LinuxPaths {
    fn default() -> Self {
        Self::rooted(Path::new("/"))
    }
}

impl LinuxPaths {
    /// Every path under `root` (`/` on a node, a temporary directory in tests).
    pub fn rooted(root: &Path) -> Self {
        let at = |p: &str| root.join(p.trim_start_matches('/'));
        LinuxPaths {
            token_file: at(TOKEN_FILE),
            dev: at("/dev"),
            sys_class_block: at("/sys/class/block"),
            sys_block: at("/sys/block"),
            udev_data: at("/host/run/udev/data"),
            proc_wekafs: at("/proc/wekafs"),
            containers: at("/host-binds/shared/containers"),
            tmp: at("/tmp"),
        }
    }
}

/// The agent's host on a real Linux node.
#[derive(Clone, Debug, Default)]
pub struct LinuxHost {
    paths: LinuxPaths,
    rpc_timeout: Option<Duration>,
}

impl LinuxHost {
    pub fn new(paths: LinuxPaths) -> Self {
        LinuxHost { paths, rpc_timeout: None }
    }

    /// Overrides [`LOCAL_RPC_TIMEOUT`] (tests).
    pub fn with_rpc_timeout(mut self, timeout: Duration) -> Self {
        self.rpc_timeout = Some(timeout);
        self
    }

    pub fn paths(&self) -> &LinuxPaths {
        &self.paths
    }
}

#[async_trait]
impl NodeHost for LinuxHost {
    async fn read_token(&self) -> Result<String, HostError> {
        let path = &self.paths.token_file;
        tokio::fs::read_to_string(path)
            .await
            .map_err(|e| HostError::io(format!("read {}", path.display()), e))
    }

    async fn find_drives(&self) -> Result<Vec<DriveInfo>, HostError> {
        let paths = self.paths.clone();
        tokio::task::spawn_blocking(move || drives::discover(&paths))
            .await
            .map_err(|e| HostError::Transport(format!("drive discovery panicked: {e}")))?
    }

    async fn active_mounts(&self, interface: MountsInterface<'_>) -> Result<i64, HostError> {
        let file = match interface {
            MountsInterface::Global => self.paths.proc_wekafs.join("interface"),
            MountsInterface::Container { name, .. } => {
                self.paths.proc_wekafs.join(name).join("interface")
            }
        };
        mounts::read_active_mounts(&file).await
    }

    async fn local_rpc(
        &self,
        target: &LocalTarget,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<Value, HostError> {
        let timeout = self.rpc_timeout.unwrap_or(LOCAL_RPC_TIMEOUT);
        jsonrpc::call(&self.paths, target, method, params, timeout).await
    }
}

#[cfg(test)]
mod tests;
