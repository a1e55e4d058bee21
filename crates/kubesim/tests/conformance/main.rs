//! The conformance suite: cases run with kubectl, kube-rs and the Python client against
//! kubesim, as against a real API server.

#[macro_use]
mod support;

mod crds;
mod kubectl;
mod lifecycle;
mod python;
