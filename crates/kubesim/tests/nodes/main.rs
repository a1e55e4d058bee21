//! Simulated nodes: scheduling, kubelets, node lifecycle, exec and the stop protocol.

mod support;

mod exec;
mod kubectl;
mod lifecycle;
mod scheduling;
mod smoke;
mod stop_protocol;
