//! Objects seen through their schema, as structured-merge-diff sees them: the set of fields a
//! value sets, what changed between two values, merging an applied configuration into a live
//! object, and removing fields. Structs and maps are granular unless atomic; lists are atomic,
//! sets (`v:` items) or maps (`k:` items) as [`Shape::list_type`] says.

use serde_json::{Map, Value};

use super::fieldset::{Element, FieldSet, Path};
use crate::openapi::shape::{ListType, Shape};

/// Why a value does not fit its schema for server-side apply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TypedError {
    #[error(
        ".{path}: element {index}: associative list with keys has an element that omits key field {key:?} (and doesn't have default value)"
    )]
    MissingKey { path: String, index: usize, key: String },
    #[error(".{path}: duplicate entries for key {key}")]
    Duplicate { path: String, key: String },
}

fn dotted(path: &[Element]) -> String {
    super::fieldset::display_path(path).trim_start_matches('.').to_string()
}

/// The element naming `item` in a granular list, or the reason it has none.
fn item_element(
    list: &ListType,
    items: Shape,
    item: &Value,
    index: usize,
    path: &[Element],
) -> Result<Element, TypedError> {
    match list {
        ListType::Set => Ok(Element::value(item)),
        ListType::Map(keys) => {
            let mut fields: Vec<(&str, &Value)> = Vec::with_capacity(keys.len());
            for key in keys {
                match item.get(key).or_else(|| items.field(key).default_value()) {
                    Some(v) => fields.push((key.as_str(), v)),
                    None => {
                        return Err(TypedError::MissingKey {
                            path: dotted(path),
                            index,
                            key: key.clone(),
                        });
                    }
                }
            }
            Ok(Element::key(&fields))
        }
        ListType::Atomic => Ok(Element::Index(index)),
    }
}

/// The items of a granular list with their elements; duplicates are an error unless allowed
/// (live objects may hold them).
fn index_items<'v>(
    list: &ListType,
    items: Shape,
    values: &'v [Value],
    path: &[Element],
    allow_duplicates: bool,
) -> Result<Vec<(Element, &'v Value)>, TypedError> {
    let mut out: Vec<(Element, &Value)> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let e = item_element(list, items, v, i, path)?;
        if out.iter().any(|(seen, _)| *seen == e) {
            if allow_duplicates {
                continue;
            }
            let mut p = path.to_vec();
            p.push(e);
            let key = super::fieldset::display_path(&p[p.len() - 1..]);
            return Err(TypedError::Duplicate { path: dotted(path), key });
        }
        out.push((e, v));
    }
    Ok(out)
}

fn granular_list(shape: &Shape) -> Option<ListType> {
    match shape.list_type() {
        ListType::Atomic => None,
        other => Some(other),
    }
}

/// The fields `value` sets (structured-merge-diff's `ToFieldSet`): scalars, atomic values,
/// list items, map entries, and declared fields that are null or empty objects.
pub fn field_set(value: &Value, shape: Shape) -> Result<FieldSet, TypedError> {
    let mut set = FieldSet::new();
    let mut path = Vec::new();
    walk_set(value, shape, &mut path, &mut set, false)?;
    Ok(set)
}

/// Like [`field_set`], tolerating duplicate list items (live objects).
pub fn field_set_lenient(value: &Value, shape: Shape) -> FieldSet {
    let mut set = FieldSet::new();
    let _ = walk_set(value, shape, &mut Vec::new(), &mut set, true);
    set
}

fn walk_set(
    value: &Value,
    shape: Shape,
    path: &mut Path,
    set: &mut FieldSet,
    lenient: bool,
) -> Result<(), TypedError> {
    match value {
        Value::Object(map) if !shape.atomic_map() => {
            for (k, v) in map {
                path.push(Element::field(k));
                walk_set(v, shape.field(k), path, set, lenient)?;
                let empty = v.is_null() || v.as_object().is_some_and(Map::is_empty);
                if empty || !shape.declares(k) {
                    set.insert(path);
                }
                path.pop();
            }
        }
        Value::Array(items) => match granular_list(&shape) {
            Some(list) => {
                for (e, item) in index_items(&list, shape.items(), items, path, lenient)? {
                    path.push(e);
                    walk_set(item, shape.items(), path, set, lenient)?;
                    set.insert(path);
                    path.pop();
                }
            }
            None => set.insert(path),
        },
        _ => set.insert(path),
    }
    Ok(())
}

