//! Named predicates of the flow tables, evaluated against the state as earlier steps left it.

use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::deletion::should_deactivate;
use crate::controllers::container::steps::{pod_is_running, pod_is_terminating};
use crate::engine::{FlowState, Predicate};
use crate::pod::ModeTraits;

type P = Predicate<ContainerState>;

pub const MARKED_FOR_DELETION: P = ("marked for deletion", |s| s.is_marked_for_deletion());
pub const NOT_TEARING_DOWN: P = ("state is not deleting/destroying", |s| {
    use weka_api::wekacontainer::ContainerState as State;
    !matches!(s.spec().state, Some(State::Deleting | State::Destroying))
});

pub const POD_SET: P = ("pod exists", |s| s.pod.is_some());
pub const POD_NOT_SET: P = ("no pod", |s| s.pod.is_none());
pub const POD_TERMINATING: P =
    ("pod is terminating", |s| s.pod.as_deref().is_some_and(pod_is_terminating));
pub const POD_NOT_TERMINATING: P =
    ("pod is not terminating", |s| s.pod.as_deref().is_some_and(|p| !pod_is_terminating(p)));
pub const POD_NOT_RUNNING: P =
    ("pod is not running", |s| s.pod.as_deref().is_some_and(|p| !pod_is_running(p)));
pub const POD_PENDING_UNPINNED: P = ("pending pod without spec.nodeAffinity", |s| {
    let pending =
        s.pod.as_ref().and_then(|p| p.status.as_ref()?.phase.clone()).as_deref() == Some("Pending");
    pending && s.spec().node_affinity.as_deref().unwrap_or_default().is_empty()
});

pub const NODE_SET: P = ("node known", |s| s.node.is_some());
pub const ON_A_NODE: P = ("node affinity or a scheduled pod", |s| {
    crate::controllers::container::steps::node_agent::container_node(s).is_some()
});
pub const LISTED_BY_WEKA: P = ("weka local ps listed the container", |s| {
    s.status().internal_status.as_deref().is_some_and(|i| !i.is_empty())
});
pub const NODE_READY: P = ("node is ready", |s| s.node_ready());
pub const NODE_UNSCHEDULABLE: P = ("node is cordoned", |s| s.node_unschedulable());
pub const NO_STATUS_NODE_AFFINITY: P = ("status.nodeAffinity is not set", |s| {
    s.status().node_affinity.as_deref().unwrap_or_default().is_empty()
});

pub const WEKA_CONTAINER: P = ("WEKA container", |s| s.mode().is_weka_container());
pub const BACKEND: P = ("backend", |s| s.mode().is_backend());
pub const UPGRADE_WAITS_FOR_MOUNTS: P = ("frontend upgrade pending, mounts matter", |s| {
    use crate::controllers::container::steps::upgrade::{mounts_hold_upgrade, upgrade_pending};
    upgrade_pending(s) && mounts_hold_upgrade(s)
});
pub const METRICS_ENABLED: P =
    ("container metrics enabled", |s| s.ctx.config.metrics_collection.containers_enabled);
pub const REPORTS_STATUS_METRICS: P = ("mode reports status metrics", |s| {
    crate::controllers::container::steps::metrics::reports_status_metrics(s.mode())
});
pub const REGISTERS_ON_METRICS: P = ("mode registers on metrics", |s| {
    crate::controllers::container::steps::metrics::registers_on_metrics(s.mode())
});
pub const DEREGISTERS_FROM_METRICS: P = ("mode deregisters from metrics", |s| {
    // Upstream's list for deregistration leaves out ssdproxy (registered, never deregistered).
    use weka_api::wekacontainer::ContainerMode::*;
    matches!(s.mode(), Compute | Client | S3 | Nfs | Drive | Envoy)
});
pub const NO_SKIP_ACTIVE_MOUNTS_CHECK: P = ("no overrides.skipActiveMountsCheck", |s| {
    s.spec().overrides.as_ref().and_then(|o| o.skip_active_mounts_check) != Some(true)
});
pub const NO_SKIP_VIRTUAL_DRIVES_REMOVAL: P = ("no overrides.skipVirtualDrivesRemoval", |s| {
    s.spec().overrides.as_ref().and_then(|o| o.skip_virtual_drives_removal) != Some(true)
});
pub const CLIENT: P = ("client", |s| s.mode() == ContainerMode::Client);
pub const DRIVE_OR_COMPUTE: P =
    ("drive or compute", |s| matches!(s.mode(), ContainerMode::Drive | ContainerMode::Compute));
