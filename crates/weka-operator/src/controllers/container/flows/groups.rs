//! Step groups spliced into several flows (upstream `MetricsSteps`, `CsiSteps`), and the
//! loading steps every flow shares before them.

use super::predicates::*;
use crate::controllers::container::state::ContainerState;
use crate::controllers::container::steps::{csi, metrics};
use crate::engine::Step;

/// [metrics] 1/2: the agent's counts copied to `status.stats`, every polling interval.
/// Upstream asks as soon as there is a pod, and until WEKA has created the container (its
/// local socket) every pass fails and retries; here it waits until `weka local ps` lists it.
pub const SET_STATUS_METRICS: Step<ContainerState> =
    Step::new("SetStatusMetrics", metrics::set_status_metrics)
        .when(&[METRICS_ENABLED, POD_SET, REPORTS_STATUS_METRICS, LISTED_BY_WEKA])
        .throttled_by(metrics::polling_rate)
        .continue_on_error();

/// [metrics] 2/2: the container registered with its node's agent (throttled inside, per pod
/// status), once it has a node (upstream tries before and fails on every pass until then).
/// Upstream's third step, `ReportOtelMetrics`, feeds OpenTelemetry spans, which this
/// operator does not emit.
pub const REGISTER_ON_METRICS: Step<ContainerState> =
    Step::new("RegisterContainerOnMetrics", metrics::register_container_on_metrics)
        .when(&[METRICS_ENABLED, REGISTERS_ON_METRICS, ON_A_NODE])
        .continue_on_error();

/// `GetWekaClient`: the owning WekaClient of a container that manages CSI.
pub const GET_WEKA_CLIENT: Step<ContainerState> =
    Step::new("GetWekaClient", csi::get_weka_client).when(&[MANAGES_CSI]);

/// `FetchTargetCluster`: the WekaClient's target cluster, whose CSI group wins.
pub const FETCH_TARGET_CLUSTER: Step<ContainerState> =
    Step::new("FetchTargetCluster", csi::fetch_target_cluster)
        .when(&[CLIENT_NAMES_TARGET_CLUSTER, CSI_ENABLED]);

/// [csi] 1/1: the node's CSI topology labels follow whether the client can serve mounts.
/// Upstream runs it without a WekaClient too and then fails on the missing client; here the
/// WekaClient is required (the CSI deployment, hence the driver, is the WekaClient's).
pub const MANAGE_CSI_TOPOLOGY_LABELS: Step<ContainerState> =
    Step::new("ManageCsiTopologyLabels", csi::manage_csi_topology_labels)
        .when(&[MANAGES_CSI, NODE_SET, WEKA_CLIENT_SET])
        .continue_on_error();
