//! Prometheus metrics of the operator process, served on `/metrics` (OpenMetrics text, which
//! Prometheus scrapes natively).
//!
//! Names follow controller-runtime's where they mean the same thing (upstream exports only
//! those), so existing dashboards keep working: `controller_runtime_reconcile_total`,
//! `controller_runtime_reconcile_time_seconds`, `workqueue_depth`, `rest_client_requests_total`,
//! `leader_election_master_status`. WEKA CLI calls are ours. The WEKA-level metrics of each
//! WekaCluster (upstream serves them from a per-cluster pod) are served here too: see
//! [`weka_clusters`]. Other modules can register more metrics through [`Metrics::register`].

mod api_layer;
pub mod weka_clusters;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};

pub use api_layer::{ApiMetricsLayer, ApiMetricsService, verb_of};
pub use weka_clusters::{ClusterSeries, WekaClusterMetrics};

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 ms .. ~80 s
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ControllerLabel {
    pub controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileResultLabels {
    pub controller: String,
    /// `success`, `requeue` (success with a requeue after), `error`.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabel {
    pub name: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiRequestLabels {
    pub verb: String,
    /// HTTP status code, or `error` when no response came.
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerbLabel {
    pub verb: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WekaCliLabels {
    /// The WEKA CLI command without arguments, e.g. `status`, `cluster container`.
    pub command: String,
    /// `success`, `error`, `timeout`.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabel {
    pub command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LeaseLabel {
    pub name: String,
}

/// Per-controller reconcile metrics.
#[derive(Clone, Debug)]
pub struct ControllerMetrics {
    reconciles: Family<ReconcileResultLabels, Counter>,
    errors: Family<ControllerLabel, Counter>,
    durations: HistogramFamily<ControllerLabel>,
    active_workers: Family<ControllerLabel, Gauge>,
    max_workers: Family<ControllerLabel, Gauge>,
    queue_depth: Family<QueueLabel, Gauge>,
}

/// How one reconcile ended, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileResult {
    Success,
    Error,
}

impl ReconcileResult {
    fn as_str(self) -> &'static str {
        match self {
            ReconcileResult::Success => "success",
            ReconcileResult::Error => "error",
        }
    }
}

/// One reconcile in progress: counted as an active worker until dropped (also when the
/// reconcile is abandoned), and in the result counters when [`ReconcileTimer::finish`]ed.
pub struct ReconcileTimer {
    metrics: ControllerMetrics,
    controller: String,
    started: Instant,
}

impl ReconcileTimer {
    pub fn finish(self, result: ReconcileResult) {
        let labels = ReconcileResultLabels {
            controller: self.controller.clone(),
            result: result.as_str().to_string(),
        };
        self.metrics.reconciles.get_or_create(&labels).inc();
        if result == ReconcileResult::Error {
            self.metrics.errors.get_or_create(&label(&self.controller)).inc();
        }
        self.metrics
            .durations
            .get_or_create(&label(&self.controller))
            .observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.metrics.active_workers.get_or_create(&label(&self.controller)).dec();
    }
}

impl ControllerMetrics {
    pub fn set_max_workers(&self, controller: &str, workers: u16) {
        self.max_workers.get_or_create(&label(controller)).set(i64::from(workers));
    }

    pub fn reconcile_started(&self, controller: &str) -> ReconcileTimer {
        self.active_workers.get_or_create(&label(controller)).inc();
        ReconcileTimer {
            metrics: self.clone(),
            controller: controller.to_string(),
            started: Instant::now(),
        }
    }

    /// The queue-depth gauge of a controller (events delivered, not yet taken by it).
    pub fn queue_depth(&self, controller: &str) -> Gauge {
        self.queue_depth.get_or_create_owned(&QueueLabel { name: controller.to_string() })
    }

    /// Reconciles counted so far for `controller` with `result` (tests, `bench`).
    pub fn reconcile_count(&self, controller: &str, result: ReconcileResult) -> u64 {
        let labels = ReconcileResultLabels {
            controller: controller.to_string(),
            result: result.as_str().to_string(),
        };
        self.reconciles.get(&labels).map(|c| c.get()).unwrap_or(0)
    }
}

fn label(controller: &str) -> ControllerLabel {
    ControllerLabel { controller: controller.to_string() }
}

/// Kubernetes API requests by verb and status code.
#[derive(Clone, Debug)]
pub struct ApiMetrics {
    requests: Family<ApiRequestLabels, Counter>,
    latency: HistogramFamily<VerbLabel>,
}

impl ApiMetrics {
    pub fn observe(&self, verb: &str, code: &str, took: Duration) {
        let labels = ApiRequestLabels { verb: verb.to_string(), code: code.to_string() };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&VerbLabel { verb: verb.to_string() })
            .observe(took.as_secs_f64());
    }
}

/// WEKA CLI calls (over exec into WEKA containers) and their latencies; the handle the WEKA
/// exec service records into.
#[derive(Clone, Debug)]
pub struct WekaCliMetrics {
    calls: Family<WekaCliLabels, Counter>,
    latency: HistogramFamily<CommandLabel>,
}

impl WekaCliMetrics {
    pub fn observe(&self, command: &str, result: &str, took: Duration) {
        let labels = WekaCliLabels { command: command.to_string(), result: result.to_string() };
        self.calls.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&CommandLabel { command: command.to_string() })
            .observe(took.as_secs_f64());
    }
}

/// Leader status: 1 while this process leads.
#[derive(Clone, Debug)]
pub struct LeaderMetrics {
    status: Family<LeaseLabel, Gauge>,
}

impl LeaderMetrics {
    pub fn set_leader(&self, lease: &str, leader: bool) {
        self.status.get_or_create(&LeaseLabel { name: lease.to_string() }).set(i64::from(leader));
    }
}

/// The registry and the metric handles. One per operator process (one per instance in tests).
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub controllers: ControllerMetrics,
    pub api: ApiMetrics,
    pub weka_cli: WekaCliMetrics,
    pub leader: LeaderMetrics,
    /// The WEKA-level series of every WekaCluster.
    pub weka_clusters: WekaClusterMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let controllers = ControllerMetrics {
            reconciles: Family::default(),
            errors: Family::default(),
            durations: HistogramFamily::new_with_constructor(latency_histogram),
            active_workers: Family::default(),
            max_workers: Family::default(),
            queue_depth: Family::default(),
        };
        registry.register(
            "controller_runtime_reconcile",
            "Reconciles per controller and result",
            controllers.reconciles.clone(),
        );
        registry.register(
            "controller_runtime_reconcile_errors",
            "Failed reconciles per controller",
            controllers.errors.clone(),
        );
        registry.register(
            "controller_runtime_reconcile_time_seconds",
            "Duration of reconciles per controller",
            controllers.durations.clone(),
        );
        registry.register(
            "controller_runtime_active_workers",
            "Reconciles running now per controller",
            controllers.active_workers.clone(),
        );
        registry.register(
            "controller_runtime_max_concurrent_reconciles",
            "Concurrency limit per controller",
            controllers.max_workers.clone(),
        );
        registry.register(
            "workqueue_depth",
            "Watch events delivered to a controller and not yet taken",
            controllers.queue_depth.clone(),
        );
        let api = ApiMetrics {
            requests: Family::default(),
            latency: HistogramFamily::new_with_constructor(latency_histogram),
        };
        registry.register(
            "rest_client_requests",
            "Kubernetes API requests by verb and status code",
            api.requests.clone(),
        );
        registry.register(
            "rest_client_request_duration_seconds",
            "Kubernetes API request latency (to response headers) by verb",
            api.latency.clone(),
        );
        let weka_cli = WekaCliMetrics {
            calls: Family::default(),
            latency: HistogramFamily::new_with_constructor(latency_histogram),
        };
        registry.register(
            "weka_operator_weka_cli_calls",
            "WEKA CLI calls by command and result",
            weka_cli.calls.clone(),
        );
        registry.register(
            "weka_operator_weka_cli_duration_seconds",
            "WEKA CLI call latency by command",
            weka_cli.latency.clone(),
        );
        let leader = LeaderMetrics { status: Family::default() };
        registry.register(
            "leader_election_master_status",
            "1 while this process holds the leader Lease",
            leader.status.clone(),
        );
        let weka_clusters = WekaClusterMetrics::default();
        registry.register_collector(Box::new(weka_clusters.clone()));
        Metrics {
            registry: Mutex::new(registry),
            controllers,
            api,
            weka_cli,
            leader,
            weka_clusters,
        }
    }

    /// Registers one more metric (the WEKA-level metrics come this way).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.lock().register(name, help, metric);
    }

    /// The exposition text of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.lock());
        text
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic while registering leaves the registry usable: take it back.
        self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The content type of [`Metrics::encode`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciles_api_calls_cli_calls_and_leadership_are_exposed() {
        let m = Metrics::new();
        m.controllers.set_max_workers("wekacluster", 1);
        m.controllers.reconcile_started("wekacluster").finish(ReconcileResult::Error);
        let abandoned = m.controllers.reconcile_started("wekacluster");
        drop(abandoned);
        m.api.observe("list", "200", Duration::from_millis(3));
        m.weka_cli.observe("status", "success", Duration::from_millis(70));
        m.leader.set_leader("ad0b5146.weka.io", true);
        m.controllers.queue_depth("wekacluster").set(3);
        let text = m.encode();
        for line in [
            r#"controller_runtime_reconcile_total{controller="wekacluster",result="error"} 1"#,
            r#"controller_runtime_reconcile_errors_total{controller="wekacluster"} 1"#,
            r#"controller_runtime_reconcile_time_seconds_count{controller="wekacluster"} 1"#,
            r#"controller_runtime_active_workers{controller="wekacluster"} 0"#,
            r#"controller_runtime_max_concurrent_reconciles{controller="wekacluster"} 1"#,
            r#"workqueue_depth{name="wekacluster"} 3"#,
            r#"rest_client_requests_total{verb="list",code="200"} 1"#,
            r#"weka_operator_weka_cli_calls_total{command="status",result="success"} 1"#,
            r#"weka_operator_weka_cli_duration_seconds_count{command="status"} 1"#,
            r#"leader_election_master_status{name="ad0b5146.weka.io"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert_eq!(m.controllers.reconcile_count("wekacluster", ReconcileResult::Error), 1);
    }

    #[test]
    fn other_modules_can_register_more_metrics() {
        let m = Metrics::new();
        let g: Gauge = Gauge::default();
        m.register("weka_operator_example", "An example", g.clone());
        g.set(4);
        assert!(m.encode().contains("weka_operator_example 4"));
    }
}
