//! The operator process (configuration, context, endpoints, leader election, shutdown) and
//! the deploy manifests, in one test binary.

mod common;

mod configuration;
mod context;
mod deploy_manifests;
mod endpoints;
mod leader_election;
mod shutdown;
