//! Checks that involve more than one setting, and the small value types of the logging group.

use std::time::Duration;

use super::parse::format_duration;
use super::{BindAddress, Config};

/// A configuration that parsed but cannot work. Each message names the flag and the
/// environment variable, and the bad value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "--leader-election-lease-duration / LEADER_ELECTION_LEASE_DURATION = {value}: {reason}"
    )]
    LeaseDuration { value: String, reason: &'static str },
    #[error(
        "--leader-election-renew-deadline / LEADER_ELECTION_RENEW_DEADLINE = {renew}: must be \
         shorter than the lease duration ({lease})"
    )]
    RenewDeadline { renew: String, lease: String },
    #[error(
        "--leader-election-retry-period / LEADER_ELECTION_RETRY_PERIOD = {retry}: must be \
         positive and shorter than the renew deadline ({renew})"
    )]
    RetryPeriod { retry: String, renew: String },
    #[error("--leader-election-lease-name / LEADER_ELECTION_LEASE_NAME is empty")]
    LeaseName,
    #[error("{flag} / {env} = {value}: must be positive")]
    NotPositive { flag: &'static str, env: &'static str, value: String },
    #[error(
        "--metrics-bind-address / OPERATOR_METRICS_BIND_ADDRESS and --health-probe-bind-address \
         / HEALTH_PROBE_BIND_ADDRESS are both {addr}: use two ports"
    )]
    SameAddress { addr: String },
    #[error("--namespace / WATCH_NAMESPACE = {value:?}: not a valid namespace name")]
    Namespace { value: String },
}

impl Config {
    /// Cross-field checks, run once at start.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let le = &self.leader_election;
        let lease = le.lease_duration;
        if lease < Duration::from_secs(1) || lease.subsec_nanos() != 0 {
            return Err(ConfigError::LeaseDuration {
                value: format_duration(lease),
                reason: "must be a whole number of seconds, at least 1s (the Lease stores seconds)",
            });
        }
        if le.renew_deadline.is_zero() || le.renew_deadline >= lease {
            return Err(ConfigError::RenewDeadline {
                renew: format_duration(le.renew_deadline),
                lease: format_duration(lease),
            });
        }
        if le.retry_period.is_zero() || le.retry_period >= le.renew_deadline {
            return Err(ConfigError::RetryPeriod {
                retry: format_duration(le.retry_period),
                renew: format_duration(le.renew_deadline),
            });
        }
        if le.lease_name.trim().is_empty() {
            return Err(ConfigError::LeaseName);
        }
        let positive = [
            ("--kube-exec-timeout", "KUBE_EXEC_TIMEOUT", self.timeouts.kube_exec),
            ("--reconcile-timeout", "RECONCILE_TIMEOUT", self.timeouts.reconcile),
            (
                "--metrics-clusters-polling-rate",
                "METRICS_CLUSTERS_POLLING_RATE",
                self.metrics_collection.clusters_polling_rate,
            ),
            (
                "--metrics-containers-polling-rate",
                "METRICS_CONTAINERS_POLLING_RATE",
                self.metrics_collection.containers_polling_rate,
            ),
            (
                "--evicted-pod-cleanup-interval",
                "EVICTED_POD_CLEANUP_INTERVAL",
                self.cleanup.evicted_pod_cleanup_interval,
            ),
        ];
        for (flag, env, value) in positive {
            if value.is_zero() {
                return Err(ConfigError::NotPositive { flag, env, value: format_duration(value) });
            }
        }
        if let (BindAddress::Listen(m), BindAddress::Listen(h)) =
            (self.http.metrics, self.http.health)
            && m == h
            && m.port() != 0
        {
            return Err(ConfigError::SameAddress { addr: m.to_string() });
        }
        if let Some(ns) = self.scope.namespace()
            && !is_dns_label(ns)
        {
            return Err(ConfigError::Namespace { value: ns.to_string() });
        }
        Ok(())
    }
}

