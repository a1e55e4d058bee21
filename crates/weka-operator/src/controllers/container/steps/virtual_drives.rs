//! Drive sharing: the node's SSD proxy container, shared by every drive container of the
//! node that takes virtual drives (upstream `funcs_proxy.go`).
//!
//! Adding and removing the virtual drives themselves (`AddVirtualDrives`,
//! `RemoveVirtualDrives`) goes through the node agent's JSON-RPC to the proxy, which this
//! operator does not run: those steps stay TODOs in the flows.

use k8s_openapi::api::core::v1::Node;
use kube::{Api, ResourceExt};
use serde::Deserialize;
use serde_json::json;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_hugepages_grow_with_shared_capacity() {
        assert_eq!(proxy_hugepages_mib(0, 0), 378);
        assert_eq!(proxy_hugepages_mib(4, 8), 378 + 128);
    }
}