pub const DRIVERS_CONTAINER: P = ("drivers container", |s| s.mode().is_drivers());
pub const NOT_PROTOCOL: P = ("not a protocol", |s| !s.mode().is_protocol());
pub const MUST_HAVE_NODE_AFFINITY: P =
    ("must own its node", |s| s.mode().must_have_node_affinity());
pub const SHOULD_JOIN_CLUSTER: P = ("joins the cluster", |s| s.mode().should_join_cluster());
pub const ADHOC_OR_DISCOVERY: P =
    ("ad-hoc or discovery", |s| s.mode().is_adhoc() || s.mode() == ContainerMode::Discovery);
pub const BACKEND_OR_CLIENT: P =
    ("backend or client", |s| s.mode().is_backend() || s.mode() == ContainerMode::Client);

pub const DRIVERS_PLACED_BY_SCHEDULER: P = ("placed by the scheduler", |s| {
    s.spec().node_affinity.as_deref().unwrap_or_default().is_empty()
        && !s.status().node_affinity.as_deref().unwrap_or_default().is_empty()
});
pub const NODE_NOT_SET: P = ("node not known", |s| s.node.is_none());

pub const CLEANUP_ON_TOLERATIONS_MISMATCH: P =
    ("CLEANUP_CONTAINERS_ON_TOLERATIONS_MISMATCH", |s| {
        s.ctx.config.cleanup.containers_on_tolerations_mismatch
    });
pub const CLEANUP_ON_SELECTOR_MISMATCH: P = ("CLEANUP_*_ON_NODE_SELECTOR_MISMATCH", |s| {
    let cleanup = &s.ctx.config.cleanup;
    if s.mode().is_backend() {
        cleanup.backends_on_node_selector_mismatch
    } else {
        s.mode() == ContainerMode::Client && cleanup.clients_on_node_selector_mismatch
    }
});

pub const STATUS_NOT_UNHEALTHY: P =
    ("status is not Unhealthy", |s| s.status().status != WekaContainerStatus::UNHEALTHY);
pub const STATUS_NOT_POD_RUNNING: P =
    ("status is not PodRunning", |s| s.status().status != WekaContainerStatus::POD_RUNNING);
pub const STATUS_RUNNING: P =
    ("status is Running", |s| s.status().status == WekaContainerStatus::RUNNING);
pub const NO_MANAGEMENT_IPS_NOT_RUNNING: P = ("no management IPs and not Running", |s| {
    let status = s.status();
    status.management_ips.as_ref().is_none_or(Vec::is_empty)
        && status.status != WekaContainerStatus::RUNNING
});

pub const IMAGE_APPLIED_BEFORE: P = ("an image was applied before", |s| {
    !s.status().last_applied_image.as_deref().unwrap_or_default().is_empty()
});
pub const IMAGE_NOT_ALIGNED: P = ("spec.image is not the applied image", |s| {
    s.status().last_applied_image.as_deref() != Some(s.spec().image.as_str())
});

pub const SHOULD_DEACTIVATE: P = ("should deactivate", should_deactivate);
pub const SHOULD_DEACTIVATE_OR_SKIP: P = ("should deactivate or skips deactivation", |s| {
    should_deactivate(s)
        || s.spec().overrides.as_ref().and_then(|o| o.skip_deactivate) == Some(true)
});
pub const NOT_DEACTIVATED: P = ("not deactivated yet", |s| {
    !weka_api::conditions::is_true(s.conditions(), cond::CONTAINER_DEACTIVATED)
});
pub const NO_CONTAINER_ID: P = ("no cluster container ID", |s| s.status().container_id.is_none());

// --- Predicates of the domain steps (drivers, allocation, drives, one-off results, joining,
// --- protocols); their logic lives with the steps.

pub const REQUIRES_DRIVERS: P = ("requires drivers", |s| s.mode().requires_drivers());
pub const NOT_MARKED_FOR_DELETION: P = ("not marked for deletion", |s| !s.is_marked_for_deletion());
pub const HAS_NODE_AFFINITY: P = ("has node affinity", |s| s.node_affinity().is_some());
pub const SHOULD_ALLOCATE_NICS: P =
    ("should allocate NICs", crate::controllers::container::steps::nics::should_allocate_nics);
