//! What the collector does with one object, after upstream's `attemptToDeleteItem`,
//! `processDeletingDependentsItem` and `orphanDependents`:
//!
//! - an owner deleting with `orphan`: drop it from its dependents' ownerReferences, then the
//!   finalizer;
//! - an owner deleting with `foregroundDeletion`: have its dependents deleted; drop the
//!   finalizer once none with `blockOwnerDeletion` is left;
//! - a dependent: classify its owners (solid, gone, deleting in the foreground). With a solid
//!   owner it stays, minus the references to the others; without one it is deleted (in the
//!   foreground when an owner waits for it and it has dependents of its own).
//!
//! Writes are the server's own (the store plus the write hooks) and appear in the request
//! log under the collector's user agent, as a real cluster's audit log shows them.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::graph::{Located, OwnerRef, owner_refs};
use super::{Collector, Step, owner_key};
use crate::errors::Error;
use crate::handlers::{DeleteRequest, delete_object};
use crate::hooks;
use crate::registry::Resource;
use crate::request_log::RequestRecord;
use crate::server::ApiServer;
use crate::store::{FOREGROUND_FINALIZER, ORPHAN_FINALIZER, StoreError, WriteOptions, object};

/// The user agent the collector's writes are logged with.
pub const USER_AGENT: &str =
    "kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/generic-garbage-collector";

/// Attempts to update before giving up for this round.
const CONFLICT_RETRIES: usize = 5;

enum OwnerState {
    /// Exists and is not deleting in the foreground.
    Solid,
    /// No object with this uid where the reference points: gone, or never there.
    Absent,
    /// Deleting in the foreground: waits for its dependents.
    Waiting,
    /// The kind is not served (yet).
    Unresolved,
    /// A namespaced owner of a cluster-scoped dependent.
    Invalid,
}

pub(super) fn attempt(gc: &mut Collector, at: &Located) -> Step {
    let Some(obj) = current(&gc.api, at) else {
        return Step::Done;
    };
    let finalizers = object::finalizers(&obj);
    let has = |name: &str| finalizers.iter().any(|f| f == name);
    if object::deletion_timestamp(&obj).is_some() {
        if has(ORPHAN_FINALIZER) {
            return orphan_dependents(gc, at);
        }
        if has(FOREGROUND_FINALIZER) {
            return delete_dependents(gc, at);
        }
        return Step::Done;
    }
    let refs = owner_refs(&obj);
    if refs.is_empty() {
        return Step::Done;
    }
    let (mut solid, mut dropped, mut waiting) = (false, HashSet::new(), false);
    for r in &refs {
        match owner_state(gc, at, r) {
            OwnerState::Solid => solid = true,
            OwnerState::Absent => {
                dropped.insert(r.uid.clone());
            }
            OwnerState::Waiting => {
                waiting = true;
                dropped.insert(r.uid.clone());
            }
            OwnerState::Unresolved => return Step::Retry,
            OwnerState::Invalid => return Step::Done,
        }
    }
    if solid {
        if dropped.is_empty() {
            return Step::Done;
        }
        // Still owned: only the references to owners that are gone or waiting go.
        return edit(&gc.api, at, |obj| remove_owner_refs(obj, |uid| dropped.contains(uid)));
    }
    let policy = if waiting && gc.graph.has_dependents(&at.uid) {
        "Foreground"
    } else if has(ORPHAN_FINALIZER) {
        "Orphan"
    } else if has(FOREGROUND_FINALIZER) {
        "Foreground"
    } else {
        "Background"
    };
    delete(&gc.api, at, policy)
}

fn owner_state(gc: &Collector, dependent: &Located, r: &OwnerRef) -> OwnerState {
    let Some(resource) = gc.resolve(r) else {
        return OwnerState::Unresolved;
    };
    let Some(key) = owner_key(&resource, dependent, r) else {
        return OwnerState::Invalid;
    };
    match gc.api.store.get(&resource.storage, &key) {
        Some(owner) if object::uid(&owner) == Some(r.uid.as_str()) => {
            let foreground = object::deletion_timestamp(&owner).is_some()
                && object::finalizers(&owner).iter().any(|f| f == FOREGROUND_FINALIZER);
            if foreground { OwnerState::Waiting } else { OwnerState::Solid }
        }
        _ => OwnerState::Absent,
    }
}

/// An owner deleting in the foreground: its dependents are deleted; the finalizer goes when
/// none that blocks it is left.
fn delete_dependents(gc: &mut Collector, owner: &Located) -> Step {
    let mut blocked = false;
    for dependent in gc.graph.dependents_of(&owner.uid) {
        let Some(obj) = current(&gc.api, &dependent) else {
            continue;
        };
        blocked |= owner_refs(&obj).iter().any(|r| r.uid == owner.uid && r.block);
        gc.enqueue(dependent);
    }
    if blocked {
        return Step::Done;
    }
    edit(&gc.api, owner, |obj| remove_finalizer(obj, FOREGROUND_FINALIZER))
}

/// An owner deleting with `orphan`: its dependents stop naming it, then the finalizer goes.
fn orphan_dependents(gc: &mut Collector, owner: &Located) -> Step {
    for dependent in gc.graph.dependents_of(&owner.uid) {
        let step = edit(&gc.api, &dependent, |obj| remove_owner_refs(obj, |uid| uid == owner.uid));
        if step == Step::Retry {
            return Step::Retry;
        }
    }
    edit(&gc.api, owner, |obj| remove_finalizer(obj, ORPHAN_FINALIZER))
}

