//! WekaCluster controller tests against kubesim + wekasim, in one test binary (one link,
//! and the tests, which mostly wait on simulated WEKA, run side by side).

mod support;

mod examples;
mod metrics;
mod placement;
mod restarts;
mod services_extra;
mod setup;
mod teardown;
mod upgrade;
