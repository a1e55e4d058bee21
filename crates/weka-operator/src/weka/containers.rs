//! Cluster members and their processes: `cluster container`, `cluster process`, deactivate and
//! remove.

use serde::Deserialize;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::json::{host_id, nullable, parse_weka_id};

/// One row of `cluster container <id> --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ClusterContainer {
    /// `HostId<N>`.
    #[serde(deserialize_with = "nullable")]
    pub host_id: String,
    #[serde(deserialize_with = "nullable")]
    pub host_ip: String,
    #[serde(deserialize_with = "nullable")]
    pub hostname: String,
    #[serde(deserialize_with = "nullable")]
    pub container_name: String,
    #[serde(deserialize_with = "nullable")]
    pub uid: String,
    /// `ACTIVE`, `INACTIVE`...
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    /// `UP`, `DOWN`...
    #[serde(deserialize_with = "nullable")]
    pub status: String,
}

impl ClusterContainer {
    pub fn id(&self) -> Option<i64> {
        parse_weka_id(&self.host_id)
    }
}

/// One row of `cluster process --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Process {
    /// `UP`, `DOWN`...
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    /// `NodeId<N>`.
    #[serde(deserialize_with = "nullable")]
    pub node_id: String,
    /// `MANAGEMENT`, `DRIVES`, `COMPUTE`, `FRONTEND`.
    #[serde(deserialize_with = "nullable")]
    pub roles: Vec<String>,
    /// An untagged embedded struct upstream, hence the Go field name as key.
    #[serde(rename = "NodeInfo", alias = "nodeInfo", alias = "nodeinfo", alias = "node_info")]
    pub node_info: NodeInfo,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NodeInfo {
    #[serde(deserialize_with = "nullable")]
    pub host_id: String,
    #[serde(deserialize_with = "nullable")]
    pub container_name: String,
    pub slot: i64,
    #[serde(deserialize_with = "nullable")]
    pub mgmt_ips: Vec<String>,
    pub mgmt_port: i64,
}

impl Process {
    /// The N of `NodeId<N>`.
    pub fn process_id(&self) -> Option<i64> {
        parse_weka_id(&self.node_id)
    }

    /// The container the process belongs to.
    pub fn container_id(&self) -> Option<i64> {
        parse_weka_id(&self.node_info.host_id)
    }
}

impl WekaCli {
    /// `wekaauthcli cluster container <id> --json`; [`WekaError::NotFound`] on an empty list.
    pub async fn get_container(&self, container_id: i64) -> Result<ClusterContainer, WekaError> {
        let id = container_id.to_string();
        let argv = ["wekaauthcli", "cluster", "container", id.as_str(), "--json"];
        let rows: Vec<ClusterContainer> =
            self.run_json(&Command::argv("cluster container", argv)).await?;
        rows.into_iter()
            .next()
            .ok_or_else(|| WekaError::NotFound { what: format!("container {container_id}") })
    }

    /// `wekaauthcli cluster process --json [--filter containerId=<id>]`.
    pub async fn list_processes(
        &self,
        container_id: Option<i64>,
    ) -> Result<Vec<Process>, WekaError> {
        let mut argv: Vec<String> =
            ["wekaauthcli", "cluster", "process", "--json"].map(String::from).to_vec();
        if let Some(id) = container_id {
            argv.extend(["--filter".to_string(), format!("containerId={id}")]);
        }
        self.run_json(&Command::argv("cluster process", argv)).await
    }

    /// `wekaauthcli cluster container deactivate <id>`; an unknown container is done.
    pub async fn deactivate_container(&self, container_id: i64) -> Result<(), WekaError> {
        let id = container_id.to_string();
        let argv = ["wekaauthcli", "cluster", "container", "deactivate", id.as_str()];
        let cmd = Command::argv("cluster container deactivate", argv);
        self.run_accepting(&cmd, |stderr| host_not_found(stderr, container_id)).await
    }

    /// `wekaauthcli cluster container remove <id> [--no-unimprint]`; an unknown container is
    /// done.
    pub async fn remove_container(
        &self,
        container_id: i64,
        no_unimprint: bool,
    ) -> Result<(), WekaError> {
        let mut argv: Vec<String> =
            ["wekaauthcli", "cluster", "container", "remove"].map(String::from).to_vec();
        argv.push(container_id.to_string());
        if no_unimprint {
            argv.push("--no-unimprint".to_string());
        }
        let cmd = Command::argv("cluster container remove", argv);
        self.run_accepting(&cmd, |stderr| host_not_found(stderr, container_id)).await
    }
}

/// `error: Host HostId<N> not found`.
fn host_not_found(stderr: &str, container_id: i64) -> bool {
    stderr.contains(&format!("Host {} not found", host_id(container_id)))
}
