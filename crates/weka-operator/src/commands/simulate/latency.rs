//! Latency profiles: how long the simulated world takes to do things, on both sides of the
//! operator — WEKA's asynchronous transitions (wekasim) and a container's start-up (the
//! kubelet's image pull and process start, played by [`super::startup_delay`]).

use std::time::Duration;

use clap::ValueEnum;
use wekasim::Latencies;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LatencyProfile {
    /// Everything completes at once: the fastest bring-up, for tests.
    Zero,
    /// Roughly a small real cluster: containers start in 2 s, a cluster forms in 10 s,
    /// joins take 8 s, drives activate in 5 s, IO starts in 5 s.
    Realistic,
}

/// A container's start-up under the realistic profile (image already on the node).
const REALISTIC_CONTAINER_START: Duration = Duration::from_secs(2);

impl LatencyProfile {
    /// wekasim's transition times.
    pub fn weka(self) -> Latencies {
        match self {
            LatencyProfile::Zero => Latencies::zero(),
            LatencyProfile::Realistic => Latencies::realistic(),
        }
    }

    /// How long after the kubelet starts a container its process starts.
    pub fn container_start(self) -> Duration {
        match self {
            LatencyProfile::Zero => Duration::ZERO,
            LatencyProfile::Realistic => REALISTIC_CONTAINER_START,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LatencyProfile::Zero => "zero",
            LatencyProfile::Realistic => "realistic",
        }
    }
}
