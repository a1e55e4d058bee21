//! The JSON-RPC API of a local container's socket (`POST /api/v1` on
//! `local-sockets/<name>/container.sock`), which the node agent calls for the operator:
//! - `get_local_config_summary`: the member's processes per role, its drives and the
//!   cluster's filesystems; `has_lease` is false while the member is not reachable (STEM,
//!   joining, DOWN), which tells the agent to ignore the answer;
//! - `fetch_local_realtime_cpu_usage`: CPU per process, by `NodeId<N>` (a steady figure:
//!   busier once IO started; an error for a process that is down);
//! - `fetch_local_stats`: no statistics are simulated (an empty list);
//! - the ssdproxy's `ssd_proxy_*` methods over the node's [`super::virtual_drives`].
//!
//! Answers are JSON with WEKA's field names (this crate does not know the agent's types).

use serde_json::{Map, Value, json};

use crate::world::WekaWorld;
use crate::world::cluster::{Cluster, IoStatus};
use crate::world::container::ClusterContainer;
use crate::world::local::{AgentKey, ContainerKind, LocalContainer, ProcessRole};
use crate::world::virtual_drives::{VirtualDriveError, VirtualDriveSlice};

pub const GET_LOCAL_CONFIG_SUMMARY: &str = "get_local_config_summary";
pub const FETCH_LOCAL_REALTIME_CPU_USAGE: &str = "fetch_local_realtime_cpu_usage";
pub const FETCH_LOCAL_STATS: &str = "fetch_local_stats";
pub const SSD_PROXY_ADD_VIRTUAL_DRIVE: &str = "ssd_proxy_add_virtual_drive";
pub const SSD_PROXY_REMOVE_VIRTUAL_DRIVE: &str = "ssd_proxy_remove_virtual_drive";
pub const SSD_PROXY_LIST_VIRTUAL_DRIVES: &str = "ssd_proxy_list_virtual_drives";
pub const SSD_PROXY_LIST_PHYSICAL_DRIVES: &str = "ssd_proxy_list_physical_drives";

/// CPU a process of a member reports, in percent.
const CPU_IDLE: f64 = 2.5;
const CPU_SERVING_IO: f64 = 38.0;

/// Why a call failed. The first two are about reaching the socket; the others are JSON-RPC
/// error objects ([`LocalRpcError::code`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocalRpcError {
    /// No such local container: its socket does not exist.
    #[error("no local container {name} for {agent}")]
    NoContainer { agent: String, name: String },
    /// The container (or its agent) is not running: nothing listens on the socket.
    #[error("connection refused: container {0} is not running")]
    NotRunning(String),
    #[error("Method not found: {0}")]
    MethodNotFound(String),
    #[error("Invalid params: {0}")]
    InvalidParams(String),
    #[error("{0}")]
    Failed(String),
}

impl LocalRpcError {
    /// The JSON-RPC error code of the error object.
    pub fn code(&self) -> i64 {
        match self {
            LocalRpcError::MethodNotFound(_) => -32601,
            LocalRpcError::InvalidParams(_) => -32602,
            _ => -32000,
        }
    }
}

impl From<VirtualDriveError> for LocalRpcError {
    fn from(e: VirtualDriveError) -> Self {
        match e {
            VirtualDriveError::Invalid(m) => LocalRpcError::InvalidParams(m),
            other => LocalRpcError::Failed(other.to_string()),
        }
    }
}

fn string_param(params: &Map<String, Value>, key: &str) -> Result<String, LocalRpcError> {
    params
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .ok_or_else(|| LocalRpcError::InvalidParams(format!("{key} is required")))
}

fn size_param(params: &Map<String, Value>, key: &str) -> Result<u64, LocalRpcError> {
    let value = params
        .get(key)
        .ok_or_else(|| LocalRpcError::InvalidParams(format!("{key} is required")))?;
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0).map(|f| f as u64))
        .ok_or_else(|| {
            LocalRpcError::InvalidParams(format!("{key} must be a non-negative integer"))
        })
}

fn role_key(role: ProcessRole) -> &'static str {
    match role {
        ProcessRole::Management => "management",
        ProcessRole::Drives => "drive",
        ProcessRole::Compute => "compute",
        ProcessRole::Frontend => "frontend",
    }
}

