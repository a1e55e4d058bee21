//! `updateContainersOnNodeSelectorMismatch` (spec `wekacluster.md` §1.1 #6, opt-in through
//! `CLEANUP_BACKENDS_ON_NODE_SELECTOR_MISMATCH`): a container whose node no longer matches its
//! own node selector either takes the cluster's selector (the node still matches that one:
//! the cluster's selector changed) or is set to `deleting` (the node left the selection), at
//! most [`MAX_DELETIONS`] per pass so that a relabelled rack does not take the cluster down.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Patch, PatchParams};
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::wekacontainer::{ContainerMode, ContainerState as DesiredState};

use super::super::state::{ClusterState, api_error};
use crate::engine::StepFuture;

/// Upstream's `MaxContainersDeletedOnSelectorMismatch`.
pub const MAX_DELETIONS: usize = 4;
/// Upstream's `SelectorMismatchCleanupInterval`.
pub const INTERVAL: Duration = Duration::from_secs(120);

/// What to do with a container whose node no longer matches its selector.
#[derive(Debug, PartialEq, Eq)]
pub enum Remedy {
    TakeClusterSelector(String),
    Delete(String),
}

fn matches(selector: Option<&BTreeMap<String, String>>, node: &Node) -> bool {
    selector.into_iter().flatten().all(|(k, v)| node.labels().get(k) == Some(v))
}

fn is_leaving(c: &WekaContainer) -> bool {
    c.metadata.deletion_timestamp.is_some()
        || matches!(c.spec.state, Some(DesiredState::Deleting | DesiredState::Destroying))
}

/// The remedies for `containers`, given the nodes by name and the cluster's selector.
pub fn remedies(
    containers: &[WekaContainer],
    node: impl Fn(&str) -> Option<std::sync::Arc<Node>>,
    cluster_selector: Option<&BTreeMap<String, String>>,
) -> Vec<Remedy> {
    let mut out = Vec::new();
    let mut deletions = 0;
    for c in containers {
        if deletions >= MAX_DELETIONS {
            break;
        }
        if is_leaving(c) || c.spec.mode == ContainerMode::Envoy {
            continue;
        }
        let Some(name) = c.spec.node_affinity.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        // A node that is gone is the container controller's business.
        let Some(node) = node(name) else { continue };
        if matches(c.spec.node_selector.as_ref(), &node) {
            continue;
        }
        if matches(cluster_selector, &node) {
            out.push(Remedy::TakeClusterSelector(c.name_any()));
        } else {
            deletions += 1;
            out.push(Remedy::Delete(c.name_any()));
        }
    }
    out
}

pub fn update_containers_on_node_selector_mismatch(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let nodes = s.ctx.reflectors.get::<Node>().store();
        let selector = s.cluster.spec.node_selector.clone();
        let todo = remedies(&s.containers, |n| nodes.get(&ObjectRef::new(n)), selector.as_ref());
        if todo.is_empty() {
            return Ok(());
        }
        let api = s.container_api();
        for remedy in todo {
            let (name, patch, message) = match &remedy {
                // A JSON merge patch would keep keys the cluster's selector dropped: replace.
                Remedy::TakeClusterSelector(name) => (
                    name,
                    Patch::Json::<()>(
                        serde_json::from_value(json!([
                            {"op": "add", "path": "/spec/nodeSelector", "value": selector.clone().unwrap_or_default()}
                        ]))
                        .expect("a valid JSON patch"),
                    ),
                    "node selector mismatch: the container takes the cluster's node selector",
                ),
                Remedy::Delete(name) => (
                    name,
                    Patch::Json::<()>(
                        serde_json::from_value(json!([
                            {"op": "add", "path": "/spec/state", "value": "deleting"}
                        ]))
                        .expect("a valid JSON patch"),
                    ),
                    "node selector mismatch: the node left the cluster's selection, deleting the container",
                ),
            };
            tracing::info!(container = %name, ?remedy, "node selector mismatch");
            match api.patch(name, &PatchParams::default(), &patch).await {
                Ok(updated) => {
                    let reference = updated.object_ref(&());
                    s.shared
                        .publish(
                            &s.ctx,
                            &reference,
                            EventType::Normal,
                            "NodeSelectorMismatch",
                            message,
                        )
                        .await;
                    s.remember_container(updated);
                }
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => {
                    return Err(api_error(
                        "SelectorMismatchUpdateFailed",
                        "patch a WekaContainer",
                        err,
                    ));
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn node(name: &str, labels: serde_json::Value) -> Arc<Node> {
        Arc::new(
            serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}})).unwrap(),
        )
    }

    fn container(name: &str, mode: &str, node: &str, selector: serde_json::Value) -> WekaContainer {
        serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaContainer",
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"mode": mode, "image": "i", "name": name, "nodeAffinity": node, "numCores": 1,
                     "nodeSelector": selector},
        }))
        .unwrap()
    }

    #[test]
    fn matching_containers_stay_a_new_cluster_selector_is_taken_others_are_deleted() {
        let nodes = [
            node("n1", json!({"pool": "a"})),
            node("n2", json!({"pool": "b"})),
            node("n3", json!({"pool": "c"})),
        ];
        let lookup = |n: &str| nodes.iter().find(|x| x.name_any() == n).cloned();
        let cluster_selector: BTreeMap<String, String> = [("pool".into(), "b".into())].into();
        let containers = [
            container("keeps", "compute", "n1", json!({})),
            container("retargets", "drive", "n2", json!({"pool": "a"})),
            container("goes", "compute", "n3", json!({"pool": "a"})),
            container("envoy", "envoy", "n3", json!({"pool": "a"})),
            container("nowhere", "compute", "gone", json!({"pool": "a"})),
        ];
        assert_eq!(
            remedies(&containers, lookup, Some(&cluster_selector)),
            [Remedy::TakeClusterSelector("retargets".into()), Remedy::Delete("goes".into())]
        );
    }

    #[test]
    fn at_most_four_containers_are_deleted_per_pass() {
        let nodes = [node("n1", json!({"pool": "x"}))];
        let lookup = |n: &str| nodes.iter().find(|x| x.name_any() == n).cloned();
        let containers: Vec<_> = (0..7)
            .map(|i| container(&format!("c{i}"), "compute", "n1", json!({"pool": "a"})))
            .collect();
        let cluster_selector: BTreeMap<String, String> = [("pool".into(), "z".into())].into();
        let todo = remedies(&containers, lookup, Some(&cluster_selector));
        assert_eq!(todo.len(), MAX_DELETIONS);
        assert!(todo.iter().all(|r| matches!(r, Remedy::Delete(_))));
    }

    #[test]
    fn without_a_cluster_selector_every_node_matches_it() {
        let nodes = [node("n1", json!({"pool": "x"}))];
        let lookup = |n: &str| nodes.iter().find(|x| x.name_any() == n).cloned();
        let c = container("c", "compute", "n1", json!({"pool": "a"}));
        assert_eq!(remedies(&[c], lookup, None), [Remedy::TakeClusterSelector("c".into())]);
    }

    #[test]
    fn containers_already_leaving_are_left_alone() {
        let nodes = [node("n1", json!({}))];
        let lookup = |n: &str| nodes.iter().find(|x| x.name_any() == n).cloned();
        let mut c = container("c", "compute", "n1", json!({"pool": "a"}));
        c.spec.state = Some(DesiredState::Deleting);
        assert!(remedies(&[c], lookup, None).is_empty());
    }
}
