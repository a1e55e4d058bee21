//! The operator's configuration: one typed [`Config`], read from flags and environment
//! variables (clap, `env = ...` on every argument), with upstream's variable names and defaults
//! where a setting means the same thing (`internal/config/env.go`).
//!
//! Values are parsed into their types at the edge (durations, booleans, addresses), so a
//! controller reads `config.timeouts.reconcile`, never a string. [`Config::validate`] adds the
//! checks that involve more than one value. A bad value is a usage error: exit code 2.

pub mod parse;
mod upstream;
mod validate;

use std::time::Duration;

use clap::{ArgAction, Args, Parser};

pub use parse::BindAddress;
pub use upstream::{
    Cleanup, Csi, Drives, Maintenance, MetricsCollection, Pods, Tolerations, Upgrade, WekaHome,
};
pub use validate::{ConfigError, LogFormat, LogLevel};

/// Every setting of `weka-operator run` (and later `simulate`).
#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten)]
    pub mode: Mode,
    #[command(flatten)]
    pub identity: Identity,
    #[command(flatten)]
    pub scope: Scope,
    #[command(flatten)]
    pub http: Http,
    #[command(flatten)]
    pub leader_election: LeaderElection,
    #[command(flatten)]
    pub logging: Logging,
    #[command(flatten)]
    pub workers: Workers,
    #[command(flatten)]
    pub timeouts: Timeouts,
    #[command(flatten)]
    pub maintenance: Maintenance,
    #[command(flatten)]
    pub weka_home: WekaHome,
    #[command(flatten)]
    pub upgrade: Upgrade,
    #[command(flatten)]
    pub cleanup: Cleanup,
    #[command(flatten)]
    pub tolerations: Tolerations,
    #[command(flatten)]
    pub metrics_collection: MetricsCollection,
    #[command(flatten)]
    pub pods: Pods,
    #[command(flatten)]
    pub drives: Drives,
    #[command(flatten)]
    pub csi: Csi,
}

/// Which process this is (upstream `OPERATOR_MODE`): the operator, or the per-node agent
/// the same image runs as a DaemonSet. The mode is checked by `run`, so that an unknown
/// value exits 1 as upstream's does (not 2, as a usage error would).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Mode")]
pub struct Mode {
    /// `manager` (the controllers) or `node-agent` (the per-node HTTP agent).
    #[arg(
        long = "operator-mode",
        env = "OPERATOR_MODE",
        default_value = "manager",
        value_name = "MODE"
    )]
    pub operator_mode: String,
    /// Listen address of the node agent in node-agent mode (HOST:PORT or :PORT).
    #[arg(long = "node-agent-bind-address", env = "NODE_AGENT_BIND_ADDRESS", default_value = ":8090", value_parser = parse::bind_address, value_name = "ADDR")]
    pub node_agent_bind_address: BindAddress,
    /// The node this process runs on (downward API); labels the node agent's metrics.
    #[arg(long = "node-name", env = "NODE_NAME", default_value = "")]
    pub node_name: String,
}

/// The operator pod's identity (downward API in the Deployment).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Identity")]
pub struct Identity {
    /// Operator version, reported in logs.
    #[arg(long = "operator-version", env = "VERSION", default_value = env!("CARGO_PKG_VERSION"))]
    pub version: String,
    /// Name of the operator pod; the leader-election identity starts with it.
    #[arg(long, env = "POD_NAME", default_value = "")]
    pub pod_name: String,
    /// Namespace of the operator pod; the default namespace of the leader-election Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "")]
    pub pod_namespace: String,
    /// UID of the operator pod.
    #[arg(long, env = "POD_UID", default_value = "")]
    pub pod_uid: String,
    /// Name of the operator's own Deployment.
    #[arg(long, env = "OPERATOR_DEPLOYMENT_NAME", default_value = "")]
    pub deployment_name: String,
    /// The operator's own image (helper pods and jobs run it).
    #[arg(long, env = "OPERATOR_IMAGE", default_value = "")]
    pub operator_image: String,
}

/// Which namespaces the operator watches.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Scope")]
pub struct Scope {
    /// Watch only this namespace (empty: every namespace).
    #[arg(long, env = "WATCH_NAMESPACE", default_value = "")]
    pub namespace: String,
}

impl Scope {
    /// The namespace to watch, `None` for all.
    pub fn namespace(&self) -> Option<&str> {
        Some(self.namespace.as_str()).filter(|ns| !ns.is_empty())
    }
}

/// Listen addresses of the HTTP endpoints.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "HTTP endpoints")]
pub struct Http {
    /// Address of `/metrics` (HOST:PORT, :PORT, or 0 to disable).
    #[arg(long = "metrics-bind-address", env = "OPERATOR_METRICS_BIND_ADDRESS", default_value = "0.0.0.0:8080", value_parser = parse::bind_address, value_name = "ADDR")]
    pub metrics: BindAddress,
    /// Address of `/healthz` and `/readyz` (HOST:PORT, :PORT, or 0 to disable).
    #[arg(long = "health-probe-bind-address", env = "HEALTH_PROBE_BIND_ADDRESS", default_value = "0.0.0.0:8081", value_parser = parse::bind_address, value_name = "ADDR")]
    pub health: BindAddress,
}

