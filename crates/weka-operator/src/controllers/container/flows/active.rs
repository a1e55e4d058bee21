//! The Active flow (upstream `flow_active_state.go`; spec flows §3.1, numbers in comments).

use std::time::Duration;

use weka_api::constants::conditions as cond;

use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{
    lifecycle, local_status, node, pod, termination, upgrade,
};
use crate::controllers::container::steps::{drivers, nics, resources};
use crate::engine::Step;

const THREE_MINUTES: Duration = Duration::from_secs(180);

pub static STEPS: &[Step<ContainerState>] = &[
    // 1 migrateEnsurePorts — TODO(follow-up, migrations): `spec.exposePorts` → `exposedPorts`.
    /* 2 */ Step::new("ensureStateDeleting", lifecycle::ensure_state_deleting)
        .when(&[MARKED_FOR_DELETION, NOT_TEARING_DOWN]),
    /* 3 */ Step::new("GetNode", node::get_node),
    // 4 GetWekaClient, 5 FetchTargetCluster — TODO(follow-up, CSI).
    /* 6 */ Step::new("refreshPod", pod::refresh_pod),
    // [metrics], [csi] — TODO(follow-up, metrics and CSI step groups).
    /* 7 */ Step::new("initState", lifecycle::init_state),
    /* 8 */ Step::new("deleteIfNoNode", node::delete_if_no_node),
    /* 9 */ Step::new("deleteIfTolerationsMismatch", node::delete_if_tolerations_mismatch)
        .when(&[NODE_SET, CLEANUP_ON_TOLERATIONS_MISMATCH]),
    /* 10 */ Step::new("deleteIfNodeSelectorMismatch", node::delete_if_node_selector_mismatch)
        .when(&[NODE_SET, CLEANUP_ON_SELECTOR_MISMATCH]),
    /* 11 */ Step::new("ensureFinalizer", lifecycle::ensure_finalizer),
    /* 12 */ Step::new("ensureBootConfigMapInTargetNamespace", lifecycle::ensure_boot_config_map),
    /* 13 */ Step::new("updatePodMetadataOnChange", pod::update_pod_metadata).when(&[POD_NOT_TERMINATING]),
    /* 14 */ Step::new("updatePodTolerationsOnChange", pod::update_pod_tolerations).when(&[POD_NOT_TERMINATING]),
    /* 15 */ Step::new("dropStopAttemptRecord", termination::drop_stop_attempt_record)
        .when(&[POD_NOT_TERMINATING, DRIVE_OR_COMPUTE]),
    /* 16 */ Step::new("handlePodTermination", termination::handle_pod_termination).when(&[POD_TERMINATING]),
    // 17 deleteEnvoyIfNoS3Neighbor, 18 deleteTelemetryIfNoComputeNeighbor — TODO(follow-up, S3).
    /* 19 */ Step::new("clearStatusOnNodeNotFound", node::clear_status_on_node_not_found)
        .when(&[DRIVERS_CONTAINER, DRIVERS_PLACED_BY_SCHEDULER, NODE_NOT_SET]),
    // 20 uploadedDriversPeriodicCheck — TODO(follow-up, drivers).
    // 21 cleanupFinishedOneOff — TODO(follow-up, one-off results).
    /* 22 */ Step::new("handleImageUpdate", upgrade::handle_image_update)
        .when(&[IMAGE_APPLIED_BEFORE, IMAGE_NOT_ALIGNED, POD_SET]),
    // Ours: a pod that must change where Kubernetes allows no in-place change is replaced
    // through the termination protocol (upstream leaves this to the cluster's config hash).
    Step::new("replacePodOnSpecChange", pod::replace_pod_on_spec_change).when(&[POD_NOT_TERMINATING]),
    /* 23 */ Step::new("EnsureDrivers", drivers::ensure_drivers)
        .when(&[REQUIRES_DRIVERS, NOT_MARKED_FOR_DELETION, HAS_NODE_AFFINITY]),
    /* 24 */ Step::new("AllocateNICs", nics::allocate_nics).when(&[SHOULD_ALLOCATE_NICS]),
    // 25 MigratePVC — TODO(follow-up, migrations).
    /* 26 */ Step::new("ReportNodeUnschedulable", node::report_node_unschedulable)
        .when(&[NODE_UNSCHEDULABLE])
        .continue_on_error(),
    /* 27 */ Step::new("ensurePod", pod::ensure_pod).when(&[POD_NOT_SET]),
    /* 28 */ Step::new("deletePodIfUnschedulable", pod::delete_pod_if_unschedulable).when(&[POD_PENDING_UNPINNED]),
    /* 29 */ Step::new("checkPodUnhealty", pod::check_pod_unhealthy).when(&[POD_SET, STATUS_NOT_UNHEALTHY]),
    /* 30 */ Step::new("ensurePodNotRunningState", pod::ensure_pod_not_running_state).when(&[POD_NOT_RUNNING]),
    /* 31 */ Step::new("enforceNodeAffinity", node::enforce_node_affinity)
        .when(&[MUST_HAVE_NODE_AFFINITY])
        .once(cond::CONTAINER_AFFINITY_SET, "NodeAffinitySet", "the container owns its node"),
    /* 32 */ Step::new("setNodeAffinityStatus", node::set_node_affinity_status).when(&[NO_STATUS_NODE_AFFINITY]),
    // 33 ensureProxyContainer — TODO(follow-up, drives).
    /* 34 */ Step::new("EnsureDrivers", drivers::ensure_drivers).when(&[REQUIRES_DRIVERS, HAS_NODE_AFFINITY]),
    /* 35 */ Step::new("HandleNodeNotReady", node::handle_node_not_ready),
    /* 36 */ Step::new("WaitForPodRunning", pod::wait_for_pod_running),
    /* 37 */ Step::new("AllocateResources", resources::allocate_resources)
        .when(&[ALLOCATABLE, NO_ALLOCATIONS])
        .once(cond::CONTAINER_RESOURCES_ALLOCATED, "ResourcesAllocated", "ports and drives allocated"),
    /* 38 */ Step::new("AllocateDrivesIfNeeded", resources::allocate_drives_if_needed)
        .when(&[DRIVE, NEEDS_DRIVES])
        .continue_on_error(),
    /* 39 */ Step::new("WriteResources", resources::write_resources)
        .when(&[ALLOCATABLE_OR_CLIENT])
        .once(cond::CONTAINER_RESOURCES_WRITTEN, "ResourcesWritten", "resources.json written"),
    /* 40 */ Step::new("checkUnhealyPodResources", resources::check_unhealthy_pod_resources)
        .when(&[ALLOCATABLE_OR_CLIENT, STATUS_UNHEALTHY])
        .continue_on_error(),
    // 41 updateDriversBuilderStatus — TODO(follow-up, drivers).
    /* 42 */ Step::new("setPodRunningStatus", pod::set_pod_running_status)
        .when(&[ADHOC_OR_DISCOVERY, STATUS_NOT_POD_RUNNING]),
    // 43 fetchResults, 44 processResults — TODO(follow-up, one-off results).
    /* 45 */ Step::new("ReconcileManagementIPs", local_status::reconcile_management_ips)
        .when(&[NO_MANAGEMENT_IPS_NOT_RUNNING, BACKEND_OR_CLIENT, POD_SET]),
    /* 46 */ Step::new("PeriodicReconcileManagementIPs", local_status::reconcile_management_ips)
        .when(&[STATUS_RUNNING, BACKEND_OR_CLIENT, POD_SET])
        .throttled(THREE_MINUTES)
        .continue_on_error(),
    /* 47 */ Step::new("ReconcileWekaLocalStatus", local_status::reconcile_weka_local_status)
        .when(&[WEKA_CONTAINER, POD_SET]),
    // 48 DeleteEnvoyIfProcessNotExists — TODO(follow-up, S3/envoy).
    /* 49 */ Step::new("applyCurrentImage", upgrade::apply_current_image).when(&[IMAGE_NOT_ALIGNED]),
    // 50 setJoinIpsIfStuckInStemMode — TODO(follow-up, cluster joining: needs the owning
    //    cluster's cached join IPs).
    /* 51 */ Step::new("reconcileClusterStatus", local_status::reconcile_cluster_status)
        .when(&[SHOULD_JOIN_CLUSTER])
        .once(cond::JOINED_CLUSTER, "JoinedCluster", "Container joined cluster"),
    // 52 AddVirtualDrives, 53 AddVirtualDrivesPeriodic, 54 UpdateWekaAddedDrives,
    // 55 MarkDrivesForRemoval, 56 RemoveDrives, 57 RemoveDrivesByPhysicalUuids,
    // 58 EnsureDrives — TODO(follow-up, drives).
    // 59 JoinS3Cluster, 60 EnsureNfsInterfaceGroupPorts — TODO(follow-up, S3/NFS).
];
