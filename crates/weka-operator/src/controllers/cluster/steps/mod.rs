//! The steps of the WekaCluster flows, one file per area, each a function of the
//! [`ClusterState`](super::state::ClusterState) named after upstream's (see the tables in
//! `../flows.rs`).

pub mod config_hash;
pub mod containers;
pub mod credentials;
pub mod deletion;
pub mod formation;
pub mod init;
pub mod management;
pub mod metrics;
pub mod observe;
pub mod ports;
pub mod selector_mismatch;
pub mod services;
pub mod telemetry;
pub mod upgrade;