/// Leader election through a `coordination.k8s.io/v1` Lease.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Leader election")]
pub struct LeaderElection {
    /// Elect a leader so that only one replica reconciles.
    #[arg(long = "enable-leader-election", env = "ENABLE_LEADER_ELECTION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub enabled: bool,
    /// Name of the Lease.
    #[arg(
        long = "leader-election-lease-name",
        env = "LEADER_ELECTION_LEASE_NAME",
        default_value = "ad0b5146.weka.io"
    )]
    pub lease_name: String,
    /// Namespace of the Lease (default: POD_NAMESPACE, else weka-operator-system).
    #[arg(
        id = "leader_election_namespace",
        value_name = "NAMESPACE",
        long = "leader-election-namespace",
        env = "LEADER_ELECTION_NAMESPACE",
        default_value = ""
    )]
    pub namespace: String,
    /// How long a standby waits after the last renewal before it takes over (whole seconds).
    #[arg(long = "leader-election-lease-duration", env = "LEADER_ELECTION_LEASE_DURATION", default_value = "15s", value_parser = parse::duration, value_name = "DURATION")]
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it stops reconciling.
    #[arg(long = "leader-election-renew-deadline", env = "LEADER_ELECTION_RENEW_DEADLINE", default_value = "10s", value_parser = parse::duration, value_name = "DURATION")]
    pub renew_deadline: Duration,
    /// How often candidates try to acquire and the leader renews.
    #[arg(long = "leader-election-retry-period", env = "LEADER_ELECTION_RETRY_PERIOD", default_value = "2s", value_parser = parse::duration, value_name = "DURATION")]
    pub retry_period: Duration,
}

impl LeaderElection {
    /// The Lease namespace: the flag, else the pod's namespace, else `weka-operator-system`.
    pub fn lease_namespace(&self, identity: &Identity) -> String {
        [self.namespace.as_str(), identity.pod_namespace.as_str()]
            .into_iter()
            .find(|ns| !ns.is_empty())
            .unwrap_or(DEFAULT_OPERATOR_NAMESPACE)
            .to_string()
    }
}

/// The namespace the install (`deploy/`) puts the operator in.
pub const DEFAULT_OPERATOR_NAMESPACE: &str = "weka-operator-system";

/// Logs.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Logging")]
pub struct Logging {
    /// Log format: json or text.
    #[arg(long = "log-format", env = "LOG_FORMAT", default_value = "text", value_parser = validate::log_format)]
    pub format: LogFormat,
    /// Log level: error, warn, info, debug, trace, or upstream's verbosity number (0 info,
    /// 1 debug, 2 or more trace). RUST_LOG, when set, overrides it with full directives.
    #[arg(long = "log-level", env = "LOG_LEVEL", default_value = "info", value_parser = validate::log_level)]
    pub level: LogLevel,
}

/// Concurrent reconciles per controller (never two at once on the same object). The
/// defaults are those upstream ships in its Helm chart (`maxWorkers`), which every upstream
/// deployment runs with; its binary alone would run one WekaCluster and ten WekaContainer
/// reconciles at a time, so one cluster's blocking `start-io` held up every other cluster.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Workers")]
pub struct Workers {
    #[arg(long = "max-workers-wekacluster", env = "MAX_WORKERS_WEKACLUSTER", default_value = "5", value_parser = parse::workers, value_name = "N")]
    pub weka_cluster: u16,
    #[arg(long = "max-workers-wekacontainer", env = "MAX_WORKERS_WEKACONTAINER", default_value = "50", value_parser = parse::workers, value_name = "N")]
    pub weka_container: u16,
    #[arg(long = "max-workers-wekaclient", env = "MAX_WORKERS_WEKACLIENT", default_value = "5", value_parser = parse::workers, value_name = "N")]
    pub weka_client: u16,
    #[arg(long = "max-workers-wekamanualoperation", env = "MAX_WORKERS_WEKAMANUALOPERATION", default_value = "5", value_parser = parse::workers, value_name = "N")]
    pub weka_manual_operation: u16,
    #[arg(long = "max-workers-wekapolicy", env = "MAX_WORKERS_WEKAPOLICY", default_value = "5", value_parser = parse::workers, value_name = "N")]
    pub weka_policy: u16,
}

/// Timeouts of the operator's own work.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Timeouts")]
pub struct Timeouts {
    /// Timeout of one exec into a pod (WEKA CLI calls).
    #[arg(long = "kube-exec-timeout", env = "KUBE_EXEC_TIMEOUT", default_value = "5m", value_parser = parse::duration, value_name = "DURATION")]
    pub kube_exec: Duration,
    /// Timeout of one reconcile; a reconcile that overruns fails and is retried.
    #[arg(long = "reconcile-timeout", env = "RECONCILE_TIMEOUT", default_value = "30m", value_parser = parse::duration, value_name = "DURATION")]
    pub reconcile: Duration,
    /// On SIGTERM, how long in-flight reconciles may run before they are abandoned.
    #[arg(long = "shutdown-timeout", env = "SHUTDOWN_TIMEOUT", default_value = "20s", value_parser = parse::duration, value_name = "DURATION")]
    pub shutdown: Duration,
}

/// Parses a [`Config`] alone (no subcommand): for tests and embedding (`simulate`).
#[derive(Debug, Parser)]
#[command(name = "weka-operator", args_override_self = true)]
struct Standalone {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// Parses flags (the first item is the program name) and the process environment.
    pub fn try_parse_from<I, T>(args: I) -> Result<Config, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Standalone::try_parse_from(args).map(|s| s.config)
    }

    /// The leader-election identity's stem: the pod name, else the host name.
    pub fn identity_stem(&self) -> String {
        if !self.identity.pod_name.is_empty() {
            return self.identity.pod_name.clone();
        }
        hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "weka-operator".to_string())
    }
}
