//! The flows of a WekaCluster as tables of steps (upstream `reconciler_loop.go` and the
//! `steps_*.go` files; spec `wekacluster.md` §1, numbers in comments), and which one runs:
//! the deletion flow once the cluster is deleted (unless `overrides.cancelDeletion`), the
//! main flow otherwise.
//!
//! The cluster monitoring Deployment (§6.8) is replaced by design: the operator's own
//! `/metrics` serves the WEKA-level series (see `steps/metrics.rs`).

use std::time::Duration;

use weka_api::constants::conditions as cond;

use super::state::ClusterState;
use super::steps::{
    containers, credentials, deletion, formation, init, management, metrics, observe, ports,
    selector_mismatch, services, telemetry, upgrade,
};
use crate::engine::{Predicate, Step};

/// A flow: its name (for logs) and its steps.
pub struct Flow {
    pub name: &'static str,
    pub steps: &'static [Step<ClusterState>],
}

pub const MAIN: Flow = Flow { name: "main", steps: MAIN_STEPS };
pub const DELETION: Flow = Flow { name: "deletion", steps: DELETION_STEPS };

/// The flow for the cluster as it is now.
pub fn select(s: &ClusterState) -> Flow {
    if s.is_marked_for_deletion() && !cancel_deletion(s) { DELETION } else { MAIN }
}

const CSI_REFRESH: Duration = Duration::from_secs(300);

