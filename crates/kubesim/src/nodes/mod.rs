//! Simulated nodes: a scheduler and one kubelet per node, running as clients of the kubesim API
//! server (they watch and write through the same HTTP API a real scheduler and kubelet use),
//! plus the pod behaviours that decide what runs inside each simulated container.
//!
//! Pure parts (unit-tested without a server):
//! - [`node_spec`]: which nodes exist (`--nodes N`, `--node-spec FILE`, format documented there).
//! - [`schedule`]: placement (filters, scores, FailedScheduling messages, preemption dry run).
//! - [`behaviour`]: what runs in a container (the `ContainerBehaviour` trait, the registry
//!   wekasim extends, the default behaviour and its shell over an in-memory filesystem).
//! - [`clock`]: real or virtual time for every wait; [`images`]: the simulated registry;
//!   [`printer`]: kubectl's pod columns; [`taints`], [`selectors`], [`quantity`].
//!
//! Active parts (API clients): [`scheduler`], [`kubelet`] (one per node), [`lifecycle`] (node
//! lifecycle, taint eviction, pod GC), [`daemonsets`] (the DaemonSet controller), [`io`]
//! (`pods/exec` over WebSocket and `pods/log`, reached through one hook in the API server), all
//! started and controlled through [`Nodes`]; [`network`] (pods' HTTP servers reached by pod IP
//! through a forward proxy, and the `pods/proxy` subresource).

pub mod behaviour;
pub mod client;
pub mod clock;
mod cluster;
pub mod daemonsets;
pub mod events;
pub mod images;
pub mod io;
pub mod kubelet;
pub mod lifecycle;
pub mod network;
pub mod node_spec;
pub mod printer;
pub mod quantity;
pub mod schedule;
pub mod scheduler;
pub mod selectors;
pub mod taints;

pub use cluster::{Nodes, NodesConfig, NodesError};
