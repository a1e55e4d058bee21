//! Uniqueness of `x-kubernetes-list-type: set` items and `map` keys
//! (`structurallisttype.ValidateListSetsAndMaps`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::field_error::{FieldError, FieldPath};
use super::go_format;
use super::node::{Additional, Node};

/// Validates every set and map list in `obj` against the schema.
pub(crate) fn validate(root: &Node, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Value::Object(map) = obj {
        walk_object(&FieldPath::root(), root, map, &mut errs);
    }
    errs
}

fn walk_object(
    path: &FieldPath,
    node: &Node,
    map: &Map<String, Value>,
    errs: &mut Vec<FieldError>,
) {
    if let Additional::Schema(add) = &node.additional {
        for (k, v) in map {
            walk(&path.key(k), add, v, errs);
        }
    }
    for (k, v) in map {
        if let Some(prop) = node.property(k) {
            walk(&path.child(k), prop, v, errs);
        }
    }
}

fn walk(path: &FieldPath, node: &Node, value: &Value, errs: &mut Vec<FieldError>) {
    match value {
        Value::Array(items) => {
            match node.list_type.as_deref() {
                Some("set") => {
                    for i in non_unique(items.iter().map(identity)) {
                        errs.push(FieldError::duplicate(path.index(i).to_string(), &items[i]));
                    }
                }
                Some("map") => validate_map_list(path, node, items, errs),
                _ => {}
            }
            if let Some(item_node) = node.items.as_deref() {
                for (i, item) in items.iter().enumerate() {
                    walk(&path.index(i), item_node, item, errs);
                }
            }
        }
        Value::Object(map) => walk_object(path, node, map, errs),
        _ => {}
    }
}

/// The identity Go uses for set membership: scalars by type and value, compounds by JSON.
fn identity(v: &Value) -> String {
    match v {
        Value::Null => "n".into(),
        Value::Bool(b) => format!("b{b}"),
        Value::Number(n) => match go_format::number(n) {
            go_format::GoNumber::Int(i) => format!("i{i}"),
            go_format::GoNumber::Float(f) => format!("f{}", f.to_bits()),
        },
        Value::String(s) => format!("s{s}"),
        Value::Array(_) | Value::Object(_) => format!("c{}", go_format::json_marshal(v)),
    }
}

/// Indices of the second occurrence of each duplicated identity (as upstream reports them).
fn non_unique(ids: impl Iterator<Item = String>) -> Vec<usize> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, id) in ids.enumerate() {
        let count = seen.entry(id).or_insert(0);
        *count += 1;
        if *count == 2 {
            out.push(i);
        }
    }
    out
}

fn validate_map_list(path: &FieldPath, node: &Node, items: &[Value], errs: &mut Vec<FieldError>) {
    for (i, item) in items.iter().enumerate() {
        if !item.is_null() && !item.is_object() {
            errs.push(FieldError::invalid(
                path.index(i).to_string(),
                item,
                "must be an object for an array of list-type map",
            ));
            return;
        }
    }
    if items.len() <= 1 {
        return;
    }
    // The key of each item: the present map-key fields (a missing key is "unspecified").
    let keys: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut key = Map::new();
            if let Value::Object(obj) = item {
                for k in &node.list_map_keys {
                    if let Some(v) = obj.get(k) {
                        key.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(key)
        })
        .collect();
    if let [single] = node.list_map_keys.as_slice() {
        // A missing key is "unspecified", which only equals another unspecified key.
        let ids = keys.iter().map(|k| k.get(single).map_or_else(|| "u".to_string(), identity));
        for i in non_unique(ids) {
            errs.push(FieldError::duplicate(path.index(i).to_string(), &keys[i]));
        }
        return;
    }
    for i in non_unique(keys.iter().map(identity)) {
        errs.push(FieldError::duplicate(path.index(i).to_string(), &keys[i]));
    }
}
