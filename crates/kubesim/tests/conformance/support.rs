//! Shared by the conformance suites (`conformance_*.rs`): one `kubesim serve` per test
//! binary, started on first use with its kubeconfig in a directory of its own, and the real
//! `kubectl` run against it. The server lives as long as the test process: a shell holds it
//! and kills it when the pipe from this process closes, however the process ends.
//!
//! Cases share the server, so each works in a namespace of its own ([`namespace`]) and
//! gives cluster-scoped objects names of its own.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    /// Holding it keeps the supervising shell (and so the server) alive.
    _supervisor: Mutex<(Child, ChildStdin)>,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The server of this test binary.
pub fn server() -> &'static Server {
    SERVER.get_or_init(start_server)
}

fn start_server() -> Server {
    let binary = std::env::current_exe().unwrap();
    let suite =
        binary.file_stem().unwrap().to_string_lossy().split('-').next().unwrap().to_string();
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance");
    // Directories of earlier runs of this suite.
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&format!("{suite}-")) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = root.join(format!("{suite}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    // The shell starts the server, then waits for this process's end (EOF on its stdin).
    let script = r#""$@" </dev/null & pid=$!; read _ignored; kill $pid"#;
    let mut child = Command::new("sh")
        .args(["-c", script, "sh", env!("CARGO_BIN_EXE_kubesim"), "serve", "--listen"])
        .arg("127.0.0.1:0")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("kubesim serve starts");
    let stdin = child.stdin.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !kubeconfig.exists() {
        assert!(Instant::now() < deadline, "kubesim wrote no kubeconfig; see {}", dir.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { dir, kubeconfig, _supervisor: Mutex::new((child, stdin)) }
}

/// Whether kubectl is installed; the suites skip (with this message) where it is not.
pub fn kubectl_available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let found = Command::new("kubectl")
            .args(["version", "--client"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            eprintln!("kubectl not found: skipping the kubectl conformance cases");
        }
        found
    })
}

/// Returns early from a case where kubectl is missing.
#[macro_export]
macro_rules! require_kubectl {
    () => {
        if !$crate::support::kubectl_available() {
            return;
        }
    };
}

#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails the case unless kubectl succeeded.
    #[track_caller]
    pub fn success(self) -> Self {
        assert!(self.ok, "kubectl failed ({:?}):\n{}\n{}", self.code, self.stderr, self.stdout);
        self
    }

    /// Fails the case unless kubectl failed with `needle` in its error output.
    #[track_caller]
    pub fn failure(self, needle: &str) -> Self {
        assert!(!self.ok, "kubectl should have failed:\n{}", self.stdout);
        assert!(self.stderr.contains(needle), "expected {needle:?} in:\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        assert!(self.ok, "kubectl failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// The trimmed lines of stdout.
    pub fn lines(&self) -> Vec<String> {
        self.stdout.lines().map(|l| l.trim_end().to_string()).filter(|l| !l.is_empty()).collect()
    }
}

fn command(args: &[&str]) -> Command {
    let server = server();
    let mut cmd = Command::new("kubectl");
    cmd.env("KUBECONFIG", &server.kubeconfig)
        .env_remove("KUBECTL_EXTERNAL_DIFF")
        .arg("--cache-dir")
        .arg(server.dir.join("cache"))
        .args(args);
    cmd
}

/// Runs kubectl to completion (at most a minute).
pub fn kubectl(args: &[&str]) -> Run {
    kubectl_with(args, None)
}

/// Runs kubectl with `input` on its standard input (`-f -`).
pub fn kubectl_in(input: &str, args: &[&str]) -> Run {
    kubectl_with(args, Some(input))
}

fn kubectl_with(args: &[&str], input: Option<&str>) -> Run {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(text) = input {
        stdin.write_all(text.as_bytes()).unwrap();
    }
    drop(stdin);
    let stdout = reader(child.stdout.take().unwrap());
    let stderr = reader(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("kubectl {args:?} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        ok: status.success(),
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A fresh namespace for one case (created from a manifest: `kubectl create namespace`
/// sends protobuf).
pub fn namespace(prefix: &str) -> String {
    let name = format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let manifest = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    kubectl_in(&manifest, &["create", "-f", "-"]).success();
    name
}

/// Polls `check` until it holds, failing the case after 15 s.
#[track_caller]
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A long-running kubectl (`get -w`) whose output is collected as it comes.
pub struct Background {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Background {
    pub fn start(args: &[&str]) -> Self {
        let mut child = command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl runs");
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Background { child, output }
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The JSON documents printed so far.
    pub fn documents(&self) -> Vec<Value> {
        let text = self.output();
        serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .collect()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The uid of an object, through kubectl.
pub fn uid(args: &[&str]) -> String {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", "jsonpath={.metadata.uid}"]);
    let run = kubectl(&full).success();
    assert!(!run.stdout.is_empty(), "no uid for {args:?}");
    run.stdout
}

/// The repository's deploy/ directory (the WEKA CRDs).
pub fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}
