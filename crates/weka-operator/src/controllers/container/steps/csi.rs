//! The CSI step group (upstream `csi_steps.go`): a client container of an operator that
//! installs CSI keeps its node's CSI topology labels in line with whether it can serve WEKA
//! mounts, so the CSI provisioner sends new volumes only to nodes whose client works; the
//! labels go when the container is finalized. The driver they are scoped by comes from the
//! owning WekaClient and its target cluster, loaded by `GetWekaClient` / `FetchTargetCluster`.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::Value;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};
use weka_api::{WekaClient, WekaCluster};

use crate::controllers::container::flows::groups::SET_STATUS_METRICS;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::csi::naming::{self, Group};
use crate::csi::topology::TopologyKeys;
use crate::engine::{StepError, StepFuture};

/// How recent the container's process counts must be for its node to take new CSI workloads
/// (upstream's limit): older counts may describe a client that has since failed.
pub const STATS_MAX_AGE: Duration = Duration::from_secs(300);

/// The owner-reference kind of a client container's WekaClient.
const WEKA_CLIENT_KIND: &str = "WekaClient";

/// Upstream's `WekaContainerManagesCsi`: a client container, with CSI installed by the
/// operator (`CSI_INSTALLATION_ENABLED`).
pub fn manages_csi(s: &ContainerState) -> bool {
    s.mode() == ContainerMode::Client && s.ctx.config.csi.installation_enabled
}

/// The loaded WekaClient names a target cluster.
pub fn client_names_target_cluster(s: &ContainerState) -> bool {
    s.weka_client.as_ref().and_then(naming::target_cluster_of).is_some()
}

/// `GetWekaClient`: the WekaClient that owns the container, read by name and checked by
/// UID (a WekaClient re-created under the same name is another object). A container with no
/// such owner, or whose owner is gone, has none: it manages no labels then.
pub fn get_weka_client(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        s.weka_client = None;
        let owner = s
            .container
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.kind == WEKA_CLIENT_KIND)
            .cloned();
        let Some(owner) = owner else { return Ok(()) };
        let api: Api<WekaClient> = Api::namespaced(s.ctx.client.clone(), s.namespace());
        let client = api
            .get_opt(&owner.name)
            .await
            .map_err(|e| api_error("WekaClientReadFailed", "read the owner WekaClient", e))?;
        match client {
            Some(client) if client.uid().as_deref() == Some(owner.uid.as_str()) => {
                s.weka_client = Some(client);
            }
            _ => tracing::debug!(client = %owner.name, "the owner WekaClient does not exist"),
        }
        Ok(())
    })
}

/// `FetchTargetCluster`: the WekaCluster the WekaClient targets (in the reference's
/// namespace, else the client's). A cluster that does not exist is left unset: the labels
/// step then reports that the driver is unknown, and finalization still cleans up.
pub fn fetch_target_cluster(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        s.target_cluster = None;
        let Some(client) = s.weka_client.as_ref() else { return Ok(()) };
        let Some(target) = naming::target_cluster_of(client) else { return Ok(()) };
        let namespace = naming::target_namespace(client, target);
        let name = target.name.clone();
        let api: Api<WekaCluster> = Api::namespaced(s.ctx.client.clone(), &namespace);
        let cluster = api
            .get_opt(&name)
            .await
            .map_err(|e| api_error("TargetClusterReadFailed", "read the target WekaCluster", e))?;
        if cluster.is_none() {
            tracing::debug!(cluster = %name, %namespace, "the target WekaCluster does not exist");
        }
        s.target_cluster = cluster;
        Ok(())
    })
}

/// The CSI group of the container's WekaClient, if one is loaded.
fn group_of(s: &ContainerState) -> Option<Group> {
    let client = s.weka_client.as_ref()?;
    Some(naming::group(client, s.target_cluster.as_ref()))
}

/// Upstream's `nodeIsCsiAccessible`: the client runs (unless
/// `CSI_PREVENT_NEW_WORKLOAD_ON_CLIENT_CONTAINER_NOT_RUNNING` is off) and its last process
/// counts, recent ones, show every desired process active.
///
/// "Recent" is either `stats.lastUpdate` within [`STATS_MAX_AGE`] or `confirmed_age` (how
/// long ago the metrics step last read the same counts again) within it: this operator
/// writes `status.stats` only when a count changes, so a steady client's `lastUpdate` ages
/// while its counts are still being confirmed every polling interval.
pub fn is_accessible(
    status: &WekaContainerStatus,
    require_running: bool,
    now: Timestamp,
    confirmed_age: Option<Duration>,
) -> bool {
    if require_running && status.status != WekaContainerStatus::RUNNING {
        return false;
    }
    let Some(stats) = status.stats.as_ref() else { return false };
    let Some(last_update) = stats.last_update.as_ref() else { return false };
    let processes = stats.processes.unwrap_or_default();
    let active = processes.active.unwrap_or(0);
    if active <= 0 || Some(active) != processes.desired {
        return false;
    }
    let written_age = now.as_second().saturating_sub(last_update.0.as_second());
    let max_age = i64::try_from(STATS_MAX_AGE.as_secs()).unwrap_or(i64::MAX);
    written_age < max_age || confirmed_age.is_some_and(|age| age < STATS_MAX_AGE)
}

