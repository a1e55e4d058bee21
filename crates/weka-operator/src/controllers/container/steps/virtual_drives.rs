//! Drive sharing: the node's SSD proxy container, shared by every drive container of the
//! node that takes virtual drives (upstream `funcs_proxy.go`).
//!
//! The virtual drives themselves are created on and removed from the proxy through the node
//! agent's JSON-RPC (`AddVirtualDrives`, `RemoveVirtualDrives`).

use k8s_openapi::api::core::v1::Node;
use kube::{Api, ResourceExt};
use serde::Deserialize;
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::constants::annotations::SHARED_DRIVES;
use weka_api::constants::labels;
use weka_api::wekacontainer::ContainerMode;

use super::helper_containers as helpers;
use super::resources::owner_cluster;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::{StepError, StepFuture};

/// Upstream's `GetSsdProxyHugepagesMiB`: 378 MiB plus 4 MiB per TiB of shared capacity.
pub fn proxy_hugepages_mib(drives: usize, max_drive_tib: i64) -> i64 {
    378 + 4 * drives as i64 * max_drive_tib
}

#[derive(Deserialize)]
struct SharedDrive {
    #[serde(default)]
    capacity_gib: i64,
}

/// `ensureProxyContainer`: the SSD proxy WekaContainer of the node (`weka-drives-proxy-<node>`
/// in the operator's namespace) exists; created from the owner cluster's image, with
/// hugepages sized by the node's shared drives.
pub fn ensure_proxy_container(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let node_name = s.node_affinity().map(str::to_string).ok_or_else(|| {
            StepError::failed(
                "NoNodeAffinity",
                "container has no node affinity, cannot ensure proxy",
            )
        })?;
        let namespace = helpers::operator_namespace(s);
        let name = format!("weka-drives-proxy-{node_name}");
        if helpers::get(s, &namespace, &name).await?.is_some() {
            return Ok(());
        }
        let cluster = owner_cluster(s).await?;
        let nodes: Api<Node> = Api::all(s.ctx.client.clone());
        let node = nodes
            .get(&node_name)
            .await
            .map_err(|e| api_error("NodeReadFailed", "read the node", e))?;
        let drives: Vec<SharedDrive> = node
            .annotations()
            .get(SHARED_DRIVES)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        if drives.is_empty() {
            return Err(StepError::poll(
                "NoSharedDrives",
                format!(
                    "node {node_name} has no shared drives ({SHARED_DRIVES}): no SSD proxy to run"
                ),
                std::time::Duration::from_secs(60),
            ));
        }
        let max_tib = drives.iter().map(|d| (d.capacity_gib + 1023) / 1024).max().unwrap_or(0);
        let hugepages = proxy_hugepages_mib(drives.len(), max_tib)
            + i64::from(s.ctx.config.drives.ssd_proxy_hugepages_offset_mib);
        let mut labels_map = cluster.metadata.labels.clone().unwrap_or_default();
        labels_map.insert(labels::MODE.to_string(), ContainerMode::Ssdproxy.as_str().to_string());
        let proxy = helpers::from_json(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaContainer",
            "metadata": {"name": name, "namespace": namespace, "labels": labels_map},
            "spec": {
                "name": ContainerMode::Ssdproxy.as_str(),
                "mode": ContainerMode::Ssdproxy.as_str(),
                "image": cluster.spec.image,
                "imagePullSecret": cluster.spec.image_pull_secret,
                "serviceAccountName": cluster.spec.service_account_name,
                "tolerations": cluster.spec.raw_tolerations,
                "nodeAffinity": node_name,
                "numCores": 1,
                "hugepages": hugepages,
                "hugepagesSize": "2Mi",
            },
        }))?;
        helpers::create(s, &proxy).await
    })
}

// --- the virtual drives on the SSD proxy (upstream `funcs_virtual_drives.go`) -------------

/// How long to wait for the cluster identities a virtual drive is created with.
const CLUSTER_ID_RECHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// The node's SSD proxy WekaContainer and its node agent, for JSON-RPC calls to the proxy.
async fn proxy_and_agent(
    s: &ContainerState,
) -> Result<(WekaContainer, super::node_agent::Agent), StepError> {
    let node = s.node_affinity().map(str::to_string).ok_or_else(|| {
        StepError::failed("NoNodeAffinity", "container has no node affinity: no SSD proxy")
    })?;
    let namespace = helpers::operator_namespace(s);
    let name = format!("weka-drives-proxy-{node}");
    let proxy = helpers::get(s, &namespace, &name).await?.ok_or_else(|| {
        StepError::wait(
            "SsdProxyMissing",
            format!("SSD proxy {namespace}/{name} does not exist yet"),
        )
    })?;
    let agent = super::node_agent::agent_on(s, &node)
        .await
        .map_err(|e| super::node_agent::step_error("NodeAgentUnavailable", e))?;
    Ok((proxy, agent))
}

