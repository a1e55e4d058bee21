//! Logs: `tracing` with JSON or human output, and one span per reconcile.
//!
//! Nothing here (or in the process code) logs Secret data or environment values: the
//! configuration is never dumped, only the few settings named in the startup line.

use kube::{Resource, ResourceExt};
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Logging};

/// Why logging could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("RUST_LOG = {value:?}: {reason}")]
    BadFilter { value: String, reason: String },
}

/// Installs the global subscriber: RUST_LOG directives when set, else `--log-level`.
/// Calling it again (tests start several operators in one process) keeps the first one.
pub fn init(logging: &Logging) -> Result<(), TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(&value)
            .map_err(|e| TelemetryError::BadFilter { value, reason: e.to_string() })?,
        _ => EnvFilter::new(logging.level.as_str()),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _already_set = match logging.format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    Ok(())
}

/// The span a reconcile runs in: every log line of the reconcile carries the controller and
/// the object's kind, namespace and name.
pub fn reconcile_span<K: Resource<DynamicType = ()>>(controller: &str, object: &K) -> Span {
    tracing::info_span!(
        "reconcile",
        controller,
        kind = %K::kind(&()),
        namespace = object.namespace().unwrap_or_default(),
        name = %object.name_any(),
    )
}
