//! [`SimHost`]: the agent's node in the simulator. Answers come from wekasim's world through
//! the [`WekaRuntime`] that runs the WEKA pods:
//! - the token: the file the kubelet wrote from the pod's `token` Secret volume;
//! - drives: the node's WEKA-partitioned disks as the runtime reports them in `drives.json`
//!   ([`WekaRuntime::kernel_drives`]), so both views agree;
//! - active mounts: wekasim's per-container counts, the node's driver summing them; no
//!   interface at all while the node's WEKA drivers are not loaded;
//! - JSON-RPC: [`wekasim::WekaWorld::local_rpc`] on the local container whose WekaContainer
//!   UID the runtime bound when the pod started (only containers of this node are reachable).

use async_trait::async_trait;
use kubesim::nodes::behaviour::{Fs, FsError};
use serde_json::{Map, Value};
use wekasim::AgentKey;
use wekasim::runtime::WekaRuntime;
use wekasim::world::local_rpc::LocalRpcError;

use crate::node_agent::host::{HostError, LocalTarget, MountsInterface, NodeHost};
use crate::node_agent::protocol::{DriveInfo, TOKEN_FILE};

/// The simulated node under one agent.
#[derive(Clone)]
pub struct SimHost {
    runtime: WekaRuntime,
    node: String,
    /// The agent container's filesystem (the token file).
    fs: Fs,
}

impl SimHost {
    pub fn new(runtime: WekaRuntime, node: impl Into<String>, fs: Fs) -> Self {
        SimHost { runtime, node: node.into(), fs }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    fn no_interface(path: &str) -> HostError {
        HostError::NotFound(format!("open {path}: no such file or directory"))
    }

    /// The agent of a WekaContainer UID, if its local container `name` runs on this node.
    fn local_on_node(&self, uid: &str, name: &str) -> Option<AgentKey> {
        let world = self.runtime.lock_world();
        let agent = world.agent_of_kubernetes_uid(uid)?.clone();
        let local = world.local_container(&agent, name)?;
        (local.spec.hostname == self.node).then_some(agent)
    }
}

fn socket_path(target: &LocalTarget) -> String {
    format!(
        "/host-binds/shared/containers/{}/local-sockets/{}/container.sock",
        target.container_id, target.weka_container_name
    )
}

#[async_trait]
impl NodeHost for SimHost {
    async fn read_token(&self) -> Result<String, HostError> {
        self.fs.read_string(TOKEN_FILE).map_err(|e| match e {
            FsError::NotFound(_) => HostError::NotFound(e.to_string()),
            other => HostError::Parse(other.to_string()),
        })
    }

    async fn find_drives(&self) -> Result<Vec<DriveInfo>, HostError> {
        let drives = self.runtime.kernel_drives(&self.node);
        Ok(drives
            .into_iter()
            .map(|d| DriveInfo {
                serial_id: d.serial_id,
                device_path: d.block_device,
                partition: d.partition,
                is_signed: d.is_signed,
                weka_guid: d.weka_guid,
            })
            .collect())
    }

    async fn active_mounts(&self, interface: MountsInterface<'_>) -> Result<i64, HostError> {
        if !self.runtime.drivers_loaded(&self.node) {
            return Err(Self::no_interface("/proc/wekafs/interface"));
        }
        let mounts = match interface {
            MountsInterface::Global => {
                self.runtime.with_world(|w| w.node_active_mounts(&self.node))
            }
            MountsInterface::Container { name, uuid } => {
                let agent = self.local_on_node(uuid, name);
                let path = format!("/proc/wekafs/{name}/interface");
                let agent = agent.ok_or_else(|| Self::no_interface(&path))?;
                let world = self.runtime.lock_world();
                world.active_mounts(&agent, name).ok_or_else(|| Self::no_interface(&path))?
            }
        };
        Ok(i64::try_from(mounts).unwrap_or(i64::MAX))
    }

    async fn local_rpc(
        &self,
        target: &LocalTarget,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<Value, HostError> {
        let not_found =
            || HostError::NotFound(format!("socket not found at path: {}", socket_path(target)));
        let agent = self
            .local_on_node(&target.container_id, &target.weka_container_name)
            .ok_or_else(not_found)?;
        let answer = self.runtime.lock_world().local_rpc(
            &agent,
            &target.weka_container_name,
            method,
            &params,
        );
        answer.map_err(|e| match e {
            LocalRpcError::NoContainer { .. } => not_found(),
            LocalRpcError::NotRunning(_) => HostError::Transport(e.to_string()),
            other => HostError::Rpc { code: other.code(), message: other.to_string() },
        })
    }
}
