//! A container's log: timestamped lines that `pods/log` reads, tails and follows.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::jiff::Timestamp;
use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: Timestamp,
    pub text: String,
}

#[derive(Debug)]
pub struct LogBuffer {
    lines: Mutex<Vec<LogLine>>,
    changed: watch::Sender<usize>,
    closed: AtomicBool,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer {
            lines: Mutex::new(Vec::new()),
            changed: watch::channel(0).0,
            closed: AtomicBool::new(false),
        }
    }
}

impl LogBuffer {
    /// Appends text, one line per line of it (a trailing newline ends the last line).
    pub fn push(&self, time: Timestamp, text: &str) {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        let text = text.strip_suffix('\n').unwrap_or(text);
        for line in text.split('\n') {
            lines.push(LogLine { time, text: line.to_string() });
        }
        self.changed.send_replace(lines.len());
    }

    /// Lines from index `from`.
    pub fn lines_from(&self, from: usize) -> Vec<LogLine> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.get(from..).map(<[_]>::to_vec).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the first of the last `tail` lines.
    pub fn tail_start(&self, tail: Option<usize>) -> usize {
        let len = self.len();
        tail.map_or(0, |t| len.saturating_sub(t))
    }

    /// The container exited: followers stop once they have read everything.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.changed.send_modify(|_| {});
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until there are more than `seen` lines or the log is closed.
    pub async fn wait_beyond(&self, seen: usize) {
        let mut receiver = self.changed.subscribe();
        loop {
            if self.len() > seen || self.is_closed() {
                return;
            }
            if receiver.changed().await.is_err() {
                return;
            }
        }
    }
}
