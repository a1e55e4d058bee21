//! The critical path of a bring-up: the least time the simulated latencies allow, whatever
//! the operator does. A cluster's bring-up is a chain of steps that wait for each other;
//! within a step every container proceeds at once (same latency each), so the longest path
//! is one latency per step, summed:
//!
//! 1. a discovery container starts on each node (no pod is built before its node's facts
//!    are known);
//! 2. a drivers loader starts on each node (WEKA's containers need the kernel drivers; the
//!    image's feature flags are read meanwhile, in parallel);
//! 3. containers start (the kubelet's start-up latency; pods are created and scheduled at
//!    API speed);
//! 4. `weka cluster create` forms the cluster from the first containers (up to 10 compute
//!    and 10 drive): `cluster_form`;
//! 5. only with more containers than that: the others join the formed cluster:
//!    `container_join`;
//! 6. every drive container's drives are added and activate: `drive_activate`;
//! 7. `cluster start-io`: `start_io`.
//!
//! Secrets, users, the default filesystem and the status writes take no simulated time.
//! Several clusters come up side by side: the path is the largest cluster's.

use std::time::Duration;

use serde::Serialize;

use super::plan::{ClusterShape, Plan};
use crate::commands::simulate::latency::LatencyProfile;

/// Containers per role `weka cluster create` takes (upstream FormClusterMax*Containers).
const FORMED_PER_ROLE: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stage {
    pub name: &'static str,
    #[serde(rename = "seconds", serialize_with = "super::report::seconds")]
    pub duration: Duration,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CriticalPath {
    pub stages: Vec<Stage>,
}

impl CriticalPath {
    pub fn of(plan: &Plan, profile: LatencyProfile) -> CriticalPath {
        let start = profile.container_start();
        let Some(shape) = plan.clusters.iter().max_by_key(|s| s.containers()) else {
            return CriticalPath::default();
        };
        let weka = profile.weka();
        let mut stages = vec![
            Stage { name: "node discovery", duration: start },
            Stage { name: "drivers load", duration: start },
            Stage { name: "container start", duration: start },
            Stage { name: "cluster form", duration: weka.cluster_form },
        ];
        if joins_after_forming(shape) {
            stages.push(Stage { name: "container join", duration: weka.container_join });
        }
        stages.push(Stage { name: "drives activate", duration: weka.drive_activate });
        stages.push(Stage { name: "start IO", duration: weka.start_io });
        CriticalPath { stages }
    }

    pub fn total(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    /// `container start 2s → cluster form 10s → ...`
    pub fn describe(&self) -> String {
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|s| format!("{} {}s", s.name, s.duration.as_secs_f64()))
            .collect();
        stages.join(" → ")
    }
}

/// Whether some containers are not in the formed cluster and join it afterwards.
fn joins_after_forming(shape: &ClusterShape) -> bool {
    shape.compute > FORMED_PER_ROLE || shape.drive > FORMED_PER_ROLE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(compute: usize, drive: usize) -> Plan {
        Plan { clusters: vec![ClusterShape { name: "c".into(), compute, drive }] }
    }

    #[test]
    fn a_small_cluster_forms_with_every_container_and_skips_the_join() {
        let path = CriticalPath::of(&shape(6, 6), LatencyProfile::Realistic);
        assert_eq!(path.total(), Duration::from_secs(2 + 2 + 2 + 10 + 5 + 5));
        assert!(!path.describe().contains("join"));
    }

    #[test]
    fn a_large_cluster_waits_for_the_joins_before_its_drives() {
        let path = CriticalPath::of(&shape(167, 167), LatencyProfile::Realistic);
        let names: Vec<_> = path.stages.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "node discovery",
                "drivers load",
                "container start",
                "cluster form",
                "container join",
                "drives activate",
                "start IO"
            ]
        );
        assert_eq!(path.total(), Duration::from_secs(34));
    }

    #[test]
    fn zero_latencies_give_a_zero_path() {
        assert_eq!(
            CriticalPath::of(&shape(167, 167), LatencyProfile::Zero).total(),
            Duration::ZERO
        );
    }
}
