//! Simulated nodes: a scheduler and one kubelet per node, running as clients of the kubesim API
//! server (they watch and write through the same HTTP API a real scheduler and kubelet use),
//! plus the pod behaviours that decide what runs inside each simulated container.
//!
//! - [`node_spec`]: which nodes exist (`--nodes N`, `--node-spec FILE`).
//! - [`schedule`]: placement as a pure function (filters, scores, FailedScheduling messages).
//! - [`behaviour`]: what runs in a container (pluggable; the default is a small shell).
//! - [`clock`]: real or virtual time for every wait.

pub mod behaviour;
pub mod client;
mod cluster;
pub mod clock;
pub mod events;
pub mod images;
pub mod io;
pub mod kubelet;
pub mod lifecycle;
pub mod node_spec;
pub mod printer;
pub mod quantity;
pub mod schedule;
pub mod scheduler;
pub mod selectors;
pub mod taints;

pub use cluster::{Nodes, NodesConfig, NodesError};
