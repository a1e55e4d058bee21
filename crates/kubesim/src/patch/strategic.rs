//! Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds, with
//! apimachinery's semantics: maps merge recursively and `null` deletes; lists merge where the
//! schema says so (objects by their merge key, scalars as a set) and are replaced otherwise;
//! the directives `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<list>` and
//! `$deleteFromPrimitiveList/<list>`; and the ordering rules of the "preserve order" design
//! (patch order over live order, server-only items kept near their neighbours).

use serde_json::{Map, Value};

use crate::openapi::shape::Shape;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_LIST: &str = "$deleteFromPrimitiveList/";

/// Why a strategic merge patch cannot be applied, with the status code the apiserver gives.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SmpError {
    /// 400: a malformed patch (directive formats).
    #[error("{0}")]
    BadRequest(String),
    /// 422: a patch that contradicts itself (lists of lists, `$retainKeys`).
    #[error("{0}")]
    Unprocessable(String),
    /// 500: what apimachinery reports as a plain error (a missing merge key, a bad directive).
    #[error("{0}")]
    Other(String),
}

type Result<T> = std::result::Result<T, SmpError>;

fn bad_retain_keys() -> SmpError {
    SmpError::BadRequest("invalid patch format of retainKeys".into())
}

fn bad_set_order() -> SmpError {
    SmpError::BadRequest("invalid patch format of setElementOrder list".into())
}

fn no_merge_key(item: &Value, key: &str) -> SmpError {
    SmpError::Other(format!("map: {} does not contain declared merge key: {key}", go_map(item)))
}

