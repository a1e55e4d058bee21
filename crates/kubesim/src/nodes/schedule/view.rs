//! The scheduler's picture of the cluster: nodes with what the pods bound to them request, kept
//! up to date from watch events. A plain data structure, so placement is tested without a
//! server.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use super::requests::{HostPort, Resources, allocatable, host_ports, pod_requests};
use crate::nodes::selectors::Labels;

/// (namespace, name) of a pod.
pub type PodKey = (String, String);

pub fn pod_key(pod: &Pod) -> PodKey {
    (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

/// A pod bound to a node, with what it takes from the node.
#[derive(Debug, Clone)]
pub struct BoundPod {
    pub pod: Arc<Pod>,
    pub requests: Resources,
    pub nonzero: Resources,
    pub ports: Vec<HostPort>,
}

#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    /// None while pods name a node the view has not seen (yet).
    pub node: Option<Arc<Node>>,
    pub allocatable: Resources,
    pub requested: Resources,
    pub nonzero_requested: Resources,
    pub pods: BTreeMap<PodKey, BoundPod>,
}

impl NodeInfo {
    pub fn name(&self) -> &str {
        self.node.as_ref().and_then(|n| n.metadata.name.as_deref()).unwrap_or("")
    }

    pub fn labels(&self) -> &Labels {
        static EMPTY: Labels = Labels::new();
        self.node.as_ref().and_then(|n| n.metadata.labels.as_ref()).unwrap_or(&EMPTY)
    }

    fn add(&mut self, bound: BoundPod) {
        for (k, v) in &bound.requests {
            *self.requested.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &bound.nonzero {
            *self.nonzero_requested.entry(k.clone()).or_default() += v;
        }
        self.pods.insert(pod_key(&bound.pod), bound);
    }

    fn remove(&mut self, key: &PodKey) -> Option<BoundPod> {
        let bound = self.pods.remove(key)?;
        for (k, v) in &bound.requests {
            *self.requested.entry(k.clone()).or_default() -= v;
        }
        for (k, v) in &bound.nonzero {
            *self.nonzero_requested.entry(k.clone()).or_default() -= v;
        }
        Some(bound)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    pub nodes: BTreeMap<String, NodeInfo>,
    pod_node: HashMap<PodKey, String>,
    namespaces: HashMap<String, Labels>,
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"))
}

impl ClusterView {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_node(&mut self, node: Arc<Node>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let info = self.nodes.entry(name).or_default();
        info.allocatable = allocatable(&node);
        info.node = Some(node);
    }

    pub fn remove_node(&mut self, name: &str) {
        if let Some(info) = self.nodes.get_mut(name) {
            info.node = None;
            if info.pods.is_empty() {
                self.nodes.remove(name);
            }
        }
    }

    /// Records a pod as it is now: bound and running pods count on their node; pending and
    /// finished ones count nowhere.
    pub fn set_pod(&mut self, pod: Arc<Pod>) {
        let key = pod_key(&pod);
        self.remove_pod(&key);
        let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let Some(node_name) = node_name.filter(|n| !n.is_empty()) else {
            return;
        };
        if is_terminal(&pod) {
            return;
        }
        let spec = pod.spec.clone().unwrap_or_default();
        let bound = BoundPod {
            requests: pod_requests(&spec, false),
            nonzero: pod_requests(&spec, true)
                .into_iter()
                .filter(|(k, _)| k == "cpu" || k == "memory")
                .collect(),
            ports: host_ports(&spec),
            pod,
        };
        self.nodes.entry(node_name.clone()).or_default().add(bound);
        self.pod_node.insert(key, node_name);
    }

    pub fn remove_pod(&mut self, key: &PodKey) {
        if let Some(node) = self.pod_node.remove(key)
            && let Some(info) = self.nodes.get_mut(&node)
        {
            info.remove(key);
            if info.node.is_none() && info.pods.is_empty() {
                self.nodes.remove(&node);
            }
        }
    }

    pub fn set_namespace(&mut self, name: &str, labels: Labels) {
        self.namespaces.insert(name.to_string(), labels);
    }

    /// A namespace's labels; an unknown namespace has the label every namespace gets.
    pub fn namespace_labels(&self, name: &str) -> Labels {
        self.namespaces.get(name).cloned().unwrap_or_else(|| {
            Labels::from([("kubernetes.io/metadata.name".to_string(), name.to_string())])
        })
    }

    /// Nodes that exist, in name order.
    pub fn existing_nodes(&self) -> impl Iterator<Item = &NodeInfo> {
        self.nodes.values().filter(|n| n.node.is_some())
    }

    /// Every bound pod with the labels of its node.
    pub fn bound_pods(&self) -> impl Iterator<Item = (&BoundPod, &NodeInfo)> {
        self.existing_nodes().flat_map(|info| info.pods.values().map(move |p| (p, info)))
    }

    pub fn node_of(&self, key: &PodKey) -> Option<&str> {
        self.pod_node.get(key).map(String::as_str)
    }
}
