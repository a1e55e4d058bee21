//! The per-container state a behaviour works with.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Container, Pod};
use tokio::sync::{Notify, watch};

use super::fs::Fs;
use super::logs::LogBuffer;
use crate::nodes::clock::Clock;

/// What a container's main process can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM from the kubelet: the pod is being deleted.
    Terminate,
    /// `kill 1` from an exec: look again (the WEKA runtime re-checks its stop flags).
    Wake,
}

/// Where a container runs.
#[derive(Debug, Clone)]
pub struct ContainerInfo {
    pub pod: Arc<Pod>,
    pub container: Container,
    pub node_name: String,
    pub pod_ip: String,
    pub host_ip: String,
    /// Environment after resolving `valueFrom` (field, secret and config map references).
    pub env: BTreeMap<String, String>,
    pub restart_count: i32,
}

#[derive(Clone)]
pub struct ContainerCtx(Arc<Inner>);

struct Inner {
    info: ContainerInfo,
    fs: Fs,
    clock: Clock,
    logs: Arc<LogBuffer>,
    ready: watch::Sender<bool>,
    signals: Mutex<VecDeque<Signal>>,
    signalled: Notify,
    terminating: AtomicBool,
}

impl std::fmt::Debug for ContainerCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerCtx")
            .field("pod", &self.0.info.pod.metadata.name)
            .field("container", &self.0.info.container.name)
            .finish()
    }
}

impl ContainerCtx {
    pub fn new(info: ContainerInfo, fs: Fs, clock: Clock, logs: Arc<LogBuffer>) -> Self {
        ContainerCtx(Arc::new(Inner {
            info,
            fs,
            clock,
            logs,
            ready: watch::channel(false).0,
            signals: Mutex::new(VecDeque::new()),
            signalled: Notify::new(),
            terminating: AtomicBool::new(false),
        }))
    }

    pub fn info(&self) -> &ContainerInfo {
        &self.0.info
    }

    pub fn pod(&self) -> &Pod {
        &self.0.info.pod
    }

    pub fn container(&self) -> &Container {
        &self.0.info.container
    }

    pub fn fs(&self) -> &Fs {
        &self.0.fs
    }

    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    pub fn env(&self, name: &str) -> Option<&str> {
        self.0.info.env.get(name).map(String::as_str)
    }

    pub fn logs(&self) -> &Arc<LogBuffer> {
        &self.0.logs
    }

    /// Appends text to the container's log (what `kubectl logs` shows).
    pub fn log(&self, text: impl AsRef<str>) {
        self.0.logs.push(self.0.clock.now(), text.as_ref());
    }

    pub fn set_ready(&self, ready: bool) {
        self.0.ready.send_replace(ready);
    }

    pub fn is_ready(&self) -> bool {
        *self.0.ready.borrow()
    }

    pub fn watch_ready(&self) -> watch::Receiver<bool> {
        self.0.ready.subscribe()
    }

    /// Delivers a signal to the main process.
    pub fn signal(&self, signal: Signal) {
        if signal == Signal::Terminate {
            self.0.terminating.store(true, Ordering::SeqCst);
        }
        self.0.signals.lock().unwrap_or_else(|p| p.into_inner()).push_back(signal);
        self.0.signalled.notify_one();
    }

    /// Whether SIGTERM was delivered.
    pub fn is_terminating(&self) -> bool {
        self.0.terminating.load(Ordering::SeqCst)
    }

    /// Waits for the next signal.
    pub async fn next_signal(&self) -> Signal {
        loop {
            let notified = self.0.signalled.notified();
            if let Some(signal) =
                self.0.signals.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
            {
                return signal;
            }
            notified.await;
        }
    }
}