/// The virtual drives the proxy has on the physical drives this container uses.
async fn present_on_proxy(
    s: &ContainerState,
    proxy_uid: &str,
    agent: &super::node_agent::Agent,
) -> Result<std::collections::BTreeSet<String>, StepError> {
    use crate::node_agent::protocol::{ListVirtualDrivesParams, SsdProxyVirtualDrive, methods};
    let allocated = allocated_virtual_drives(s);
    let physical: std::collections::BTreeSet<String> =
        allocated.iter().map(|d| d.physical_uuid.clone()).collect();
    let mut present = std::collections::BTreeSet::new();
    for physical_uuid in physical {
        let params = ListVirtualDrivesParams { physical_uuid: physical_uuid.clone() };
        let result = agent
            .jsonrpc(proxy_uid, methods::SSD_PROXY_LIST_VIRTUAL_DRIVES, params)
            .await
            .map_err(|e| StepError::failed("ListVirtualDrivesFailed", e))?;
        let listed: Vec<SsdProxyVirtualDrive> = serde_json::from_value(result).map_err(|e| {
            StepError::failed(
                "ListVirtualDrivesFailed",
                format!("unexpected ssd_proxy_list_virtual_drives result for {physical_uuid}: {e}"),
            )
        })?;
        present.extend(listed.into_iter().map(|d| d.virtual_uuid));
    }
    Ok(present)
}

fn allocated_virtual_drives(s: &ContainerState) -> Vec<weka_api::wekacontainer::VirtualDrive> {
    let allocations = s.status().allocations.clone().unwrap_or_default();
    allocations.virtual_drives.unwrap_or_default()
}

/// `AddVirtualDrives` (and its periodic twin): every allocated virtual drive exists on the
/// node's SSD proxy, created with the owner cluster's GUID through the node agent's JSON-RPC.
/// Drives already there are left alone; one failing drive does not stop the others.
pub fn add_virtual_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        use crate::node_agent::protocol::{AddVirtualDriveParams, methods};
        let allocated = allocated_virtual_drives(s);
        if allocated.is_empty() {
            return Ok(());
        }
        if s.status().cluster_id.as_deref().unwrap_or_default().is_empty() {
            return Err(StepError::poll(
                "ClusterIdMissing",
                "cluster ID is not set, cannot add virtual drives",
                CLUSTER_ID_RECHECK,
            ));
        }
        let cluster = owner_cluster(s).await?;
        let cluster_guid =
            cluster.status.as_ref().and_then(|st| st.cluster_id.clone()).unwrap_or_default();
        if cluster_guid.is_empty() {
            return Err(StepError::poll(
                "ClusterIdMissing",
                "owner cluster has no cluster ID yet, cannot add virtual drives",
                CLUSTER_ID_RECHECK,
            ));
        }
        let (proxy, agent) = proxy_and_agent(s).await?;
        let proxy_uid = proxy.uid().unwrap_or_default();
        let present = present_on_proxy(s, &proxy_uid, &agent).await?;
        let mut errors = Vec::new();
        for drive in allocated.iter().filter(|d| !present.contains(&d.virtual_uuid)) {
            let params = AddVirtualDriveParams {
                virtual_uuid: drive.virtual_uuid.clone(),
                physical_uuid: drive.physical_uuid.clone(),
                cluster_guid: cluster_guid.clone(),
                size_gb: drive.capacity_gib as i64,
            };
            tracing::info!(virtual_uuid = %drive.virtual_uuid, physical_uuid = %drive.physical_uuid, proxy = %proxy.name_any(), "creating virtual drive on the SSD proxy");
            if let Err(err) =
                agent.jsonrpc(&proxy_uid, methods::SSD_PROXY_ADD_VIRTUAL_DRIVE, params).await
            {
                errors.push(format!("virtual drive {}: {err}", drive.virtual_uuid));
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        Err(StepError::failed(
            "AddVirtualDrivesFailed",
            format!("errors while adding virtual drives: {}", errors.join("; ")),
        ))
    })
}

/// `RemoveVirtualDrives`: on deletion, the container's virtual drives are dropped from the
/// node's SSD proxy. A drive the proxy does not have any more is done.
pub fn remove_virtual_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        use crate::node_agent::protocol::{RemoveVirtualDriveParams, methods};
        let allocated = allocated_virtual_drives(s);
        if allocated.is_empty() || s.node_affinity().is_none() {
            return Ok(());
        }
        let (proxy, agent) = proxy_and_agent(s).await?;
        let proxy_uid = proxy.uid().unwrap_or_default();
        let present = present_on_proxy(s, &proxy_uid, &agent).await?;
        let mut errors = Vec::new();
        for drive in allocated.iter().filter(|d| present.contains(&d.virtual_uuid)) {
            let params = RemoveVirtualDriveParams { virtual_uuid: drive.virtual_uuid.clone() };
            tracing::info!(virtual_uuid = %drive.virtual_uuid, proxy = %proxy.name_any(), "removing virtual drive from the SSD proxy");
            if let Err(err) =
                agent.jsonrpc(&proxy_uid, methods::SSD_PROXY_REMOVE_VIRTUAL_DRIVE, params).await
            {
                errors.push(format!("virtual drive {}: {err}", drive.virtual_uuid));
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        Err(StepError::failed(
            "RemoveVirtualDrivesFailed",
            format!("errors while removing virtual drives: {}", errors.join("; ")),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_hugepages_grow_with_shared_capacity() {
        assert_eq!(proxy_hugepages_mib(0, 0), 378);
        assert_eq!(proxy_hugepages_mib(4, 8), 378 + 128);
    }
}