/// What changed from `old` to `new`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

impl Comparison {
    pub fn is_same(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }

    /// Leaves out fields the operation may not touch (reset fields).
    pub fn exclude(&mut self, ignored: &FieldSet) {
        self.added = self.added.recursive_difference(ignored);
        self.modified = self.modified.recursive_difference(ignored);
        self.removed = self.removed.recursive_difference(ignored);
    }
}

pub fn compare(old: &Value, new: &Value, shape: Shape) -> Comparison {
    let mut c = Comparison::default();
    walk_compare(Some(old), Some(new), shape, &mut Vec::new(), &mut c);
    c
}

fn walk_compare(
    old: Option<&Value>,
    new: Option<&Value>,
    shape: Shape,
    path: &mut Path,
    c: &mut Comparison,
) {
    let leaf = |c: &mut Comparison, path: &Path| match (old, new) {
        (None, Some(_)) => c.added.insert(path),
        (Some(_), None) => c.removed.insert(path),
        (Some(a), Some(b)) if a != b => c.modified.insert(path),
        _ => {}
    };
    let is_map = |v: Option<&Value>| v.is_none_or(Value::is_object);
    let is_list = |v: Option<&Value>| v.is_none_or(Value::is_array);
    if is_map(old) && is_map(new) && !shape.atomic_map() && (old.is_some() || new.is_some()) {
        match (old, new) {
            (None, Some(_)) if !path.is_empty() => c.added.insert(path),
            (Some(_), None) if !path.is_empty() => c.removed.insert(path),
            _ => {}
        }
        let empty = Map::new();
        let a = old.and_then(Value::as_object).unwrap_or(&empty);
        let b = new.and_then(Value::as_object).unwrap_or(&empty);
        for (k, va) in a {
            path.push(Element::field(k));
            walk_compare(Some(va), b.get(k), shape.field(k), path, c);
            path.pop();
        }
        for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
            path.push(Element::field(k));
            walk_compare(None, Some(vb), shape.field(k), path, c);
            path.pop();
        }
        return;
    }
    if is_list(old)
        && is_list(new)
        && (old.is_some() || new.is_some())
        && let Some(list) = granular_list(&shape)
    {
        let none: Vec<Value> = Vec::new();
        let a = old.and_then(Value::as_array).unwrap_or(&none);
        let b = new.and_then(Value::as_array).unwrap_or(&none);
        let (Ok(ia), Ok(ib)) = (
            index_items(&list, shape.items(), a, path, true),
            index_items(&list, shape.items(), b, path, true),
        ) else {
            leaf(c, path);
            return;
        };
        match (old, new) {
            (None, Some(_)) => c.added.insert(path),
            (Some(_), None) => c.removed.insert(path),
            _ => {}
        }
        for (e, va) in &ia {
            let vb = ib.iter().find(|(f, _)| f == e).map(|(_, v)| *v);
            path.push(e.clone());
            if vb.is_none() {
                c.removed.insert(path);
            }
            walk_compare(Some(va), vb, shape.items(), path, c);
            path.pop();
        }
        for (e, vb) in ib.iter().filter(|(e, _)| !ia.iter().any(|(f, _)| f == e)) {
            path.push(e.clone());
            c.added.insert(path);
            walk_compare(None, Some(vb), shape.items(), path, c);
            path.pop();
        }
        return;
    }
    leaf(c, path);
}

/// Merges an applied configuration into the live object: the configuration wins, maps and
/// granular lists merge item by item (list order follows the configuration for the items it
/// names, live-only items keep their place).
pub fn merge(live: &Value, config: &Value, shape: Shape) -> Result<Value, TypedError> {
    merge_at(Some(live), config, shape, &mut Vec::new())
}

