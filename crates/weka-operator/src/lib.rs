//! `weka-operator`: the WEKA Kubernetes operator. The binary (`main.rs`) is a thin shell over
//! this library so that tests start operator instances in-process.
//!
//! - [`config`]: every setting, from flags and environment variables.
//! - [`runtime`]: what controllers plug into: the shared context, one reflector per resource
//!   type shared by every controller, bounded concurrency, leadership-gated start and stop.
//! - [`leader_election`], [`http`], [`metrics`], [`telemetry`], [`shutdown`]: the process
//!   around the controllers.

#[allow(dead_code)] // used by the WekaCluster/WekaContainer controllers next
mod allocator;
pub mod cli;
#[allow(dead_code)] // used by the WekaCluster controller next
mod cluster;
pub mod commands;
pub mod config;
pub mod controllers;
mod csi;
#[allow(dead_code, unused_imports)] // driven by the controllers next
mod engine;
pub mod http;
pub mod leader_election;
pub mod metrics;
pub mod node_agent;
pub mod node_agent_client;
#[allow(dead_code)] // wired into the WekaContainer controller next
mod pod;
pub mod runtime;
pub mod shutdown;
pub mod telemetry;
#[allow(dead_code)] // used by the controllers next
mod weka;
