//! `wekaauthcli status --json`: cluster health, drive and container counts, capacity.

use serde::Deserialize;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::json::nullable;

/// The fields of `weka status --json` the operator reads (upstream's `WekaStatusResponse`,
/// plus `io_status`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WekaStatus {
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    #[serde(deserialize_with = "nullable")]
    pub io_status: String,
    pub active_alerts_count: i64,
    pub activity: Activity,
    pub capacity: Capacity,
    pub cloud: Cloud,
    pub containers: ContainerCounts,
    pub drives: Counter,
    pub rebuild: Rebuild,
    pub hot_spare: i64,
    pub stripe_data_drives: i64,
    pub stripe_protection_drives: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Activity {
    pub num_ops: f64,
    pub num_reads: f64,
    pub num_writes: f64,
    pub obs_download_bytes_per_second: f64,
    pub obs_upload_bytes_per_second: f64,
    pub sum_bytes_read: f64,
    pub sum_bytes_written: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Capacity {
    pub unprovisioned_bytes: i64,
    pub total_bytes: i64,
    pub unavailable_bytes: i64,
    pub hot_spare_bytes: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Cloud {
    pub enabled: bool,
    pub healthy: bool,
    #[serde(deserialize_with = "nullable")]
    pub proxy: String,
    #[serde(deserialize_with = "nullable")]
    pub url: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Counter {
    pub active: i64,
    pub total: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ContainerCounts {
    pub active: i64,
    pub total: i64,
    pub backends: Counter,
    pub clients: Counter,
    pub computes: Counter,
    pub drives: Counter,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Rebuild {
    #[serde(rename = "movingData")]
    pub moving_data: bool,
    #[serde(rename = "progressPercent")]
    pub progress_percent: f64,
    /// Untagged in upstream's Go struct: matched case-insensitively.
    #[serde(rename = "protectionState", alias = "ProtectionState", deserialize_with = "nullable")]
    pub protection_state: Vec<ProtectionState>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProtectionState {
    #[serde(rename = "MiB")]
    pub mib: i64,
    #[serde(rename = "numFailures")]
    pub num_failures: i64,
    pub percent: f64,
}

impl Rebuild {
    /// No data sits at a failure level above zero.
    pub fn is_fully_protected(&self) -> bool {
        !self.protection_state.iter().any(|p| p.percent > 0.0 && p.num_failures > 0)
    }
}

impl WekaCli {
    /// `wekaauthcli status --json`.
    pub async fn status(&self) -> Result<WekaStatus, WekaError> {
        self.run_json(&Command::argv("status", ["wekaauthcli", "status", "--json"])).await
    }
}
