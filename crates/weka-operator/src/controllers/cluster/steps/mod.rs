//! The steps of the WekaCluster flows, one file per area, each a function of the
//! [`ClusterState`](super::state::ClusterState) named after upstream's (see the tables in
//! `../flows.rs`).

pub mod containers;
pub mod credentials;
pub mod deletion;
pub mod formation;
pub mod init;
pub mod metrics;
pub mod observe;
pub mod ports;
pub mod services;
pub mod upgrade;
