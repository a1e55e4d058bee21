//! Sets of field paths, as managedFields records them (`fieldsV1`: `f:` fields, `k:` items of
//! keyed lists, `v:` items of sets, `i:` indexes, `.` for a node that is itself a member) and
//! as server-side apply compares them (structured-merge-diff's `fieldpath.Set`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One step of a path. Keys and values are held as canonical JSON text, which orders and
/// compares them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    /// `f:name`: a field of a struct or a key of a map.
    Field(String),
    /// `k:{"name":"a"}`: an item of a list of objects, by its key fields (sorted by name).
    Key(String),
    /// `v:"a"`: an item of a set.
    Value(String),
    /// `i:0`: an item by position.
    Index(usize),
}

impl Element {
    pub fn field(name: &str) -> Self {
        Element::Field(name.to_string())
    }

    /// The key element of a list item from its key fields (`(name, value)`, any order).
    pub fn key(fields: &[(&str, &Value)]) -> Self {
        let mut sorted: Vec<&(&str, &Value)> = fields.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let map: Map<String, Value> =
            sorted.into_iter().map(|(k, v)| (k.to_string(), (*v).clone())).collect();
        Element::Key(Value::Object(map).to_string())
    }

    pub fn value(v: &Value) -> Self {
        Element::Value(v.to_string())
    }

    /// The `fieldsV1` spelling.
    fn encode(&self) -> String {
        match self {
            Element::Field(name) => format!("f:{name}"),
            Element::Key(json) => format!("k:{json}"),
            Element::Value(json) => format!("v:{json}"),
            Element::Index(i) => format!("i:{i}"),
        }
    }

    fn decode(text: &str) -> Result<Self, String> {
        let (kind, rest) =
            text.split_once(':').ok_or_else(|| format!("invalid element {text:?}"))?;
        let json = |rest: &str| -> Result<Value, String> {
            serde_json::from_str(rest).map_err(|e| format!("invalid element {text:?}: {e}"))
        };
        match kind {
            "f" => Ok(Element::Field(rest.to_string())),
            "k" => match json(rest)? {
                Value::Object(map) => {
                    let fields: Vec<(&str, &Value)> =
                        map.iter().map(|(k, v)| (k.as_str(), v)).collect();
                    Ok(Element::key(&fields))
                }
                _ => Err(format!("invalid key element {text:?}")),
            },
            "v" => Ok(Element::Value(json(rest)?.to_string())),
            "i" => rest.parse().map(Element::Index).map_err(|_| format!("invalid index {text:?}")),
            _ => Err(format!("unknown element kind {kind:?} in {text:?}")),
        }
    }
}

/// Paths as structured-merge-diff prints them: `.spec.containers[name="c"].image`.
impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Field(name) => write!(f, ".{name}"),
            Element::Key(json) => {
                let map: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "[{}]", parts.join(","))
            }
            Element::Value(json) => write!(f, "[={json}]"),
            Element::Index(i) => write!(f, "[{i}]"),
        }
    }
}

pub type Path = Vec<Element>;

pub fn display_path(path: &[Element]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// A set of paths, as a tree: `members` are the paths ending at this node's children,
/// `children` the subsets below them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: BTreeSet<Element>,
    children: BTreeMap<Element, FieldSet>,
}

impl FieldSet {
    pub fn new() -> Self {
        FieldSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.values().all(FieldSet::is_empty)
    }

    pub fn insert(&mut self, path: &[Element]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    pub fn has(&self, path: &[Element]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// The subset below `element` (paths that start with it, without it).
    pub fn child(&self, element: &Element) -> Option<&FieldSet> {
        self.children.get(element)
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (k, v) in &other.children {
            let merged = match out.children.get(k) {
                Some(mine) => mine.union(v),
                None => v.clone(),
            };
            out.children.insert(k.clone(), merged);
        }
        out
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (k, v) in &self.children {
            let rest = match other.children.get(k) {
                Some(theirs) => v.difference(theirs),
                None => v.clone(),
            };
            if !rest.is_empty() {
                children.insert(k.clone(), rest);
            }
        }
        FieldSet { members, children }
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.intersection(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (k, v) in &self.children {
            if let Some(theirs) = other.children.get(k) {
                let both = v.intersection(theirs);
                if !both.is_empty() {
                    children.insert(k.clone(), both);
                }
            }
        }
        FieldSet { members, children }
    }

    /// Removes the paths of `other` and everything below its members.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (k, v) in &self.children {
            if other.members.contains(k) {
                continue;
            }
            let rest = match other.children.get(k) {
                Some(theirs) => v.recursive_difference(theirs),
                None => v.clone(),
            };
            if !rest.is_empty() {
                children.insert(k.clone(), rest);
            }
        }
        FieldSet { members, children }
    }

    /// Adds, as members, the fields on the way to each member (what structured-merge-diff's
    /// `EnsureNamedFieldsAreMembers` does for struct fields), so that a field whose every
    /// owned descendant goes can go too.
    pub fn with_field_parents(&self) -> FieldSet {
        let mut out = FieldSet { members: self.members.clone(), children: BTreeMap::new() };
        for (k, v) in &self.children {
            if v.is_empty() {
                continue;
            }
            if matches!(k, Element::Field(_)) {
                out.members.insert(k.clone());
            }
            out.children.insert(k.clone(), v.with_field_parents());
        }
        out
    }

    /// Every member path, in order.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        let mut keys: BTreeSet<&Element> = self.members.iter().collect();
        keys.extend(self.children.keys());
        for k in keys {
            prefix.push(k.clone());
            if self.members.contains(k) {
                out.push(prefix.clone());
            }
            if let Some(child) = self.children.get(k) {
                child.collect(prefix, out);
            }
            prefix.pop();
        }
    }

