//! Progress of the bring-up: what the watched objects show ([`snapshot`], from [`observe`]),
//! as a live display redrawn in place on a terminal ([`terminal`]) or as timestamped lines
//! when stdout is not one ([`render`] makes both texts).

pub mod observe;
pub mod render;
pub mod snapshot;
pub mod terminal;
#[cfg(test)]
mod tests;

use std::io::Write;
use std::time::{Duration, Instant};

pub use observe::Observer;
pub use render::Header;
pub use snapshot::Snapshot;

use super::manifests::Targets;
use terminal::LiveDisplay;

enum Output {
    Live(LiveDisplay),
    /// Prints the summary when it changed since the last line.
    Plain {
        last: String,
    },
}

/// Where plain lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    /// When stdout carries a result (`bench --json`).
    Stderr,
}

pub struct Progress {
    pub observer: Observer,
    pub targets: Targets,
    header: Header,
    output: Output,
    sink: Sink,
    started: Instant,
}

impl Progress {
    /// `live`: redraw in place (stdout is a terminal), else plain lines.
    pub fn new(observer: Observer, targets: Targets, header: Header, live: bool) -> Progress {
        let output = if live {
            Output::Live(LiveDisplay::new())
        } else {
            Output::Plain { last: String::new() }
        };
        Progress { observer, targets, header, output, sink: Sink::Stdout, started: Instant::now() }
    }

    /// Plain lines to `sink` (stdout by default).
    pub fn with_sink(mut self, sink: Sink) -> Progress {
        self.sink = sink;
        self
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Takes a snapshot and shows it.
    pub fn tick(&mut self) -> Snapshot {
        let snapshot = self.observer.snapshot(&self.targets);
        let took = self.started.elapsed();
        match &mut self.output {
            Output::Live(display) => {
                let lines = render::live(&snapshot, &self.header, took, terminal::width());
                display.draw(&lines);
            }
            Output::Plain { last } => {
                let summary = render::summary(&snapshot);
                if summary != *last {
                    line_to(self.sink, &format!("+{} {summary}", render::elapsed(took)));
                    *last = summary;
                }
            }
        }
        snapshot
    }

    /// Stops redrawing: the last frame stays, what follows prints below it.
    pub fn stop_live(&mut self) {
        if let Output::Live(display) = &mut self.output {
            display.finish();
            self.output =
                Output::Plain { last: render::summary(&self.observer.snapshot(&self.targets)) };
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self.output, Output::Live(_))
    }
}

/// A timestamped line on stdout.
pub fn plain_line(text: &str) {
    line_to(Sink::Stdout, text);
}

/// A timestamped line.
pub fn line_to(sink: Sink, text: &str) {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let line = format!("{now} {text}\n");
    let _ = match sink {
        Sink::Stdout => std::io::stdout().lock().write_all(line.as_bytes()),
        Sink::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
    };
}
