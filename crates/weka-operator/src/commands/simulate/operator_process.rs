//! The operator under simulation: this very binary started as `weka-operator run
//! --kubeconfig <the simulator's kubeconfig>`, a child process. So the operator runs exactly
//! as against a real cluster (the same `run` code, its own HTTP client, signals and
//! shutdown), its log is its own, and its memory is measured alone.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process};
use tokio::process::{Child, Command};

use super::SimulateError;
use crate::config::DEFAULT_OPERATOR_NAMESPACE;

pub struct OperatorOptions<'a> {
    pub kubeconfig: &'a Path,
    /// Where its stdout and stderr go; `None`: this process's own.
    pub log: Option<&'a Path>,
    /// The simulated pod network's proxy: how the operator reaches node-agent pods, as an
    /// operator outside a real cluster's pod network would.
    pub pod_network: &'a str,
    /// More flags of `run`, after the simulation's own (a repeated flag keeps its last value).
    pub extra_args: &'a [String],
}

pub struct OperatorProcess {
    child: Child,
    pid: u32,
    log: Option<PathBuf>,
}

impl OperatorProcess {
    pub fn spawn(options: &OperatorOptions<'_>) -> Result<OperatorProcess, SimulateError> {
        let exe = std::env::current_exe().map_err(SimulateError::OperatorSpawn)?;
        let mut command = Command::new(exe);
        command
            .arg("run")
            .arg(format!("--kubeconfig={}", options.kubeconfig.display()))
            // Any free ports: several simulations may run side by side.
            .arg("--health-probe-bind-address=127.0.0.1:0")
            .arg("--metrics-bind-address=127.0.0.1:0")
            // As the Deployment's downward API would tell it.
            .arg(format!("--pod-namespace={DEFAULT_OPERATOR_NAMESPACE}"))
            .arg(format!("--node-agent-proxy={}", options.pod_network))
            .args(options.extra_args)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(path) = options.log {
            let io = |source| SimulateError::Io { path: path.into(), source };
            let file = std::fs::File::create(path).map_err(io)?;
            // A file wants no colour codes.
            command.env("NO_COLOR", "1").stdout(file.try_clone().map_err(io)?).stderr(file);
        }
        let child = command.spawn().map_err(SimulateError::OperatorSpawn)?;
        let pid = child.id().ok_or(SimulateError::OperatorGone)?;
        Ok(OperatorProcess { child, pid, log: options.log.map(Path::to_path_buf) })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Resolves when the process exits on its own.
    pub async fn exited(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// The process's peak resident set (`VmHWM` of `/proc/PID/status`), in bytes.
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        peak_rss_from_status(&status)
    }

    /// SIGTERM, as the kubelet stops the operator's pod; SIGKILL after `grace`.
    pub async fn stop(mut self, grace: Duration) -> Result<ExitStatus, SimulateError> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Ok(status);
        }
        let pid = Pid::from_raw(self.pid as i32).ok_or(SimulateError::OperatorGone)?;
        // It may have exited meanwhile (e.g. Ctrl-C reached it too): nothing to do then.
        let _ = kill_process(pid, Signal::TERM);
        match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(status) => status.map_err(SimulateError::OperatorWait),
            Err(_) => {
                tracing::warn!(pid = self.pid, "the operator did not stop in time; killing it");
                self.child.kill().await.map_err(SimulateError::OperatorWait)?;
                self.child.wait().await.map_err(SimulateError::OperatorWait)
            }
        }
    }

    /// The last lines of its log (to explain an unexpected exit).
    pub fn log_tail(&self, lines: usize) -> String {
        let Some(text) = self.log.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) else {
            return String::new();
        };
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// `VmHWM:   12345 kB` -> bytes.
fn peak_rss_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_is_read_from_vmhwm() {
        let status =
            "Name:\tweka-operator\nVmPeak:\t  900000 kB\nVmHWM:\t   41000 kB\nVmRSS:\t 40000 kB\n";
        assert_eq!(peak_rss_from_status(status), Some(41000 * 1024));
        assert_eq!(peak_rss_from_status("Name: x\n"), None);
    }

    #[test]
    fn this_process_has_a_peak_rss() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        assert!(peak_rss_from_status(&status).unwrap() > 0);
    }
}
