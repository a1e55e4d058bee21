//! Filesystems: list and capacity, filesystem groups, creation, data services configuration.

use serde::Deserialize;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::json::nullable;

/// One row of `weka fs --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Filesystem {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub uid: String,
    #[serde(deserialize_with = "nullable")]
    pub fs_id: String,
    #[serde(deserialize_with = "nullable")]
    pub group_id: String,
    #[serde(deserialize_with = "nullable")]
    pub group_name: String,
    pub is_ready: bool,
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    pub available_ssd: i64,
    pub ssd_budget: i64,
    pub total_budget: i64,
    pub used_ssd: i64,
    pub used_total: i64,
    #[serde(deserialize_with = "nullable")]
    pub obs_buckets: Vec<ObsBucket>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ObsBucket {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub uid: String,
    #[serde(deserialize_with = "nullable")]
    pub mode: String,
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    /// `UP` counts as active.
    #[serde(deserialize_with = "nullable")]
    pub status: String,
}

/// Capacity summed over the ready filesystems (upstream's `WekaCapacityInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapacityInfo {
    pub total_provisioned: i64,
    pub total_used: i64,
    pub total_available: i64,
    pub total_available_ssd: i64,
    pub total_provisioned_ssd: i64,
    pub total_used_ssd: i64,
    pub has_tiered_filesystems: bool,
    /// Provisioned beyond SSD, i.e. on object stores.
    pub total_obs: i64,
    pub obs_bucket_count: i64,
    pub active_obs_bucket_count: i64,
    pub filesystems: Vec<Filesystem>,
}

impl CapacityInfo {
    pub fn from_filesystems(filesystems: Vec<Filesystem>) -> Self {
        let mut info = CapacityInfo::default();
        for fs in filesystems.iter().filter(|fs| fs.is_ready) {
            info.total_provisioned += fs.total_budget;
            info.total_used += fs.used_total;
            info.total_available_ssd += fs.available_ssd;
            info.total_provisioned_ssd += fs.ssd_budget;
            info.total_used_ssd += fs.used_ssd;
            if !fs.obs_buckets.is_empty() {
                info.has_tiered_filesystems = true;
                info.obs_bucket_count += fs.obs_buckets.len() as i64;
                info.active_obs_bucket_count +=
                    fs.obs_buckets.iter().filter(|b| b.status == "UP").count() as i64;
            }
        }
        info.total_obs = info.total_provisioned - info.total_provisioned_ssd;
        info.total_available = info.total_provisioned - info.total_used;
        info.filesystems = filesystems;
        info
    }
}

/// How `fs create` sizes a filesystem (sizes in WEKA's notation, e.g. `10GiB`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsParams {
    pub total_capacity: String,
    /// Thin provisioning between [`FsParams::thick_capacity`] and the total.
    pub thin_provisioning: bool,
    pub thick_capacity: String,
    pub encrypted: bool,
    /// Encrypt without a KMS (`--allow-no-kms`).
    pub no_kms: bool,
}

impl WekaCli {
    /// `weka fs --json`.
    pub async fn list_filesystems(&self) -> Result<Vec<Filesystem>, WekaError> {
        self.run_json(&Command::argv("fs", ["weka", "fs", "--json"])).await
    }

    /// The filesystems and their summed capacity.
    pub async fn capacity(&self) -> Result<CapacityInfo, WekaError> {
        Ok(CapacityInfo::from_filesystems(self.list_filesystems().await?))
    }

    /// `weka fs group create <name>`; [`WekaError::AlreadyExists`] when it exists.
    pub async fn create_filesystem_group(&self, name: &str) -> Result<(), WekaError> {
        let cmd = Command::argv("fs group create", ["weka", "fs", "group", "create", name]);
        self.run_creating(&cmd, "already exists", format!("filesystem group {name}")).await
    }

    /// `wekaauthcli fs create <name> <group> <total> [--thin-provision-max-ssd <total>
    /// --thin-provision-min-ssd <thick>] [--encrypted [--allow-no-kms]]`;
    /// [`WekaError::AlreadyExists`] when it exists.
    pub async fn create_filesystem(
        &self,
        name: &str,
        group: &str,
        params: &FsParams,
    ) -> Result<(), WekaError> {
        let mut argv: Vec<String> =
            ["wekaauthcli", "fs", "create", name, group, &params.total_capacity]
                .map(String::from)
                .to_vec();
        if params.thin_provisioning {
            argv.extend([
                "--thin-provision-max-ssd".to_string(),
                params.total_capacity.clone(),
                "--thin-provision-min-ssd".to_string(),
                params.thick_capacity.clone(),
            ]);
        }
        if params.encrypted {
            argv.push("--encrypted".to_string());
            if params.no_kms {
                argv.push("--allow-no-kms".to_string());
            }
        }
        let cmd = Command::argv("fs create", argv);
        self.run_creating(&cmd, "already exists", format!("filesystem {name}")).await
    }

    /// `weka dataservice global-config set --config-fs .config_fs`.
    pub async fn configure_data_services(&self) -> Result<(), WekaError> {
        let argv = ["weka", "dataservice", "global-config", "set", "--config-fs", ".config_fs"];
        self.run(&Command::argv("dataservice global-config set", argv)).await.map(drop)
    }
}
