//! The two waits of a simulation: until every target is Ready (showing progress), then,
//! serving, until Ctrl-C. Either also ends when the operator process exits on its own.

use std::future::Future;
use std::time::{Duration, Instant};

use super::operator_process::OperatorProcess;
use super::progress::{Progress, Snapshot, render};
use crate::shutdown::TerminationSignals;

/// How often the display is refreshed (live) or looked at for changes (plain).
const LIVE_TICK: Duration = Duration::from_millis(250);
const PLAIN_TICK: Duration = Duration::from_millis(500);

/// How a wait ended.
pub enum Waited {
    Ready(Snapshot),
    TimedOut { reason: String },
    Signal(&'static str),
    OperatorExited(String),
}

/// Everything a wait watches besides time.
pub struct Watch<'a, F> {
    pub signals: &'a mut TerminationSignals,
    pub operator: &'a mut OperatorProcess,
    /// Runs alongside (fault injection); its end is ignored.
    pub background: &'a mut F,
}

fn exit_text(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(e) => e.to_string(),
    }
}

/// Shows progress until every target is Ready, or the deadline passes; `seen` looks at
/// every snapshot taken.
pub async fn until_ready<F: Future<Output = ()> + Unpin>(
    progress: &mut Progress,
    deadline: Option<Instant>,
    watch: &mut Watch<'_, F>,
    mut seen: impl FnMut(&Snapshot),
) -> Waited {
    let tick = if progress.is_live() { LIVE_TICK } else { PLAIN_TICK };
    let mut background_done = false;
    loop {
        let snapshot = progress.tick();
        seen(&snapshot);
        if snapshot.all_ready(&progress.targets) {
            return Waited::Ready(snapshot);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Waited::TimedOut { reason: render::not_ready(&snapshot, &progress.targets) };
        }
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            signal = watch.signals.recv() => return Waited::Signal(signal),
            status = watch.operator.exited() => return Waited::OperatorExited(exit_text(status)),
            () = &mut *watch.background, if !background_done => background_done = true,
        }
    }
}

/// Serves (plain lines on changes) until a signal or the operator's exit.
pub async fn serve<F: Future<Output = ()> + Unpin>(
    progress: &mut Progress,
    watch: &mut Watch<'_, F>,
) -> Waited {
    let mut background_done = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(PLAIN_TICK) => { progress.tick(); }
            signal = watch.signals.recv() => return Waited::Signal(signal),
            status = watch.operator.exited() => return Waited::OperatorExited(exit_text(status)),
            () = &mut *watch.background, if !background_done => background_done = true,
        }
    }
}
