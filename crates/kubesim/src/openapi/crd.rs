//! The OpenAPI definitions of custom resources, built from their CRD's structural schema as the
//! apiextensions apiserver publishes them: named `<reversed group>.<version>.<Kind>`, with
//! `apiVersion`, `kind` and `metadata` (a reference to ObjectMeta) described, and
//! `x-kubernetes-group-version-kind` so that kubectl finds them.

use serde_json::{Map, Value, json};

use super::builtin::V3_PREFIX;
use crate::registry::Resource;

pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const METADATA_DESCRIPTION: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// `com.example.v1.Widget` for `example.com/v1`, kind `Widget`.
pub fn definition_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

/// The definition of a custom resource's version, or `None` for built-ins.
pub fn definition(resource: &Resource) -> Option<(String, Value)> {
    let info = resource.custom.as_ref()?;
    let mut schema = info.schema.as_deref().cloned().unwrap_or_else(|| json!({"type": "object"}));
    let map = schema.as_object_mut()?;
    map.entry("type").or_insert_with(|| json!("object"));
    let properties = map.entry("properties").or_insert_with(|| json!({}));
    if let Some(properties) = properties.as_object_mut() {
        properties.insert(
            "apiVersion".into(),
            json!({"description": API_VERSION_DESCRIPTION, "type": "string"}),
        );
        properties
            .insert("kind".into(), json!({"description": KIND_DESCRIPTION, "type": "string"}));
        properties.insert(
            "metadata".into(),
            json!({"allOf": [{"$ref": format!("{V3_PREFIX}{OBJECT_META}")}],
                   "description": METADATA_DESCRIPTION}),
        );
    }
    map.insert(
        "x-kubernetes-group-version-kind".into(),
        json!([{"group": resource.group, "kind": resource.kind, "version": resource.version}]),
    );
    Some((definition_name(&resource.group, &resource.version, &resource.kind), schema))
}

/// The list kind's definition (`WidgetList`), as the apiserver publishes it.
pub fn list_definition(resource: &Resource, item: &str) -> (String, Value) {
    let name = definition_name(&resource.group, &resource.version, &resource.list_kind);
    let schema = json!({
        "description": format!("{} is a list of {}", resource.list_kind, resource.kind),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": API_VERSION_DESCRIPTION, "type": "string"},
            "items": {"description": format!("List of {}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md", resource.plural),
                      "type": "array", "items": {"$ref": format!("{V3_PREFIX}{item}")}},
            "kind": {"description": KIND_DESCRIPTION, "type": "string"},
            "metadata": {"allOf": [{"$ref": format!("{V3_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta")}],
                         "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"},
        },
        "x-kubernetes-group-version-kind": [{"group": resource.group, "kind": resource.list_kind, "version": resource.version}],
    });
    (name, schema)
}

/// Every definition of the custom resources among `resources`.
pub fn definitions<'r>(resources: impl Iterator<Item = &'r Resource>) -> Map<String, Value> {
    let mut out = Map::new();
    for resource in resources {
        if let Some((name, schema)) = definition(resource) {
            let (list_name, list) = list_definition(resource, &name);
            out.insert(name, schema);
            out.insert(list_name, list);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::crd_resources;

    #[test]
    fn custom_resources_are_named_by_reversed_group_and_carry_their_kind() {
        assert_eq!(
            definition_name("weka.weka.io", "v1alpha1", "WekaCluster"),
            "io.weka.weka.v1alpha1.WekaCluster"
        );
        let crd = json!({"metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": true, "storage": true,
                        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                            "spec": {"type": "object", "description": "The spec.",
                                     "properties": {"size": {"type": "integer"}}}}}}}]}});
        let resources = crd_resources(&crd).unwrap();
        let (name, schema) = definition(&resources[0]).unwrap();
        assert_eq!(name, "com.example.v1.Widget");
        assert_eq!(schema["x-kubernetes-group-version-kind"][0]["kind"], "Widget");
        assert_eq!(schema["properties"]["spec"]["properties"]["size"]["type"], "integer");
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        let all = definitions(resources.iter());
        assert!(all.contains_key("com.example.v1.WidgetList"));
    }
}
