//! The node agent: the per-node HTTP service the WekaContainer controller calls for what
//! only the node can see (drives, wekafs mounts, the local WEKA containers' JSON-RPC
//! sockets). The same binary runs it with `OPERATOR_MODE=node-agent` or
//! `weka-operator node-agent`.
//!
//! - [`protocol`]: the wire types and constants shared with the operator-side client.
//! - [`server`]: the HTTP API over a [`NodeHost`] ([`NodeAgent`], [`serve`]).
//! - [`linux`]: the host on a real node; [`sim`]: the host in the simulator, and the kubesim
//!   behaviour that runs the agent in `node-agent` containers.
//!
//! Where this agent differs from upstream's, on purpose:
//! - `/getContainerInfo` answers 404 `container socket not found` when the container's socket
//!   is missing and 500 when its config summary cannot be read, as the spec says; upstream's
//!   handler swallows those errors and answers 200 with whatever it had.
//! - An empty token never authorizes (upstream accepts `Token ` when the file is empty).
//! - `getActiveMounts` refuses a `container_name` with `..`, `/` or `\` whenever one is given,
//!   not only when the per-container interface is used.
//! - An unreadable token makes the agent answer 500, then stop (exit 1); upstream exits at once.
//! - `/metrics` exports processes, CPU, inactive drives and time in pod status; upstream's
//!   statistics-based metrics (`fetch_local_stats`) and scrape targets are not re-exported.
//! - `cpuUtilization` is formatted with two decimals.
//! - Drive discovery reads udev, GPT and sysfs instead of running `blkid` and `hexdump`
//!   (see `linux/drives.rs`); JSON-RPC opens one connection per call.

mod container_info;
pub mod host;
pub mod linux;
mod metrics;
pub mod protocol;
mod registry;
pub mod server;
pub mod sim;
mod token;

pub use host::{HostError, LocalTarget, MountsInterface, NodeHost};
pub use linux::{LinuxHost, LinuxPaths};
pub use server::{AgentError, NodeAgent, serve};

#[cfg(test)]
mod tests;
