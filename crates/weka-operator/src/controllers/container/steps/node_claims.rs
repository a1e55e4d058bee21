//! Claims on a node's ports and drives, written with the allocator's protocol
//! (`crate::allocator`): read the Node and the WekaContainers fresh from the API, heal the
//! claims, let the caller decide and record, then update the Node's claim annotations with a
//! patch carrying the resourceVersion that was read. A 409 means another container (maybe
//! of another operator) allocated meanwhile: read again and decide again. Nothing is
//! serialised in this process; the API server is the only arbiter.

use k8s_openapi::api::core::v1::Node;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, ResourceExt};
use serde_json::json;
use weka_api::WekaContainer;

use crate::allocator::{AllocationError, NodeClaims, NodeDrives, NodeSnapshot, PortLayout};
use crate::controllers::container::object::ContainerObject;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::StepError;

/// How many times a claim update is retried after losing a race before the step fails.
const ATTEMPTS: usize = 8;

/// Why claims could not be written.
#[derive(Debug)]
pub enum ClaimsError {
    /// The allocator refused (not enough drives, no free ports...).
    Allocation(AllocationError),
    /// Reading or writing the API failed.
    Step(StepError),
}

impl From<StepError> for ClaimsError {
    fn from(err: StepError) -> Self {
        ClaimsError::Step(err)
    }
}

impl From<AllocationError> for ClaimsError {
    fn from(err: AllocationError) -> Self {
        ClaimsError::Allocation(err)
    }
}

/// What `decide` sees: the node's drives, its claims as read (before healing, so an owner's
/// claims from an interrupted earlier attempt are visible) and the WekaContainers.
pub struct NodeView<'a> {
    pub raw_claims: &'a NodeClaims,
    pub snapshot: NodeSnapshot<'a>,
}

/// Reads the node, heals its claims, lets `decide` change them (and compute a result from
/// the view), and writes them back if they changed; retried from the start on a conflict.
pub async fn update_claims<T>(
    s: &ContainerState,
    node_name: &str,
    layout: PortLayout,
    mut decide: impl FnMut(&NodeView<'_>, &mut NodeClaims) -> Result<T, AllocationError>,
) -> Result<T, ClaimsError> {
    let nodes: Api<Node> = Api::all(s.ctx.client.clone());
    for attempt in 1..=ATTEMPTS {
        let node = nodes
            .get(node_name)
            .await
            .map_err(|e| api_error("NodeReadFailed", "read the node", e))?;
        // Listed after the node was read: a container whose claims are on that node version
        // existed before, so it is in this list and its claims are not taken for garbage.
        let (containers, complete) = list_containers(s).await?;
        let annotations = node.annotations();
        let raw_claims = NodeClaims::decode(annotations)?;
        let drives = NodeDrives::from_annotations(annotations)?;
        let mut claims = heal(s, node_name, &raw_claims, &containers, complete, layout);
        let view = NodeView {
            raw_claims: &raw_claims,
            snapshot: NodeSnapshot {
                node_name,
                drives,
                claims: claims.clone(),
                containers: &containers,
            },
        };
        let result = decide(&view, &mut claims)?;
        if claims == raw_claims {
            return Ok(result);
        }
        match write(&nodes, &node, &claims).await {
            Ok(()) => return Ok(result),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                tracing::debug!(
                    node = node_name,
                    attempt,
                    "node claims changed meanwhile, reading again"
                );
            }
            Err(err) => {
                return Err(
                    api_error("NodeClaimsWriteFailed", "write the node's claims", err).into()
                );
            }
        }
    }
    Err(StepError::poll(
        "NodeClaimsContended",
        format!("the claims of node {node_name} kept changing during {ATTEMPTS} attempts"),
        std::time::Duration::from_secs(1),
    )
    .into())
}

/// The claims healed against the containers; claims of containers outside the watched
/// namespace are never taken for garbage (this operator cannot see them), nor is anything
/// when some container could not be decoded.
fn heal(
    s: &ContainerState,
    node_name: &str,
    claims: &NodeClaims,
    containers: &[WekaContainer],
    complete: bool,
    layout: PortLayout,
) -> NodeClaims {
    let mut healed = claims.healed(node_name, containers, layout);
    let scope = s.ctx.config.scope.namespace();
    let visible = |namespace: &str| complete && scope.is_none_or(|ns| ns == namespace);
    for (serial, owner) in &claims.drives {
        if !visible(&owner.namespace) {
            healed.drives.entry(serial.clone()).or_insert_with(|| owner.clone());
        }
    }
    for (block, owner) in &claims.ports {
        if !visible(&owner.namespace) && !healed.ports.keys().any(|b| b.overlaps(*block)) {
            healed.ports.insert(*block, owner.clone());
        }
    }
    for (uuid, claim) in &claims.virtual_drives {
        if !visible(&claim.owner.namespace) {
            healed.virtual_drives.entry(uuid.clone()).or_insert_with(|| claim.clone());
        }
    }
    healed
}

/// Every WekaContainer the operator watches, read from the API; `false` when some could not
/// be decoded (their claims must then be left alone).
async fn list_containers(s: &ContainerState) -> Result<(Vec<WekaContainer>, bool), StepError> {
    let api: Api<ContainerObject> = match s.ctx.config.scope.namespace() {
        Some(ns) => Api::namespaced(s.ctx.client.clone(), ns),
        None => Api::all(s.ctx.client.clone()),
    };
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| api_error("ContainersListFailed", "list the WekaContainers", e))?;
    let total = list.items.len();
    let decoded: Vec<WekaContainer> = list.items.iter().filter_map(|o| o.decode().ok()).collect();
    let complete = decoded.len() == total;
    Ok((decoded, complete))
}

async fn write(nodes: &Api<Node>, node: &Node, claims: &NodeClaims) -> Result<(), kube::Error> {
    let body = json!({
        "metadata": {
            "resourceVersion": node.resource_version(),
            "annotations": claims.encode(),
        }
    });
    nodes.patch(&node.name_any(), &PatchParams::default(), &Patch::Merge(&body)).await.map(drop)
}
