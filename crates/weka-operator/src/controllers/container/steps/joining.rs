//! Joining the WEKA cluster when a container is stuck in STEM (upstream
//! `setJoinIpsIfStuckInStemMode`): a container that did not join although its cluster was
//! formed more than a minute ago is pointed at the cluster's members.
//!
//! The cluster's formation time (its `ClusterCreated` condition) and the members' addresses
//! (management IPs and ports of operational drive/compute containers owned by the same
//! WekaCluster) are read from the API, not from another controller's memory.

use std::time::Duration;

use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serde_json::json;
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};
use weka_api::{WekaCluster, WekaContainer};

use crate::controllers::container::object::ContainerObject;
use crate::controllers::container::state::{ContainerState, api_error, now};
use crate::engine::{StepError, StepFuture};

/// A cluster formed less than this long ago is still taking its members in.
const FORMATION_GRACE: Duration = Duration::from_secs(60);
/// At most this many members are given as join IPs (upstream selects 12).
const MAX_MEMBERS: usize = 12;

/// Upstream's `IsContainerOperational`: a drive or compute member that joined, is READY,
/// runs, has management IPs and a port.
pub fn is_operational(c: &WekaContainer) -> bool {
    let Some(status) = &c.status else { return false };
    matches!(c.spec.mode, ContainerMode::Drive | ContainerMode::Compute)
        && c.metadata.deletion_timestamp.is_none()
        && status.container_id.is_some()
        && status.internal_status.as_deref() == Some("READY")
        && status.status == WekaContainerStatus::RUNNING
        && status.management_ips.as_ref().is_some_and(|ips| !ips.is_empty())
        && port_of(c).is_some()
}

/// The container's WEKA port: allocated, else from its spec.
fn port_of(c: &WekaContainer) -> Option<i64> {
    let allocated =
        c.status.as_ref().and_then(|s| s.allocations.as_ref()).and_then(|a| a.weka_port);
    allocated.filter(|p| *p > 0).or(c.spec.port.filter(|p| *p > 0)).map(|p| p as i64)
}

/// `ip:port` (IPv6 in brackets) of each management IP of up to 12 operational members, by
/// name for a stable choice.
pub fn join_ips(members: &[WekaContainer]) -> Vec<String> {
    let mut operational: Vec<&WekaContainer> =
        members.iter().filter(|c| is_operational(c)).collect();
    operational.sort_by_key(|c| c.name_any());
    operational
        .into_iter()
        .take(MAX_MEMBERS)
        .flat_map(|c| {
            let port = port_of(c).unwrap_or_default();
            let ips = c.status.as_ref().and_then(|s| s.management_ips.clone()).unwrap_or_default();
            ips.into_iter().map(move |ip| {
                if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
            })
        })
        .collect()
}

/// The join IPs a new pod gets (upstream refreshes them from the owning cluster when it
/// creates a pod): a container told where to join (`spec.joinIpPorts`) is pointed at the
/// owner's members as they are now, from the cache, since the addresses recorded in its spec
/// may have gone meanwhile. `None` keeps the spec's (no owner, or no operational member).
pub fn refreshed_join_ips(s: &ContainerState) -> Option<Vec<String>> {
    if s.spec().join_ip_ports.as_ref().is_none_or(Vec::is_empty) {
        return None;
    }
    let owner = s.container.metadata.owner_references.as_ref()?.first()?.uid.clone();
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    let members: Vec<WekaContainer> = store
        .state()
        .iter()
        .filter(|o| o.namespace().as_deref() == Some(s.namespace()))
        .filter(|o| o.owner_references().iter().any(|r| r.uid == owner))
        .filter(|o| o.name_any() != s.name())
        .filter_map(|o| o.decode().ok())
        .collect();
    Some(join_ips(&members)).filter(|ips| !ips.is_empty())
}

/// `setJoinIpsIfStuckInStemMode`: the local container is told the members' addresses
/// (`weka local resources join-ips`, apply, restart) and `spec.joinIpPorts` records them
/// (which also keeps this step from running again).
pub fn set_join_ips_if_stuck_in_stem_mode(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let owners = s.container.metadata.owner_references.clone().unwrap_or_default();
        let Some(owner) = owners.first() else { return Ok(()) };
        let clusters: Api<WekaCluster> = Api::namespaced(s.ctx.client.clone(), s.namespace());
        let Some(cluster) = clusters
            .get_opt(&owner.name)
            .await
            .map_err(|e| api_error("OwnerClusterReadFailed", "read the owner WekaCluster", e))?
        else {
            return Ok(());
        };
        let conditions =
            cluster.status.as_ref().and_then(|st| st.conditions.clone()).unwrap_or_default();
        let Some(created) = weka_api::conditions::find(&conditions, cond::CLUSTER_CREATED)
            .filter(|c| c.status == "True")
        else {
            return Ok(());
        };
        let age = now().0.duration_since(created.last_transition_time.0);
        if age.as_secs() < FORMATION_GRACE.as_secs() as i64 {
            return Ok(());
        }
        let api: Api<ContainerObject> = Api::namespaced(s.ctx.client.clone(), s.namespace());
        let members: Vec<WekaContainer> = api
            .list(&ListParams::default())
            .await
            .map_err(|e| api_error("ContainersListFailed", "list the cluster's containers", e))?
            .items
            .iter()
            .filter(|o| o.owner_references().iter().any(|r| r.uid == owner.uid))
            .filter(|o| o.name_any() != s.name())
            .filter_map(|o| o.decode().ok())
            .collect();
        let ips = join_ips(&members);
        if ips.is_empty() {
            return Ok(());
        }
        tracing::info!(join_ips = ?ips, "the container is stuck in STEM: pointing it at the cluster");
        s.cli().rejoin_with_ips(&ips).await.map_err(|e| {
            StepError::failed(
                "SetJoinIpsError",
                format!("cannot re-point the local container: {e}"),
            )
        })?;
        s.patch_guarded("set spec.joinIpPorts", json!({"spec": {"joinIpPorts": ips}})).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, ip: &str, ready: bool) -> WekaContainer {
        serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaContainer",
            "metadata": {"name": name},
            "spec": {"name": name, "mode": "drive", "image": "i", "numCores": 1},
            "status": {
                "status": "Running", "internalStatus": if ready {"READY"} else {"STEM"},
                "containerID": 3, "managementIPs": [ip], "allocations": {"wekaPort": 35000},
            },
        }))
        .unwrap()
    }

    #[test]
    fn join_ips_are_the_ready_members_management_ips_with_their_ports() {
        let members = [
            member("b", "10.0.0.2", true),
            member("a", "fd00::1", true),
            member("c", "10.0.0.3", false),
        ];
        assert_eq!(join_ips(&members), ["[fd00::1]:35000", "10.0.0.2:35000"]);
    }
}
