//! Pruning of unknown fields (`structuralpruning.PruneWithOptions`) and of unknown
//! `metadata` fields (the apiserver's ObjectMeta coercion).

use serde_json::{Map, Value};

use super::node::{Additional, Node};

/// The fields of `metav1.ObjectMeta`; anything else under `metadata` is dropped.
const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];
const OWNER_REFERENCE_FIELDS: &[&str] =
    &["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"];
const MANAGED_FIELDS_ENTRY_FIELDS: &[&str] =
    &["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"];
const META_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];

/// Prunes a whole custom resource; returns the removed paths: unknown `metadata` fields first
/// (`metadata.foo`), then the others sorted (`spec.foo`, `spec.items[0].bar`), as upstream.
pub(crate) fn prune_resource(root: &Node, obj: &mut Value) -> Vec<String> {
    let Some(map) = obj.as_object_mut() else { return Vec::new() };
    let mut meta_paths = Vec::new();
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        prune_object_meta(meta, &mut meta_paths);
    }
    let mut paths = Vec::new();
    prune_map(map, Some(root), true, &mut String::new(), &mut paths);
    paths.sort();
    meta_paths.extend(paths);
    meta_paths
}

fn prune_object_meta(meta: &mut Map<String, Value>, paths: &mut Vec<String>) {
    retain_known(meta, OBJECT_META_FIELDS, "metadata", paths);
    for (list, fields) in [
        ("ownerReferences", OWNER_REFERENCE_FIELDS),
        ("managedFields", MANAGED_FIELDS_ENTRY_FIELDS),
    ] {
        if let Some(Value::Array(items)) = meta.get_mut(list) {
            for (i, item) in items.iter_mut().enumerate() {
                if let Value::Object(item) = item {
                    retain_known(item, fields, &format!("metadata.{list}[{i}]"), paths);
                }
            }
        }
    }
}

fn retain_known(
    map: &mut Map<String, Value>,
    known: &[&str],
    prefix: &str,
    paths: &mut Vec<String>,
) {
    let unknown: Vec<String> =
        map.keys().filter(|k| !known.contains(&k.as_str())).cloned().collect();
    for k in unknown {
        map.remove(&k);
        paths.push(format!("{prefix}.{k}"));
    }
}

fn push_key(path: &mut String, key: &str) -> usize {
    let len = path.len();
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
    len
}

fn push_index(path: &mut String, i: usize) -> usize {
    let len = path.len();
    path.push_str(&format!("[{i}]"));
    len
}

fn additional_schema(node: &Node) -> Option<Option<&Node>> {
    match &node.additional {
        Additional::Schema(s) => Some(Some(s)),
        // `additionalProperties: true` has no schema: its values are pruned as if unknown.
        Additional::Allowed(true) => Some(None),
        _ => None,
    }
}

fn prune(value: &mut Value, node: Option<&Node>, path: &mut String, paths: &mut Vec<String>) {
    if let Some(n) = node
        && n.preserve_unknown
    {
        skip_prune(value, n, path, paths);
        return;
    }
    match value {
        Value::Object(map) => prune_map(map, node, node.is_some_and(|n| n.embedded), path, paths),
        Value::Array(items) => {
            let item_node = node.and_then(|n| n.items.as_deref());
            for (i, item) in items.iter_mut().enumerate() {
                let len = push_index(path, i);
                prune(item, item_node, path, paths);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn prune_map(
    map: &mut Map<String, Value>,
    node: Option<&Node>,
    embedded: bool,
    path: &mut String,
    paths: &mut Vec<String>,
) {
    let Some(node) = node else {
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            let len = push_key(path, &k);
            paths.push(path.clone());
            path.truncate(len);
        }
        map.clear();
        return;
    };
    let mut unknown = Vec::new();
    for (k, v) in map.iter_mut() {
        if embedded && META_FIELDS.contains(&k.as_str()) {
            continue;
        }
        let child = match node.property(k) {
            Some(p) => Some(Some(p)),
            None => additional_schema(node),
        };
        match child {
            Some(child) => {
                let len = push_key(path, k);
                prune(v, child, path, paths);
                path.truncate(len);
            }
            None => unknown.push(k.clone()),
        }
    }
    for k in unknown {
        map.remove(&k);
        let len = push_key(path, &k);
        paths.push(path.clone());
        path.truncate(len);
    }
}

/// Below `x-kubernetes-preserve-unknown-fields`: unknown fields stay, known ones are pruned.
fn skip_prune(value: &mut Value, node: &Node, path: &mut String, paths: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if node.embedded && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                let child = match node.property(k) {
                    Some(p) => Some(Some(p)),
                    None => additional_schema(node),
                };
                if let Some(child) = child {
                    let len = push_key(path, k);
                    prune(v, child, path, paths);
                    path.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = node.items.as_deref() {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = push_index(path, i);
                    skip_prune(item, item_node, path, paths);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}
