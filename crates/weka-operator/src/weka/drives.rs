//! Cluster drives: list, get, add, deactivate, remove.

use serde::Deserialize;

use super::cli::{WekaCli, failed};
use super::command::Command;
use super::error::WekaError;
use super::json::{nullable, parse_weka_id};

/// A drive as `cluster drive --json` prints it (weka-k8s-api's `Drive`, snake_case keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Drive {
    #[serde(deserialize_with = "nullable")]
    pub uuid: String,
    #[serde(deserialize_with = "nullable")]
    pub serial_number: String,
    /// `ACTIVE`, `INACTIVE`, `PHASING_OUT`, `FAILED`...
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    /// The owning container, `HostId<N>`.
    #[serde(deserialize_with = "nullable")]
    pub host_id: String,
    #[serde(deserialize_with = "nullable")]
    pub device_path: String,
    pub size_bytes: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub added_time: String,
}

impl Drive {
    pub fn container_id(&self) -> Option<i64> {
        parse_weka_id(&self.host_id)
    }
}

/// Filters of `cluster drive --filter`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriveFilter {
    pub container_id: Option<i64>,
    pub status: Option<String>,
}

impl WekaCli {
    /// `wekaauthcli cluster drive --json [--filter host=<id>,status=<status>]`.
    pub async fn list_drives(&self, filter: &DriveFilter) -> Result<Vec<Drive>, WekaError> {
        let mut argv: Vec<String> =
            ["wekaauthcli", "cluster", "drive", "--json"].map(String::from).to_vec();
        let mut filters = Vec::new();
        if let Some(id) = filter.container_id {
            filters.push(format!("host={id}"));
        }
        if let Some(status) = &filter.status {
            filters.push(format!("status={status}"));
        }
        if !filters.is_empty() {
            argv.extend(["--filter".to_string(), filters.join(",")]);
        }
        self.run_json(&Command::argv("cluster drive", argv)).await
    }

    /// `wekaauthcli cluster drive --container <id> --json`, serial numbers trimmed.
    pub async fn list_container_drives(&self, container_id: i64) -> Result<Vec<Drive>, WekaError> {
        let id = container_id.to_string();
        let argv = ["wekaauthcli", "cluster", "drive", "--container", id.as_str(), "--json"];
        let mut drives: Vec<Drive> = self.run_json(&Command::argv("cluster drive", argv)).await?;
        for drive in &mut drives {
            drive.serial_number = drive.serial_number.trim().to_string();
        }
        Ok(drives)
    }

    /// `wekaauthcli cluster drive <uuid> --json`; [`WekaError::NotFound`] on an empty list.
    pub async fn get_drive(&self, uuid: &str) -> Result<Drive, WekaError> {
        let argv = ["wekaauthcli", "cluster", "drive", uuid, "--json"];
        let drives: Vec<Drive> = self.run_json(&Command::argv("cluster drive", argv)).await?;
        drives
            .into_iter()
            .next()
            .ok_or_else(|| WekaError::NotFound { what: format!("drive {uuid}") })
    }

    /// `weka cluster drive add <id> <device> [--pool <pool>]`, run (without the auth wrapper)
    /// in the drive container itself. A device WEKA already uses is
    /// [`WekaError::DeviceInUse`]: the drive was most likely added before.
    pub async fn add_drive(
        &self,
        container_id: i64,
        device_path: &str,
        pool: Option<&str>,
    ) -> Result<(), WekaError> {
        let mut argv: Vec<String> = ["weka", "cluster", "drive", "add"].map(String::from).to_vec();
        argv.extend([container_id.to_string(), device_path.to_string()]);
        if let Some(pool) = pool.filter(|p| !p.is_empty()) {
            argv.extend(["--pool".to_string(), pool.to_string()]);
        }
        let cmd = Command::argv("cluster drive add", argv);
        let out = self.exec(&cmd).await?;
        match out.exit_code {
            0 => Ok(()),
            _ if out.stderr.contains("Device is already in use") => {
                Err(WekaError::DeviceInUse { container_id, device: device_path.to_string() })
            }
            _ => Err(failed(&cmd, &out)),
        }
    }

    /// `wekaauthcli cluster drive deactivate <uuid> -f`.
    pub async fn deactivate_drive(&self, uuid: &str) -> Result<(), WekaError> {
        let argv = ["wekaauthcli", "cluster", "drive", "deactivate", uuid, "-f"];
        self.run(&Command::argv("cluster drive deactivate", argv)).await.map(drop)
    }

    /// `wekaauthcli cluster drive remove <uuid> -f`; a drive that does not exist is done.
    pub async fn remove_drive(&self, uuid: &str) -> Result<(), WekaError> {
        let argv = ["wekaauthcli", "cluster", "drive", "remove", uuid, "-f"];
        let gone = format!("The given drive \"{uuid}\" does not exist");
        self.run_accepting(&Command::argv("cluster drive remove", argv), |stderr| {
            stderr.contains(&gone)
        })
        .await
    }
}
