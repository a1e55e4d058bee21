//! Node registration and heartbeats: the Node object, its Lease in `kube-node-lease` renewed
//! every 10 s, and the node's conditions refreshed now and then (and right after a partition
//! ends, so the node lifecycle controller sees it Ready again).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use super::Kubelet;
use crate::nodes::node_spec::node_conditions;

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
pub const RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// Heartbeats between two refreshes of the node's conditions.
const STATUS_EVERY: u32 = 6;

/// MicroTime as leases carry it.
pub fn micro_time(t: k8s_openapi::jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string()
}

/// Creates the Node object, or refreshes its status and labels if it exists.
pub async fn register(kubelet: &Kubelet) -> Result<(), kube::Error> {
    let api: Api<Node> = Api::all(kubelet.client.clone());
    let node = kubelet.config.to_node(Time(kubelet.shared.clock.now()));
    match api.create(&PostParams::default(), &node).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let pp = PatchParams::default();
            let labels = json!({"metadata": {"labels": node.metadata.labels}});
            api.patch(&kubelet.name, &pp, &Patch::Merge(labels)).await?;
            let status = json!({"status": node.status});
            api.patch_status(&kubelet.name, &pp, &Patch::Merge(status)).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn renew_lease(kubelet: &Kubelet) -> Result<(), kube::Error> {
    let api: Api<Lease> = Api::namespaced(kubelet.client.clone(), LEASE_NAMESPACE);
    let now = micro_time(kubelet.shared.clock.now());
    let patch = json!({"spec": {"renewTime": now, "holderIdentity": kubelet.name}});
    match api.patch(&kubelet.name, &PatchParams::default(), &Patch::Merge(patch)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => {
            let nodes: Api<Node> = Api::all(kubelet.client.clone());
            let uid = nodes.get(&kubelet.name).await.ok().and_then(|n| n.metadata.uid);
            let lease = json!({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": kubelet.name, "namespace": LEASE_NAMESPACE,
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Node",
                                                  "name": kubelet.name, "uid": uid.unwrap_or_default()}]},
                "spec": {"holderIdentity": kubelet.name, "leaseDurationSeconds": 40,
                         "renewTime": now},
            });
            let lease: Lease = serde_json::from_value(lease).map_err(kube::Error::SerdeError)?;
            api.create(&PostParams::default(), &lease).await.map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// Posts Ready (and the pressure conditions) if the node does not show them.
async fn post_ready(kubelet: &Kubelet) -> Result<(), kube::Error> {
    let api: Api<Node> = Api::all(kubelet.client.clone());
    let node = api.get(&kubelet.name).await?;
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True");
    if ready {
        return Ok(());
    }
    let conditions = node_conditions(true, &Time(kubelet.shared.clock.now()));
    let patch = json!({"status": {"conditions": conditions}});
    api.patch_status(&kubelet.name, &PatchParams::default(), &Patch::Merge(patch)).await.map(|_| ())
}

/// The heartbeat loop; runs until the kubelet stops.
pub async fn run(kubelet: std::sync::Arc<Kubelet>) {
    let mut partitioned = kubelet.partitioned.subscribe();
    let mut beats: u32 = 0;
    let mut was_partitioned = false;
    loop {
        let cut_off = *partitioned.borrow_and_update();
        if !cut_off {
            if let Err(error) = renew_lease(&kubelet).await {
                tracing::debug!(node = %kubelet.name, %error, "lease renewal failed");
            }
            if (was_partitioned || beats.is_multiple_of(STATUS_EVERY))
                && let Err(error) = post_ready(&kubelet).await
            {
                tracing::debug!(node = %kubelet.name, %error, "node status update failed");
            }
            beats = beats.wrapping_add(1);
        }
        was_partitioned = cut_off;
        tokio::select! {
            _ = kubelet.shared.clock.sleep(RENEW_INTERVAL) => {}
            changed = partitioned.changed() => if changed.is_err() { return },
        }
    }
}
