//! The benchmark's result: one [`Report`], printed as a table or as JSON, each figure with
//! its target.

use std::fmt::Write;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::critical_path::CriticalPath;
use super::recreate::{Quantiles, Recreation};
use super::requests::{RequestStats, Row};

/// Targets the figures are held to.
pub const READY_OVER_PATH: f64 = 1.2;
pub const WRITES_OVER_MINIMUM: f64 = 1.5;
pub const RSS_BYTES: u64 = 64 * 1024 * 1024;
pub const RECREATE_P99: Duration = Duration::from_secs(1);

pub fn seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

pub fn seconds_opt<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub nodes: usize,
    pub containers: usize,
    pub clusters: usize,
    pub latency: &'static str,
    /// Every WekaCluster Ready (its `ClusterIsReady` condition True).
    pub ready: bool,
    /// From the apply to Ready (to the timeout when not Ready).
    #[serde(serialize_with = "seconds")]
    pub time_to_ready: Duration,
    /// From the apply to every compute and drive WekaContainer Running.
    #[serde(serialize_with = "seconds_opt")]
    pub containers_running: Option<Duration>,
    pub critical_path: CriticalPath,
    #[serde(serialize_with = "seconds")]
    pub critical_path_total: Duration,
    pub ready_over_critical_path: Option<f64>,
    /// The operator's requests from the apply to Ready.
    pub bring_up_requests: RequestStats,
    pub minimum_writes: usize,
    pub writes_over_minimum: f64,
    pub steady_state: SteadyState,
    pub operator_peak_rss_bytes: Option<u64>,
    /// How RSS was measured.
    pub rss_source: &'static str,
    pub recreation: Recreation,
    /// The flags given to the operator after `--` (none: its defaults, upstream's).
    pub operator_args: Vec<String>,
    pub operator_log: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SteadyState {
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// `real`: wall-clock time (the operator's timers run on real time).
    pub clock: &'static str,
    pub operator_writes: usize,
    pub writes: Vec<Row>,
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "ok",
        Some(false) => "MISSED",
        None => "n/a",
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

impl Report {
    pub fn table(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "weka-operator bench: {} nodes, {} WekaContainers in {} WekaClusters, latency {}\n",
            self.nodes, self.containers, self.clusters, self.latency
        );
        let _ = writeln!(t, "{:<56} {:>14}  target", "", "measured");
        let mut row = |name: &str, value: String, target: String, ok: Option<bool>| {
            let _ = writeln!(t, "{name:<56} {value:>14}  {target:<22} {}", verdict(ok));
        };
        let ready = if self.ready {
            secs(self.time_to_ready)
        } else {
            format!("not ({})", secs(self.time_to_ready))
        };
        let running = self.containers_running.map(secs).unwrap_or_else(|| "not".into());
        row("time to every WekaContainer Running", running, String::new(), None);
        row("time to every WekaCluster Ready", ready, String::new(), Some(self.ready));
        row(
            "critical path of simulated latencies",
            secs(self.critical_path_total),
            String::new(),
            None,
        );
        let ratio = self.ready_over_critical_path;
        row(
            "time to Ready / critical path",
            ratio.map(|r| format!("{r:.2}")).unwrap_or_else(|| "n/a".into()),
            format!("≤ {READY_OVER_PATH}"),
            ratio.map(|r| r <= READY_OVER_PATH),
        );
        row(
            "operator writes during bring-up",
            self.bring_up_requests.writes.to_string(),
            format!("≤ {WRITES_OVER_MINIMUM} × {}", self.minimum_writes),
            Some(self.writes_over_minimum <= WRITES_OVER_MINIMUM),
        );
        row("  writes / minimum", format!("{:.2}", self.writes_over_minimum), String::new(), None);
        row(
            &format!(
                "operator writes in {} of steady state ({})",
                secs(self.steady_state.duration),
                self.steady_state.clock
            ),
            self.steady_state.operator_writes.to_string(),
            "0".into(),
            Some(self.steady_state.operator_writes == 0),
        );
        let rss = self.operator_peak_rss_bytes;
        row(
            "operator peak RSS",
            rss.map(|b| format!("{:.1} MiB", b as f64 / 1048576.0)).unwrap_or_else(|| "n/a".into()),
            "≤ 64 MiB".into(),
            rss.map(|b| b <= RSS_BYTES),
        );
        let rec = &self.recreation;
        row(
            &format!("pod deletion → recreation p99 ({}/{} back)", rec.recreated, rec.sampled),
            rec.p99.map(secs).unwrap_or_else(|| "n/a".into()),
            "< 1 s".into(),
            rec.p99.map(|p| p < RECREATE_P99 && rec.recreated == rec.sampled),
        );
        let p99 = |q: &Quantiles| q.p99.map(secs).unwrap_or_else(|| "n/a".into());
        row("  the old pod terminating, p99", p99(&rec.terminating), String::new(), None);
        row("  the operator: pod gone → new pod, p99", p99(&rec.operator), String::new(), None);
        if let Some(sleep) = &rec.debug_sleep_seconds {
            let _ = writeln!(
                t,
                "\nrecreation: the pods' WEKA runtime sleeps {sleep} s when it terminates \
                 (WEKA_OPERATOR_DEBUG_SLEEP: the operator's --debug-sleep, upstream's default 3)"
            );
        }
        if !self.operator_args.is_empty() {
            let _ = writeln!(t, "operator flags: {}", self.operator_args.join(" "));
        }
        let _ = writeln!(t, "\ncritical path: {} (largest cluster)", self.critical_path.describe());
        let _ = writeln!(t, "RSS: {}", self.rss_source);
        let b = &self.bring_up_requests;
        let _ = writeln!(
            t,
            "\noperator API requests during bring-up: {} ({} writes, {} execs, {} events; {:.1} per container)",
            b.total,
            b.writes,
            b.execs,
            b.events,
            b.total as f64 / self.containers.max(1) as f64
        );
        let _ = writeln!(
            t,
            "  {:<8} {:<32} {:>9} {:>14}",
            "verb", "resource", "count", "per container"
        );
        for r in &b.rows {
            let _ = writeln!(
                t,
                "  {:<8} {:<32} {:>9} {:>14.2}",
                r.verb, r.resource, r.count, r.per_container
            );
        }
        if !self.steady_state.writes.is_empty() {
            let _ = writeln!(t, "\nsteady-state writes:");
            for r in &self.steady_state.writes {
                let _ = writeln!(t, "  {:<8} {:<32} {:>9}", r.verb, r.resource, r.count);
            }
        }
        let _ = writeln!(t, "\noperator log: {}", self.operator_log);
        t
    }
}
