//! The in-pod WEKA runtime as a kubesim pod behaviour: start-up, exec, cluster, termination.

mod support;

mod cluster;
mod exec;
mod startup;
mod termination;