    /// The `fieldsV1` object.
    pub fn to_fields_v1(&self) -> Value {
        Value::Object(self.emit(false))
    }

    fn emit(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self {
            out.insert(".".into(), Value::Object(Map::new()));
        }
        let mut keys: BTreeSet<&Element> = self.members.iter().collect();
        keys.extend(self.children.keys().filter(|k| !self.children[*k].is_empty()));
        for k in keys {
            let value = match self.children.get(k).filter(|c| !c.is_empty()) {
                Some(child) => child.emit(self.members.contains(k)),
                None => Map::new(),
            };
            out.insert(k.encode(), Value::Object(value));
        }
        out
    }

    /// Parses a `fieldsV1` object.
    pub fn from_fields_v1(value: &Value) -> Result<FieldSet, String> {
        let Value::Object(map) = value else {
            return Err("fieldsV1 must be an object".into());
        };
        let mut set = FieldSet::new();
        for (key, child) in map {
            if key == "." {
                continue;
            }
            let element = Element::decode(key)?;
            let Value::Object(inner) = child else {
                return Err(format!("fieldsV1 entry {key:?} must be an object"));
            };
            if inner.is_empty() || inner.contains_key(".") {
                set.members.insert(element.clone());
            }
            let sub = FieldSet::from_fields_v1(child)?;
            if !sub.is_empty() {
                set.children.insert(element, sub);
            }
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(parts: &[Element]) -> Path {
        parts.to_vec()
    }

    #[test]
    fn fields_v1_round_trips_with_self_markers() {
        let v1 = json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                        "f:spec": {"f:containers": {"k:{\"name\":\"c\"}": {".": {}, "f:image": {}, "f:name": {}}},
                                   "f:replicas": {}}});
        let set = FieldSet::from_fields_v1(&v1).unwrap();
        assert!(set.has(&path(&[Element::field("metadata"), Element::field("labels")])));
        assert!(!set.has(&path(&[Element::field("metadata")])));
        let item = Element::key(&[("name", &json!("c"))]);
        assert!(set.has(&path(&[Element::field("spec"), Element::field("containers"), item])));
        assert_eq!(set.to_fields_v1(), v1);
    }

    #[test]
    fn set_operations() {
        let mut a = FieldSet::new();
        a.insert(&[Element::field("spec"), Element::field("replicas")]);
        a.insert(&[Element::field("spec"), Element::field("paused")]);
        let mut b = FieldSet::new();
        b.insert(&[Element::field("spec"), Element::field("replicas")]);
        let both = a.intersection(&b);
        assert_eq!(both.paths(), vec![path(&[Element::field("spec"), Element::field("replicas")])]);
        let rest = a.difference(&b);
        assert_eq!(rest.paths(), vec![path(&[Element::field("spec"), Element::field("paused")])]);
        assert_eq!(rest.union(&b), a);
        let mut spec = FieldSet::new();
        spec.insert(&[Element::field("spec")]);
        assert!(a.recursive_difference(&spec).is_empty());
    }

    #[test]
    fn paths_print_like_structured_merge_diff() {
        let p = [
            Element::field("spec"),
            Element::field("containers"),
            Element::key(&[("name", &json!("nginx"))]),
            Element::field("ports"),
            Element::key(&[("protocol", &json!("TCP")), ("containerPort", &json!(80))]),
        ];
        assert_eq!(
            display_path(&p),
            ".spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"]"
        );
        assert_eq!(
            display_path(&[
                Element::field("metadata"),
                Element::field("finalizers"),
                Element::value(&json!("a"))
            ]),
            ".metadata.finalizers[=\"a\"]"
        );
    }
}
