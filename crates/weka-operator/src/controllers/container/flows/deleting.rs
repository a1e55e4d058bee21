//! The Deleting flow (upstream `flow_deleting_state.go`; spec flows §3.2, numbers in
//! comments): leave the WEKA cluster (deactivate, stop, remove), then finalize.

use weka_api::constants::conditions as cond;

use super::groups::{FETCH_TARGET_CLUSTER, GET_WEKA_CLIENT, MANAGE_CSI_TOPOLOGY_LABELS};
use super::groups::{REGISTER_ON_METRICS, SET_STATUS_METRICS};
use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::termination;
use crate::controllers::container::steps::{deletion, drain, lifecycle, metrics, node, pod};
use crate::controllers::container::steps::{drive_signing, drives, protocols, virtual_drives};
use crate::engine::Step;

pub static STEPS: &[Step<ContainerState>] = &[
    /* 1 */ Step::new("GetNode", node::get_node),
    /* 2 */ Step::new("refreshPod", pod::refresh_pod),
    /* 3 */ GET_WEKA_CLIENT,
    /* 4 */ FETCH_TARGET_CLUSTER,
    /* 5 */
    Step::new("handleStateDeleting", lifecycle::handle_state_deleting),
    /* 6 */
    Step::new("ensurePodOnDeletion", deletion::ensure_pod_on_deletion)
        .when(&[POD_NOT_SET, NODE_SET, SHOULD_DEACTIVATE, NOT_DEACTIVATED, NOT_PROTOCOL])
        .continue_on_error(),
    /* 7 */
    Step::new(
        "ReconcileWekaLocalStatusOnDeletion",
        deletion::reconcile_weka_local_status_on_deletion,
    )
    .when(&[WEKA_CONTAINER, SHOULD_DEACTIVATE, POD_SET, NODE_SET, NOT_DEACTIVATED])
    .continue_on_error(),
    // [csi]
    MANAGE_CSI_TOPOLOGY_LABELS,
    // [metrics]
    SET_STATUS_METRICS,
    REGISTER_ON_METRICS,
    /* 8 */
    Step::new("DeregisterContainerFromMetrics", metrics::deregister_container_from_metrics)
        .when(&[METRICS_ENABLED, DEREGISTERS_FROM_METRICS])
        .continue_on_error(),
    /* 9 */
    Step::new("RemoveFromS3Cluster", protocols::remove_from_s3_cluster)
        .when(&[SHOULD_DEACTIVATE, S3])
        .once(cond::REMOVED_FROM_S3_CLUSTER, "Deletion", "the container left the S3 cluster"),
    /* 10 */
    Step::new("RemoveFromNfs", protocols::remove_from_nfs).when(&[SHOULD_DEACTIVATE, NFS]).once(
        cond::REMOVED_FROM_NFS,
        "Deletion",
        "the container left the NFS interface group",
    ),
    /* 11 */
    Step::new("DeactivateWekaContainer", deletion::deactivate_weka_container)
        .when(&[SHOULD_DEACTIVATE])
        .once(cond::CONTAINER_DEACTIVATED, "Deletion", "the container was deactivated in WEKA"),
    /* 12 */
    Step::new("RemoveDeactivatedContainersDrives", drives::remove_deactivated_containers_drives)
        .when(&[SHOULD_DEACTIVATE, DRIVE])
        .once(
            cond::CONTAINER_DRIVES_REMOVED,
            "Deletion",
            "the container's drives were removed from WEKA",
        ),
    /* 13 */
    Step::new("reconcileClusterStatusOnDeletion", deletion::reconcile_cluster_status_on_deletion)
        .when(&[SHOULD_JOIN_CLUSTER, NO_CONTAINER_ID, POD_SET])
        .continue_on_error(),
    /* 14 */
    Step::new("stopForceAndEnsureNoPod", termination::stop_force_and_ensure_no_pod).when(&[
        SHOULD_DEACTIVATE_OR_SKIP,
        BACKEND,
        NODE_READY,
    ]),
    /* 15 */
    Step::new("waitForMountsOrDrain", drain::wait_for_mounts_or_drain).when(&[
        CLIENT,
        POD_SET,
        NO_SKIP_ACTIVE_MOUNTS_CHECK,
    ]),
    /* 16 */
    Step::new("stopForceAndEnsureNoPod", termination::stop_force_and_ensure_no_pod)
        .when(&[CLIENT, POD_SET, NODE_READY]),
    /* 17 */
    Step::new("stopAndEnsureNoPod", termination::stop_and_ensure_no_pod)
        .when(&[WEKA_CONTAINER, NODE_READY]),
    /* 18 */
    Step::new("RemoveDeactivatedContainers", deletion::remove_deactivated_containers)
        .when(&[SHOULD_DEACTIVATE])
        .once(cond::CONTAINER_REMOVED, "Deletion", "the container was removed from WEKA"),
    /* 19 */
    Step::new("ensureProxyContainer", virtual_drives::ensure_proxy_container).when(&[
        DRIVE,
        USES_DRIVE_SHARING,
        HAS_NODE_AFFINITY,
    ]),
    /* 20 */
    Step::new("RemoveVirtualDrives", virtual_drives::remove_virtual_drives).when(&[
        DRIVE,
        USES_DRIVE_SHARING,
        NO_SKIP_VIRTUAL_DRIVES_REMOVAL,
    ]),
    /* 21 */
    Step::new("ResignDrives", drive_signing::resign_drives)
        .when(&[MUST_RESIGN_DRIVES, DRIVE])
        .once(cond::CONTAINER_DRIVES_RESIGNED, "Deletion", "Drives resigned"),
    /* 22 */ Step::new("HandleDeletion", lifecycle::handle_deletion),
];
