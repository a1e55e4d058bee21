//! Correlation of new and old values on update (`common.CorrelatedObject`), which decides where
//! transition rules see an `oldSelf` and which unchanged values are ratcheted.
//!
//! Object members correlate by key; list items only in `x-kubernetes-list-type: map` lists, by
//! their map keys. Other list items have no old value.

use serde_json::Value;

use super::node::Node;

/// The old value of the object member `key`, if the schema knows the member.
pub(crate) fn member<'a>(node: &Node, old: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    node.member(key)?;
    old?.get(key)
}

/// The old item of a map-list that has the same keys as `item`.
pub(crate) fn list_item<'a>(
    list: &Node,
    old: Option<&'a Value>,
    item: &Value,
) -> Option<&'a Value> {
    if list.list_type.as_deref() != Some("map") || list.list_map_keys.is_empty() {
        return None;
    }
    let old_items = old?.as_array()?;
    let key = map_key(list, item)?;
    old_items.iter().find(|o| map_key(list, o).as_ref() == Some(&key))
}

/// The values of the map keys of a list item; a missing key takes its schema default.
fn map_key(list: &Node, item: &Value) -> Option<Vec<Value>> {
    let obj = item.as_object()?;
    let item_node = list.items.as_deref();
    Some(
        list.list_map_keys
            .iter()
            .map(|k| {
                obj.get(k)
                    .cloned()
                    .or_else(|| {
                        item_node.and_then(|n| n.property(k)).and_then(|p| p.default.clone())
                    })
                    .unwrap_or(Value::Null)
            })
            .collect(),
    )
}