/// RFC 1123 label: what Kubernetes accepts as a namespace name.
fn is_dns_label(s: &str) -> bool {
    s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

pub fn log_format(text: &str) -> Result<LogFormat, String> {
    match text {
        "json" => Ok(LogFormat::Json),
        "text" | "console" => Ok(LogFormat::Text),
        other => Err(format!("invalid log format {other:?} (expected json or text)")),
    }
}

/// Log level, from a name or upstream's verbosity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

pub fn log_level(text: &str) -> Result<LogLevel, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "error" => Ok(LogLevel::Error),
        "warn" | "warning" => Ok(LogLevel::Warn),
        "info" | "0" => Ok(LogLevel::Info),
        "debug" | "1" => Ok(LogLevel::Debug),
        "trace" => Ok(LogLevel::Trace),
        other => match other.parse::<u8>() {
            Ok(_) => Ok(LogLevel::Trace),
            Err(_) => Err(format!(
                "invalid log level {text:?} (expected error, warn, info, debug, trace or a \
                 verbosity number)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["weka-operator"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).expect("parses")
    }

    #[test]
    fn defaults_are_upstreams() {
        let c = config(&[]);
        assert!(!c.leader_election.enabled);
        assert_eq!(c.leader_election.lease_name, "ad0b5146.weka.io");
        assert_eq!(c.leader_election.lease_duration, Duration::from_secs(15));
        assert_eq!(c.leader_election.renew_deadline, Duration::from_secs(10));
        assert_eq!(c.timeouts.kube_exec, Duration::from_secs(300));
        assert_eq!(c.timeouts.reconcile, Duration::from_secs(1800));
        // The Helm chart's `maxWorkers`.
        assert_eq!(c.workers.weka_cluster, 5);
        assert_eq!(c.workers.weka_container, 50);
        assert_eq!(c.workers.weka_client, 5);
        assert_eq!(c.workers.weka_manual_operation, 5);
        assert_eq!(c.workers.weka_policy, 5);
        assert_eq!(c.upgrade.compute_threshold_percent, 90);
        assert_eq!(c.metrics_collection.clusters_image, "nginx:1.27.3");
        assert_eq!(c.maintenance.image, "quay.io/weka.io/busybox");
        assert_eq!(c.pods.port_allocation_starting_port, 35000);
        assert!(c.cleanup.evicted_pod_cleanup_enabled);
        assert_eq!(c.cleanup.evicted_pod_cleanup_interval, Duration::from_secs(120));
        assert_eq!(c.scope.namespace(), None);
        c.validate().expect("defaults are valid");
    }

    #[test]
    fn lease_namespace_falls_back_to_pod_namespace_then_the_install_namespace() {
        let c = config(&[]);
        assert_eq!(c.leader_election.lease_namespace(&c.identity), "weka-operator-system");
        let c = config(&["--pod-namespace", "ops"]);
        assert_eq!(c.leader_election.lease_namespace(&c.identity), "ops");
        let c = config(&["--pod-namespace", "ops", "--leader-election-namespace", "le"]);
        assert_eq!(c.leader_election.lease_namespace(&c.identity), "le");
    }

    #[test]
    fn leader_election_flag_alone_means_true() {
        assert!(config(&["--enable-leader-election"]).leader_election.enabled);
        assert!(!config(&["--enable-leader-election=false"]).leader_election.enabled);
    }

    #[test]
    fn inconsistent_leader_election_timing_is_refused() {
        let err = config(&["--leader-election-renew-deadline", "20s"]).validate().unwrap_err();
        assert!(err.to_string().contains("LEADER_ELECTION_RENEW_DEADLINE = 20s"), "{err}");
        let err = config(&["--leader-election-lease-duration", "1500ms"]).validate().unwrap_err();
        assert!(err.to_string().contains("whole number of seconds"), "{err}");
        let err = config(&["--leader-election-retry-period", "10s"]).validate().unwrap_err();
        assert!(matches!(err, ConfigError::RetryPeriod { .. }));
    }

    #[test]
    fn zero_timeouts_same_ports_and_bad_namespaces_are_refused() {
        let err = config(&["--reconcile-timeout", "0"]).validate().unwrap_err();
        assert!(err.to_string().contains("RECONCILE_TIMEOUT = 0s"), "{err}");
        let same = ["--metrics-bind-address", ":9000", "--health-probe-bind-address", ":9000"];
        assert!(matches!(config(&same).validate(), Err(ConfigError::SameAddress { .. })));
        let err = config(&["--namespace", "Bad_NS"]).validate().unwrap_err();
        assert!(err.to_string().contains("\"Bad_NS\""), "{err}");
    }

    #[test]
    fn log_levels_accept_names_and_verbosity() {
        assert_eq!(log_level("info"), Ok(LogLevel::Info));
        assert_eq!(log_level("0"), Ok(LogLevel::Info));
        assert_eq!(log_level("1"), Ok(LogLevel::Debug));
        assert_eq!(log_level("4"), Ok(LogLevel::Trace));
        assert_eq!(log_level("WARN"), Ok(LogLevel::Warn));
        assert!(log_level("loud").is_err());
        assert_eq!(log_format("console"), Ok(LogFormat::Text));
        assert!(log_format("xml").is_err());
    }
}
