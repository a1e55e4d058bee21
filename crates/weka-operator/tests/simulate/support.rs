//! Shared by the `simulate_*` tests: the built `weka-operator simulate` started in the
//! background as a user would in a second terminal (output to files, not a terminal), and
//! real `kubectl` against the kubeconfig it writes.

#![allow(dead_code)] // each test binary uses a subset

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

/// 5 compute + 5 drive containers: the smallest cluster WEKA forms.
pub const SMALL_CLUSTER: &str = "apiVersion: weka.weka.io/v1alpha1
kind: WekaCluster
metadata:
  name: small
  namespace: default
spec:
  template: dynamic
  dynamicTemplate: {computeContainers: 5, driveContainers: 5, numDrives: 1}
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  imagePullSecret: quay-io-robot-secret
  nodeSelector: {weka.io/supports-backends: \"true\"}
";

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_weka-operator")
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Writes `text` to `dir/file` and returns the path.
pub fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("file written");
    path
}

/// A `weka-operator simulate` running in the background.
pub struct Simulation {
    child: Option<Child>,
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
}

impl Simulation {
    /// `simulate --kubeconfig DIR/kubeconfig ARGS...`, stdout and stderr to files in `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Simulation {
        let kubeconfig = dir.join("kubeconfig");
        let stdout = std::fs::File::create(dir.join("stdout")).unwrap();
        let stderr = std::fs::File::create(dir.join("stderr")).unwrap();
        let child = Command::new(binary())
            .arg("simulate")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("simulate starts");
        Simulation { child: Some(child), dir: dir.to_path_buf(), kubeconfig }
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout")).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }

    /// What simulate printed, and its operator's log, for failure messages.
    pub fn transcript(&self) -> String {
        let operator_log = self
            .stdout()
            .split_whitespace()
            .find(|w| w.ends_with("operator.log"))
            .and_then(|path| std::fs::read_to_string(path.trim_end_matches(')')).ok())
            .map(|log| {
                log.lines()
                    .rev()
                    .take(40)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        format!(
            "--- stdout\n{}\n--- stderr\n{}\n--- operator log (end)\n{operator_log}",
            self.stdout(),
            self.stderr()
        )
    }

    /// `kubectl --kubeconfig K ARGS...`
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .expect("kubectl runs")
    }

    /// `kubectl ...` that must succeed: its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.transcript()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls `kubectl ARGS` until it succeeds with non-empty output.
    pub fn kubectl_eventually(&self, args: &[&str], within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if self.kubeconfig.exists() {
                let out = self.kubectl(args);
                let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if out.status.success() && !text.is_empty() {
                    return text;
                }
            }
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "kubectl {args:?} never answered\n{}",
                self.transcript()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn assert_running(&self) {
        let child = self.child.as_ref().expect("started");
        let alive = Path::new(&format!("/proc/{}", child.id())).exists();
        assert!(alive, "simulate is gone\n{}", self.transcript());
    }

    /// Ctrl-C, as a user stops it.
    pub fn interrupt(&self) {
        let pid = Pid::from_raw(self.pid() as i32).unwrap();
        kill_process(pid, Signal::INT).expect("SIGINT delivered");
    }

    /// Waits for the exit, killing the process after `within`.
    pub fn wait(&mut self, within: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("status") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("simulate did not exit within {within:?}\n{}", self.transcript());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The operator's process ID, from the line simulate prints when it starts it.
    pub fn operator_pid(&self) -> Option<u32> {
        let out = self.stdout();
        let line = out.lines().find(|l| l.contains("operator started"))?;
        let after = line.split("pid ").nth(1)?;
        after.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    }
}

impl Drop for Simulation {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = kill_process(Pid::from_raw(child.id() as i32).unwrap(), Signal::INT);
            let deadline = Instant::now() + Duration::from_secs(40);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `simulate ARGS...` to its end: (exit status, stdout, stderr).
pub fn run_to_end(dir: &Path, args: &[&str], within: Duration) -> (ExitStatus, String, String) {
    let mut sim = Simulation::start(dir, args);
    let status = sim.wait(within);
    (status, sim.stdout(), sim.stderr())
}
