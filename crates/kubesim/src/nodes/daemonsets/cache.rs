//! The controller's picture of the cluster, kept from its watches: DaemonSets, nodes, and the
//! pods DaemonSets control (indexed by the controlling DaemonSet's uid). A re-list replaces a
//! kind wholesale, as kube-rs's watcher delivers it (Init, InitApply..., InitDone), so objects
//! deleted while the watch was down do not linger.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};

/// (namespace, name) of a DaemonSet.
pub type DsKey = (String, String);

pub fn ds_key(ds: &DaemonSet) -> DsKey {
    (
        ds.metadata.namespace.clone().unwrap_or_default(),
        ds.metadata.name.clone().unwrap_or_default(),
    )
}

/// The uid of the DaemonSet controlling `pod`, if one does.
pub fn controller_uid(pod: &Pod) -> Option<&str> {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
        .filter(|r| r.kind == "DaemonSet" && r.api_version.starts_with("apps/"))
        .map(|r| r.uid.as_str())
}

fn pod_name(pod: &Pod) -> (String, String) {
    (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

/// Whether a node changed in what decides placement (labels, taints, name...), not only in
/// its heartbeat-driven status.
fn placement_changed(old: &Node, new: &Node) -> bool {
    old.metadata.labels != new.metadata.labels || old.spec != new.spec
}

/// DaemonSet uid → pod (namespace, name) → pod.
type PodsByOwner = HashMap<String, BTreeMap<(String, String), Arc<Pod>>>;

#[derive(Default)]
pub struct Cache {
    pub daemonsets: BTreeMap<DsKey, Arc<DaemonSet>>,
    /// Shared with the sync in progress (copied on write only while one holds it).
    pub nodes: Arc<BTreeMap<String, Arc<Node>>>,
    pods: PodsByOwner,
    /// Re-lists in progress.
    listing_daemonsets: Option<BTreeMap<DsKey, Arc<DaemonSet>>>,
    listing_nodes: Option<BTreeMap<String, Arc<Node>>>,
    listing_pods: Option<PodsByOwner>,
}

impl Cache {
    pub fn key_of_uid(&self, uid: &str) -> Option<DsKey> {
        self.daemonsets
            .iter()
            .find(|(_, ds)| ds.metadata.uid.as_deref() == Some(uid))
            .map(|(key, _)| key.clone())
    }

    /// The pods the DaemonSet with this uid controls.
    pub fn pods_of(&self, uid: &str) -> Vec<Arc<Pod>> {
        self.pods.get(uid).map(|pods| pods.values().cloned().collect()).unwrap_or_default()
    }

    pub fn set_daemonset(&mut self, ds: DaemonSet) -> DsKey {
        let key = ds_key(&ds);
        self.daemonsets.insert(key.clone(), Arc::new(ds));
        key
    }

    pub fn remove_daemonset(&mut self, ds: &DaemonSet) -> DsKey {
        let key = ds_key(ds);
        self.daemonsets.remove(&key);
        key
    }

    pub fn begin_daemonsets(&mut self) {
        self.listing_daemonsets = Some(BTreeMap::new());
    }

    pub fn listed_daemonset(&mut self, ds: DaemonSet) {
        let listing = self.listing_daemonsets.get_or_insert_with(BTreeMap::new);
        listing.insert(ds_key(&ds), Arc::new(ds));
    }

    pub fn end_daemonsets(&mut self) {
        if let Some(listed) = self.listing_daemonsets.take() {
            self.daemonsets = listed;
        }
    }

    /// Records a node; true if its placement-relevant parts are new or changed.
    pub fn set_node(&mut self, node: Node) -> bool {
        let name = node.metadata.name.clone().unwrap_or_default();
        let changed = self.nodes.get(&name).is_none_or(|old| placement_changed(old, &node));
        Arc::make_mut(&mut self.nodes).insert(name, Arc::new(node));
        changed
    }

    pub fn remove_node(&mut self, name: &str) {
        Arc::make_mut(&mut self.nodes).remove(name);
    }

    pub fn begin_nodes(&mut self) {
        self.listing_nodes = Some(BTreeMap::new());
    }

    pub fn listed_node(&mut self, node: Node) {
        let listing = self.listing_nodes.get_or_insert_with(BTreeMap::new);
        listing.insert(node.metadata.name.clone().unwrap_or_default(), Arc::new(node));
    }

    pub fn end_nodes(&mut self) {
        if let Some(listed) = self.listing_nodes.take() {
            self.nodes = Arc::new(listed);
        }
    }

    /// Records a pod if a DaemonSet controls it; returns that DaemonSet's uid.
    pub fn set_pod(&mut self, pod: Pod) -> Option<String> {
        let uid = controller_uid(&pod)?.to_string();
        self.pods.entry(uid.clone()).or_default().insert(pod_name(&pod), Arc::new(pod));
        Some(uid)
    }

    /// Forgets a pod; returns the uid of the DaemonSet that controlled it.
    pub fn remove_pod(&mut self, pod: &Pod) -> Option<String> {
        let uid = controller_uid(pod)?.to_string();
        if let Some(pods) = self.pods.get_mut(&uid) {
            pods.remove(&pod_name(pod));
            if pods.is_empty() {
                self.pods.remove(&uid);
            }
        }
        Some(uid)
    }

    pub fn begin_pods(&mut self) {
        self.listing_pods = Some(HashMap::new());
    }

    pub fn listed_pod(&mut self, pod: Pod) -> Option<String> {
        let uid = controller_uid(&pod)?.to_string();
        let listing = self.listing_pods.get_or_insert_with(HashMap::new);
        listing.entry(uid.clone()).or_default().insert(pod_name(&pod), Arc::new(pod));
        Some(uid)
    }

    pub fn end_pods(&mut self) {
        if let Some(listed) = self.listing_pods.take() {
            self.pods = listed;
        }
    }
}
