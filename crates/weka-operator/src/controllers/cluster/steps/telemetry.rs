//! `EnsureTelemetry` (spec `wekacluster-services.md` §5): the WEKA telemetry exports of
//! `spec.telemetry.exports` (Splunk only), applied with the `weka` CLI in an active
//! container. Exports the operator owns are named `operator-<name>`; exports users created
//! are never touched. Without exports in the spec, the operator's exports are removed and
//! cluster audit is disabled. The condition `TelemetryConfigured` carries the hash of the
//! applied configuration (§5.3, secret values included), so an unchanged configuration is
//! not applied again; a rotated token or CA certificate changes the hash. Runs at most once
//! a minute (a failure is retried sooner). The telemetry WekaContainers themselves (one per
//! compute container) are planned with the other containers (`crate::cluster::counts`).

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;
use weka_api::wekacluster::{TelemetryConfig, TelemetryExport};

use super::config_hash::sha256_hex;
use crate::controllers::cluster::secrets;
use crate::controllers::cluster::state::ClusterState;
use crate::engine::{StepError, StepFuture};
use crate::weka::telemetry::{OPERATOR_EXPORT_PREFIX, SplunkExport, SplunkSecrets};
use crate::weka::{WekaCli, WekaError};

/// Upstream's `TelemetryUpdateInterval`.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// The hash of a configuration without exports.
pub const EMPTY_HASH: &str = "empty";

/// Why the telemetry exports could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry export {export:?} has no sink: only splunk is supported")]
    NoSink { export: String },
    #[error(
        "telemetry export {export:?}: caCertSecretRef and verifyWithClusterCACert exclude each other"
    )]
    ConflictingCa { export: String },
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Weka(#[from] WekaError),
}

/// Why a referenced secret value is not available (names only, never values).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("invalid secret reference {reference:?}, expected 'secretName.keyName'")]
    BadRef { reference: String },
    #[error("cannot read Secret {secret:?}: {message}")]
    Read { secret: String, message: String },
    #[error("Secret {secret:?} not found")]
    Missing { secret: String },
    #[error("key {key:?} not found in Secret {secret:?}")]
    KeyMissing { secret: String, key: String },
}

/// The values of the Secrets the exports reference, by reference (`secretName.keyName`).
type SecretValues = BTreeMap<String, Result<String, SecretError>>;

pub fn ensure_telemetry(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let config = s.cluster.spec.telemetry.clone();
        let exports = config.as_ref().and_then(|t| t.exports.clone()).unwrap_or_default();
        let values = read_secrets(s, &exports).await;
        let hash = config_hash(config.as_ref(), &|r| values.get(r)?.as_ref().ok().cloned());
        if s.condition(cond::TELEMETRY_CONFIGURED)
            .is_some_and(|c| c.status == "True" && c.message == hash)
        {
            return Ok(());
        }
        // A failure, not a wait: the flow goes on to `Ready` and the upgrade without it.
        let cli = s.active_cli().map_err(|_| {
            StepError::failed(
                "NoActiveContainer",
                "no active container found for telemetry configuration",
            )
        })?;
        let result = configure(&cli, &exports, &values).await;
        let desired = match &result {
            Ok(reason) => Desired::new(cond::TELEMETRY_CONFIGURED, Status::True, reason, &hash),
            Err(err) => Desired::new(
                cond::TELEMETRY_CONFIGURED,
                Status::False,
                "ConfigurationFailed",
                err.to_string(),
            ),
        };
        if s.set_condition_now(desired) {
            s.persist_status().await?;
        }
        match result {
            Ok(_) => {
                tracing::info!(cluster = s.name(), exports = exports.len(), "telemetry configured");
                Ok(())
            }
            Err(err) => Err(StepError::failed("TelemetryConfigurationFailed", err)),
        }
    })
}

/// Upstream's hash (§5.3): per export `<name>:<sources>` and, for Splunk,
/// `:splunk:<endpoint>:token=<token>:cacert=<ca>:allowUnverified=<bool>:clusterCACert=<bool>`
/// (an unreadable secret counts as empty); the parts sorted, joined with `|`, hex SHA-256;
/// `"empty"` without exports.
pub fn config_hash(
    config: Option<&TelemetryConfig>,
    secret: &dyn Fn(&str) -> Option<String>,
) -> String {
    let exports = config.and_then(|c| c.exports.as_deref()).unwrap_or_default();
    if exports.is_empty() {
        return EMPTY_HASH.to_string();
    }
    let mut parts: Vec<String> = exports
        .iter()
        .map(|export| {
            let mut part = format!("{}:{}", export.name, export.sources.join(","));
            if let Some(splunk) = &export.splunk {
                let read = |reference: Option<&str>| {
                    reference.filter(|r| !r.is_empty()).and_then(secret).unwrap_or_default()
                };
                part.push_str(&format!(
                    ":splunk:{}:token={}:cacert={}:allowUnverified={}:clusterCACert={}",
                    splunk.endpoint,
                    read(Some(&splunk.auth_token_secret_ref)),
                    read(splunk.ca_cert_secret_ref.as_deref()),
                    splunk.allow_unverified_certificate.unwrap_or(false),
                    splunk.verify_with_cluster_ca_cert.unwrap_or(false),
                ));
            }
            part
        })
        .collect();
    parts.sort();
    sha256_hex(&parts.join("|"))
}

