//! `weka-operator simulate` run as a user runs it: the binary, kubectl, the exit codes.

mod support;

mod kubectl;
mod until_ready;
