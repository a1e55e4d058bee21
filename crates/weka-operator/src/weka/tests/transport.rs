//! Timeouts, vanished pods, and what the observer is told.

use std::sync::Mutex;

use super::*;
use crate::weka::CliObserver;

#[derive(Default)]
struct Recorder(Mutex<Vec<(&'static str, String, Duration)>>);

impl CliObserver for Recorder {
    fn observe(&self, op: &'static str, outcome: &str, elapsed: Duration) {
        self.0.lock().unwrap().push((op, outcome.to_string(), elapsed));
    }
}

impl Recorder {
    fn seen(&self) -> Vec<(&'static str, String)> {
        self.0.lock().unwrap().iter().map(|(op, outcome, _)| (*op, outcome.clone())).collect()
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_command_times_out_after_the_exec_timeout() {
    let sim = Sim::formed(1, 0);
    sim.exec.world().faults().command_timeout("status");
    let recorder = Arc::new(Recorder::default());
    let cli =
        sim.cli("drive-0").with_timeout(Duration::from_secs(30)).with_observer(recorder.clone());
    let started = tokio::time::Instant::now();
    let err = cli.status().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(err.to_string().contains("wekaauthcli status --json"), "{err}");
    assert_eq!(recorder.seen(), [("status", "timeout".to_string())]);
    assert_eq!(recorder.0.lock().unwrap()[0].2, Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn local_stop_is_bounded_by_timeout_inside_and_twelve_seconds_outside() {
    let sim = Sim::formed(1, 0);
    sim.exec.world().faults().command_timeout("local stop");
    let err = sim.cli("drive-0").stop_local(false).await.unwrap_err();
    let WekaError::CommandFailed { exit_code, .. } = err else { panic!("{err}") };
    assert_eq!(exit_code, 124, "`timeout 10s` ends the hanging stop");
}

#[tokio::test]
async fn outcomes_are_observed_per_command() {
    let sim = Sim::formed(1, 0);
    let recorder = Arc::new(Recorder::default());
    let cli = sim.cli("drive-0").with_observer(recorder.clone());
    cli.status().await.unwrap();
    cli.remove_drive("3b265a18-3e1a-45ab-abe3-a7729497cb1a").await.unwrap();
    cli.get_container(0).await.unwrap();
    assert_eq!(
        recorder.seen(),
        [
            ("status", "success".to_string()),
            ("cluster drive remove", "error".to_string()),
            ("cluster container", "success".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_vanished_pod_is_a_transport_error_except_where_upstream_ignores_it() {
    let sim = Sim::formed(1, 0);
    sim.exec.remove_pod("drive-0");
    let cli = sim.cli("drive-0");
    let err = cli.status().await.unwrap_err();
    assert!(err.is_container_gone() && !err.is_timeout(), "{err}");
    cli.stop_local(true).await.unwrap();
    cli.allow_stop().await.unwrap();
}

#[tokio::test]
async fn a_failed_command_keeps_its_stderr_and_exit_code() {
    let sim = Sim::pods(1, 0);
    let err = sim.cli("drive-0").status().await.unwrap_err();
    let WekaError::CommandFailed { command, exit_code, stderr } = &err else { panic!("{err}") };
    assert_eq!(command, "wekaauthcli status --json");
    assert_eq!(*exit_code, 1);
    assert!(stderr.contains("STEM"), "{stderr}");
}

#[tokio::test]
async fn json_commands_reject_noise_on_stdout() {
    let sim = Sim::formed(1, 0);
    sim.exec.reply(&["weka", "local", "ps", "--json"], ok("warning: slow\n[]"));
    let err = sim.cli("drive-0").local_ps().await.unwrap_err();
    assert!(
        matches!(&err, WekaError::BadJson { command, .. } if command == "weka local ps --json"),
        "{err}"
    );
}

#[tokio::test]
async fn the_metrics_registry_is_an_observer() {
    let metrics = crate::metrics::Metrics::new();
    let sim = Sim::formed(1, 0);
    let cli = sim.cli("drive-0").with_observer(Arc::new(metrics.weka_cli.clone()));
    cli.status().await.unwrap();
    let text = metrics.encode();
    assert!(
        text.contains(r#"weka_operator_weka_cli_calls_total{command="status",result="success"} 1"#),
        "{text}"
    );
}