pub const ALLOCATABLE: P = ("allocatable", |s| s.mode().is_allocatable());
pub const ALLOCATABLE_OR_CLIENT: P =
    ("allocatable or client", |s| s.mode().is_allocatable() || s.mode() == ContainerMode::Client);
pub const DRIVE: P = ("drive", |s| s.mode() == ContainerMode::Drive);
pub const NEEDS_DRIVES: P =
    ("needs more drives", crate::controllers::container::steps::resources::needs_drives);
pub const STATUS_UNHEALTHY: P =
    ("status is Unhealthy", |s| s.status().status == WekaContainerStatus::UNHEALTHY);
pub const ONE_OFF: P = ("one-off", |s| s.mode().is_one_off());
pub const RESULTS_PROCESSED: P =
    ("results processed", crate::controllers::container::steps::oneoff::results_processed);
pub const RESULTS_NOT_PROCESSED: P = ("results not processed", |s| {
    !crate::controllers::container::steps::oneoff::results_processed(s)
});
pub const DRIVERS_BUILDER: P = ("drivers builder", |s| s.mode().is_drivers_builder());
pub const NOT_DIST_MODE: P = ("not dist mode", |s| s.mode() != ContainerMode::Dist);
pub const ENVOY: P = ("envoy", |s| s.mode() == ContainerMode::Envoy);
pub const TELEMETRY: P = ("telemetry", |s| s.mode() == ContainerMode::Telemetry);
pub const S3: P = ("s3", |s| s.mode() == ContainerMode::S3);
pub const NFS: P = ("nfs", |s| s.mode() == ContainerMode::Nfs);
pub const STATUS_ERROR: P =
    ("status is Error", |s| s.status().status == WekaContainerStatus::ERROR);
pub const EXPOSE_PORTS: P =
    ("spec.exposePorts is set", |s| s.spec().expose_ports.as_ref().is_some_and(|p| !p.is_empty()));
pub const HAS_JOIN_IPS: P =
    ("has join IPs", crate::controllers::container::steps::protocols::has_join_ips);
pub const NO_JOIN_IPS: P =
    ("no join IPs", |s| !crate::controllers::container::steps::protocols::has_join_ips(s));
pub const INTERNAL_STEM: P =
    ("internal status is STEM", |s| s.status().internal_status.as_deref() == Some("STEM"));
pub const INTERNAL_READY: P =
    ("internal status is READY", |s| s.status().internal_status.as_deref() == Some("READY"));
pub const USES_DRIVE_SHARING: P =
    ("uses drive sharing", |s| crate::pod::uses_drive_sharing(&s.container));
pub const HAS_DRIVES_TO_ADD: P =
    ("has drives to add", crate::controllers::container::steps::drives::has_drives_to_add);
pub const ADDED_DRIVES_OUTDATED: P = (
    "added drives need an update",
    crate::controllers::container::steps::drives::needs_added_drives_update,
);
pub const ADDED_DRIVES_NOT_ALIGNED: P = (
    "added drives differ from the allocation",
    crate::controllers::container::steps::drives::added_not_aligned,
);
pub const REMOVE_FAILED_DRIVES: P =
    ("REMOVE_FAILED_DRIVES_FROM_WEKA", |s| s.ctx.config.cleanup.remove_failed_drives_from_weka);
pub const MUST_RESIGN_DRIVES: P = (
    "drives are resigned on deletion",
    crate::controllers::container::steps::drive_signing::must_resign,
);
pub const MIGRATES_OUT_FROM_PVC: P = (
    "spec.pvc with overrides.migrateOutFromPvc",
    crate::controllers::container::steps::migrations::migrates_out_from_pvc,
);

// --- CSI (logic in `steps/csi.rs`).

pub const MANAGES_CSI: P = (
    "client with CSI_INSTALLATION_ENABLED",
    crate::controllers::container::steps::csi::manages_csi,
);
pub const CSI_ENABLED: P = ("CSI_INSTALLATION_ENABLED", |s| s.ctx.config.csi.installation_enabled);
pub const WEKA_CLIENT_SET: P = ("owner WekaClient loaded", |s| s.weka_client.is_some());
pub const CLIENT_NAMES_TARGET_CLUSTER: P = (
    "WekaClient has spec.targetCluster.name",
    crate::controllers::container::steps::csi::client_names_target_cluster,
);
