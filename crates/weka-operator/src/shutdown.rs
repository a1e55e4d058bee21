//! Termination signals: installed first thing, so a SIGTERM during start-up is not lost.

use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct TerminationSignals {
    term: Signal,
    int: Signal,
}

impl TerminationSignals {
    /// Must run inside the tokio runtime.
    pub fn install() -> std::io::Result<Self> {
        Ok(TerminationSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Resolves on the next SIGTERM (what the kubelet sends) or SIGINT (Ctrl-C).
    pub async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