impl WekaWorld {
    /// Calls `method` on local container `name` of `agent`.
    pub fn local_rpc(
        &mut self,
        agent: &AgentKey,
        name: &str,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, LocalRpcError> {
        self.settle();
        let local =
            self.agents.get(agent).and_then(|a| a.containers.get(name).map(|c| (a.running, c)));
        let Some((agent_running, lc)) = local else {
            return Err(LocalRpcError::NoContainer { agent: agent.to_string(), name: name.into() });
        };
        if !agent_running || !lc.is_running() {
            return Err(LocalRpcError::NotRunning(name.to_string()));
        }
        let (kind, node) = (lc.spec.kind, lc.spec.hostname.clone());
        match method {
            GET_LOCAL_CONFIG_SUMMARY => Ok(self.config_summary(lc)),
            FETCH_LOCAL_REALTIME_CPU_USAGE => Ok(self.cpu_usage(lc)),
            FETCH_LOCAL_STATS => Ok(json!([])),
            m if m.starts_with("ssd_proxy_") && kind == ContainerKind::SsdProxy => {
                self.ssd_proxy(&node, method, params)
            }
            other => Err(LocalRpcError::MethodNotFound(other.to_string())),
        }
    }

    /// The member behind a local container, with its cluster.
    fn member_of(&self, lc: &LocalContainer) -> Option<(&Cluster, &ClusterContainer)> {
        let identity = lc.identity.as_ref()?;
        let cluster = self.clusters.get(&identity.guid)?;
        Some((cluster, cluster.containers.get(&identity.host)?))
    }

    fn config_summary(&self, lc: &LocalContainer) -> Value {
        let mut roles: Map<String, Value> =
            ["drive", "dataserv", "management", "compute", "frontend"]
                .into_iter()
                .map(|k| (k.to_string(), json!({"up": 0, "total": 0})))
                .collect();
        let (mut up, mut total) = (0, 0);
        let Some((cluster, member)) = self.member_of(lc) else {
            roles.insert("total".into(), json!({"up": 0, "total": 0}));
            return json!({
                "has_lease": false,
                "filesystems_summary": [],
                "disks_summary": [],
                "host_name": lc.spec.hostname,
                "host_id": "",
                "processes_summary": roles,
            });
        };
        for process in &member.processes {
            let is_up = member.process_status(process) == "UP";
            total += 1;
            up += i64::from(is_up);
            for role in &process.roles {
                let entry = &mut roles[role_key(*role)];
                entry["total"] = json!(entry["total"].as_i64().unwrap_or(0) + 1);
                entry["up"] = json!(entry["up"].as_i64().unwrap_or(0) + i64::from(is_up));
            }
        }
        roles.insert("total".into(), json!({"up": up, "total": total}));
        let disks: Vec<Value> = cluster
            .drives_of(member.host)
            .map(|d| {
                json!({
                    "disk_id": d.disk.to_string(),
                    "uid": d.uuid,
                    "serial_number": d.serial,
                    "dev_uuid": d.uuid,
                    "status": d.status().as_str(),
                    "isFailed": d.failed,
                    "name": d.device_path,
                })
            })
            .collect();
        let filesystems: Vec<Value> = cluster
            .fs
            .filesystems
            .iter()
            .map(|f| json!({"filesystem_id": f.id.to_string(), "name": f.name}))
            .collect();
        json!({
            "has_lease": member.is_reachable(),
            "filesystems_summary": filesystems,
            "disks_summary": disks,
            "host_name": member.hostname,
            "host_id": member.host.to_string(),
            "processes_summary": roles,
        })
    }

    fn cpu_usage(&self, lc: &LocalContainer) -> Value {
        let Some((cluster, member)) = self.member_of(lc) else {
            return json!({});
        };
        let busy = if cluster.io_status == IoStatus::Started { CPU_SERVING_IO } else { CPU_IDLE };
        let usage: Map<String, Value> = member
            .processes
            .iter()
            .map(|p| {
                let load = if member.process_status(p) == "UP" {
                    json!({"value": busy, "err": null})
                } else {
                    json!({"value": null, "err": "process is not up"})
                };
                (p.node.to_string(), load)
            })
            .collect();
        Value::Object(usage)
    }

    fn ssd_proxy(
        &mut self,
        node: &str,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Value, LocalRpcError> {
        match method {
            SSD_PROXY_ADD_VIRTUAL_DRIVE => {
                let slice = VirtualDriveSlice {
                    virtual_uuid: string_param(params, "virtualUuid")?,
                    physical_uuid: string_param(params, "physicalUuid")?,
                    cluster_guid: string_param(params, "clusterGuid")?,
                    size_gb: size_param(params, "sizeGB")?,
                };
                let answer = json!({
                    "uuid": slice.virtual_uuid,
                    "physicalUuid": slice.physical_uuid,
                    "clusterGuid": slice.cluster_guid,
                    "sizeGB": slice.size_gb,
                });
                self.add_virtual_drive(node, slice)?;
                Ok(answer)
            }
            SSD_PROXY_REMOVE_VIRTUAL_DRIVE => {
                let virtual_uuid = string_param(params, "virtualUuid")?;
                let removed = self.remove_virtual_drive(node, &virtual_uuid);
                Ok(json!({"uuid": virtual_uuid, "removed": removed}))
            }
            SSD_PROXY_LIST_VIRTUAL_DRIVES => {
                let physical = string_param(params, "physicalUuid")?;
                let slices: Vec<Value> = self
                    .proxy_drives(node)
                    .map(|d| {
                        d.slices_of(&physical)
                            .map(|s| {
                                json!({"uuid": s.virtual_uuid, "clusterGuid": s.cluster_guid,
                                       "sizeGB": s.size_gb})
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Value::Array(slices))
            }
            SSD_PROXY_LIST_PHYSICAL_DRIVES => {
                let drives: Vec<Value> = self
                    .proxy_drives(node)
                    .map(|d| {
                        d.physical
                            .values()
                            .map(|p| {
                                json!({
                                    "numVirtualDrives": d.slices_of(&p.uuid).count(),
                                    "physicalUuid": p.uuid,
                                    "sizeGB": p.size_gb,
                                    "model": p.model,
                                    "pciAddress": p.pci_address,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Value::Array(drives))
            }
            other => Err(LocalRpcError::MethodNotFound(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests;
