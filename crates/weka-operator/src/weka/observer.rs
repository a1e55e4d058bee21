//! Where every exec is reported: the operator's metrics registry, or nothing.

use std::time::Duration;

use crate::metrics::WekaCliMetrics;

/// The outcome label of one exec.
pub mod outcome {
    /// Exit code 0.
    pub const SUCCESS: &str = "success";
    /// A non-zero exit code or a transport failure other than a timeout.
    pub const ERROR: &str = "error";
    pub const TIMEOUT: &str = "timeout";
}

/// Told about every command the service runs: its op name (the WEKA command without
/// arguments, e.g. `cluster drive add`), the [`outcome`], and how long it took.
pub trait CliObserver: Send + Sync {
    fn observe(&self, _op: &'static str, _outcome: &str, _elapsed: Duration) {}
}

/// Records nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopObserver;

impl CliObserver for NoopObserver {}

impl CliObserver for WekaCliMetrics {
    fn observe(&self, op: &'static str, outcome: &str, elapsed: Duration) {
        WekaCliMetrics::observe(self, op, outcome, elapsed);
    }
}
