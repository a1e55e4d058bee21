//! The in-pod WEKA runtime as a kubesim pod behaviour: start-up, exec, cluster, drive signing,
//! termination.

mod support;

mod cluster;
mod drive_signing;
mod exec;
mod startup;
mod termination;