static MAIN_STEPS: &[Step<ClusterState>] = &[
    // 1.5 UpdateContainersCounters (from the cache; printer columns).
    Step::new("UpdateContainersCounters", observe::update_counters).continue_on_error(),
    // 1.5 ThrottledMetricsSteps (the monitoring Deployment replaced by our `/metrics`).
    Step::new("UpdateWekaStatusMetrics", metrics::update_weka_status_metrics)
        .when(&[CLUSTER_METRICS_ENABLED, CLUSTER_CREATED_A_WHILE_AGO, NOT_DELETED, SERVING])
        .throttled_by(metrics::polling_rate)
        .continue_on_error(),
    // 1.0 #4
    Step::new("RecoverPausedContainers", deletion::recover_paused_containers)
        .when(&[CANCEL_DELETION])
        .continue_on_error(),
    // 1.1 Cluster setup.
    /* 1 */ Step::new("InitState", init::init_state),
    // Ours: a spec that names no usable template stops here with a condition and an event.
    Step::new("ValidateTemplate", init::validate_template),
    /* 2 */
    Step::new("EnsureLoginCredentials", credentials::ensure_login_credentials).once(
        cond::CLUSTER_SECRETS_CREATED,
        "SecretsCreated",
        "Cluster secrets are created",
    ),
    /* 3 */
    Step::new("AllocateClusterRanges", ports::allocate_cluster_ranges).when(&[PORTS_NOT_COMMITTED]),
    /* 4 */ Step::new("EnsureWekaContainers", containers::ensure_weka_containers),
    /* 5 */ Step::new("HandleSpecUpdates", containers::handle_spec_updates),
    /* 6 */
    Step::new(
        "updateContainersOnNodeSelectorMismatch",
        selector_mismatch::update_containers_on_node_selector_mismatch,
    )
    .when(&[CLEANUP_ON_SELECTOR_MISMATCH])
    .throttled(selector_mismatch::INTERVAL),
    // Ours: a smaller count removes containers through their stop protocol.
    Step::new("ScaleDown", containers::scale_down),
    // Ours: pods that cannot be scheduled show in `PodsScheduled`.
    Step::new("ReportUnschedulablePods", observe::report_unschedulable_pods).continue_on_error(),
    // 1.2 Cluster creation.
    /* 1 */
    Step::new("InitialContainersReady", formation::initial_containers_ready).once(
        cond::PODS_READY,
        "Ready",
        "Initial containers are ready for cluster creation",
    ),
    /* 2 */
    Step::new("FormCluster", formation::form_cluster).once(
        cond::CLUSTER_CREATED,
        "Created",
        "Cluster is formed",
    ),
    /* 3 */
    Step::new("RunPostFormClusterScript", formation::run_post_form_script)
        .when(&[HAS_POST_FORM_SCRIPT, NOT_EXPAND])
        .once(cond::POST_CLUSTER_FORMED_SCRIPT, "Executed", "Post-form cluster script executed"),
    /* 5 */
    Step::new("WaitForContainersJoin", formation::wait_for_containers_join).once(
        cond::JOINED_CLUSTER,
        "Joined",
        "Containers joined the cluster",
    ),
    /* 6 */
    Step::new("WaitForDrivesAdd", formation::wait_for_drives_add).once(
        cond::DRIVES_ADDED,
        "DrivesAdded",
        "Drives are added to the cluster",
    ),
    /* 7 */
    Step::new("StartIo", formation::start_io).when(&[NOT_EXPAND]).once(
        cond::IO_STARTED,
        "IoStarted",
        "IO is started",
    ),
    // 1.3 Credentials.
    /* 1a */
    Step::new("ApplyCredentials", credentials::apply_credentials).when(&[NOT_EXPAND]).once(
        cond::CLUSTER_SECRETS_APPLIED,
        "Applied",
        "Cluster users are created",
    ),
    /* 1b */
    Step::new("DeleteAdminUser", credentials::delete_admin_user)
        .when(&[NOT_EXPAND, ADMIN_GRACE_PASSED])
        .once(cond::ADMIN_USER_DELETED, "Deleted", "The default admin user is deleted"),
    /* 2 */
    Step::new("ensureClientLoginCredentials", credentials::ensure_client_credentials).once(
        cond::CLUSTER_CLIENT_SECRETS_CREATED,
        "Created",
        "Client secret is created",
    ),
    /* 3 */
    Step::new("applyClientLoginCredentials", credentials::apply_client_credentials).once(
        cond::CLUSTER_CLIENT_SECRETS_APPLIED,
        "Applied",
        "Client user is created",
    ),
    /* 4 */
    Step::new("EnsureCsiLoginCredentials", credentials::ensure_csi_credentials).once(
        cond::CLUSTER_CSI_SECRETS_CREATED,
        "Created",
        "CSI secret is created",
    ),
    /* 5 */
    Step::new("UpdateCsiLoginCredentials", credentials::ensure_csi_credentials)
        .throttled(CSI_REFRESH)
        .or_when_changed(credentials::csi_targets_fingerprint)
        .continue_on_error(),
    /* 6 */
    Step::new("applyCsiLoginCredentials", credentials::apply_csi_credentials).once(
        cond::CLUSTER_CSI_SECRETS_APPLIED,
        "Applied",
        "CSI user is created",
    ),
    // 1.4 Post-cluster.
    /* 1 */
    Step::new("ConfigureKms", services::configure_kms).when(&[KMS_CONFIGURED_IN_SPEC]).once(
        cond::KMS_CONFIGURED,
        "Configured",
        "KMS is configured",
    ),
    /* 2 */
    Step::new("EnsureDefaultFS", services::ensure_default_fs).when(&[NOT_EXPAND]).once(
        cond::DEFAULT_FS_CREATED,
        "Created",
        "Default filesystems are created",
    ),
    /* 3 */
    Step::new("DestroyS3Cluster", services::destroy_s3_cluster).when(&[SHOULD_DESTROY_S3]),
    /* 4 */
    Step::new("EnsureS3Cluster", services::ensure_s3_cluster).when(&[HAS_S3_CONTAINERS]).once(
        cond::S3_CLUSTER_CREATED,
        "Created",
        "S3 cluster is created",
    ),
    /* 5 */
    Step::new("EnsureNfs", services::ensure_nfs).when(&[NOT_EXPAND, HAS_NFS_CONTAINERS]).once(
        cond::NFS_CONFIGURED,
        "Configured",
        "NFS is configured",
    ),
    /* 6 */
    Step::new("EnsureNfsIpRanges", services::ensure_nfs_ip_ranges)
        .when(&[HAS_NFS_CONTAINERS])
        .continue_on_error(),
    /* 7 */
    Step::new("EnsureDataServicesGlobalConfig", services::ensure_data_services)
        .when(&[HAS_DATA_SERVICES_CONTAINERS])
        .once(cond::DATA_SERVICES_CONFIGURED, "Configured", "Data services are configured"),
    /* 8 */
    Step::new("EnsureTelemetry", telemetry::ensure_telemetry)
        .throttled(telemetry::INTERVAL)
        .continue_on_error(),
    /* 9 */
    Step::new("configureWekaHome", services::configure_weka_home).continue_on_error().once(
        cond::WEKA_HOME_CONFIGURED,
        "Configured",
        "WEKA Home is configured",
    ),
    /* 10 ManagementServiceConfigured is recorded by the step itself (it runs also once True). */
    Step::new("EnsureManagementService", management::ensure_management_service)
        .throttled(management::INTERVAL)
        .continue_on_error(),
    /* 11 */
    Step::new("MarkAsReady", services::mark_as_ready).once(
        cond::CLUSTER_READY,
        "Ready",
        "Cluster is ready",
    ),
    /* 12 */ Step::new("handleUpgrade", upgrade::handle_upgrade),
];

