//! Walking an object alongside its OpenAPI schema to learn how each part merges: which lists
//! merge by which keys (strategic merge patch), and which are sets, maps or atomic and which
//! structs are atomic (server-side apply). Built-in kinds use their generated definitions
//! (`$ref`s resolved), custom resources their CRD's structural schema. Where the schema says
//! nothing (unknown or preserved fields), maps merge key by key and lists are atomic, as the
//! apiserver's "deduced" type does.

use serde_json::{Map, Value};

use super::builtin::builtins;

/// How server-side apply treats a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListType {
    Atomic,
    /// Scalars, each owned on its own.
    Set,
    /// Objects identified by these keys.
    Map(Vec<String>),
}

/// A position in a schema. Copy, cheap; the default is the schema-less ("deduced") shape.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shape<'a> {
    /// The schema at this position as its parent declares it (where list and patch extensions
    /// live).
    declared: Option<&'a Value>,
    /// The same schema with references followed (properties, items, map-type).
    resolved: Option<&'a Value>,
    /// The definition name `resolved` came from, if any.
    definition: Option<&'a str>,
    definitions: Option<&'a Map<String, Value>>,
}

impl<'a> Shape<'a> {
    /// A shape without schema: maps merge field by field, lists are atomic.
    pub fn deduced() -> Self {
        Shape::default()
    }

    /// The root of a custom resource's schema (a CRD version's `openAPIV3Schema`).
    pub fn of_schema(schema: &'a Value) -> Self {
        Shape {
            declared: Some(schema),
            resolved: Some(schema),
            definition: None,
            definitions: None,
        }
    }

    /// The root of a built-in kind, if kubesim knows its definition.
    pub fn builtin(group: &str, version: &str, kind: &str) -> Option<Shape<'static>> {
        let b = builtins();
        let name = b.definition_of(group, version, kind)?;
        let (name, def) = b.definitions.get_key_value(name)?;
        Some(Shape {
            declared: Some(def),
            resolved: Some(def),
            definition: Some(name.as_str()),
            definitions: Some(&b.definitions),
        })
    }

    /// The shape of a resource: its CRD schema or built-in definition.
    pub fn of_resource(resource: &'a crate::registry::Resource) -> Shape<'a> {
        if let Some(schema) = resource.custom.as_ref().and_then(|c| c.schema.as_deref()) {
            return Shape::of_schema(schema);
        }
        Shape::builtin(&resource.group, &resource.version, &resource.kind).unwrap_or_default()
    }

    fn at(&self, declared: Option<&'a Value>) -> Shape<'a> {
        let mut shape = Shape { declared, resolved: declared, definition: None, ..*self };
        // Follow `$ref` and `allOf: [{$ref}]` (how a described reference is written).
        for _ in 0..8 {
            let Some(node) = shape.resolved else { break };
            let target = node.get("$ref").and_then(Value::as_str).or_else(|| {
                match node.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                    Some([single]) => single.get("$ref").and_then(Value::as_str),
                    _ => None,
                }
            });
            let Some(target) = target else { break };
            let name = target.rsplit('/').next().unwrap_or(target);
            match self.definitions.and_then(|d| d.get_key_value(name)) {
                Some((key, def)) => {
                    shape.resolved = Some(def);
                    shape.definition = Some(key.as_str());
                }
                None => {
                    shape.resolved = None;
                    break;
                }
            }
        }
        shape
    }

    fn extension(&self, key: &str) -> Option<&'a Value> {
        self.declared.and_then(|d| d.get(key)).or_else(|| self.resolved.and_then(|r| r.get(key)))
    }

    /// The shape of member `key` of an object (a declared property, else the map's values).
    pub fn field(&self, key: &str) -> Shape<'a> {
        let Some(node) = self.resolved else {
            return Shape { definitions: self.definitions, ..Shape::default() };
        };
        if let Some(prop) = node.get("properties").and_then(|p| p.get(key)) {
            return self.at(Some(prop));
        }
        match node.get("additionalProperties") {
            Some(add @ Value::Object(_)) => self.at(Some(add)),
            _ => Shape { definitions: self.definitions, ..Shape::default() },
        }
    }

    /// Whether `key` is a declared property (not a map entry or unknown field).
    pub fn declares(&self, key: &str) -> bool {
        self.resolved.and_then(|n| n.get("properties")).is_some_and(|p| p.get(key).is_some())
    }

    /// The shape of the items of a list.
    pub fn items(&self) -> Shape<'a> {
        self.at(self.resolved.and_then(|n| n.get("items")))
    }

    /// The strategic merge patch strategy of this (list or struct) field: whether lists merge,
    /// and by which key. Lists without one are replaced.
    pub fn patch_merge(&self) -> Option<&'a str> {
        let strategy = self.extension("x-kubernetes-patch-strategy")?.as_str()?;
        strategy
            .split(',')
            .any(|s| s == "merge")
            .then(|| self.extension("x-kubernetes-patch-merge-key").and_then(Value::as_str))
            .map(|key| key.unwrap_or(""))
    }

    /// The server-side apply type of this list: `x-kubernetes-list-type`, else derived from
    /// the patch strategy as the apiserver's schema conversion does, else atomic.
    pub fn list_type(&self) -> ListType {
        match self.extension("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("set") => return ListType::Set,
            Some("map") => {
                let keys = self
                    .extension("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|k| k.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                return ListType::Map(keys);
            }
            Some(_) => return ListType::Atomic,
            None => {}
        }
        match self.patch_merge() {
            Some("") => ListType::Set,
            Some(key) => ListType::Map(vec![key.to_string()]),
            None => ListType::Atomic,
        }
    }

    /// Whether server-side apply owns this struct or map as a whole.
    pub fn atomic_map(&self) -> bool {
        self.extension("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic")
    }

    /// The schema's `default` for this position, if any.
    pub fn default_value(&self) -> Option<&'a Value> {
        self.extension("default")
    }

    /// The definition this shape resolved to (built-ins).
    pub fn definition(&self) -> Option<&'a str> {
        self.definition
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn built_in_lists_merge_by_their_keys() {
        let pod = Shape::builtin("", "v1", "Pod").unwrap();
        let containers = pod.field("spec").field("containers");
        assert_eq!(containers.patch_merge(), Some("name"));
        assert_eq!(containers.list_type(), ListType::Map(vec!["name".into()]));
        let ports = containers.items().field("ports");
        assert_eq!(
            ports.list_type(),
            ListType::Map(vec!["containerPort".into(), "protocol".into()])
        );
        let command = containers.items().field("command");
        assert_eq!((command.patch_merge(), command.list_type()), (None, ListType::Atomic));
        assert_eq!(pod.field("metadata").field("finalizers").list_type(), ListType::Set);
        assert!(pod.field("metadata").declares("labels"));
        assert!(!pod.field("metadata").field("labels").declares("app"));
    }

    #[test]
    fn deployment_selectors_are_atomic() {
        let d = Shape::builtin("apps", "v1", "Deployment").unwrap();
        assert!(d.field("spec").field("selector").atomic_map());
        assert!(!d.field("spec").field("template").atomic_map());
    }

    #[test]
    fn crd_schemas_give_list_map_keys() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
            "properties": {"drives": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["serial"], "items": {"type": "object"}}},
            "x-kubernetes-preserve-unknown-fields": true}}});
        let shape = Shape::of_schema(&schema);
        let drives = shape.field("spec").field("drives");
        assert_eq!(drives.list_type(), ListType::Map(vec!["serial".into()]));
        assert_eq!(shape.field("spec").field("other").list_type(), ListType::Atomic);
    }
}
