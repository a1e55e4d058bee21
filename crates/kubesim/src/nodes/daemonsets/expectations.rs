//! The pods a DaemonSet's last sync created or deleted and the controller has not seen come or
//! go yet in its watch (upstream's ControllerExpectations, by pod name rather than by count).
//! Until they are seen, that DaemonSet's pods are not managed again, so a watch lagging behind
//! the controller's own writes never makes it create a second pod for a node.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::Pod;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Created: satisfied once the pod shows up.
    Create,
    /// Deleted: satisfied once the pod is terminating or gone.
    Delete,
}

#[derive(Debug, Default)]
pub struct Expectations {
    /// DaemonSet uid → pod name → what is awaited.
    pending: HashMap<String, BTreeMap<String, Expect>>,
}

impl Expectations {
    pub fn expect(&mut self, ds_uid: &str, pod: &str, what: Expect) {
        self.pending.entry(ds_uid.to_string()).or_default().insert(pod.to_string(), what);
    }

    /// A watch event about a pod of the DaemonSet `ds_uid`; `gone` for a deletion.
    pub fn observe(&mut self, ds_uid: &str, pod: &Pod, gone: bool) {
        let Some(awaited) = self.pending.get_mut(ds_uid) else {
            return;
        };
        let name = pod.metadata.name.as_deref().unwrap_or("");
        let seen = match awaited.get(name) {
            Some(Expect::Create) => true,
            Some(Expect::Delete) => gone || pod.metadata.deletion_timestamp.is_some(),
            None => false,
        };
        if seen {
            awaited.remove(name);
            if awaited.is_empty() {
                self.pending.remove(ds_uid);
            }
        }
    }

    pub fn satisfied(&self, ds_uid: &str) -> bool {
        !self.pending.contains_key(ds_uid)
    }

    pub fn forget(&mut self, ds_uid: &str) {
        self.pending.remove(ds_uid);
    }

    /// After the pod watch re-listed: the cache is complete again, nothing is awaited.
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}
