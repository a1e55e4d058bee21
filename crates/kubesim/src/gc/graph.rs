//! The garbage collector's index: which objects name which owners. Fed from the change
//! feed, rebuilt from a full scan on start or when the feed was missed; answers "who are the
//! dependents of this uid". Owners themselves are looked up in the store when needed, so the
//! index holds only objects that have ownerReferences.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::store::ObjectKey;
use crate::store::object;

/// One entry of `metadata.ownerReferences`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    /// `blockOwnerDeletion`: a foreground deletion of the owner waits for this dependent.
    pub block: bool,
}

pub fn owner_refs(obj: &Value) -> Vec<OwnerRef> {
    let Some(list) =
        object::metadata(obj).and_then(|m| m.get("ownerReferences")).and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let text =
        |r: &Value, field: &str| r.get(field).and_then(Value::as_str).unwrap_or("").to_string();
    list.iter()
        .map(|r| OwnerRef {
            api_version: text(r, "apiVersion"),
            kind: text(r, "kind"),
            name: text(r, "name"),
            uid: text(r, "uid"),
            block: r.get("blockOwnerDeletion").and_then(Value::as_bool).unwrap_or(false),
        })
        .filter(|r| !r.uid.is_empty())
        .collect()
}

/// Where an object is: its resource type (storage key), key and uid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Located {
    pub resource: Arc<str>,
    pub key: ObjectKey,
    pub uid: String,
}

impl Located {
    pub fn of(resource: &Arc<str>, obj: &Value) -> Option<Located> {
        Some(Located {
            resource: resource.clone(),
            key: ObjectKey::of(obj),
            uid: object::uid(obj)?.to_string(),
        })
    }
}

#[derive(Default)]
pub struct Graph {
    /// Owner uid → the objects that name it.
    dependents: HashMap<String, BTreeSet<Located>>,
    /// Dependent uid → where it is and whom it names.
    owners: HashMap<String, (Located, Vec<OwnerRef>)>,
}

impl Graph {
    /// Records an object's current owners; returns the owners it named before.
    pub fn observe(&mut self, at: &Located, refs: Vec<OwnerRef>) -> Vec<OwnerRef> {
        let previous = self.forget(&at.uid);
        if !refs.is_empty() {
            for r in &refs {
                self.dependents.entry(r.uid.clone()).or_default().insert(at.clone());
            }
            self.owners.insert(at.uid.clone(), (at.clone(), refs));
        }
        previous
    }

    /// Drops an object (deleted); returns the owners it named.
    pub fn forget(&mut self, uid: &str) -> Vec<OwnerRef> {
        let Some((at, refs)) = self.owners.remove(uid) else {
            return Vec::new();
        };
        for r in &refs {
            if let Some(set) = self.dependents.get_mut(&r.uid) {
                set.remove(&at);
                if set.is_empty() {
                    self.dependents.remove(&r.uid);
                }
            }
        }
        refs
    }

    pub fn dependents_of(&self, owner_uid: &str) -> Vec<Located> {
        self.dependents.get(owner_uid).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    pub fn has_dependents(&self, owner_uid: &str) -> bool {
        self.dependents.contains_key(owner_uid)
    }

    pub fn clear(&mut self) {
        self.dependents.clear();
        self.owners.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(name: &str, uid: &str) -> Located {
        Located {
            resource: Arc::from("pods"),
            key: ObjectKey::new("default", name),
            uid: uid.into(),
        }
    }

    fn owner(uid: &str, block: bool) -> OwnerRef {
        OwnerRef {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: format!("rs-{uid}"),
            uid: uid.into(),
            block,
        }
    }

    #[test]
    fn owner_references_are_read_with_their_blocking_flag() {
        let obj = json!({"metadata": {"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1",
             "controller": true, "blockOwnerDeletion": true},
            {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u2"},
            {"apiVersion": "v1", "kind": "Broken", "name": "no-uid"}]}});
        let refs = owner_refs(&obj);
        assert_eq!(refs.len(), 2);
        assert!(refs[0].block);
        assert_eq!((refs[1].kind.as_str(), refs[1].block), ("Node", false));
    }

    #[test]
    fn dependents_follow_changes_of_owner_references() {
        let mut graph = Graph::default();
        let a = at("a", "ua");
        let b = at("b", "ub");
        graph.observe(&a, vec![owner("o1", true)]);
        graph.observe(&b, vec![owner("o1", false), owner("o2", false)]);
        assert_eq!(graph.dependents_of("o1"), vec![a.clone(), b.clone()]);
        assert_eq!(graph.dependents_of("o2"), vec![b.clone()]);

        let before = graph.observe(&b, vec![owner("o2", false)]);
        assert_eq!(before.len(), 2);
        assert_eq!(graph.dependents_of("o1"), vec![a.clone()]);

        assert_eq!(graph.forget("ua"), vec![owner("o1", true)]);
        assert!(!graph.has_dependents("o1"));
        graph.observe(&b, Vec::new());
        assert!(!graph.has_dependents("o2"));
        assert!(graph.forget("ub").is_empty());
    }
}
