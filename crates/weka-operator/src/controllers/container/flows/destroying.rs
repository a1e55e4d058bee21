//! The Destroying flow (upstream `flow_destroying_state.go`; spec flows §3.3, numbers in
//! comments): tear down without leaving the WEKA cluster (the whole cluster goes away).

use weka_api::constants::conditions as cond;

use super::groups::{FETCH_TARGET_CLUSTER, GET_WEKA_CLIENT};
use super::groups::{REGISTER_ON_METRICS, SET_STATUS_METRICS};
use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{deletion, drain, lifecycle, node, pod, termination};
use crate::controllers::container::steps::{drive_signing, virtual_drives};
use crate::engine::Step;

pub static STEPS: &[Step<ContainerState>] = &[
    /* 1 */ Step::new("GetNode", node::get_node),
    /* 2 */ Step::new("refreshPod", pod::refresh_pod),
    /* 3 */ GET_WEKA_CLIENT,
    /* 4 */ FETCH_TARGET_CLUSTER,
    /* 5 */
    Step::new("handleStateDestroying", lifecycle::handle_state_destroying),
    // No [csi] group (as upstream): HandleDeletion removes the node's CSI topology labels.
    // [metrics]
    SET_STATUS_METRICS,
    REGISTER_ON_METRICS,
    /* 6 */
    Step::new("reconcileClusterStatusOnDeletion", deletion::reconcile_cluster_status_on_deletion)
        .when(&[SHOULD_JOIN_CLUSTER, NO_CONTAINER_ID, POD_SET])
        .continue_on_error(),
    /* 7 */
    Step::new("stopForceAndEnsureNoPod", termination::stop_force_and_ensure_no_pod)
        .when(&[BACKEND, POD_SET]),
    /* 8 */
    Step::new("waitForMountsOrDrain", drain::wait_for_mounts_or_drain).when(&[
        CLIENT,
        POD_SET,
        NO_SKIP_ACTIVE_MOUNTS_CHECK,
    ]),
    /* 9 */
    Step::new("stopForceAndEnsureNoPod", termination::stop_force_and_ensure_no_pod)
        .when(&[CLIENT, POD_SET]),
    /* 10 */
    Step::new("stopAndEnsureNoPod", termination::stop_and_ensure_no_pod).when(&[WEKA_CONTAINER]),
    /* 11 */
    Step::new("ensureProxyContainer", virtual_drives::ensure_proxy_container).when(&[
        DRIVE,
        USES_DRIVE_SHARING,
        HAS_NODE_AFFINITY,
    ]),
    /* 12 */
    Step::new("RemoveVirtualDrives", virtual_drives::remove_virtual_drives).when(&[
        DRIVE,
        USES_DRIVE_SHARING,
        NO_SKIP_VIRTUAL_DRIVES_REMOVAL,
    ]),
    /* 13 */
    Step::new("ResignDrives", drive_signing::resign_drives)
        .when(&[MUST_RESIGN_DRIVES, DRIVE])
        .once(cond::CONTAINER_DRIVES_RESIGNED, "Destroying", "Drives resigned"),
    /* 14 */ Step::new("HandleDeletion", lifecycle::handle_deletion),
];