fn merge_at(
    live: Option<&Value>,
    config: &Value,
    shape: Shape,
    path: &mut Path,
) -> Result<Value, TypedError> {
    match (live, config) {
        (Some(Value::Object(l)), Value::Object(r)) if !shape.atomic_map() => {
            let mut out = Map::with_capacity(l.len().max(r.len()));
            for (k, lv) in l {
                let merged = match r.get(k) {
                    Some(rv) => {
                        path.push(Element::field(k));
                        let m = merge_at(Some(lv), rv, shape.field(k), path)?;
                        path.pop();
                        m
                    }
                    None => lv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            for (k, rv) in r.iter().filter(|(k, _)| !l.contains_key(*k)) {
                path.push(Element::field(k));
                let m = merge_at(None, rv, shape.field(k), path)?;
                path.pop();
                out.insert(k.clone(), m);
            }
            Ok(Value::Object(out))
        }
        (Some(Value::Array(l)), Value::Array(r)) => match granular_list(&shape) {
            Some(list) => merge_lists(&list, shape.items(), l, r, path).map(Value::Array),
            None => Ok(config.clone()),
        },
        (None, Value::Array(r)) => match granular_list(&shape) {
            Some(list) => merge_lists(&list, shape.items(), &[], r, path).map(Value::Array),
            None => Ok(config.clone()),
        },
        _ => {
            // Validate keyed lists deeper in a new value.
            if live.is_none() {
                field_set(config, shape)?;
            }
            Ok(config.clone())
        }
    }
}

/// structured-merge-diff's list merge: shared items in the configuration's order, live-only
/// items where they were, new items after the configuration item before them.
fn merge_lists(
    list: &ListType,
    items: Shape,
    live: &[Value],
    config: &[Value],
    path: &mut Path,
) -> Result<Vec<Value>, TypedError> {
    let rhs = index_items(list, items, config, path, false)?;
    let lhs = index_items(list, items, live, path, true)?;
    let in_lhs = |e: &Element| lhs.iter().find(|(f, _)| f == e).map(|(_, v)| *v);
    let in_rhs = |e: &Element| rhs.iter().any(|(f, _)| f == e);
    let mut shared: std::collections::VecDeque<&Element> =
        rhs.iter().map(|(e, _)| e).filter(|e| in_lhs(e).is_some()).collect();
    let mut next_shared = shared.pop_front();
    let mut merged_rhs: Vec<&Element> = Vec::new();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let (mut li, mut ri) = (0, 0);
    let merge_item =
        |e: &Element, l: Option<&Value>, r: &Value, path: &mut Path| -> Result<Value, TypedError> {
            path.push(e.clone());
            let m = merge_at(l, r, items, path);
            path.pop();
            m
        };
    while li < lhs.len() || ri < rhs.len() {
        if li < lhs.len() && ri < rhs.len() {
            let (le, lv) = &lhs[li];
            if *le == rhs[ri].0 {
                merged_rhs.push(le);
                out.push(merge_item(le, Some(lv), rhs[ri].1, path)?);
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if in_rhs(le) && next_shared.is_some_and(|n| n != le) {
                li += 1;
                continue;
            }
        }
        if li < lhs.len() {
            let (le, lv) = &lhs[li];
            if !in_rhs(le) {
                out.push((*lv).clone());
                li += 1;
                continue;
            } else if merged_rhs.contains(&le) {
                li += 1;
            }
        }
        if ri < rhs.len() {
            let (re, rv) = &rhs[ri];
            merged_rhs.push(re);
            out.push(merge_item(re, in_lhs(re), rv, path)?);
            ri += 1;
            if next_shared.is_some_and(|n| n == re) {
                next_shared = shared.pop_front();
            }
        }
    }
    Ok(out)
}

/// Removes the paths of `remove` from `value` (whole subtrees for members).
pub fn remove(value: &Value, remove: &FieldSet, shape: Shape) -> Value {
    match value {
        Value::Object(map) if !shape.atomic_map() => {
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                let e = Element::field(k);
                if remove.has(std::slice::from_ref(&e)) {
                    continue;
                }
                match remove.child(&e) {
                    Some(sub) => {
                        out.insert(k.clone(), self::remove(v, sub, shape.field(k)));
                    }
                    None => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let Some(list) = granular_list(&shape) else { return value.clone() };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let Ok(e) = item_element(&list, shape.items(), item, i, &[]) else {
                    out.push(item.clone());
                    continue;
                };
                if remove.has(std::slice::from_ref(&e)) {
                    continue;
                }
                match remove.child(&e) {
                    Some(sub) => out.push(self::remove(item, sub, shape.items())),
                    None => out.push(item.clone()),
                }
            }
            Value::Array(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::fieldset::display_path;
    use serde_json::json;

    fn deployment() -> Shape<'static> {
        Shape::builtin("apps", "v1", "Deployment").unwrap()
    }

    fn printed(set: &FieldSet) -> Vec<String> {
        set.paths().iter().map(|p| display_path(p)).collect()
    }

    #[test]
    fn field_sets_name_leaves_items_and_map_entries() {
        let obj = json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "c", "image": "i",
                                                          "ports": [{"containerPort": 80}]}]}}}});
        let set = field_set(&obj, deployment()).unwrap();
        assert_eq!(
            printed(&set),
            vec![
                ".metadata.labels.app",
                ".spec.replicas",
                ".spec.selector",
                ".spec.template.spec.containers[name=\"c\"]",
                ".spec.template.spec.containers[name=\"c\"].image",
                ".spec.template.spec.containers[name=\"c\"].name",
                ".spec.template.spec.containers[name=\"c\"].ports[containerPort=80,protocol=\"TCP\"]",
                ".spec.template.spec.containers[name=\"c\"].ports[containerPort=80,protocol=\"TCP\"].containerPort",
            ]
        );
    }

    #[test]
    fn compare_reports_added_modified_removed() {
        let old = json!({"spec": {"replicas": 1, "paused": true}});
        let new = json!({"spec": {"replicas": 2, "minReadySeconds": 5}});
        let c = compare(&old, &new, deployment());
        assert_eq!(printed(&c.modified), vec![".spec.replicas"]);
        assert_eq!(printed(&c.added), vec![".spec.minReadySeconds"]);
        assert_eq!(printed(&c.removed), vec![".spec.paused"]);
    }

    #[test]
    fn merge_keeps_live_items_and_follows_config_order() {
        let shape = Shape::builtin("", "v1", "Pod").unwrap();
        let live = json!({"spec": {"containers": [{"name": "a", "image": "a"},
                                                  {"name": "b", "image": "b"}]}});
        let config = json!({"spec": {"containers": [{"name": "c", "image": "c"},
                                                    {"name": "a", "image": "a2"}]}});
        let merged = merge(&live, &config, shape).unwrap();
        let names: Vec<(&str, &str)> = merged["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap(), c["image"].as_str().unwrap()))
            .collect();
        assert_eq!(names, vec![("c", "c"), ("a", "a2"), ("b", "b")]);
    }

    #[test]
    fn duplicate_keys_in_a_configuration_are_refused() {
        let shape = Shape::builtin("", "v1", "Pod").unwrap();
        let config = json!({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}});
        assert!(matches!(field_set(&config, shape), Err(TypedError::Duplicate { .. })));
    }

    #[test]
    fn remove_drops_members_and_list_items() {
        let shape = Shape::builtin("", "v1", "Pod").unwrap();
        let obj = json!({"metadata": {"labels": {"a": "1", "b": "2"}},
                         "spec": {"containers": [{"name": "x"}, {"name": "y"}]}});
        let mut set = FieldSet::new();
        set.insert(&[Element::field("metadata"), Element::field("labels"), Element::field("a")]);
        set.insert(&[
            Element::field("spec"),
            Element::field("containers"),
            Element::key(&[("name", &json!("y"))]),
        ]);
        let out = remove(&obj, &set, shape);
        assert_eq!(
            out,
            json!({"metadata": {"labels": {"b": "2"}},
                               "spec": {"containers": [{"name": "x"}]}})
        );
    }
}
