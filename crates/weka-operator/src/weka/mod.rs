//! Talking to WEKA: the weka CLI run inside WekaContainer pods over pod exec, with timeouts,
//! typed errors and parsed JSON.
//!
//! - [`exec`]: the [`PodExec`] seam (target pod/container, argv, timeout → stdout, stderr,
//!   exit code or an [`ExecError`]); [`kube_exec`] implements it over `pods/exec`.
//! - [`WekaCli`] (`cli.rs`): one pod's CLI. Each operation the operator performs is one method,
//!   in the file of its area (`status`, `cluster`, `cloud`, `containers`, `drives`, `users`,
//!   `s3`, `nfs`, `fs`, `local`, `files`, `telemetry`, `upgrade`, `dist`). A method builds exactly
//!   upstream's command line (argv, or a `bash -ce` script; `wekaauthcli` or plain `weka` as
//!   upstream does), parses JSON into typed structs and classifies failures into
//!   [`WekaError`], applying upstream's stderr idempotency rules.
//! - Secrets: commands carrying them are sensitive ([`command::Command::with_secret`]); their
//!   command line never appears in errors or traces and secret values are scrubbed from
//!   stderr.
//! - Metrics: every exec is reported to a [`CliObserver`] (the operator's
//!   [`crate::metrics::WekaCliMetrics`] implements it).

mod cli;
pub mod cloud;
pub mod cluster;
pub mod command;
pub mod containers;
pub mod dist;
pub mod drives;
mod error;
pub mod exec;
pub mod files;
pub mod fs;
mod ip_ranges;
mod json;
pub mod kube_exec;
pub mod local;
pub mod nfs;
mod observer;
pub mod s3;
mod shell;
pub mod status;
pub mod telemetry;
pub mod upgrade;
pub mod users;

#[cfg(test)]
mod sim_exec;
#[cfg(test)]
mod tests;

// The controllers (next) use these; until then only the tests do.
#[allow(unused_imports)]
pub use cli::WekaCli;
#[allow(unused_imports)]
pub use error::{AlreadyDone, WekaError};
#[allow(unused_imports)]
pub use exec::{ExecError, ExecOutput, ExecTarget, PodExec};
#[allow(unused_imports)]
pub use kube_exec::KubePodExec;
#[allow(unused_imports)]
pub use observer::{CliObserver, NoopObserver, outcome};