/// A value as Go's `%v` prints a `map[string]interface{}` (close enough for messages).
fn go_map(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> =
                keys.iter().map(|k| format!("{k}:{}", go_map(&map[k.as_str()]))).collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Array(items) => {
            format!("[{}]", items.iter().map(go_map).collect::<Vec<_>>().join(" "))
        }
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

/// Applies `patch` to `original` (both whole objects), with the merge rules of `shape`.
pub fn apply(original: Value, patch: Value, shape: Shape) -> Result<Value> {
    let Value::Object(patch) = patch else {
        return Err(SmpError::BadRequest("invalid JSON document".into()));
    };
    let original = match original {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    merge_map(original, patch, shape).map(Value::Object)
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    shape: Shape,
) -> Result<Map<String, Value>> {
    if let Some(directive) = patch.remove(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => Ok(strip_map(patch)),
            Some("delete") => Ok(Map::new()),
            _ => {
                patch.insert(DIRECTIVE.into(), directive.clone());
                Err(SmpError::Other(format!(
                    "unknown patch type: {} in map: {}",
                    go_map(&directive),
                    go_map(&Value::Object(patch))
                )))
            }
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    merge_ordered_lists(&mut original, &mut patch, shape)?;
    for (key, value) in patch {
        let (key, delete_list) = match key.strip_prefix(DELETE_FROM_LIST) {
            Some(list) => (list.to_string(), true),
            None if key.starts_with('$') && key.contains('/') => {
                return Err(SmpError::Other(format!("unknown directive {key:?}")));
            }
            None => (key, false),
        };
        if value.is_null() {
            original.remove(&key);
            continue;
        }
        let Some(current) = original.remove(&key) else {
            if !delete_list && let Some(v) = strip(discard_nulls(value)) {
                original.insert(key, v);
            }
            continue;
        };
        let merged = match (current, value) {
            (Value::Object(current), Value::Object(value)) => {
                Some(Value::Object(merge_map(current, value, shape.field(&key))?))
            }
            (Value::Array(current), Value::Array(value)) => {
                let field = shape.field(&key);
                match field.patch_merge() {
                    Some(merge_key) => Some(Value::Array(merge_list(
                        current,
                        value,
                        field.items(),
                        merge_key,
                        delete_list,
                    )?)),
                    None if delete_list => {
                        Some(Value::Array(merge_list(current, value, field.items(), "", true)?))
                    }
                    None => strip(Value::Array(value)),
                }
            }
            (current, value) if delete_list => Some(current).filter(|_| value.is_null()),
            (_, value) => strip(discard_nulls(value)),
        };
        if let Some(merged) = merged {
            original.insert(key, merged);
        }
    }
    Ok(original)
}

/// `$retainKeys: [...]`: fields of the original not listed are cleared; every field the patch
/// sets must be listed.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<()> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else { return Ok(()) };
    let Value::Array(retain) = retain else { return Err(bad_retain_keys()) };
    let listed = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
    for (key, value) in patch.iter() {
        if value.is_null() || key.starts_with(DELETE_FROM_LIST) || key.starts_with(SET_ORDER) {
            continue;
        }
        if !listed(key) {
            return Err(bad_retain_keys());
        }
    }
    original.retain(|k, _| listed(k));
    Ok(())
}

/// `$setElementOrder/<list>`: merges that list now and orders it as the directive says.
fn merge_ordered_lists(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    shape: Shape,
) -> Result<()> {
    let keys: Vec<String> = patch.keys().filter(|k| k.starts_with(SET_ORDER)).cloned().collect();
    for key in keys {
        let order = patch.remove(&key).unwrap_or(Value::Null);
        let Value::Array(order) = order else { return Err(bad_set_order()) };
        let list_key = key[SET_ORDER.len()..].to_string();
        if list_key.is_empty() {
            return Err(bad_set_order());
        }
        let field = shape.field(&list_key);
        let merge_key = field.patch_merge().unwrap_or("");
        let current = match original.get(&list_key) {
            Some(Value::Array(items)) => Some(items.clone()),
            Some(_) => return Err(bad_set_order()),
            None => None,
        };
        let patched = match patch.remove(&list_key) {
            Some(Value::Array(items)) => Some(items),
            Some(_) => return Err(bad_set_order()),
            None => None,
        };
        check_order_covers_patch(patched.as_deref().unwrap_or(&[]), &order, merge_key)?;
        let merged = match (&current, patched) {
            (Some(current), None) => current.clone(),
            (None, Some(patched)) => match strip(Value::Array(patched)) {
                Some(Value::Array(items)) => items,
                _ => continue,
            },
            (Some(current), Some(patched)) => {
                if field.patch_merge().is_some() {
                    merge_list(current.clone(), patched, field.items(), merge_key, false)?
                } else {
                    patched
                }
            }
            (None, None) => continue,
        };
        let (in_order, server_only) = partition(merged, &order, merge_key)?;
        let scalars = !in_order.iter().chain(&server_only).any(Value::is_object);
        let all = normalize_order(
            in_order,
            server_only,
            &order,
            current.as_deref().unwrap_or(&[]),
            merge_key,
            scalars,
        )?;
        original.insert(list_key, Value::Array(all));
    }
    Ok(())
}

/// The relative order of the patch's items must agree with `$setElementOrder`, and the patch
/// may only name items the directive lists.
fn check_order_covers_patch(patched: &[Value], order: &[Value], merge_key: &str) -> Result<()> {
    if patched.is_empty() || order.is_empty() {
        return Ok(());
    }
    let items: Vec<&Value> = patched
        .iter()
        .filter(|v| merge_key.is_empty() || !v.get(DIRECTIVE).is_some_and(|d| d == "delete"))
        .collect();
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if items[p].get(DIRECTIVE).is_some() {
            p += 1;
            continue;
        }
        if identity(items[p], merge_key)? == identity(&order[o], merge_key)? {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() {
        return Err(SmpError::Other(format!(
            "The order in patch list:\n{}\n doesn't match $setElementOrder list:\n{}\n",
            go_map(&Value::Array(patched.to_vec())),
            go_map(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

/// What identifies a list item: its merge key value, or the scalar itself.
fn identity<'v>(item: &'v Value, merge_key: &str) -> Result<&'v Value> {
    if merge_key.is_empty() {
        return Ok(item);
    }
    item.get(merge_key).ok_or_else(|| no_merge_key(item, merge_key))
}

fn position(list: &[Value], item: &Value, merge_key: &str) -> Option<usize> {
    let id = if merge_key.is_empty() { Some(item) } else { item.get(merge_key) };
    list.iter().position(|v| {
        let other = if merge_key.is_empty() { Some(v) } else { v.get(merge_key) };
        other.is_some() && other == id
    })
}

/// Merges two lists under the field's merge strategy (`merge_key` empty for scalars).
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    items: Shape,
    merge_key: &str,
    delete_list: bool,
) -> Result<Vec<Value>> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let scalars = element_kind(&original, &patch)?;
    let (original, patch, merged) = if scalars {
        if delete_list {
            return Ok(original.into_iter().filter(|v| !patch.contains(v)).collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(&patch) {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        (original, patch, merged)
    } else {
        if merge_key.is_empty() {
            return Err(SmpError::Other("cannot merge lists without merge key".into()));
        }
        let (original, patch) = apply_list_directives(original, patch, merge_key)?;
        let mut merged = original.clone();
        for item in &patch {
            let key = identity(item, merge_key)?;
            match merged.iter().position(|v| v.get(merge_key) == Some(key)) {
                Some(i) => {
                    let current = std::mem::take(&mut merged[i]);
                    let (Value::Object(current), Value::Object(item)) = (current, item.clone())
                    else {
                        return Err(SmpError::Other("expected a map in a merged list".into()));
                    };
                    merged[i] = Value::Object(merge_map(current, item, items)?);
                }
                None => {
                    if let Some(item) = strip(item.clone()) {
                        merged.push(item);
                    }
                }
            }
        }
        (original, patch, merged)
    };
    let (in_patch, server_only) = partition(merged, &patch, merge_key)?;
    normalize_order(in_patch, server_only, &patch, &original, merge_key, scalars)
}

/// Whether the lists hold scalars (else objects); lists of lists are refused.
fn element_kind(a: &[Value], b: &[Value]) -> Result<bool> {
    let mut kind: Option<u8> = None;
    for v in a.iter().chain(b) {
        let k = match v {
            Value::Array(_) => {
                return Err(SmpError::Unprocessable("lists of lists are not supported".into()));
            }
            Value::Object(_) => 1,
            Value::Null => continue,
            _ => 0,
        };
        if kind.is_some_and(|seen| seen != k) {
            return Err(SmpError::Other(
                "sliceElementType: elements of the lists are not of the same type".into(),
            ));
        }
        kind = Some(k);
    }
    Ok(kind != Some(1))
}

/// Items with `$patch`: `delete` removes the original item with that key, `replace` makes the
/// patch's other items the whole list.
fn apply_list_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE) {
            None => plain.push(item),
            Some(d) if d == "delete" => {
                let key = identity(&item, merge_key)?.clone();
                original.retain(|v| v.get(merge_key) != Some(&key));
            }
            Some(d) if d == "replace" => replace = true,
            Some(d) if d == "merge" => {
                return Err(SmpError::Other(
                    "merging lists cannot yet be specified in the patch".into(),
                ));
            }
            Some(d) => {
                return Err(SmpError::Other(format!(
                    "unknown patch type: {} in map: {}",
                    go_map(d),
                    go_map(&item)
                )));
            }
        }
    }
    if replace {
        return Ok((plain, Vec::new()));
    }
    Ok((original, plain))
}

/// Splits `merged` into the items `by` names and the rest, keeping their order.
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut named = Vec::new();
    let mut rest = Vec::new();
    for item in merged {
        if !merge_key.is_empty() {
            identity(&item, merge_key)?;
        }
        if position(by, &item, merge_key).is_some() {
            named.push(item);
        } else {
            rest.push(item);
        }
    }
    Ok((named, rest))
}

/// Orders patch items by `patch_order` and server-only items by `server_order`, then
/// interleaves them so that both keep their relative order (apimachinery's
/// `normalizeElementOrder`).
fn normalize_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    scalars: bool,
) -> Result<Vec<Value>> {
    let key = if scalars { "" } else { merge_key };
    let patch_items = sort_by_order(patch_items, patch_order, key)?;
    let server_only = sort_by_order(server_only, server_order, key)?;
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let (mut left, mut right) =
        (server_only.into_iter().peekable(), patch_items.into_iter().peekable());
    loop {
        match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => out.extend(left.next()),
            (None, Some(_)) => out.extend(right.next()),
            (Some(l), Some(r)) => {
                let before = match (position(server_order, l, key), position(server_order, r, key))
                {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                };
                if before {
                    out.extend(left.next());
                } else {
                    out.extend(right.next());
                }
            }
        }
    }
    Ok(out)
}

/// Stable sort by position in `order`; items it lacks go last. `$patch: delete` items too.
fn sort_by_order(items: Vec<Value>, order: &[Value], merge_key: &str) -> Result<Vec<Value>> {
    let mut keep = Vec::with_capacity(items.len());
    let mut deletes = Vec::new();
    for item in items {
        if !merge_key.is_empty() {
            identity(&item, merge_key)?;
            if item.get(DIRECTIVE).is_some_and(|d| d == "delete") {
                deletes.push(item);
                continue;
            }
        }
        keep.push(item);
    }
    keep.sort_by_key(|item| position(order, item, merge_key).unwrap_or(usize::MAX));
    keep.extend(deletes);
    Ok(keep)
}

/// Drops `null` map values throughout (a patch's nulls only delete what exists).
fn discard_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, discard_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(discard_nulls).collect()),
        other => other,
    }
}

