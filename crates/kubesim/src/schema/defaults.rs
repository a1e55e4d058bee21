//! Structural defaulting: `PruneNonNullableNullsWithoutDefaults` followed by `Default`.

use serde_json::Value;

use super::node::Node;

fn non_nullable_null_without_default(v: &Value, node: Option<&Node>) -> bool {
    v.is_null() && node.is_some_and(|n| !n.nullable && n.default.is_none())
}

/// Drops `null`s of fields that are neither nullable nor defaulted (they would fail validation).
pub(crate) fn prune_nulls(value: &mut Value, node: Option<&Node>) {
    match value {
        Value::Object(map) => {
            let drop: Vec<String> = map
                .iter()
                .filter(|(k, v)| {
                    non_nullable_null_without_default(v, node.and_then(|n| n.member(k)))
                })
                .map(|(k, _)| k.clone())
                .collect();
            for k in drop {
                map.remove(&k);
            }
            for (k, v) in map.iter_mut() {
                prune_nulls(v, node.and_then(|n| n.member(k)));
            }
        }
        Value::Array(items) => {
            let item_node = node.and_then(|n| n.items.as_deref());
            for item in items {
                prune_nulls(item, item_node);
            }
        }
        _ => {}
    }
}

/// Sets missing (or non-nullable `null`) fields to their schema default, recursively, including
/// inside defaults just applied.
pub(crate) fn apply(value: &mut Value, node: &Node) {
    match value {
        Value::Object(map) => {
            for (k, prop) in node.properties() {
                let Some(default) = &prop.default else { continue };
                let missing = match map.get(k) {
                    None => true,
                    Some(v) => v.is_null() && !prop.nullable,
                };
                if missing {
                    map.insert(k.to_string(), default.clone());
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(prop) = node.property(k) {
                    apply(v, prop);
                } else if let Some(add) = node.member(k) {
                    if v.is_null()
                        && !add.nullable
                        && let Some(default) = &add.default
                    {
                        *v = default.clone();
                    }
                    apply(v, add);
                }
            }
        }
        Value::Array(items) => {
            let Some(item_node) = node.items.as_deref() else { return };
            for item in items {
                if item.is_null()
                    && !item_node.nullable
                    && let Some(default) = &item_node.default
                {
                    *item = default.clone();
                }
                apply(item, item_node);
            }
        }
        _ => {}
    }
}
