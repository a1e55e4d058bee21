//! The Deleting flow (upstream `flow_deleting_state.go`; spec flows §3.2, numbers in
//! comments): leave the WEKA cluster (deactivate, stop, remove), then finalize.

use weka_api::constants::conditions as cond;

use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{deletion, lifecycle, node, pod, termination};
use crate::controllers::container::steps::{drive_signing, drives, protocols, virtual_drives};
use crate::engine::Step;

pub static STEPS: &[Step<ContainerState>] = &[
    /* 1 */ Step::new("GetNode", node::get_node),
    /* 2 */ Step::new("refreshPod", pod::refresh_pod),
    // 3 GetWekaClient, 4 FetchTargetCluster — TODO(follow-up, CSI).
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
    // [csi], [metrics] — TODO(follow-up, CSI and metrics step groups).
    // 8 DeregisterContainerFromMetrics — TODO(follow-up, metrics).
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
    // 15 waitForMountsOrDrain — TODO(follow-up, node agent: clients' active mounts).
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
    // 20 RemoveVirtualDrives — TODO(follow-up, node agent): virtual drives are removed from the
    //    node's SSD proxy through the node agent's JSON-RPC.
    /* 21 */
    Step::new("ResignDrives", drive_signing::resign_drives)
        .when(&[MUST_RESIGN_DRIVES, DRIVE])
        .once(cond::CONTAINER_DRIVES_RESIGNED, "Deletion", "Drives resigned"),
    /* 22 */ Step::new("HandleDeletion", lifecycle::handle_deletion),
];
