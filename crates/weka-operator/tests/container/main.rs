//! WekaContainer controller tests against kubesim + wekasim, in one test binary.

mod domain_support;
mod support;

mod bad_input;
mod csi;
mod domain_allocation;
mod domain_drives;
mod domain_oneoff;
mod lifecycle;
mod migrations;
mod modes;
mod node_agent;
mod nodes;
mod restarts;
mod teardown;
