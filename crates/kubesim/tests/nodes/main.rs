//! Simulated nodes: scheduling, kubelets, node lifecycle, exec, the stop protocol, the
//! DaemonSet controller and the pod network.

mod support;

mod daemonsets;
mod exec;
mod kubectl;
mod lifecycle;
mod pod_network;
mod scheduling;
mod smoke;
mod stop_protocol;