static DELETION_STEPS: &[Step<ClusterState>] = &[
    Step::new("UpdateContainersCounters", observe::update_counters).continue_on_error(),
    // Ours: a deleted cluster's WEKA series leave `/metrics`.
    Step::new("ForgetWekaStatusMetrics", metrics::forget_weka_status_metrics),
    /* 1 */
    Step::new("HandleGracefulDeletion", deletion::handle_graceful_deletion)
        .when(&[IN_GRACE_PERIOD]),
    /* 2 */
    Step::new("HandleDeletion", deletion::handle_deletion).when(&[GRACE_PERIOD_OVER]),
];

// --- predicates ----------------------------------------------------------------------------

fn cancel_deletion(s: &ClusterState) -> bool {
    s.cluster.spec.overrides.as_ref().and_then(|o| o.cancel_deletion) == Some(true)
}

const CLEANUP_ON_SELECTOR_MISMATCH: Predicate<ClusterState> =
    ("CLEANUP_BACKENDS_ON_NODE_SELECTOR_MISMATCH", |s| {
        s.ctx.config.cleanup.backends_on_node_selector_mismatch
    });
const CANCEL_DELETION: Predicate<ClusterState> = ("cancelDeletion", cancel_deletion);
const NOT_EXPAND: Predicate<ClusterState> =
    ("not expanding an existing cluster", |s| !s.is_expand());
const PORTS_NOT_COMMITTED: Predicate<ClusterState> =
    ("port range not committed", |s| !ports::committed(&s.status()));
const HAS_POST_FORM_SCRIPT: Predicate<ClusterState> = ("postFormClusterScript set", |s| {
    s.cluster
        .spec
        .overrides
        .as_ref()
        .and_then(|o| o.post_form_cluster_script.as_deref())
        .is_some_and(|script| !script.is_empty())
});
const ADMIN_GRACE_PASSED: Predicate<ClusterState> =
    ("admin user grace period passed", credentials::admin_grace_passed);
const KMS_CONFIGURED_IN_SPEC: Predicate<ClusterState> =
    ("vault KMS with kubernetes auth", services::kms_in_spec);
const SHOULD_DESTROY_S3: Predicate<ClusterState> =
    ("S3 cluster to destroy", services::should_destroy_s3_cluster);
const HAS_S3_CONTAINERS: Predicate<ClusterState> = ("has S3 containers", services::has_s3);
const HAS_NFS_CONTAINERS: Predicate<ClusterState> = ("has NFS containers", services::has_nfs);
const HAS_DATA_SERVICES_CONTAINERS: Predicate<ClusterState> =
    ("has data-services containers", services::has_data_services);
const CLUSTER_METRICS_ENABLED: Predicate<ClusterState> =
    ("METRICS_CLUSTERS_ENABLED", metrics::enabled);
