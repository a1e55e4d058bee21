//! The Paused flow (upstream `flow_paused_state.go`; spec flows §3.4): the pod is
//! force-stopped and not recreated; setting the state back to `active` recreates it.

use super::groups::{REGISTER_ON_METRICS, SET_STATUS_METRICS};
use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{lifecycle, protocols};
use crate::engine::Step;

pub static STEPS: &[Step<ContainerState>] = &[
    // [metrics]
    SET_STATUS_METRICS,
    REGISTER_ON_METRICS,
    /* 1 */
    Step::new("deleteEnvoyIfNoS3Neighbor", protocols::delete_envoy_if_no_s3_neighbor)
        .when(&[ENVOY]),
    /* 2 */
    Step::new(
        "deleteTelemetryIfNoComputeNeighbor",
        protocols::delete_telemetry_if_no_compute_neighbor,
    )
    .when(&[TELEMETRY]),
    /* 3 */ Step::new("handleStatePaused", lifecycle::handle_state_paused),
];
