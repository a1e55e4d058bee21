//! The Deleting flow (upstream `flow_deleting_state.go`; spec flows §3.2, numbers in
//! comments): leave the WEKA cluster (deactivate, stop, remove), then finalize.

use weka_api::constants::conditions as cond;

use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{
    deletion, lifecycle, local_status, node, pod, termination,
};
use crate::engine::Step;

pub static STEPS: &[Step<ContainerState>] = &[
    /* 1 */ Step::new("GetNode", node::get_node),
    /* 2 */ Step::new("refreshPod", pod::refresh_pod),
    // 3 GetWekaClient, 4 FetchTargetCluster — TODO(follow-up, CSI).
    /* 5 */ Step::new("handleStateDeleting", lifecycle::handle_state_deleting),
    /* 6 */ Step::new("ensurePodOnDeletion", pod::ensure_pod)
        .when(&[POD_NOT_SET, NODE_SET, SHOULD_DEACTIVATE, NOT_DEACTIVATED, NOT_PROTOCOL])
        .continue_on_error(),
    /* 7 */ Step::new("ReconcileWekaLocalStatusOnDeletion", local_status::reconcile_weka_local_status)
        .when(&[WEKA_CONTAINER, SHOULD_DEACTIVATE, POD_SET, NODE_SET, NOT_DEACTIVATED])
        .continue_on_error(),
    // [csi], [metrics] — TODO(follow-up, CSI and metrics step groups).
    // 8 DeregisterContainerFromMetrics — TODO(follow-up, metrics).
    // 9 RemoveFromS3Cluster, 10 RemoveFromNfs — TODO(follow-up, S3/NFS).
    /* 11 */ Step::new("DeactivateWekaContainer", deletion::deactivate_weka_container)
        .when(&[SHOULD_DEACTIVATE])
        .once(cond::CONTAINER_DEACTIVATED, "Deletion", "the container was deactivated in WEKA"),
    // 12 RemoveDeactivatedContainersDrives — TODO(follow-up, drives).
    /* 13 */ Step::new("reconcileClusterStatusOnDeletion", local_status::reconcile_cluster_status)
        .when(&[SHOULD_JOIN_CLUSTER, NO_CONTAINER_ID, POD_SET])
        .continue_on_error(),
    /* 14 */ Step::new("stopForceAndEnsureNoPod", termination::stop_force_and_ensure_no_pod)
        .when(&[SHOULD_DEACTIVATE_OR_SKIP, BACKEND, NODE_READY]),
    // 15 waitForMountsOrDrain — TODO(follow-up, node agent: clients' active mounts).
    /* 16 */ Step::new("stopForceAndEnsureNoPod", termination::stop_force_and_ensure_no_pod)
        .when(&[CLIENT, POD_SET, NODE_READY]),
    /* 17 */ Step::new("stopAndEnsureNoPod", termination::stop_and_ensure_no_pod)
        .when(&[WEKA_CONTAINER, NODE_READY]),
    /* 18 */ Step::new("RemoveDeactivatedContainers", deletion::remove_deactivated_containers)
        .when(&[SHOULD_DEACTIVATE])
        .once(cond::CONTAINER_REMOVED, "Deletion", "the container was removed from WEKA"),
    // 19 ensureProxyContainer, 20 RemoveVirtualDrives, 21 ResignDrives — TODO(follow-up,
    //    drives): a deleted drive container's drives stay signed until then.
    /* 22 */ Step::new("HandleDeletion", lifecycle::handle_deletion),
];