/// The stored object at `at`, if it is still the same object (same uid).
fn current(api: &ApiServer, at: &Located) -> Option<Arc<Value>> {
    api.store.get(&at.resource, &at.key).filter(|o| object::uid(o) == Some(at.uid.as_str()))
}

/// Changes an object's metadata (`change` says whether it changed anything), retrying on
/// conflicts with other writers.
fn edit(api: &ApiServer, at: &Located, change: impl Fn(&mut Value) -> bool) -> Step {
    for _ in 0..CONFLICT_RETRIES {
        let Some(stored) = current(api, at) else {
            return Step::Done;
        };
        let mut obj = (*stored).clone();
        if !change(&mut obj) {
            return Step::Done;
        }
        match api.store.update(&at.resource, obj, WriteOptions::default()) {
            Ok(outcome) => {
                if let Some(resource) = api.registry.by_storage(&at.resource) {
                    hooks::after_write(api, &resource, &outcome.object, outcome.deleted);
                    record(api, &resource, at, "patch", None);
                }
                return Step::Done;
            }
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NotFound) => return Step::Done,
            Err(error) => {
                tracing::warn!(resource = %at.resource, name = %at.key.name, %error,
                               "garbage collector cannot update");
                return Step::Retry;
            }
        }
    }
    Step::Retry
}

fn delete(api: &ApiServer, at: &Located, policy: &str) -> Step {
    let Some(resource) = api.registry.by_storage(&at.resource) else {
        return Step::Retry;
    };
    let request = DeleteRequest {
        propagation_policy: Some(policy.to_string()),
        uid: Some(at.uid.clone()),
        ..Default::default()
    };
    match delete_object(api, &resource, &at.key, &request) {
        Ok(_) => {
            record(api, &resource, at, "delete", Some(policy));
            Step::Done
        }
        // Gone meanwhile, or replaced by another object of the same name.
        Err(Error::NotFound { .. } | Error::Conflict { .. }) => Step::Done,
        Err(error) => {
            tracing::warn!(resource = %at.resource, name = %at.key.name, %error,
                           "garbage collector cannot delete");
            Step::Retry
        }
    }
}

fn remove_owner_refs(obj: &mut Value, unwanted: impl Fn(&str) -> bool) -> bool {
    let meta = object::metadata_mut(obj);
    let Some(list) = meta.get_mut("ownerReferences").and_then(Value::as_array_mut) else {
        return false;
    };
    let before = list.len();
    list.retain(|r| !r.get("uid").and_then(Value::as_str).is_some_and(&unwanted));
    if list.len() == before {
        return false;
    }
    if list.is_empty() {
        meta.remove("ownerReferences");
    }
    true
}

fn remove_finalizer(obj: &mut Value, name: &str) -> bool {
    let meta = object::metadata_mut(obj);
    let Some(list) = meta.get_mut("finalizers").and_then(Value::as_array_mut) else {
        return false;
    };
    let before = list.len();
    list.retain(|f| f != name);
    if list.len() == before {
        return false;
    }
    if list.is_empty() {
        meta.remove("finalizers");
    }
    true
}

fn record(api: &ApiServer, resource: &Resource, at: &Located, verb: &str, policy: Option<&str>) {
    let mut path = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    if !at.key.namespace.is_empty() {
        path.push_str(&format!("/namespaces/{}", at.key.namespace));
    }
    path.push_str(&format!("/{}/{}", resource.plural, at.key.name));
    api.request_log.record(RequestRecord {
        method: if verb == "delete" { "DELETE" } else { "PATCH" }.into(),
        path,
        verb: verb.into(),
        group: resource.group.clone(),
        version: resource.version.clone(),
        resource: resource.plural.clone(),
        namespace: (!at.key.namespace.is_empty()).then(|| at.key.namespace.clone()),
        name: Some(at.key.name.clone()),
        user_agent: Some(USER_AGENT.into()),
        propagation_policy: policy.map(str::to_string),
        content_type: (verb == "patch").then(|| "application/merge-patch+json".into()),
        code: 200,
        ..Default::default()
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removing_the_last_owner_reference_or_finalizer_drops_the_field() {
        let mut obj = json!({"metadata": {
            "ownerReferences": [{"uid": "a"}, {"uid": "b"}],
            "finalizers": ["orphan", "example.com/keep"]}});
        assert!(remove_owner_refs(&mut obj, |uid| uid == "a"));
        assert_eq!(obj["metadata"]["ownerReferences"], json!([{"uid": "b"}]));
        assert!(!remove_owner_refs(&mut obj, |uid| uid == "a"));
        assert!(remove_owner_refs(&mut obj, |uid| uid == "b"));
        assert!(obj["metadata"].get("ownerReferences").is_none());

        assert!(remove_finalizer(&mut obj, "orphan"));
        assert_eq!(obj["metadata"]["finalizers"], json!(["example.com/keep"]));
        assert!(remove_finalizer(&mut obj, "example.com/keep"));
        assert!(obj["metadata"].get("finalizers").is_none());
        assert!(!remove_finalizer(&mut obj, "orphan"));
    }
}