const CLUSTER_CREATED_A_WHILE_AGO: Predicate<ClusterState> =
    ("ClusterCreated for more than 5s", metrics::created_a_while_ago);
const NOT_DELETED: Predicate<ClusterState> = ("not being deleted", |s| !s.is_marked_for_deletion());
const SERVING: Predicate<ClusterState> = ("status Ready", metrics::serving);
const IN_GRACE_PERIOD: Predicate<ClusterState> =
    ("in the graceful destroy period", deletion::in_grace_period);
const GRACE_PERIOD_OVER: Predicate<ClusterState> =
    ("graceful destroy period over", |s| !deletion::in_grace_period(s));

#[cfg(test)]
mod tests {
    use super::*;

    fn names(flow: &Flow) -> Vec<&'static str> {
        flow.steps.iter().map(|s| s.name).collect()
    }

    #[test]
    fn conditions_are_set_in_upstream_order() {
        let expected = [
            cond::CLUSTER_SECRETS_CREATED,
            cond::PODS_READY,
            cond::CLUSTER_CREATED,
            cond::POST_CLUSTER_FORMED_SCRIPT,
            cond::JOINED_CLUSTER,
            cond::DRIVES_ADDED,
            cond::IO_STARTED,
            cond::CLUSTER_SECRETS_APPLIED,
            cond::ADMIN_USER_DELETED,
            cond::CLUSTER_CLIENT_SECRETS_CREATED,
            cond::CLUSTER_CLIENT_SECRETS_APPLIED,
            cond::CLUSTER_CSI_SECRETS_CREATED,
            cond::CLUSTER_CSI_SECRETS_APPLIED,
            cond::KMS_CONFIGURED,
            cond::DEFAULT_FS_CREATED,
            cond::S3_CLUSTER_CREATED,
            cond::NFS_CONFIGURED,
            cond::DATA_SERVICES_CONFIGURED,
            cond::WEKA_HOME_CONFIGURED,
            cond::CLUSTER_READY,
        ];
        let once: Vec<&str> =
            MAIN.steps.iter().filter_map(|s| s.once.map(|o| o.condition)).collect();
        assert_eq!(once, expected);
    }

    #[test]
    fn containers_are_created_after_secrets_and_ports_and_before_formation() {
        let steps = names(&MAIN);
        let at = |name| steps.iter().position(|n| *n == name).unwrap();
        assert!(at("EnsureLoginCredentials") < at("AllocateClusterRanges"));
        assert!(at("AllocateClusterRanges") < at("EnsureWekaContainers"));
        assert!(at("EnsureWekaContainers") < at("InitialContainersReady"));
        assert!(at("StartIo") < at("MarkAsReady"));
        assert_eq!(steps.last(), Some(&"handleUpgrade"));
    }

    #[test]
    fn telemetry_and_the_management_proxy_are_throttled_post_cluster_steps_before_ready() {
        let steps = names(&MAIN);
        let at = |name| steps.iter().position(|n| *n == name).unwrap();
        assert!(at("EnsureDataServicesGlobalConfig") < at("EnsureTelemetry"));
        assert!(at("EnsureTelemetry") < at("configureWekaHome"));
        assert!(at("configureWekaHome") < at("EnsureManagementService"));
        assert_eq!(at("EnsureManagementService") + 1, at("MarkAsReady"));
        for name in ["EnsureTelemetry", "EnsureManagementService"] {
            let step = &MAIN.steps[at(name)];
            assert_eq!(step.throttle, Some(Duration::from_secs(60)), "{name}");
            assert_eq!(step.on_error, crate::engine::OnError::Continue, "{name}");
            assert!(step.once.is_none() && step.when.is_empty(), "{name} runs also once done");
        }
    }

    #[test]
    fn deletion_waits_out_the_grace_period_first() {
        assert_eq!(
            names(&DELETION),
            [
                "UpdateContainersCounters",
                "ForgetWekaStatusMetrics",
                "HandleGracefulDeletion",
                "HandleDeletion"
            ]
        );
    }
}
