//! Claims on a node's ports and drives, written with the allocator's protocol
//! (`crate::allocator`): read the Node fresh from the API and the WekaContainers from the
//! cache (fresh from the API when the claims need healing), heal the claims, let the caller
//! decide and record, then update the Node's claim annotations with a patch carrying the
//! resourceVersion that was read. A 409 means another container (maybe
//! of another operator) allocated meanwhile: read again and decide again. Nothing is
//! serialised in this process; the API server is the only arbiter.

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::api::{ListParams, Patch, PatchParams};
use kube::core::Request;
use kube::{Api, Resource, ResourceExt};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
        let annotations = node.annotations();
        let raw_claims = NodeClaims::decode(annotations)?;
        let drives = NodeDrives::from_annotations(annotations)?;
        // The cache first: when it shows the claims whole and nothing stale, they are taken
        // as they are, and decisions rest on them (every allocation is claimed on the node
        // before any status records it, so a cache behind by a moment only hides statuses
        // the claims already cover). Anything to heal is decided on a fresh list, read after
        // the node: a container whose claims are on that node version existed before, so it
        // is in the list and its claims are not taken for garbage.
        let (cached, cached_complete) = cached_containers(s, node_name);
        let (containers, mut claims) =
            match heal(s, node_name, &raw_claims, &cached, cached_complete, layout) {
                healed if healed == raw_claims && cached_complete => (cached, healed),
                _ => {
                    let (listed, complete) = list_containers(s, node_name).await?;
                    let healed = heal(s, node_name, &raw_claims, &listed, complete, layout);
                    (listed, healed)
                }
            };
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

/// The WekaContainers of the shared cache that may be on `node_name`, decoded; `false` when
/// one of them does not decode.
fn cached_containers(s: &ContainerState, node_name: &str) -> (Vec<WekaContainer>, bool) {
    let store = s.ctx.reflectors.get::<ContainerObject>().store();
    let on_node: Vec<_> = store.state().into_iter().filter(|o| o.may_be_on(node_name)).collect();
    let decoded: Vec<WekaContainer> = on_node.iter().filter_map(|o| o.decode().ok()).collect();
    let complete = decoded.len() == on_node.len();
    (decoded, complete)
}

/// WekaContainers read per list request. A page is parsed one object at a time and only the
/// containers that may be on the node are kept, so what a read holds at once is one page of
/// text and the node's own containers, however many containers there are (every allocation
/// reads them all, and the container controller runs several at a time).
const LIST_PAGE: u32 = 200;
/// A paged list whose continue token expired (HTTP 410) starts over, this many times.
const LIST_RESTARTS: usize = 3;

/// The WekaContainers on `node_name` (every one the operator watches, read from the API, one
/// consistent snapshot in pages); `false` when one that may be on the node could not be
/// decoded (the node's claims must then be left alone).
async fn list_containers(
    s: &ContainerState,
    node_name: &str,
) -> Result<(Vec<WekaContainer>, bool), StepError> {
    let url = ContainerObject::url_path(&(), s.ctx.config.scope.namespace());
    let failed = |e| api_error("ContainersListFailed", "list the WekaContainers", e);
    let (mut kept, mut token, mut restarts) = (Vec::new(), None::<String>, 0);
    loop {
        let mut params = ListParams::default().limit(LIST_PAGE);
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let request =
            Request::new(&url).list(&params).map_err(|e| failed(kube::Error::BuildRequest(e)))?;
        let text = match s.ctx.client.request_text(request).await {
            Ok(text) => text,
            Err(kube::Error::Api(status))
                if status.code == 410 && token.is_some() && restarts < LIST_RESTARTS =>
            {
                (kept, token, restarts) = (Vec::new(), None, restarts + 1);
                continue;
            }
            Err(err) => return Err(failed(err)),
        };
        token = PageSeed { node: node_name, kept: &mut kept }
            .deserialize(&mut serde_json::Deserializer::from_str(&text))
            .map_err(|e| failed(kube::Error::SerdeError(e)))?
            .filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    let total = kept.len();
    let decoded: Vec<WekaContainer> = kept.iter().filter_map(|o| o.decode().ok()).collect();
    let complete = decoded.len() == total;
    Ok((decoded, complete))
}

/// A list response, read item by item: the containers that may be on `node` are pushed to
/// `kept`, the others dropped at once; the result is the continue token.
struct PageSeed<'a> {
    node: &'a str,
    kept: &'a mut Vec<ContainerObject>,
}

impl<'de> DeserializeSeed<'de> for PageSeed<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a WekaContainerList")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut token = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "items" => map.next_value_seed(ItemsSeed { node: self.node, kept: self.kept })?,
                "metadata" => token = map.next_value::<ListMeta>()?.continue_,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(token)
    }
}

struct ItemsSeed<'a> {
    node: &'a str,
    kept: &'a mut Vec<ContainerObject>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of WekaContainers")
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(object) = seq.next_element::<ContainerObject>()? {
            if object.may_be_on(self.node) {
                self.kept.push(object);
            }
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(name: &str, node: serde_json::Value) -> serde_json::Value {
        json!({
            "metadata": {"name": name, "namespace": "ns",
                "managedFields": [{"manager": "weka-operator", "operation": "Update"}]},
            "spec": {"name": name, "mode": "drive", "image": "i", "numCores": 1},
            "status": {"nodeAffinity": node},
        })
    }

    fn read(page: serde_json::Value, node: &str) -> (Vec<String>, Option<String>) {
        let mut kept = Vec::new();
        let text = page.to_string();
        let token = PageSeed { node, kept: &mut kept }
            .deserialize(&mut serde_json::Deserializer::from_str(&text))
            .expect("a list");
        (kept.iter().map(ResourceExt::name_any).collect(), token)
    }

    #[test]
    fn a_page_keeps_the_containers_of_the_node_and_its_continue_token() {
        let page = json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaContainerList",
            "metadata": {"resourceVersion": "42", "continue": "next"},
            "items": [
                item("a", json!("n1")),
                item("b", json!("n2")),
                item("c", json!(null)),
                item("d", json!(["not", "a", "node"])),
                item("e", json!("n1")),
            ],
        });
        let (kept, token) = read(page, "n1");
        assert_eq!(kept, ["a", "d", "e"], "on the node, or only decoding can tell");
        assert_eq!(token.as_deref(), Some("next"));
    }

    #[test]
    fn the_last_page_has_no_token_and_items_may_come_first_or_be_null() {
        let page = json!({"items": [item("a", json!("n1"))], "metadata": {"resourceVersion": "1"}});
        assert_eq!(read(page, "n1"), (vec!["a".to_string()], None));
        let empty = json!({"metadata": {}, "items": null});
        assert_eq!(read(empty, "n1"), (Vec::new(), None));
    }
}
