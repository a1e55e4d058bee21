//! The Paused flow (upstream `flow_paused_state.go`; spec flows §3.4): the pod is
//! force-stopped and not recreated; setting the state back to `active` recreates it.

use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::lifecycle;
use crate::engine::Step;

pub static STEPS: &[Step<ContainerState>] = &[
    // [metrics] — TODO(follow-up, metrics step group).
    // 1 deleteEnvoyIfNoS3Neighbor, 2 deleteTelemetryIfNoComputeNeighbor — TODO(follow-up, S3).
    /* 3 */ Step::new("handleStatePaused", lifecycle::handle_state_paused),
];
