//! The Active flow (upstream `flow_active_state.go`; spec flows §3.1, numbers in comments).

use std::time::Duration;

use weka_api::constants::conditions as cond;

use super::groups::{FETCH_TARGET_CLUSTER, GET_WEKA_CLIENT, MANAGE_CSI_TOPOLOGY_LABELS};
use super::groups::{REGISTER_ON_METRICS, SET_STATUS_METRICS};
use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{
    drivers, drivers_dist, drives, joining, migrations, nics, oneoff, protocols, resources,
    virtual_drives,
};
use crate::controllers::container::steps::{
    lifecycle, local_status, node, pod, termination, upgrade,
};
use crate::engine::Step;

const THREE_MINUTES: Duration = Duration::from_secs(180);
const BOOT_SCRIPTS_CHECK_INTERVAL: Duration = Duration::from_secs(120);
/// Upstream's `PeriodicDrivesCheckInterval` and `CheckDriversInterval`.
const DRIVES_CHECK_INTERVAL: Duration = Duration::from_secs(60);
const DRIVERS_CHECK_INTERVAL: Duration = Duration::from_secs(7 * 60);

pub static STEPS: &[Step<ContainerState>] =
    &[
        /* 1 */
        Step::new("migrateEnsurePorts", migrations::migrate_ensure_ports).when(&[EXPOSE_PORTS]),
        /* 2 */
        Step::new("ensureStateDeleting", lifecycle::ensure_state_deleting)
            .when(&[MARKED_FOR_DELETION, NOT_TEARING_DOWN]),
        /* 3 */ Step::new("GetNode", node::get_node),
        /* 4 */ GET_WEKA_CLIENT,
        /* 5 */ FETCH_TARGET_CLUSTER,
        /* 6 */
        Step::new("refreshPod", pod::refresh_pod),
        // Upstream reads the mounts lazily inside its upgrade checks; here they are read once,
        // before the steps that decide on the image.
        Step::new("GetActiveMounts", upgrade::get_active_mounts)
            .when(&[UPGRADE_WAITS_FOR_MOUNTS])
            .continue_on_error(),
        // [metrics]
        SET_STATUS_METRICS,
        REGISTER_ON_METRICS,
        // [csi]
        MANAGE_CSI_TOPOLOGY_LABELS,
        /* 7 */
        Step::new("initState", lifecycle::init_state),
        /* 8 */ Step::new("deleteIfNoNode", node::delete_if_no_node),
        /* 9 */
        Step::new("deleteIfTolerationsMismatch", node::delete_if_tolerations_mismatch)
            .when(&[NODE_SET, CLEANUP_ON_TOLERATIONS_MISMATCH]),
        /* 10 */
        Step::new("deleteIfNodeSelectorMismatch", node::delete_if_node_selector_mismatch)
            .when(&[NODE_SET, CLEANUP_ON_SELECTOR_MISMATCH]),
        /* 11 */ Step::new("ensureFinalizer", lifecycle::ensure_finalizer),
        /* 12 */
        // Upstream reads both ConfigMaps from its cache on every reconcile; we read them from
        // the API, so at most every two minutes per container (a failure retries at once).
        Step::new("ensureBootConfigMapInTargetNamespace", lifecycle::ensure_boot_config_map)
            .throttled(BOOT_SCRIPTS_CHECK_INTERVAL),
        /* 13 */
        Step::new("updatePodMetadataOnChange", pod::update_pod_metadata)
            .when(&[POD_NOT_TERMINATING]),
        /* 14 */
        Step::new("updatePodTolerationsOnChange", pod::update_pod_tolerations)
            .when(&[POD_NOT_TERMINATING]),
        /* 15 */
        Step::new("dropStopAttemptRecord", termination::drop_stop_attempt_record)
            .when(&[POD_NOT_TERMINATING, DRIVE_OR_COMPUTE]),
        /* 16 */
        Step::new("handlePodTermination", termination::handle_pod_termination)
            .when(&[POD_TERMINATING]),
        /* 17 */
        Step::new("deleteEnvoyIfNoS3Neighbor", protocols::delete_envoy_if_no_s3_neighbor)
            .when(&[ENVOY]),
        /* 18 */
        Step::new(
            "deleteTelemetryIfNoComputeNeighbor",
            protocols::delete_telemetry_if_no_compute_neighbor,
        )
        .when(&[TELEMETRY]),
        /* 19 */
        Step::new("clearStatusOnNodeNotFound", node::clear_status_on_node_not_found).when(&[
            DRIVERS_CONTAINER,
            DRIVERS_PLACED_BY_SCHEDULER,
            NODE_NOT_SET,
        ]),
        /* 20 */
        Step::new("uploadedDriversPeriodicCheck", drivers_dist::uploaded_drivers_periodic_check)
            .when(&[ONE_OFF, RESULTS_PROCESSED, DRIVERS_BUILDER])
            .throttled(DRIVERS_CHECK_INTERVAL),
        /* 21 */
        Step::new("cleanupFinishedOneOff", oneoff::cleanup_finished_one_off)
            .when(&[ONE_OFF, RESULTS_PROCESSED])
            .finish_on_success(),
        // Ours: an impossible spec (no such node, a pod that cannot be built) stops the flow here
        // with a condition and an event, before anything acts on it (a terminating pod was
        // handled above).
        Step::new("validateSpec", pod::validate_spec),
        /* 22 */
        Step::new("handleImageUpdate", upgrade::handle_image_update).when(&[
            IMAGE_APPLIED_BEFORE,
            IMAGE_NOT_ALIGNED,
            POD_SET,
        ]),
        // Ours: a pod that must change where Kubernetes allows no in-place change is replaced
        // through the termination protocol (upstream leaves this to the cluster's config hash).
        Step::new("replacePodOnSpecChange", pod::replace_pod_on_spec_change)
            .when(&[POD_NOT_TERMINATING]),
        /* 23 */
        Step::new("EnsureDrivers", drivers::ensure_drivers).when(&[
            REQUIRES_DRIVERS,
            NOT_MARKED_FOR_DELETION,
            HAS_NODE_AFFINITY,
        ]),
        /* 24 */
        Step::new("AllocateNICs", nics::allocate_nics).when(&[SHOULD_ALLOCATE_NICS]),
        /* 25 */
        Step::new("MigratePVC", migrations::migrate_pvc)
            .when(&[POD_NOT_SET, MIGRATES_OUT_FROM_PVC])
            .once(
                cond::MIGRATED_OUT_FROM_PVC,
                "MigratedOutFromPVC",
                "the container's data moved from its PVC to its node",
            ),
        /* 26 */
        Step::new("ReportNodeUnschedulable", node::report_node_unschedulable)
            .when(&[NODE_UNSCHEDULABLE])
            .continue_on_error(),
        /* 27 */ Step::new("ensurePod", pod::ensure_pod).when(&[POD_NOT_SET]),
        /* 28 */
        Step::new("deletePodIfUnschedulable", pod::delete_pod_if_unschedulable)
            .when(&[POD_PENDING_UNPINNED]),
        /* 29 */
        Step::new("checkPodUnhealty", pod::check_pod_unhealthy)
            .when(&[POD_SET, STATUS_NOT_UNHEALTHY]),
        /* 30 */
        Step::new("ensurePodNotRunningState", pod::ensure_pod_not_running_state)
            .when(&[POD_NOT_RUNNING]),
        /* 31 */
        Step::new("enforceNodeAffinity", node::enforce_node_affinity)
            .when(&[MUST_HAVE_NODE_AFFINITY])
            .once(cond::CONTAINER_AFFINITY_SET, "NodeAffinitySet", "the container owns its node"),
        /* 32 */
        Step::new("setNodeAffinityStatus", node::set_node_affinity_status)
            .when(&[NO_STATUS_NODE_AFFINITY]),
        /* 33 */
        Step::new("ensureProxyContainer", virtual_drives::ensure_proxy_container).when(&[
            DRIVE,
            USES_DRIVE_SHARING,
            HAS_NODE_AFFINITY,
        ]),
        /* 34 */
        Step::new("EnsureDrivers", drivers::ensure_drivers)
            .when(&[REQUIRES_DRIVERS, HAS_NODE_AFFINITY]),
        /* 35 */ Step::new("HandleNodeNotReady", node::handle_node_not_ready),
        /* 36 */ Step::new("WaitForPodRunning", pod::wait_for_pod_running),
        /* 37 */
        // Allocations already in status (written just before a restart, say) only need the
        // condition recorded: the step returns at once then; no "no allocations yet" predicate.
        Step::new("AllocateResources", resources::allocate_resources).when(&[ALLOCATABLE]).once(
            cond::CONTAINER_RESOURCES_ALLOCATED,
            "ResourcesAllocated",
            "ports and drives allocated",
        ),
        /* 38 */
        Step::new("AllocateDrivesIfNeeded", resources::allocate_drives_if_needed)
            .when(&[DRIVE, NEEDS_DRIVES])
            .continue_on_error(),
        /* 39 */
        Step::new("WriteResources", resources::write_resources)
            .when(&[ALLOCATABLE_OR_CLIENT])
            .once(cond::CONTAINER_RESOURCES_WRITTEN, "ResourcesWritten", "resources.json written"),
        /* 40 */
        Step::new("checkUnhealyPodResources", resources::check_unhealthy_pod_resources)
            .when(&[ALLOCATABLE_OR_CLIENT, STATUS_UNHEALTHY])
            .continue_on_error(),
        /* 41 */
        Step::new("updateDriversBuilderStatus", drivers_dist::update_drivers_builder_status)
            .when(&[DRIVERS_BUILDER, NOT_DIST_MODE, RESULTS_NOT_PROCESSED]),
        /* 42 */
        Step::new("setPodRunningStatus", pod::set_pod_running_status)
            .when(&[ADHOC_OR_DISCOVERY, STATUS_NOT_POD_RUNNING]),
        /* 43 */
        Step::new("fetchResults", oneoff::fetch_results).when(&[ONE_OFF]).once(
            cond::RESULTS_RECEIVED,
            "ResultsReceived",
            "results received",
        ),
        /* 44 */
        Step::new("processResults", oneoff::process_results).when(&[ONE_OFF]).once(
            cond::RESULTS_PROCESSED,
            "ResultsProcessed",
            "results processed",
        ),
        /* 45 */
        Step::new("ReconcileManagementIPs", local_status::reconcile_management_ips).when(&[
            NO_MANAGEMENT_IPS_NOT_RUNNING,
            BACKEND_OR_CLIENT,
            POD_SET,
        ]),
        /* 46 */
        Step::new("PeriodicReconcileManagementIPs", local_status::refresh_management_ips)
            .when(&[STATUS_RUNNING, BACKEND_OR_CLIENT, POD_SET])
            .throttled(THREE_MINUTES)
            .continue_on_error(),
        /* 47 */
        Step::new("ReconcileWekaLocalStatus", local_status::reconcile_weka_local_status)
            .when(&[WEKA_CONTAINER, POD_SET]),
        /* 48 */
        Step::new("DeleteEnvoyIfProcessNotExists", protocols::delete_envoy_if_process_not_exists)
            .when(&[ENVOY, POD_SET, STATUS_ERROR])
            .continue_on_error(),
        /* 49 */
        Step::new("applyCurrentImage", upgrade::apply_current_image).when(&[IMAGE_NOT_ALIGNED]),
        /* 50 */
        Step::new("setJoinIpsIfStuckInStemMode", joining::set_join_ips_if_stuck_in_stem_mode)
            .when(&[SHOULD_JOIN_CLUSTER, NO_CONTAINER_ID, NO_JOIN_IPS, INTERNAL_STEM]),
        /* 51 */
        Step::new("reconcileClusterStatus", local_status::reconcile_cluster_status)
            .when(&[SHOULD_JOIN_CLUSTER])
            .once(cond::JOINED_CLUSTER, "JoinedCluster", "Container joined cluster"),
        /* 52 */
        Step::new("AddVirtualDrives", virtual_drives::add_virtual_drives)
            .when(&[DRIVE, USES_DRIVE_SHARING])
            .once(cond::VIRTUAL_DRIVES_ADDED, "VirtualDrivesAdded", "Virtual drives added"),
        /* 53 */
        Step::new("AddVirtualDrivesPeriodic", virtual_drives::add_virtual_drives)
            .when(&[DRIVE, USES_DRIVE_SHARING])
            .throttled(DRIVES_CHECK_INTERVAL),
        /* 54 */
        Step::new("UpdateWekaAddedDrives", drives::update_weka_added_drives).when(&[
            DRIVE,
            INTERNAL_READY,
            ADDED_DRIVES_OUTDATED,
        ]),
        /* 55 */
        Step::new("MarkDrivesForRemoval", drives::mark_drives_for_removal).when(&[
            DRIVE,
            ADDED_DRIVES_NOT_ALIGNED,
            REMOVE_FAILED_DRIVES,
        ]),
        /* 56 */
        Step::new("RemoveDrives", drives::remove_drives)
            .when(&[DRIVE])
            .continue_on_error()
            .throttled(DRIVES_CHECK_INTERVAL),
        /* 57 */
        Step::new("RemoveDrivesByPhysicalUuids", drives::remove_drives_by_physical_uuids)
            .when(&[DRIVE, USES_DRIVE_SHARING])
            .continue_on_error()
            .throttled(DRIVES_CHECK_INTERVAL),
        /* 58 */
        Step::new("EnsureDrives", drives::ensure_drives)
            .when(&[DRIVE, HAS_DRIVES_TO_ADD])
            .throttled(DRIVES_CHECK_INTERVAL),
        /* 59 */
        Step::new("JoinS3Cluster", protocols::join_s3_cluster).when(&[S3, HAS_JOIN_IPS]).once(
            cond::JOINED_S3_CLUSTER,
            "JoinedS3Cluster",
            "Joined s3 cluster",
        ),
        /* 60 */
        Step::new("EnsureNfsInterfaceGroupPorts", protocols::ensure_nfs_interface_group_ports)
            .when(&[NFS, HAS_JOIN_IPS]),
    ];
