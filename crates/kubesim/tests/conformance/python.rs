//! Conformance through the official Python `kubernetes` client: the cases of
//! `tests/python/conformance.py` against `kubesim serve`, each reported on its own line.
//! The client is installed from PyPI into a virtualenv under the target directory on first
//! run; the suite is skipped (with a message) only when PyPI cannot be reached.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The client version the cases are written against.
const CLIENT: &str = "kubernetes==37.0.2";

fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-kubernetes-venv")
}

fn has_client(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import kubernetes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn pypi_reachable(python: &str) -> bool {
    let probe = "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/kubernetes/', timeout=20)";
    Command::new(python).args(["-c", probe]).status().is_ok_and(|s| s.success())
}

/// The virtualenv's python with the client installed; `None` when PyPI is unreachable.
fn python_with_client() -> Option<PathBuf> {
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    if has_client(&python) {
        return Some(python);
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 runs (it is on every machine this project uses)");
    assert!(created.success(), "python3 -m venv {} failed", venv.display());
    let install = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", CLIENT])
        .output()
        .expect("pip runs");
    if install.status.success() && has_client(&python) {
        return Some(python);
    }
    if !pypi_reachable("python3") {
        eprintln!(
            "PyPI is unreachable: skipping the Python client conformance cases ({})",
            String::from_utf8_lossy(&install.stderr).trim()
        );
        return None;
    }
    panic!(
        "pip install {CLIENT} failed although PyPI is reachable:\n{}",
        String::from_utf8_lossy(&install.stderr)
    );
}

#[test]
fn python_client_conformance() {
    let Some(python) = python_with_client() else {
        return;
    };
    let server = crate::support::server();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/conformance.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the conformance script runs");
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the Python conformance cases did not finish within 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let count = |status: &str| results.iter().filter(|r| r["status"] == status).count();
    for r in &results {
        let note = match r["status"].as_str() {
            Some("PENDING") => {
                format!(" (needs {}, in progress)", r["pending"].as_str().unwrap_or(""))
            }
            Some("XPASS") => format!(" (passes now: drop the pending mark for {})", r["pending"]),
            Some("FAIL") => {
                format!("\n    {}", r["detail"].as_str().unwrap_or("").replace('\n', "\n    "))
            }
            _ => String::new(),
        };
        println!(
            "{:8} {}{note}",
            r["status"].as_str().unwrap_or("?"),
            r["case"].as_str().unwrap_or("?")
        );
    }
    println!(
        "python client: {} passed, {} failed, {} pending, {} passing while marked pending",
        count("PASS"),
        count("FAIL"),
        count("PENDING"),
        count("XPASS")
    );
    assert!(results.len() >= 30, "every case reports: {} lines", results.len());
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r["status"] == "FAIL")
        .filter_map(|r| r["case"].as_str())
        .collect();
    assert!(failed.is_empty(), "failed cases: {failed:?} (details above, run with --nocapture)");
}
