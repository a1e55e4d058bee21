//! Telemetry and audit: the telemetry container override, telemetry info, audit switches, and
//! Splunk exports whose token (and CA certificate) travel through short-lived files in the pod.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::json::{nullable, parse_weka_id};
use super::shell::single_quoted;

/// Exports the operator owns are named with this prefix.
pub const OPERATOR_EXPORT_PREFIX: &str = "operator-";

/// One row of `weka telemetry exports list -J`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TelemetryExport {
    /// `TelemetrySinkId<N>`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub target: String,
    #[serde(deserialize_with = "nullable")]
    pub sources: Vec<String>,
    pub enabled: bool,
}

impl TelemetryExport {
    /// The number the CLI's `update`/`remove` take; the id as printed when it has no number.
    pub fn numeric_id(&self) -> String {
        numeric_id(&self.id)
    }

    pub fn is_operator_owned(&self) -> bool {
        self.name.starts_with(OPERATOR_EXPORT_PREFIX)
    }
}

/// A Splunk export's settings (spec `telemetry.exports[].splunk`, secrets resolved apart).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SplunkExport {
    pub sources: Vec<String>,
    pub endpoint: String,
    pub allow_unverified_certificate: bool,
    pub verify_with_cluster_cacert: bool,
}

/// The secrets of an export, written to files in the pod only for the command's duration.
#[derive(Clone, Copy)]
pub struct SplunkSecrets<'a> {
    pub auth_token: &'a str,
    pub ca_cert: Option<&'a str>,
}

impl WekaCli {
    /// Stops WEKA from provisioning its own telemetry container.
    pub async fn disable_auto_start_telemetry_container(&self) -> Result<(), WekaError> {
        let script =
            "weka debug override add --key auto_start_telemetry_container --value false --force";
        self.run_accepting(&Command::script("debug override add", script), |stderr| {
            stderr.contains("already exists") || stderr.contains("already set")
        })
        .await
    }

    /// `weka debug config override telemetryInfo.enabled true|false`.
    pub async fn set_telemetry_info(&self, enabled: bool) -> Result<(), WekaError> {
        let script = format!("weka debug config override telemetryInfo.enabled {enabled}");
        self.run(&Command::script("debug config override", script)).await.map(drop)
    }

    /// `weka audit cluster enable`; already enabled is done.
    pub async fn enable_cluster_audit(&self) -> Result<(), WekaError> {
        let cmd = Command::script("audit cluster enable", "weka audit cluster enable");
        self.run_accepting(&cmd, |stderr| stderr.contains("already enabled")).await
    }

    /// `weka audit cluster disable`; already disabled is done.
    pub async fn disable_cluster_audit(&self) -> Result<(), WekaError> {
        let cmd = Command::script("audit cluster disable", "weka audit cluster disable");
        self.run_accepting(&cmd, |stderr| {
            stderr.contains("already disabled") || stderr.contains("not enabled")
        })
        .await
    }

    /// `weka audit fs enable default`; already enabled is done.
    pub async fn enable_default_fs_audit(&self) -> Result<(), WekaError> {
        let cmd = Command::script("audit fs enable", "weka audit fs enable default");
        self.run_accepting(&cmd, |stderr| stderr.contains("already enabled")).await
    }

    /// `weka telemetry exports list -J`.
    pub async fn list_telemetry_exports(&self) -> Result<Vec<TelemetryExport>, WekaError> {
        let cmd = Command::script("telemetry exports list", "weka telemetry exports list -J");
        self.run_json(&cmd).await
    }

    /// Adds export `name` (prefixed by the caller); [`WekaError::AlreadyExists`] when the name
    /// is used.
    pub async fn add_splunk_export(
        &self,
        name: &str,
        export: &SplunkExport,
        secrets: SplunkSecrets<'_>,
    ) -> Result<(), WekaError> {
        let head = format!(
            "weka telemetry exports add splunk {name} --sources {}",
            export.sources.join(",")
        );
        let run = async |files: &SecretFiles| {
            let cmd = Command::shell("telemetry exports add", splunk_command(&head, export, files));
            self.run_creating(&cmd, "already used by export", format!("telemetry export {name}"))
                .await
        };
        self.with_secret_files(secrets, run).await
    }

    /// Updates export `id` (`TelemetrySinkId<N>` or `N`) with new settings and secrets.
    pub async fn update_splunk_export(
        &self,
        id: &str,
        export: &SplunkExport,
        secrets: SplunkSecrets<'_>,
    ) -> Result<(), WekaError> {
        let head = format!("weka telemetry exports update splunk {}", numeric_id(id));
        let run = async |files: &SecretFiles| {
            let cmd =
                Command::shell("telemetry exports update", splunk_command(&head, export, files));
            self.run(&cmd).await.map(drop)
        };
        self.with_secret_files(secrets, run).await
    }