/// `secretName.keyName`, split on the first dot.
pub fn parse_secret_ref(reference: &str) -> Result<(&str, &str), SecretError> {
    match reference.split_once('.') {
        Some((secret, key)) if !secret.is_empty() && !key.is_empty() => Ok((secret, key)),
        _ => Err(SecretError::BadRef { reference: reference.to_string() }),
    }
}

/// Reads every Secret the exports reference, once each (in the cluster's namespace).
async fn read_secrets(s: &ClusterState, exports: &[TelemetryExport]) -> SecretValues {
    let api: Api<Secret> = Api::namespaced(s.ctx.client.clone(), s.namespace());
    let references = exports.iter().filter_map(|e| e.splunk.as_ref()).flat_map(|splunk| {
        std::iter::once(splunk.auth_token_secret_ref.clone())
            .chain(splunk.ca_cert_secret_ref.clone())
            .filter(|r| !r.is_empty())
    });
    let mut values = SecretValues::new();
    for reference in references {
        if values.contains_key(&reference) {
            continue;
        }
        let value = read_secret(&api, &reference).await;
        values.insert(reference, value);
    }
    values
}

async fn read_secret(api: &Api<Secret>, reference: &str) -> Result<String, SecretError> {
    let (name, key) = parse_secret_ref(reference)?;
    let secret = api
        .get_opt(name)
        .await
        .map_err(|e| SecretError::Read { secret: name.to_string(), message: e.to_string() })?
        .ok_or_else(|| SecretError::Missing { secret: name.to_string() })?;
    secrets::value(&secret, key)
        .ok_or_else(|| SecretError::KeyMissing { secret: name.to_string(), key: key.to_string() })
}

/// One export as the CLI takes it, with its secrets.
struct Resolved<'a> {
    name: String,
    export: SplunkExport,
    token: &'a str,
    ca_cert: Option<&'a str>,
}

/// What a spec export becomes, or why it cannot be applied.
fn resolve<'a>(
    export: &TelemetryExport,
    values: &'a SecretValues,
) -> Result<Resolved<'a>, TelemetryError> {
    let splunk = export
        .splunk
        .as_ref()
        .ok_or_else(|| TelemetryError::NoSink { export: export.name.clone() })?;
    let ca_ref = splunk.ca_cert_secret_ref.as_deref().filter(|r| !r.is_empty());
    let cluster_ca = splunk.verify_with_cluster_ca_cert.unwrap_or(false);
    if ca_ref.is_some() && cluster_ca {
        return Err(TelemetryError::ConflictingCa { export: export.name.clone() });
    }
    let value = |reference: &str| -> Result<&'a str, TelemetryError> {
        match values.get(reference) {
            Some(Ok(value)) => Ok(value.as_str()),
            Some(Err(err)) => Err(err.clone().into()),
            None => Err(SecretError::BadRef { reference: reference.to_string() }.into()),
        }
    };
    Ok(Resolved {
        name: format!("{OPERATOR_EXPORT_PREFIX}{}", export.name),
        export: SplunkExport {
            sources: export.sources.clone(),
            endpoint: splunk.endpoint.trim().to_string(),
            allow_unverified_certificate: splunk.allow_unverified_certificate.unwrap_or(false),
            verify_with_cluster_cacert: cluster_ca,
        },
        token: value(&splunk.auth_token_secret_ref)?,
        ca_cert: ca_ref.map(value).transpose()?,
    })
}

/// Applies the exports (§5.4); the condition's reason on success.
async fn configure(
    cli: &WekaCli,
    exports: &[TelemetryExport],
    values: &SecretValues,
) -> Result<&'static str, TelemetryError> {
    let current = cli.list_telemetry_exports().await?;
    let owned = current.iter().filter(|e| e.is_operator_owned());
    if exports.is_empty() {
        for export in owned {
            cli.remove_telemetry_export(&export.id).await?;
        }
        cli.disable_cluster_audit().await?;
        return Ok("NoExportsConfigured");
    }
    let resolved: Vec<Resolved<'_>> =
        exports.iter().map(|e| resolve(e, values)).collect::<Result<_, _>>()?;
    cli.disable_auto_start_telemetry_container().await?;
    cli.enable_cluster_audit().await?;
    cli.enable_default_fs_audit().await?;
    for export in owned.filter(|e| !resolved.iter().any(|r| r.name == e.name)) {
        tracing::info!(export = %export.name, "removing a telemetry export no longer in the spec");
        cli.remove_telemetry_export(&export.id).await?;
    }
    for wanted in &resolved {
        let secrets = SplunkSecrets { auth_token: wanted.token, ca_cert: wanted.ca_cert };
        cli.ensure_splunk_export(&wanted.name, &wanted.export, secrets).await?;
    }
    Ok("Configured")
}
