//! Pruning of unknown fields (`structuralpruning.PruneWithOptions`) and of unknown
//! `metadata` fields (the apiserver's ObjectMeta coercion, also inside embedded resources).

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

/// Prunes a whole custom resource; returns the removed paths in the apiserver's order: unknown
/// `metadata` fields (`metadata.foo`), then the other unknown fields sorted (`spec.foo`,
/// `spec.items[0].bar`), then unknown metadata fields of embedded resources.
pub(crate) fn prune_resource(root: &Node, obj: &mut Value) -> Vec<String> {
    let Some(map) = obj.as_object_mut() else { return Vec::new() };
    let mut meta_paths = Vec::new();
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        prune_object_meta(meta, "metadata", &mut meta_paths);
    }
    let mut p = Pruner::default();
    if root.preserve_unknown {
        p.skip_prune_map(map, root, true);
    } else {
        p.prune_map(map, Some(root), true);
    }
    p.pruned.sort();
    meta_paths.extend(p.pruned);
    meta_paths.extend(p.embedded_meta);
    meta_paths
}

fn prune_object_meta(meta: &mut Map<String, Value>, prefix: &str, paths: &mut Vec<String>) {
    retain_known(meta, OBJECT_META_FIELDS, prefix, paths);
    for (list, fields) in [
        ("ownerReferences", OWNER_REFERENCE_FIELDS),
        ("managedFields", MANAGED_FIELDS_ENTRY_FIELDS),
    ] {
        if let Some(Value::Array(items)) = meta.get_mut(list) {
            for (i, item) in items.iter_mut().enumerate() {
                if let Value::Object(item) = item {
                    retain_known(item, fields, &format!("{prefix}.{list}[{i}]"), paths);
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

/// The schema of a member that is not a declared property: `Some(None)` for
/// `additionalProperties: true` (kept, but its own members pruned as unknown).
fn additional_schema(node: &Node) -> Option<Option<&Node>> {
    match &node.additional {
        Additional::Schema(s) => Some(Some(s)),
        Additional::Allowed(true) => Some(None),
        _ => None,
    }
}

fn member_schema<'a>(node: &'a Node, key: &str) -> Option<Option<&'a Node>> {
    match node.property(key) {
        Some(p) => Some(Some(p)),
        None => additional_schema(node),
    }
}

#[derive(Default)]
struct Pruner {
    path: String,
    pruned: Vec<String>,
    embedded_meta: Vec<String>,
}

impl Pruner {
    fn push_key(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        len
    }

    fn push_index(&mut self, i: usize) -> usize {
        let len = self.path.len();
        self.path.push_str(&format!("[{i}]"));
        len
    }

    fn record(&mut self, key: &str) {
        let len = self.push_key(key);
        self.pruned.push(self.path.clone());
        self.path.truncate(len);
    }

    fn prune(&mut self, value: &mut Value, node: Option<&Node>) {
        if let Some(n) = node
            && n.preserve_unknown
        {
            match value {
                Value::Object(map) => self.skip_prune_map(map, n, n.embedded),
                Value::Array(items) => self.skip_prune_items(items, n),
                _ => {}
            }
            return;
        }
        match value {
            Value::Object(map) => self.prune_map(map, node, node.is_some_and(|n| n.embedded)),
            Value::Array(items) => {
                let item_node = node.and_then(|n| n.items.as_deref());
                for (i, item) in items.iter_mut().enumerate() {
                    let len = self.push_index(i);
                    self.prune(item, item_node);
                    self.path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Unknown metadata fields of an embedded resource (the apiserver's ObjectMeta coercion).
    fn coerce_embedded_meta(&mut self, map: &mut Map<String, Value>) {
        if self.path.is_empty() {
            return; // the resource's own metadata is handled by `prune_resource`
        }
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            let prefix = format!("{}.metadata", self.path);
            prune_object_meta(meta, &prefix, &mut self.embedded_meta);
        }
    }

    fn prune_map(&mut self, map: &mut Map<String, Value>, node: Option<&Node>, embedded: bool) {
        let Some(node) = node else {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                self.record(&k);
            }
            map.clear();
            return;
        };
        if embedded {
            self.coerce_embedded_meta(map);
        }
        let mut unknown = Vec::new();
        for (k, v) in map.iter_mut() {
            if embedded && META_FIELDS.contains(&k.as_str()) {
                continue;
            }
            match member_schema(node, k) {
                Some(child) => {
                    let len = self.push_key(k);
                    self.prune(v, child);
                    self.path.truncate(len);
                }
                None => unknown.push(k.clone()),
            }
        }
        for k in unknown {
            map.remove(&k);
            self.record(&k);
        }
    }

    /// Below `x-kubernetes-preserve-unknown-fields`: unknown fields stay, known ones are pruned.
    fn skip_prune_map(&mut self, map: &mut Map<String, Value>, node: &Node, embedded: bool) {
        if embedded {
            self.coerce_embedded_meta(map);
        }
        for (k, v) in map.iter_mut() {
            if embedded && META_FIELDS.contains(&k.as_str()) {
                continue;
            }
            if let Some(child) = member_schema(node, k) {
                let len = self.push_key(k);
                self.prune(v, child);
                self.path.truncate(len);
            }
        }
    }

    fn skip_prune_items(&mut self, items: &mut [Value], node: &Node) {
        let Some(item_node) = node.items.as_deref() else { return };
        for (i, item) in items.iter_mut().enumerate() {
            let len = self.push_index(i);
            match item {
                Value::Object(map) => self.skip_prune_map(map, item_node, item_node.embedded),
                Value::Array(inner) => self.skip_prune_items(inner, item_node),
                _ => {}
            }
            self.path.truncate(len);
        }
    }
}
