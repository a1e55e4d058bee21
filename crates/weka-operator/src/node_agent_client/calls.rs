//! The agent's endpoints as typed calls (wire shapes in [`crate::node_agent::protocol`]).

use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{AgentEndpoint, AgentError, NodeAgentClient};
use crate::node_agent::protocol::{
    ActiveMountsResponse, DeregisterRequest, DriveInfo, FindDrivesResponse,
    GetContainerInfoRequest, GetContainerInfoResponse, JsonRpcProxyRequest, JsonRpcProxyResponse,
    MessageResponse, PATH_DEREGISTER, PATH_FIND_DRIVES, PATH_GET_ACTIVE_MOUNTS,
    PATH_GET_CONTAINER_INFO, PATH_JSONRPC, PATH_REGISTER, RegisterRequest, WekaContainerMetrics,
};
use crate::weka::files::KernelDrive;

/// `findDrives` and JSON-RPC calls get 30 s (upstream); active mounts 10 s.
const FIND_DRIVES_TIMEOUT: Duration = Duration::from_secs(30);
const JSONRPC_TIMEOUT: Duration = Duration::from_secs(30);
const ACTIVE_MOUNTS_TIMEOUT: Duration = Duration::from_secs(10);

impl From<DriveInfo> for KernelDrive {
    fn from(d: DriveInfo) -> Self {
        KernelDrive {
            serial_id: d.serial_id,
            device_path: d.device_path,
            partition: d.partition,
            is_signed: d.is_signed,
            weka_guid: d.weka_guid,
        }
    }
}

impl NodeAgentClient {
    /// The WEKA-partitioned drives the node's kernel shows.
    pub async fn find_drives(
        &self,
        agent: &AgentEndpoint,
        token: &str,
    ) -> Result<Vec<KernelDrive>, AgentError> {
        let answer: FindDrivesResponse =
            self.post(agent, token, PATH_FIND_DRIVES, &Map::new(), FIND_DRIVES_TIMEOUT).await?;
        if let Some(message) = answer.error.filter(|e| !e.is_empty()) {
            return Err(remote(agent, PATH_FIND_DRIVES, message));
        }
        Ok(answer.drives.into_iter().map(KernelDrive::from).collect())
    }

    /// Active wekafs mounts: of the local container `weka_container_name` (its WekaContainer
    /// has `uid`), or of the whole node when the container has no name. A 404 means the
    /// node has no wekafs driver loaded ([`AgentError::is_not_found`]).
    pub async fn active_mounts(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        weka_container_name: &str,
        uid: &str,
    ) -> Result<i64, AgentError> {
        let query: Vec<(&str, &str)> = if weka_container_name.is_empty() {
            Vec::new()
        } else {
            vec![("container_name", weka_container_name), ("container_uuid", uid)]
        };
        let path = PATH_GET_ACTIVE_MOUNTS;
        let answer: ActiveMountsResponse =
            self.get(agent, token, path, &query, ACTIVE_MOUNTS_TIMEOUT).await?;
        Ok(answer.active_mounts)
    }

    /// Registers (or refreshes) a container for the agent's metrics and JSON-RPC.
    pub async fn register(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        request: &RegisterRequest,
        timeout: Duration,
    ) -> Result<(), AgentError> {
        let _: MessageResponse = self.post(agent, token, PATH_REGISTER, request, timeout).await?;
        Ok(())
    }

    /// Forgets a container.
    pub async fn deregister(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        uid: &str,
        timeout: Duration,
    ) -> Result<(), AgentError> {
        let body = DeregisterRequest { container_id: uid.to_string() };
        let _: MessageResponse = self.post(agent, token, PATH_DEREGISTER, &body, timeout).await?;
        Ok(())
    }

    /// Processes, drives, CPU and throughput of a registered container.
    pub async fn container_info(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        uid: &str,
        timeout: Duration,
    ) -> Result<WekaContainerMetrics, AgentError> {
        let body = GetContainerInfoRequest { container_id: uid.to_string() };
        let answer: GetContainerInfoResponse =
            self.post(agent, token, PATH_GET_CONTAINER_INFO, &body, timeout).await?;
        Ok(answer.container_metrics)
    }

    /// One JSON-RPC call to the local WEKA container registered under `container_uid`; its
    /// `result`.
    pub async fn jsonrpc(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        container_uid: &str,
        method: &str,
        params: impl Serialize,
    ) -> Result<Value, AgentError> {
        let params = match serde_json::to_value(params) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(other) => {
                return Err(AgentError::Client(format!(
                    "{method}: params must be an object: {other}"
                )));
            }
            Err(e) => return Err(AgentError::Client(format!("{method}: {e}"))),
        };
        let body = JsonRpcProxyRequest {
            container_id: container_uid.to_string(),
            method: method.to_string(),
            params,
        };
        let answer: JsonRpcProxyResponse =
            self.post(agent, token, PATH_JSONRPC, &body, JSONRPC_TIMEOUT).await?;
        Ok(answer.result)
    }
}

fn remote(agent: &AgentEndpoint, path: &str, message: String) -> AgentError {
    AgentError::Remote { pod: agent.pod.clone(), path: path.to_string(), message }
}