    /// Adds the export, or updates it when its name is taken (the token cannot be compared,
    /// so an existing export is always updated).
    pub async fn ensure_splunk_export(
        &self,
        name: &str,
        export: &SplunkExport,
        secrets: SplunkSecrets<'_>,
    ) -> Result<(), WekaError> {
        let existing = self.list_telemetry_exports().await?.into_iter().find(|e| e.name == name);
        if let Some(existing) = existing {
            return self.update_splunk_export(&existing.id, export, secrets).await;
        }
        match self.add_splunk_export(name, export, secrets).await {
            Err(WekaError::AlreadyExists { .. }) => {
                let exports = self.list_telemetry_exports().await?;
                let existing = exports.into_iter().find(|e| e.name == name).ok_or_else(|| {
                    WekaError::NotFound { what: format!("telemetry export {name}") }
                })?;
                self.update_splunk_export(&existing.id, export, secrets).await
            }
            other => other,
        }
    }

    /// `weka telemetry exports remove <N> --force`; an export already gone is done.
    pub async fn remove_telemetry_export(&self, id: &str) -> Result<(), WekaError> {
        let script = format!("weka telemetry exports remove {} --force", numeric_id(id));
        self.run_accepting(&Command::shell("telemetry exports remove", script), |stderr| {
            stderr.contains("not found") || stderr.contains("does not exist")
        })
        .await
    }

    /// Writes the secrets to temporary files, runs `f` with their paths, removes the files
    /// whatever happened.
    async fn with_secret_files<F>(&self, secrets: SplunkSecrets<'_>, f: F) -> Result<(), WekaError>
    where
        F: AsyncFnOnce(&SecretFiles) -> Result<(), WekaError>,
    {
        let token = self.write_secret_file("splunk-token", secrets.auth_token).await?;
        let ca_cert = match secrets.ca_cert {
            Some(cert) => match self.write_secret_file("splunk-cacert", cert).await {
                Ok(path) => Some(path),
                Err(e) => {
                    self.remove_file(&token).await;
                    return Err(e);
                }
            },
            None => None,
        };
        let files = SecretFiles { token, ca_cert };
        let result = f(&files).await;
        self.remove_file(&files.token).await;
        if let Some(path) = &files.ca_cert {
            self.remove_file(path).await;
        }
        result
    }

    /// `printf '%s' '<b64>' | base64 -d > /tmp/<prefix>-<unix nanos>` (sensitive).
    async fn write_secret_file(&self, prefix: &str, content: &str) -> Result<String, WekaError> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = format!("/tmp/{prefix}-{nanos}");
        let encoded = BASE64.encode(content);
        let script = format!("printf '%s' '{encoded}' | base64 -d > {path}");
        let cmd =
            Command::shell("write secret file", script).with_secret(encoded).with_secret(content);
        self.run(&cmd).await?;
        Ok(path)
    }

    /// `rm -f <path>`, best effort.
    async fn remove_file(&self, path: &str) {
        let _ = self.exec(&Command::shell("remove secret file", format!("rm -f {path}"))).await;
    }
}

/// Paths of the secret files in the pod.
pub(super) struct SecretFiles {
    pub token: String,
    pub ca_cert: Option<String>,
}

/// `<head> --target '<endpoint>' --auth-token "$(cat '<token file>')" [--ca-cert '<file>']
/// [--allow-unverified-certificate yes] [--verify-with-cluster-cacert yes]`.
pub(super) fn splunk_command(head: &str, export: &SplunkExport, files: &SecretFiles) -> String {
    let mut cmd = format!(
        "{head} --target {} --auth-token \"$(cat {})\"",
        single_quoted(export.endpoint.trim()),
        single_quoted(&files.token)
    );
    if let Some(path) = &files.ca_cert {
        cmd.push_str(&format!(" --ca-cert {}", single_quoted(path)));
    }
    if export.allow_unverified_certificate {
        cmd.push_str(" --allow-unverified-certificate yes");
    }
    if export.verify_with_cluster_cacert {
        cmd.push_str(" --verify-with-cluster-cacert yes");
    }
    cmd
}

fn numeric_id(id: &str) -> String {
    parse_weka_id(id).map(|n| n.to_string()).unwrap_or_else(|| id.to_string())
}
