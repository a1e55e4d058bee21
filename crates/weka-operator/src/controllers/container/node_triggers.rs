//! Which WekaContainers a node event wakes. Heartbeats alone wake none: only a change in what
//! the flows read about the node (existence, readiness, cordon, taints, labels, the discovery
//! record) does, and then the containers bound to the node. A discovery record that turns
//! current also wakes the containers not placed yet: their first pod waits on the discovery
//! of the node `pickMatchingNode` stands in with, which is not theirs to be woken by.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use weka_api::constants::annotations::DISCOVERY_JSON;

use super::node_info::discovery_is_current;
use super::object::ContainerObject;
use super::state::node_is_ready;

/// What was last seen of a node.
#[derive(Clone, Copy, PartialEq)]
struct Seen {
    fingerprint: u64,
    discovered: bool,
}

pub struct NodeTriggers {
    nodes: Store<Node>,
    containers: Store<ContainerObject>,
    seen: Mutex<HashMap<String, Seen>>,
}

impl NodeTriggers {
    pub fn new(nodes: Store<Node>, containers: Store<ContainerObject>) -> Self {
        NodeTriggers { nodes, containers, seen: Mutex::default() }
    }

    /// The containers to reconcile after an event about `node`.
    pub fn containers_to_wake(&self, node: &Node) -> Vec<ObjectRef<ContainerObject>> {
        let name = node.name_any();
        let exists = self.nodes.get(&ObjectRef::new(&name)).is_some();
        let now =
            Seen { fingerprint: fingerprint(node, exists), discovered: discovery_is_current(node) };
        let before = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            let before = seen.get(&name).copied();
            if before == Some(now) {
                return Vec::new();
            }
            match exists {
                true => seen.insert(name.clone(), now),
                false => seen.remove(&name),
            };
            before
        };
        let newly_discovered = now.discovered && before.is_none_or(|b| !b.discovered);
        self.containers
            .state()
            .iter()
            .filter(|c| match c.node_affinity() {
                Some(bound) => bound == name,
                None => newly_discovered,
            })
            .map(|c| ObjectRef::from_obj(c.as_ref()))
            .collect()
    }
}

fn fingerprint(node: &Node, exists: bool) -> u64 {
    let mut hasher = DefaultHasher::new();
    exists.hash(&mut hasher);
    node_is_ready(node).hash(&mut hasher);
    let spec = node.spec.clone().unwrap_or_default();
    spec.unschedulable.hash(&mut hasher);
    serde_json::to_string(&spec.taints).unwrap_or_default().hash(&mut hasher);
    node.metadata.labels.hash(&mut hasher);
    node.annotations().get(DISCOVERY_JSON).hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::{NodeStatus, NodeSystemInfo};
    use kube::api::ObjectMeta;
    use kube::runtime::reflector;
    use kube::runtime::watcher::Event;
    use serde_json::json;

    use super::*;
    use crate::controllers::container::node_info::DISCOVERY_SCHEMA;

    fn node(labels: &[(&str, &str)], discovered: bool) -> Node {
        let record = json!({"schema": DISCOVERY_SCHEMA, "boot_id": "boot-1"}).to_string();
        let annotations =
            discovered.then(|| BTreeMap::from([(DISCOVERY_JSON.to_string(), record)]));
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Node {
            metadata: ObjectMeta {
                name: Some("node-1".into()),
                labels: Some(labels),
                annotations,
                ..Default::default()
            },
            status: Some(NodeStatus {
                node_info: Some(NodeSystemInfo { boot_id: "boot-1".into(), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn container(name: &str, node: Option<&str>) -> ContainerObject {
        let meta = ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            ..Default::default()
        };
        ContainerObject::new(meta, json!({"nodeAffinity": node}), None)
    }

    fn triggers(node_now: &Node) -> NodeTriggers {
        let (nodes, mut node_writer) = reflector::store::<Node>();
        node_writer.apply_watcher_event(&Event::Apply(node_now.clone()));
        let (containers, mut writer) = reflector::store::<ContainerObject>();
        for c in [
            container("pinned-here", Some("node-1")),
            container("pinned-elsewhere", Some("node-2")),
            container("unplaced", None),
        ] {
            writer.apply_watcher_event(&Event::Apply(c));
        }
        NodeTriggers::new(nodes, containers)
    }

    fn woken(triggers: &NodeTriggers, node: &Node) -> Vec<String> {
        let mut names: Vec<String> =
            triggers.containers_to_wake(node).into_iter().map(|r| r.name).collect();
        names.sort();
        names
    }

    #[test]
    fn a_repeated_node_wakes_nobody_and_a_changed_one_its_containers() {
        let plain = node(&[("a", "1")], false);
        let t = triggers(&plain);
        assert_eq!(woken(&t, &plain), ["pinned-here"], "first sight");
        assert!(woken(&t, &plain).is_empty(), "a heartbeat");
        assert_eq!(woken(&t, &node(&[("a", "2")], false)), ["pinned-here"]);
    }

    #[test]
    fn a_discovery_record_turning_current_also_wakes_the_unplaced() {
        let plain = node(&[], false);
        let t = triggers(&plain);
        woken(&t, &plain);
        assert_eq!(woken(&t, &node(&[], true)), ["pinned-here", "unplaced"]);
        assert_eq!(woken(&t, &node(&[("a", "1")], true)), ["pinned-here"], "already discovered");
    }
}
