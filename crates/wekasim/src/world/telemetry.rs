//! Telemetry exports (`weka telemetry exports ...`) and audit (`weka audit ...`).

use std::collections::BTreeSet;

use crate::error::WekaError;
use crate::ids::TelemetrySinkId;
use crate::world::cluster::Cluster;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Telemetry {
    pub exports: Vec<TelemetryExport>,
    pub audit_cluster: bool,
    pub audit_filesystems: BTreeSet<String>,
    next_id: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryExport {
    pub id: TelemetrySinkId,
    pub name: String,
    /// `splunk`.
    pub kind: String,
    pub target: String,
    pub sources: Vec<String>,
    pub enabled: bool,
    pub auth_token: String,
    pub ca_cert: Option<String>,
    pub allow_unverified_certificate: bool,
    pub verify_with_cluster_cacert: bool,
}

/// The settings `exports add` and `exports update` carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSettings {
    pub target: String,
    pub auth_token: String,
    pub ca_cert: Option<String>,
    pub allow_unverified_certificate: bool,
    pub verify_with_cluster_cacert: bool,
}

impl Cluster {
    pub fn add_telemetry_export(
        &mut self,
        kind: &str,
        name: &str,
        sources: Vec<String>,
        settings: ExportSettings,
    ) -> Result<TelemetrySinkId, WekaError> {
        let telemetry = &mut self.telemetry;
        if let Some(existing) = telemetry.exports.iter().find(|e| e.name == name) {
            return Err(WekaError::ExportNameUsed { name: name.to_string(), id: existing.id });
        }
        let id = TelemetrySinkId(telemetry.next_id);
        telemetry.next_id += 1;
        telemetry.exports.push(TelemetryExport {
            id,
            name: name.to_string(),
            kind: kind.to_string(),
            target: settings.target,
            sources,
            enabled: true,
            auth_token: settings.auth_token,
            ca_cert: settings.ca_cert,
            allow_unverified_certificate: settings.allow_unverified_certificate,
            verify_with_cluster_cacert: settings.verify_with_cluster_cacert,
        });
        Ok(id)
    }

    pub fn update_telemetry_export(
        &mut self,
        id: TelemetrySinkId,
        settings: ExportSettings,
    ) -> Result<(), WekaError> {
        let export = self
            .telemetry
            .exports
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(WekaError::ExportNotFound(id))?;
        export.target = settings.target;
        export.auth_token = settings.auth_token;
        export.ca_cert = settings.ca_cert;
        export.allow_unverified_certificate = settings.allow_unverified_certificate;
        export.verify_with_cluster_cacert = settings.verify_with_cluster_cacert;
        Ok(())
    }

    pub fn remove_telemetry_export(&mut self, id: TelemetrySinkId) -> Result<(), WekaError> {
        let before = self.telemetry.exports.len();
        self.telemetry.exports.retain(|e| e.id != id);
        if self.telemetry.exports.len() == before {
            return Err(WekaError::ExportNotFound(id));
        }
        Ok(())
    }

    pub fn set_cluster_audit(&mut self, enable: bool) -> Result<(), WekaError> {
        match (enable, self.telemetry.audit_cluster) {
            (true, true) => Err(WekaError::AuditAlreadyEnabled),
            (false, false) => Err(WekaError::AuditNotEnabled),
            _ => {
                self.telemetry.audit_cluster = enable;
                Ok(())
            }
        }
    }

    pub fn enable_fs_audit(&mut self, fs: &str) -> Result<(), WekaError> {
        if self.fs.get(fs).is_none() {
            return Err(WekaError::FsNotFound(fs.to_string()));
        }
        if !self.telemetry.audit_filesystems.insert(fs.to_string()) {
            return Err(WekaError::FsAuditAlreadyEnabled(fs.to_string()));
        }
        Ok(())
    }
}
