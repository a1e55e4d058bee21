//! What happens right after a write, before the client gets its answer: CRDs get their kinds
//! served (and the NamesAccepted / Established conditions) or withdrawn; namespaces and CRDs
//! marked for deletion wake the lifecycle controller.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::admission::is_crd;
use crate::registry::{Resource, crd_resources};
use crate::server::ApiServer;
use crate::store::{ObjectKey, StoreError, WriteOptions, object};

/// The finalizer that holds a CRD until its custom resources are deleted.
pub const CRD_CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

pub const CRD_STORAGE: &str = "apiextensions.k8s.io/customresourcedefinitions";

/// Additions to an object about to be created.
pub fn before_create(resource: &Resource, obj: &mut Value) {
    if is_crd(resource) {
        let meta = object::metadata_mut(obj);
        let finalizers = meta.entry("finalizers").or_insert_with(|| json!([]));
        if let Some(list) = finalizers.as_array_mut()
            && !list.iter().any(|f| f == CRD_CLEANUP_FINALIZER)
        {
            list.push(json!(CRD_CLEANUP_FINALIZER));
        }
    }
}

pub fn after_write(api: &ApiServer, resource: &Resource, stored: &Arc<Value>, deleted: bool) {
    let marked = object::deletion_timestamp(stored).is_some();
    if is_crd(resource) {
        let name = object::name(stored).unwrap_or("");
        if deleted {
            api.registry.remove_custom(name);
        } else if marked {
            api.lifecycle.notify_one();
        } else {
            establish(api, stored);
        }
    } else if resource.group.is_empty() && resource.plural == "namespaces" && marked {
        api.lifecycle.notify_one();
    }
}

/// Serves a CRD's kinds and records that in its status.
pub fn establish(api: &ApiServer, crd: &Value) {
    let Ok(resources) = crd_resources(crd) else {
        return;
    };
    let name = object::name(crd).unwrap_or("").to_string();
    let storage_version = resources
        .first()
        .map(|r| r.storage_api_version.rsplit('/').next().unwrap_or("").to_string())
        .unwrap_or_default();
    api.registry.set_custom(&name, resources);
    let key = ObjectKey::new("", name);
    for _ in 0..5 {
        let Some(current) = api.store.get(CRD_STORAGE, &key) else {
            return;
        };
        let Some(updated) = with_established_status(&current, &storage_version) else {
            return;
        };
        match api.store.update(CRD_STORAGE, updated, WriteOptions::default()) {
            Err(StoreError::Conflict) => continue,
            _ => return,
        }
    }
}

/// The CRD with accepted names, conditions and stored versions, or `None` if it has them.
fn with_established_status(crd: &Value, storage_version: &str) -> Option<Value> {
    let mut names = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    if let Some(names) = names.as_object_mut() {
        let kind = names.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
        names.entry("singular").or_insert_with(|| json!(kind.to_lowercase()));
        names.entry("listKind").or_insert_with(|| json!(format!("{kind}List")));
    }
    let mut stored_versions: Vec<Value> = crd
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !stored_versions.iter().any(|v| v == storage_version) {
        stored_versions.push(json!(storage_version));
    }
    let conditions_ok = ["NamesAccepted", "Established"].iter().all(|t| {
        crd.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|c| c.iter().any(|c| c["type"] == *t && c["status"] == "True"))
    });
    if conditions_ok
        && crd.pointer("/status/acceptedNames") == Some(&names)
        && crd.pointer("/status/storedVersions") == Some(&Value::Array(stored_versions.clone()))
    {
        return None;
    }
    let now = object::now_timestamp();
    let mut updated = crd.clone();
    updated["status"] = json!({
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
             "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now,
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
        ],
        "storedVersions": stored_versions,
    });
    Some(updated)
}
