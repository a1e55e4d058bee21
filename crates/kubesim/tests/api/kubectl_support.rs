//! Running the real `kubectl` against a kubesim started in the test (asynchronously, so the
//! in-process server keeps serving). Tests skip, with a message, where kubectl is missing.

#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use kubesim::KubesimHandle;
use serde_json::Value;

pub fn available() -> bool {
    let found = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("kubectl not found: skipping");
    }
    found
}

pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn out(&self) -> &str {
        assert!(self.ok, "kubectl failed:\n{}\n{}", self.stderr, self.stdout);
        &self.stdout
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.out()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

pub async fn kubectl(sim: &KubesimHandle, args: &[&str]) -> Run {
    kubectl_with_input(sim, args, None).await
}

pub async fn kubectl_with_input(sim: &KubesimHandle, args: &[&str], input: Option<&str>) -> Run {
    let dir = sim.kubeconfig_path().parent().unwrap().to_path_buf();
    let mut cmd = tokio::process::Command::new("kubectl");
    cmd.env("KUBECONFIG", sim.kubeconfig_path())
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("kubectl runs");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(text) = input {
        tokio::io::AsyncWriteExt::write_all(&mut stdin, text.as_bytes()).await.unwrap();
    }
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("kubectl finishes in time")
        .unwrap();
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into(),
        stderr: String::from_utf8_lossy(&output.stderr).into(),
    }
}
