//! [`WekaCli`]: the one way the operator runs commands in a WEKA pod. Every operation (in the
//! files named for their area) builds a [`Command`], runs it here, and classifies the result.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::command::Command;
use super::error::WekaError;
use super::exec::{ExecError, ExecOutput, ExecTarget, PodExec};
use super::observer::{CliObserver, NoopObserver, outcome};

/// The WEKA CLI of one pod: the exec transport, the target container, the default timeout of
/// an exec (`KUBE_EXEC_TIMEOUT`) and where calls are reported.
#[derive(Clone)]
pub struct WekaCli {
    exec: Arc<dyn PodExec>,
    target: ExecTarget,
    timeout: Duration,
    observer: Arc<dyn CliObserver>,
}

impl WekaCli {
    pub fn new(exec: Arc<dyn PodExec>, target: ExecTarget, timeout: Duration) -> Self {
        WekaCli { exec, target, timeout, observer: Arc::new(NoopObserver) }
    }

    pub fn with_observer(mut self, observer: Arc<dyn CliObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// The same pod with another default timeout (upstream's `NewWekaServiceWithTimeout`).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same transport, timeout and observer, in another pod.
    pub fn for_target(&self, target: ExecTarget) -> Self {
        WekaCli { target, ..self.clone() }
    }

    pub fn target(&self) -> &ExecTarget {
        &self.target
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs the command; any exit code is an `Ok`.
    pub(super) async fn exec(&self, cmd: &Command) -> Result<ExecOutput, WekaError> {
        let timeout = cmd.timeout.unwrap_or(self.timeout);
        let started = Instant::now();
        let result = self.exec.exec(&self.target, &cmd.argv, timeout).await;
        let elapsed = started.elapsed();
        let label = match &result {
            Ok(out) if out.exit_code == 0 => outcome::SUCCESS,
            Err(ExecError::Timeout(_)) => outcome::TIMEOUT,
            _ => outcome::ERROR,
        };
        self.observer.observe(cmd.op, label, elapsed);
        match &result {
            Ok(out) if out.exit_code != 0 && !cmd.is_sensitive() => tracing::debug!(
                op = cmd.op,
                target = %self.target,
                command = %cmd.display(),
                exit_code = out.exit_code,
                stderr = %out.stderr.trim_end(),
                elapsed_ms = elapsed.as_millis() as u64,
                "weka command failed"
            ),
            Ok(out) => tracing::debug!(
                op = cmd.op,
                target = %self.target,
                command = %cmd.display(),
                exit_code = out.exit_code,
                elapsed_ms = elapsed.as_millis() as u64,
                "weka command ran"
            ),
            Err(error) => tracing::debug!(
                op = cmd.op,
                target = %self.target,
                command = %cmd.display(),
                %error,
                elapsed_ms = elapsed.as_millis() as u64,
                "weka command did not run"
            ),
        }
        result.map_err(|source| WekaError::Transport { command: cmd.display(), source })
    }

    /// Runs the command; a non-zero exit is [`WekaError::CommandFailed`].
    pub(super) async fn run(&self, cmd: &Command) -> Result<ExecOutput, WekaError> {
        let out = self.exec(cmd).await?;
        if out.exit_code != 0 {
            return Err(failed(cmd, &out));
        }
        Ok(out)
    }

    /// Runs the command; success, or a failure whose stderr `accept`s, is `Ok`.
    pub(super) async fn run_accepting(
        &self,
        cmd: &Command,
        accept: impl Fn(&str) -> bool,
    ) -> Result<(), WekaError> {
        let out = self.exec(cmd).await?;
        if out.exit_code == 0 || accept(&out.stderr) {
            return Ok(());
        }
        Err(failed(cmd, &out))
    }

    /// Runs a creation: a failure whose stderr contains `exists` is
    /// [`WekaError::AlreadyExists`] of `what`.
    pub(super) async fn run_creating(
        &self,
        cmd: &Command,
        exists: &str,
        what: String,
    ) -> Result<(), WekaError> {
        let out = self.exec(cmd).await?;
        match out.exit_code {
            0 => Ok(()),
            _ if out.stderr.contains(exists) => Err(WekaError::AlreadyExists { what }),
            _ => Err(failed(cmd, &out)),
        }
    }

    /// Runs the command and parses all of stdout as JSON.
    pub(super) async fn run_json<T: DeserializeOwned>(
        &self,
        cmd: &Command,
    ) -> Result<T, WekaError> {
        let out = self.run(cmd).await?;
        parse_json(cmd, &out.stdout)
    }
}

/// The error of a command that exited non-zero, secrets scrubbed from its stderr.
pub(super) fn failed(cmd: &Command, out: &ExecOutput) -> WekaError {
    WekaError::CommandFailed {
        command: cmd.display(),
        exit_code: out.exit_code,
        stderr: cmd.scrub(out.stderr.trim_end()),
    }
}

/// Parses `text` as the JSON `cmd` prints. The error of a sensitive command says where the
/// JSON broke, never what it held.
pub(super) fn parse_json<T: DeserializeOwned>(cmd: &Command, text: &str) -> Result<T, WekaError> {
    serde_json::from_str(text).map_err(|e| {
        let error = if cmd.is_sensitive() {
            format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column())
        } else {
            e.to_string()
        };
        WekaError::BadJson { command: cmd.display(), error }
    })
}
