//! Releasing node claims (the allocator's `weka.io/{drive,port,virtual-drive}-claims`
//! annotations) of containers that are gone. A WekaCluster's teardown releases every claim of
//! its containers before its finalizer goes, and a finalized WekaContainer releases its own
//! right away. Healing (`allocator::claims_gc`) drops such claims at the next allocation on
//! the node anyway; releasing them leaves nothing behind when no allocation comes.
//!
//! Each node is updated with a merge patch carrying the `resourceVersion` that was read, as
//! allocations write claims: a 409 means the claims changed meanwhile, so they are read again.

use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use crate::allocator::{ClaimOwner, NodeClaims, StaleClaims};

/// Picks the owners whose claims go.
pub type Released<'a> = dyn Fn(&ClaimOwner) -> bool + Sync + 'a;

/// How many times one node's update is retried after losing a race.
const ATTEMPTS: usize = 8;

/// Why claims could not be released.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("cannot list the nodes: {0}")]
    ListNodes(#[source] kube::Error),
    #[error("cannot read node {node}: {source}")]
    ReadNode { node: String, source: kube::Error },
    #[error("cannot write the claims of node {node}: {source}")]
    WriteNode { node: String, source: kube::Error },
    #[error("the claims of node {node} kept changing during {ATTEMPTS} attempts")]
    Contended { node: String },
}

/// The claims on `claims` whose owner `released` picks.
fn held(claims: &NodeClaims, released: &Released<'_>) -> StaleClaims {
    StaleClaims {
        drives: claims.drives.iter().filter(|(_, o)| released(o)).map(|(s, _)| s.clone()).collect(),
        ports: claims.ports.iter().filter(|(_, o)| released(o)).map(|(b, _)| *b).collect(),
        virtual_drives: claims
            .virtual_drives
            .iter()
            .filter(|(_, c)| released(&c.owner))
            .map(|(u, _)| u.clone())
            .collect(),
    }
}

/// Releases, on `node`, the claims whose owner `released` picks; returns how many went. A
/// node that is gone holds nothing; claims that do not decode are left alone (with a warning:
/// the allocator reports them where it meets them).
pub async fn release_on_node(
    client: &Client,
    node_name: &str,
    released: &Released<'_>,
) -> Result<usize, ReleaseError> {
    let nodes: Api<Node> = Api::all(client.clone());
    for attempt in 1..=ATTEMPTS {
        let node = match nodes.get_opt(node_name).await {
            Ok(Some(node)) => node,
            Ok(None) => return Ok(0),
            Err(source) => return Err(ReleaseError::ReadNode { node: node_name.into(), source }),
        };
        match release_from(&nodes, &node, released).await {
            Err(ReleaseError::WriteNode { source: kube::Error::Api(status), .. })
                if status.code == 409 =>
            {
                tracing::debug!(node = node_name, attempt, "node claims changed meanwhile");
            }
            Err(ReleaseError::WriteNode { source: kube::Error::Api(status), .. })
                if status.code == 404 =>
            {
                return Ok(0);
            }
            other => return other,
        }
    }
    Err(ReleaseError::Contended { node: node_name.into() })
}

/// Releases, on every node, the claims whose owner `released` picks; returns how many went.
pub async fn release_everywhere(
    client: &Client,
    released: &Released<'_>,
) -> Result<usize, ReleaseError> {
    let nodes: Api<Node> = Api::all(client.clone());
    let list = nodes.list(&ListParams::default()).await.map_err(ReleaseError::ListNodes)?;
    let mut total = 0;
    for node in &list.items {
        total += match release_from(&nodes, node, released).await {
            Err(ReleaseError::WriteNode { source: kube::Error::Api(status), .. })
                if status.code == 409 =>
            {
                release_on_node(client, &node.name_any(), released).await?
            }
            other => other?,
        };
    }
    Ok(total)
}

/// One attempt on the node as read.
async fn release_from(
    nodes: &Api<Node>,
    node: &Node,
    released: &Released<'_>,
) -> Result<usize, ReleaseError> {
    let name = node.name_any();
    let mut claims = match NodeClaims::decode(node.annotations()) {
        Ok(claims) => claims,
        Err(err) => {
            tracing::warn!(node = %name, error = %err, "node claims do not decode: left alone");
            return Ok(0);
        }
    };
    let stale = held(&claims, released);
    if stale.is_empty() {
        return Ok(0);
    }
    let count = stale.drives.len() + stale.ports.len() + stale.virtual_drives.len();
    claims.remove(&stale);
    let body = json!({
        "metadata": {
            "resourceVersion": node.resource_version(),
            "annotations": claims.encode(),
        }
    });
    nodes
        .patch(&name, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .map_err(|source| ReleaseError::WriteNode { node: name.clone(), source })?;
    tracing::info!(node = %name, released = count, "node claims released");
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocator::{PortBlock, VirtualDriveClaim};

    fn owner(cluster: &str, container: &str) -> ClaimOwner {
        format!("{cluster}:ns:{container}").parse().unwrap()
    }

    #[test]
    fn only_the_picked_owners_claims_are_released() {
        let mut claims = NodeClaims::default();
        claims.drives.insert("SN-1".into(), owner("red", "red-drive-0"));
        claims.drives.insert("SN-2".into(), owner("blue", "blue-drive-0"));
        claims.ports.insert(PortBlock::new(35000, 60), owner("red", "red-drive-0"));
        claims.ports.insert(PortBlock::single(35240), owner("red", "red-compute-0"));
        claims.ports.insert(PortBlock::new(35060, 60), owner("blue", "blue-drive-0"));
        let vd = VirtualDriveClaim {
            owner: owner("red", "red-drive-0"),
            physical_uuid: "p-1".into(),
            capacity_gib: 100,
        };
        claims.virtual_drives.insert("v-1".into(), vd);

        let red = held(&claims, &|o: &ClaimOwner| o.cluster == "red");
        assert_eq!(red.drives, ["SN-1"]);
        assert_eq!(red.ports, [PortBlock::new(35000, 60), PortBlock::single(35240)]);
        assert_eq!(red.virtual_drives, ["v-1"]);

        let one = owner("red", "red-compute-0");
        let compute = held(&claims, &|o: &ClaimOwner| *o == one);
        assert_eq!(compute.ports, [PortBlock::single(35240)]);
        assert!(compute.drives.is_empty() && compute.virtual_drives.is_empty());

        claims.remove(&red);
        assert_eq!(claims.drives.len(), 1);
        assert_eq!(claims.ports.len(), 1);
        assert!(claims.virtual_drives.is_empty());
    }
}
