//! The lifecycle controller: finishes the deletion of namespaces (their contents first, then
//! the `kubernetes` finalizer, then the namespace) and of CRDs (their custom resources first,
//! then the cleanup finalizer, then the kinds leave the registry). Woken by the write hooks,
//! and every 100 ms while something is terminating.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::handlers::{DeleteRequest, delete_object};
use crate::hooks::{CRD_CLEANUP_FINALIZER, CRD_STORAGE};
use crate::server::ApiServer;
use crate::store::{DeleteOptions, ObjectKey, StoreError, WriteOptions, object};

pub async fn run(api: Arc<ApiServer>) {
    let mut shutdown = api.shutdown.clone();
    let mut pending = pass(&api);
    loop {
        let retry = tokio::time::sleep(Duration::from_millis(100));
        tokio::select! {
            _ = retry, if pending => {}
            _ = api.lifecycle.notified() => {}
            _ = shutdown.changed() => return,
        }
        pending = pass(&api);
    }
}

/// One round over everything terminating; true while work remains.
fn pass(api: &ApiServer) -> bool {
    let mut remaining = false;
    for ns in api.store.list("namespaces", None).items {
        if object::deletion_timestamp(&ns).is_some() {
            remaining |= !finish_namespace(api, &ns);
        }
    }
    for crd in api.store.list(CRD_STORAGE, None).items {
        if object::deletion_timestamp(&crd).is_some() {
            remaining |= !finish_crd(api, &crd);
        }
    }
    remaining
}

/// Deletes what is not yet being deleted, as a client's DELETE would.
fn delete_all(api: &ApiServer, storage: &str, keys: &[ObjectKey]) {
    let resource = api.registry.by_storage(storage);
    for key in keys {
        let Some(obj) = api.store.get(storage, key) else {
            continue;
        };
        if object::deletion_timestamp(&obj).is_some() {
            continue;
        }
        let result = match &resource {
            Some(resource) => delete_object(api, resource, key, &DeleteRequest::default())
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => api
                .store
                .delete(storage, key, &DeleteOptions::default())
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        if let Err(error) = result {
            tracing::debug!(storage, name = %key.name, %error, "lifecycle delete failed");
        }
    }
}

fn finish_namespace(api: &ApiServer, ns: &Value) -> bool {
    let name = object::name(ns).unwrap_or("").to_string();
    let contents = api.store.keys_in_namespace(&name);
    if !contents.is_empty() {
        for (storage, keys) in &contents {
            delete_all(api, storage, keys);
        }
        return false;
    }
    let key = ObjectKey::new("", name);
    let spec_finalizers: Vec<Value> =
        ns.pointer("/spec/finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
    let rest: Vec<Value> = spec_finalizers.iter().filter(|f| *f != "kubernetes").cloned().collect();
    if rest.len() != spec_finalizers.len() {
        let mut updated = ns.clone();
        updated["spec"]["finalizers"] = json!(rest);
        if let Err(StoreError::Conflict) =
            api.store.update("namespaces", updated, WriteOptions::default())
        {
            return false;
        }
    }
    if !rest.is_empty() || !object::finalizers(ns).is_empty() {
        return false;
    }
    match api.store.remove("namespaces", &key) {
        Ok(_) | Err(StoreError::NotFound) => true,
        Err(_) => false,
    }
}

fn finish_crd(api: &ApiServer, crd: &Value) -> bool {
    let name = object::name(crd).unwrap_or("").to_string();
    let group = crd.pointer("/spec/group").and_then(Value::as_str).unwrap_or("");
    let plural = crd.pointer("/spec/names/plural").and_then(Value::as_str).unwrap_or("");
    let storage = format!("{group}/{plural}");
    let remaining = api.store.list(&storage, None).items;
    if !remaining.is_empty() {
        let keys: Vec<ObjectKey> = remaining.iter().map(|o| ObjectKey::of(o)).collect();
        delete_all(api, &storage, &keys);
        return false;
    }
    let finalizers = object::finalizers(crd);
    if finalizers.iter().any(|f| f == CRD_CLEANUP_FINALIZER) {
        let rest: Vec<&String> =
            finalizers.iter().filter(|f| *f != CRD_CLEANUP_FINALIZER).collect();
        let mut updated = crd.clone();
        updated["metadata"]["finalizers"] = json!(rest);
        match api.store.update(CRD_STORAGE, updated, WriteOptions::default()) {
            Ok(outcome) if outcome.deleted => {
                api.registry.remove_custom(&name);
                return true;
            }
            Ok(_) => return false,
            Err(_) => return false,
        }
    }
    false
}