/// Removes directives from a value that is taken as is; `None` when the value itself is a
/// directive (`{"$patch": "delete"}`).
fn strip(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) => {
            if map.contains_key(DIRECTIVE) {
                return None;
            }
            Some(Value::Object(strip_map(map)))
        }
        Value::Array(items) => Some(Value::Array(items.into_iter().filter_map(strip).collect())),
        other => Some(other),
    }
}

fn strip_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(k, _)| {
            k != DIRECTIVE
                && k != RETAIN_KEYS
                && !k.starts_with(SET_ORDER)
                && !k.starts_with(DELETE_FROM_LIST)
        })
        .filter_map(|(k, v)| strip(v).map(|v| (k, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_patch(original: Value, patch: Value) -> Result<Value> {
        apply(original, patch, Shape::builtin("", "v1", "Pod").unwrap())
    }

    fn pod(containers: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"containers": containers}})
    }

    #[test]
    fn containers_merge_by_name() {
        let original = pod(json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]));
        let patched = pod_patch(
            original,
            json!({"spec": {"containers": [
            {"name": "b", "image": "b:2"}, {"name": "c", "image": "c:1"}]}}),
        )
        .unwrap();
        assert_eq!(
            patched["spec"]["containers"],
            json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"},
                   {"name": "c", "image": "c:1"}])
        );
    }

    #[test]
    fn delete_and_replace_directives() {
        let original = pod(json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]));
        let deleted = pod_patch(
            original.clone(),
            json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
        )
        .unwrap();
        assert_eq!(deleted["spec"]["containers"], json!([{"name": "b", "image": "b"}]));
        let replaced = pod_patch(
            original.clone(),
            json!({"spec": {"containers": [{"name": "z", "image": "z"}, {"$patch": "replace"}]}}),
        )
        .unwrap();
        assert_eq!(replaced["spec"]["containers"], json!([{"name": "z", "image": "z"}]));
        let spec = pod_patch(original, json!({"spec": {"$patch": "replace", "nodeName": "n"}}));
        assert_eq!(spec.unwrap()["spec"], json!({"nodeName": "n"}));
    }

    #[test]
    fn lists_without_strategy_are_replaced_and_nulls_delete() {
        let mut original = pod(json!([{"name": "a", "command": ["x", "y"]}]));
        original["spec"]["tolerations"] = json!([{"key": "k1"}, {"key": "k2"}]);
        let patched = pod_patch(
            original,
            json!({"spec": {"tolerations": [{"key": "k3"}],
                            "containers": [{"name": "a", "command": ["z"]}],
                            "nodeName": null}}),
        )
        .unwrap();
        assert_eq!(patched["spec"]["tolerations"], json!([{"key": "k3"}]));
        assert_eq!(patched["spec"]["containers"][0]["command"], json!(["z"]));
    }

    #[test]
    fn finalizers_merge_as_a_set_and_delete_from_primitive_list() {
        let original = json!({"metadata": {"name": "p", "finalizers": ["a", "b"]}});
        let added = pod_patch(original.clone(), json!({"metadata": {"finalizers": ["c", "a"]}}));
        assert_eq!(added.unwrap()["metadata"]["finalizers"], json!(["c", "a", "b"]));
        let removed = pod_patch(
            original,
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
        );
        assert_eq!(removed.unwrap()["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn set_element_order_orders_the_merged_list() {
        let original = pod(json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]));
        let patched = pod_patch(
            original,
            json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
                            "containers": [{"name": "a", "image": "x"}]}}),
        )
        .unwrap();
        let names: Vec<&str> = patched["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert_eq!(patched["spec"]["containers"][1]["image"], "x");
    }

    #[test]
    fn retain_keys_clears_unlisted_fields() {
        let original = json!({"spec": {"volumes": [
            {"name": "v", "emptyDir": {}, "secret": {"secretName": "s"}}]}});
        let patched = pod_patch(
            original,
            json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "configMap"],
                                         "configMap": {"name": "c"}}]}}),
        )
        .unwrap();
        assert_eq!(patched["spec"]["volumes"], json!([{"name": "v", "configMap": {"name": "c"}}]));
        let bad = pod_patch(
            json!({"spec": {"volumes": [{"name": "v"}]}}),
            json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name"], "emptyDir": {}}]}}),
        );
        assert_eq!(bad.unwrap_err(), bad_retain_keys());
    }

    #[test]
    fn env_and_ports_merge_inside_containers() {
        let original = pod(json!([{"name": "a", "env": [{"name": "X", "value": "1"}],
                                   "ports": [{"containerPort": 80}]}]));
        let patched = pod_patch(
            original,
            json!({"spec": {"containers": [{"name": "a",
                "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "3"}],
                "ports": [{"containerPort": 443}]}]}}),
        )
        .unwrap();
        let c = &patched["spec"]["containers"][0];
        assert_eq!(c["env"], json!([{"name": "Y", "value": "2"}, {"name": "X", "value": "3"}]));
        assert_eq!(c["ports"], json!([{"containerPort": 443}, {"containerPort": 80}]));
    }

    #[test]
    fn missing_merge_keys_and_lists_of_lists_fail() {
        let original = pod(json!([{"name": "a"}]));
        let err = pod_patch(original.clone(), json!({"spec": {"containers": [{"image": "x"}]}}));
        assert!(
            matches!(err, Err(SmpError::Other(m)) if m.contains("does not contain declared merge key: name"))
        );
        let err = pod_patch(
            json!({"metadata": {"finalizers": ["a"]}}),
            json!({"metadata": {"finalizers": [["x"]]}}),
        );
        assert!(matches!(err, Err(SmpError::Unprocessable(_))));
    }
}