/// [`is_accessible`] for this reconcile's container. A container on its way out (deleted, or
/// `spec.state` deleting/destroying) is never accessible: its node must not attract new
/// workloads, and a pass of the Deleting flow that fails before `HandleDeletion` (say, on a
/// stale copy of an object whose finalizer is already gone) must not leave labels behind
/// that nothing would remove. Upstream keeps labelling until the finalizer step.
fn accessible(s: &ContainerState) -> bool {
    use weka_api::wekacontainer::ContainerState as State;
    let leaving = matches!(s.spec().state, Some(State::Deleting | State::Destroying));
    if leaving || s.is_marked_for_deletion() {
        return false;
    }
    let step = SET_STATUS_METRICS.name;
    let confirmed_age = s.shared.throttler.last_run(s.uid(), step).map(|at| at.elapsed());
    let require_running = s.ctx.config.csi.prevent_new_workload_on_client_container_not_running;
    is_accessible(&s.status(), require_running, Timestamp::now(), confirmed_age)
}

/// A merge patch of the node's labels; `None` when the node is gone.
async fn patch_node(
    s: &ContainerState,
    node: &str,
    body: &Value,
) -> Result<Option<Node>, StepError> {
    let api: Api<Node> = Api::all(s.ctx.client.clone());
    match api.patch(node, &PatchParams::default(), &Patch::Merge(body)).await {
        Ok(written) => Ok(Some(written)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(err) => {
            Err(api_error("NodeUpdateFailed", "update the node's CSI topology labels", err))
        }
    }
}

/// `ManageCsiTopologyLabels`: the node carries the topology labels of the client's driver
/// while the container is accessible and none of them otherwise; the node is patched only
/// when its labels differ. Without a known driver (the target cluster is gone) nothing is
/// labelled: a guessed driver could advertise the node to the wrong CSI deployment.
pub fn manage_csi_topology_labels(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(node) = s.node.clone() else { return Ok(()) };
        let group = match group_of(s) {
            Some(Group::Known(group)) => group,
            Some(Group::Guessed(_)) => {
                return Err(StepError::failed(
                    "TargetClusterNotFound",
                    "the WekaClient's target cluster does not exist: its CSI driver is unknown",
                ));
            }
            None => return Ok(()),
        };
        let driver = naming::driver_name(&group);
        let keys = TopologyKeys::of(&driver);
        let node_name = node.name_any();
        let accessible = accessible(s);
        let expected = keys.expected(&node_name, accessible);
        let Some(body) = keys.patch(node.labels(), &expected) else { return Ok(()) };
        let message = "updating the node's CSI topology labels";
        tracing::info!(node = %node_name, %driver, accessible, "{message}");
        if let Some(written) = patch_node(s, &node_name, &body).await? {
            s.node = Some(Arc::new(written));
        }
        Ok(())
    })
}

/// Finalization (upstream `UnsetCsiNodeTopologyLabels`): the container's node no longer
/// advertises its driver. The keys are removed whether or not the cached node shows them (the
/// cache may not show this operator's own last write yet); a node that is gone needs nothing.
/// A target cluster that is gone leaves only its default group to go by.
pub async fn unset_topology_labels(s: &mut ContainerState) -> Result<(), StepError> {
    let (Some(node), Some(group)) = (s.node.clone(), group_of(s)) else { return Ok(()) };
    let driver = naming::driver_name(group.name());
    let node_name = node.name_any();
    tracing::info!(node = %node_name, %driver, "removing the node's CSI topology labels");
    match patch_node(s, &node_name, &TopologyKeys::of(&driver).removal()).await? {
        Some(written) => s.node = Some(Arc::new(written)),
        None => tracing::debug!(node = %node_name, "the node is gone: no labels to remove"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use weka_api::common::Counters;
    use weka_api::wekacontainer::ContainerStats;

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    fn status(state: &str, active: i64, desired: i64, age_secs: i64) -> WekaContainerStatus {
        let at = Timestamp::from_second(now().as_second() - age_secs).unwrap();
        WekaContainerStatus {
            status: state.to_string(),
            stats: Some(ContainerStats {
                processes: Some(Counters {
                    active: Some(active),
                    created: Some(desired),
                    desired: Some(desired),
                }),
                last_update: Some(Time(at)),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_running_client_with_all_processes_active_is_accessible() {
        assert!(is_accessible(&status("Running", 2, 2, 10), true, now(), None));
    }

    #[test]
    fn not_running_is_inaccessible_unless_allowed() {
        let starting = status("PodRunning", 2, 2, 10);
        assert!(!is_accessible(&starting, true, now(), None));
        assert!(is_accessible(&starting, false, now(), None));
    }

    #[test]
    fn missing_or_partial_processes_are_inaccessible() {
        assert!(!is_accessible(&status("Running", 1, 2, 10), true, now(), None));
        assert!(!is_accessible(&status("Running", 0, 0, 10), true, now(), None));
        let mut no_stats = status("Running", 2, 2, 10);
        no_stats.stats = None;
        assert!(!is_accessible(&no_stats, true, now(), None));
        let mut never_updated = status("Running", 2, 2, 10);
        never_updated.stats.as_mut().unwrap().last_update = None;
        assert!(!is_accessible(&never_updated, true, now(), None));
    }

    #[test]
    fn stale_counts_are_inaccessible_unless_confirmed_recently() {
        let stale = status("Running", 2, 2, 301);
        assert!(!is_accessible(&stale, true, now(), None));
        assert!(!is_accessible(&stale, true, now(), Some(Duration::from_secs(400))));
        assert!(is_accessible(&stale, true, now(), Some(Duration::from_secs(30))));
    }
}
