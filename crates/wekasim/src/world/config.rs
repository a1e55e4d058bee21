//! Cluster-wide settings the operator writes once: debug overrides, config overrides, Weka
//! Home (cloud), KMS, custom events, join tokens and the rolling-upgrade phase.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::error::WekaError;
use crate::world::cluster::Cluster;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `weka debug override add --key K [--value V]`.
    pub debug_overrides: BTreeMap<String, Option<String>>,
    /// `weka debug config override <key> <value>`.
    pub config_overrides: BTreeMap<String, String>,
    pub cloud: Cloud,
    pub kms: Option<Kms>,
    pub upgrade: Upgrade,
    pub events: Vec<CustomEvent>,
    pub dataservice_config_fs: Option<String>,
    pub join_tokens: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cloud {
    pub enabled: bool,
    pub url: String,
    pub proxy: String,
    pub stats: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kms {
    pub kind: String,
    pub address: String,
    pub key_name: String,
    pub kubernetes_role: Option<String>,
    pub auth_path: Option<String>,
    pub transit_path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomEvent {
    pub at: SystemTime,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpgradePhase {
    Drive,
    ComputeRolling,
    Frontend,
}

impl UpgradePhase {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "DrivePhase" => UpgradePhase::Drive,
            "ComputeRollingPhase" => UpgradePhase::ComputeRolling,
            "FrontendPhase" => UpgradePhase::Frontend,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UpgradePhase::Drive => "DrivePhase",
            UpgradePhase::ComputeRolling => "ComputeRollingPhase",
            UpgradePhase::Frontend => "FrontendPhase",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upgrade {
    pub leader_prepared: bool,
    pub phase: Option<UpgradePhase>,
    pub target_version: Option<String>,
}

impl Cluster {
    /// Without `force`, an existing key is refused with `already exists`.
    pub fn add_debug_override(
        &mut self,
        key: &str,
        value: Option<&str>,
        force: bool,
    ) -> Result<(), WekaError> {
        if !force && self.config.debug_overrides.contains_key(key) {
            return Err(WekaError::OverrideExists(key.to_string()));
        }
        self.config.debug_overrides.insert(key.to_string(), value.map(str::to_string));
        Ok(())
    }

    pub fn set_config_override(&mut self, key: &str, value: &str) {
        self.config.config_overrides.insert(key.to_string(), value.to_string());
    }

    pub fn enable_cloud(&mut self, url: &str, stats: bool) {
        let cloud = &mut self.config.cloud;
        cloud.enabled = true;
        cloud.url = url.to_string();
        cloud.stats = stats;
    }

    pub fn set_cloud_proxy(&mut self, proxy: &str) {
        self.config.cloud.proxy = proxy.to_string();
    }

    pub fn set_kms(&mut self, kms: Kms) {
        self.config.kms = Some(kms);
    }

    pub fn trigger_event(&mut self, text: &str, now: SystemTime) {
        self.config.events.push(CustomEvent { at: now, text: text.to_string() });
    }

    pub fn prepare_leader_for_upgrade(&mut self, prepared: bool) {
        self.config.upgrade.leader_prepared = prepared;
    }

    pub fn start_upgrade_phase(
        &mut self,
        phase: UpgradePhase,
        version: &str,
    ) -> Result<(), WekaError> {
        let upgrade = &mut self.config.upgrade;
        if let Some(active) = upgrade.phase {
            return Err(WekaError::UpgradePhaseActive(active.as_str().to_string()));
        }
        if !upgrade.leader_prepared {
            return Err(WekaError::LeaderNotPrepared);
        }
        upgrade.phase = Some(phase);
        upgrade.target_version = Some(version.to_string());
        Ok(())
    }

    /// Finishing when no phase runs is a no-op, so retried upgrade scripts can repeat it.
    pub fn finish_upgrade_phase(&mut self) {
        self.config.upgrade.phase = None;
    }
}
