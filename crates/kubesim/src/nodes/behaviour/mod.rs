//! What runs inside a simulated container. A [`ContainerBehaviour`] decides how the container's
//! main process runs (when it is ready, what it logs, how it reacts to SIGTERM) and may add
//! programs to the container's shell; the [`BehaviourRegistry`] picks one per container by
//! image or pod label (wekasim registers the WEKA runtime there). Every container gets a
//! [`ContainerCtx`]: its in-memory filesystem, log, readiness flag, signals and clock.
//!
//! `exec` always goes through [`shell::exec`]: the behaviour's own programs first, then the
//! built-in shell (echo, cat, test, `sh -c` with `&&` / `||` / pipes, ...).

mod context;
mod default;
pub mod fs;
mod logs;
mod registry;
pub mod shell;

use futures::future::BoxFuture;

pub use context::{ContainerCtx, ContainerInfo, Signal};
pub use default::{DefaultBehaviour, command_line, expand_references as expand_env_references};
pub use fs::{Fs, FsError, Tree};
pub use logs::{LogBuffer, LogLine};
pub use registry::{BehaviourRegistry, Selector};

/// What a program run in a container printed, and its exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub code: i32,
}

impl CommandOutput {
    pub fn ok(stdout: impl Into<Vec<u8>>) -> Self {
        CommandOutput { stdout: stdout.into(), ..Default::default() }
    }

    pub fn fail(code: i32, stderr: impl Into<Vec<u8>>) -> Self {
        CommandOutput { stdout: Vec::new(), stderr: stderr.into(), code }
    }

    pub fn code(code: i32) -> Self {
        CommandOutput { code, ..Default::default() }
    }
}

/// The behaviour of one kind of container.
pub trait ContainerBehaviour: Send + Sync + 'static {
    /// The main process: runs until the container exits and returns the exit code. It reads
    /// `ctx.next_signal()` for SIGTERM ([`Signal::Terminate`], when the pod is deleted) and
    /// wake-ups ([`Signal::Wake`], from `kill 1` in an exec); the kubelet drops the future
    /// when the grace period runs out (SIGKILL).
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32>;

    /// A program of this image, run by exec or from the shell: `Some` if `argv[0]` is one.
    fn command<'a>(
        &'a self,
        _ctx: &'a ContainerCtx,
        _argv: &'a [String],
        _stdin: &'a [u8],
    ) -> Option<BoxFuture<'a, CommandOutput>> {
        None
    }

    /// A server of this container: answers an HTTP request sent to the pod's IP on `port`
    /// (through kubesim's pod network). `None` when nothing in this container listens on that
    /// port (the caller sees "connection refused"). The request's URI is in origin form
    /// (`/path?query`); its `Host` header names the pod IP and port.
    fn http<'a>(
        &'a self,
        _ctx: &'a ContainerCtx,
        _port: u16,
        _request: http::Request<bytes::Bytes>,
    ) -> Option<BoxFuture<'a, http::Response<bytes::Bytes>>> {
        None
    }
}
