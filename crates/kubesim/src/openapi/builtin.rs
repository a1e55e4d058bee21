//! The OpenAPI definitions of the built-in kinds, generated once from k8s-openapi's schemas (the
//! same descriptions and types as the apiserver's) and completed with what k8s-openapi leaves
//! out: the merge rules of [`crate::patch::merge_keys`] and `x-kubernetes-group-version-kind`.

use std::collections::HashMap;
use std::sync::LazyLock;

use k8s_openapi::api::{
    apps::v1 as apps, batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    events::v1 as events, policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
    storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use crate::patch::merge_keys;

/// Where definitions live in an OpenAPI v3 document.
pub const V3_PREFIX: &str = "#/components/schemas/";

pub struct Builtins {
    /// Every definition, by name (`io.k8s.api.core.v1.Pod`), in OpenAPI v3 form.
    pub definitions: Map<String, Value>,
    /// (group, version, kind) → definition name.
    kinds: HashMap<(String, String, String), String>,
}

impl Builtins {
    pub fn definition_of(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        self.kinds
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .map(String::as_str)
    }
}

static BUILTINS: LazyLock<Builtins> = LazyLock::new(generate);

/// The built-in definitions (generated on first use).
pub fn builtins() -> &'static Builtins {
    &BUILTINS
}

struct Collector {
    generator: SchemaGenerator,
    kinds: Vec<(&'static str, &'static str, String)>,
}

impl Collector {
    fn kind<T: JsonSchema>(&mut self, group: &'static str, version: &'static str) {
        self.generator.subschema_for::<T>();
        self.kinds.push((group, version, T::schema_name().into_owned()));
    }
}

fn generate() -> Builtins {
    let settings = SchemaSettings::openapi3().with(|s| s.meta_schema = None);
    let mut c = Collector { generator: settings.into_generator(), kinds: Vec::new() };
    c.kind::<core::ConfigMap>("", "v1");
    c.kind::<core::Endpoints>("", "v1");
    c.kind::<core::Event>("", "v1");
    c.kind::<core::Namespace>("", "v1");
    c.kind::<core::Node>("", "v1");
    c.kind::<core::PersistentVolumeClaim>("", "v1");
    c.kind::<core::PersistentVolume>("", "v1");
    c.kind::<core::Pod>("", "v1");
    c.kind::<core::Secret>("", "v1");
    c.kind::<core::ServiceAccount>("", "v1");
    c.kind::<core::Service>("", "v1");
    c.kind::<core::Binding>("", "v1");
    c.kind::<apiextensions::CustomResourceDefinition>("apiextensions.k8s.io", "v1");
    c.kind::<apps::DaemonSet>("apps", "v1");
    c.kind::<apps::Deployment>("apps", "v1");
    c.kind::<apps::ReplicaSet>("apps", "v1");
    c.kind::<apps::StatefulSet>("apps", "v1");
    c.kind::<batch::CronJob>("batch", "v1");
    c.kind::<batch::Job>("batch", "v1");
    c.kind::<coordination::Lease>("coordination.k8s.io", "v1");
    c.kind::<events::Event>("events.k8s.io", "v1");
    c.kind::<policy::PodDisruptionBudget>("policy", "v1");
    c.kind::<policy::Eviction>("policy", "v1");
    c.kind::<rbac::ClusterRoleBinding>("rbac.authorization.k8s.io", "v1");
    c.kind::<rbac::ClusterRole>("rbac.authorization.k8s.io", "v1");
    c.kind::<rbac::RoleBinding>("rbac.authorization.k8s.io", "v1");
    c.kind::<rbac::Role>("rbac.authorization.k8s.io", "v1");
    c.kind::<scheduling::PriorityClass>("scheduling.k8s.io", "v1");
    c.kind::<storage::CSIDriver>("storage.k8s.io", "v1");
    c.kind::<storage::StorageClass>("storage.k8s.io", "v1");
    // Referenced by every document (Status answers, lists, deletes).
    c.generator.subschema_for::<meta::Status>();
    c.generator.subschema_for::<meta::ListMeta>();
    c.generator.subschema_for::<meta::DeleteOptions>();
    let mut definitions = c.generator.take_definitions(true);
    annotate_merge_rules(&mut definitions);
    // Key fields of keyed lists that have a default, which server-side apply uses for items
    // that omit them.
    for port in ["io.k8s.api.core.v1.ContainerPort", "io.k8s.api.core.v1.ServicePort"] {
        if let Some(protocol) = definitions
            .get_mut(port)
            .and_then(|d| d.pointer_mut("/properties/protocol"))
            .and_then(Value::as_object_mut)
        {
            protocol.insert("default".into(), json!("TCP"));
        }
    }
    let mut kinds = HashMap::new();
    for (group, version, name) in c.kinds {
        let kind = name.rsplit('.').next().unwrap_or_default().to_string();
        if let Some(Value::Object(def)) = definitions.get_mut(&name) {
            def.insert(
                "x-kubernetes-group-version-kind".into(),
                json!([{"group": group, "kind": kind, "version": version}]),
            );
        }
        kinds.insert((group.to_string(), version.to_string(), kind), name);
    }
    Builtins { definitions, kinds }
}

/// Writes the merge rules into the definitions, as the apiserver's OpenAPI carries them.
fn annotate_merge_rules(definitions: &mut Map<String, Value>) {
    for (name, def) in definitions.iter_mut() {
        let Some(def) = def.as_object_mut() else { continue };
        if merge_keys::atomic_struct(name) {
            def.insert("x-kubernetes-map-type".into(), json!("atomic"));
        }
        let Some(Value::Object(properties)) = def.get_mut("properties") else { continue };
        for (field, property) in properties.iter_mut() {
            let Some(rule) = merge_keys::rule(name, field) else { continue };
            let Some(property) = property.as_object_mut() else { continue };
            let mut put = |key: &str, value: Value| {
                property.insert(key.into(), value);
            };
            if !rule.patch_strategy.is_empty() {
                put("x-kubernetes-patch-strategy", json!(rule.patch_strategy));
            }
            if !rule.merge_key.is_empty() {
                put("x-kubernetes-patch-merge-key", json!(rule.merge_key));
            }
            if !rule.list_type.is_empty() {
                put("x-kubernetes-list-type", json!(rule.list_type));
            }
            if !rule.list_map_keys.is_empty() {
                put("x-kubernetes-list-map-keys", json!(rule.list_map_keys));
            }
        }
    }
}

/// The definition names `root` refers to, directly or not (itself included).
pub fn closure<'a>(definitions: &'a Map<String, Value>, roots: &[&'a str]) -> Vec<&'a str> {
    let mut seen: Vec<&'a str> = Vec::new();
    let mut stack: Vec<&'a str> = roots.to_vec();
    while let Some(name) = stack.pop() {
        if seen.contains(&name) {
            continue;
        }
        let Some((key, def)) = definitions.get_key_value(name) else { continue };
        seen.push(key.as_str());
        collect_refs(def, &mut |target| {
            if let Some((k, _)) = definitions.get_key_value(target) {
                stack.push(k.as_str());
            }
        });
    }
    seen
}

/// Calls `found` with each definition name a schema refers to.
pub fn collect_refs(schema: &Value, found: &mut impl FnMut(&str)) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                if key == "$ref"
                    && let Some(target) = value.as_str().and_then(|r| r.rsplit('/').next())
                {
                    found(target);
                } else {
                    collect_refs(value, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_carry_their_kind_and_merge_rules() {
        let b = builtins();
        let pod = b.definition_of("", "v1", "Pod").unwrap();
        assert_eq!(pod, "io.k8s.api.core.v1.Pod");
        assert_eq!(
            b.definitions[pod]["x-kubernetes-group-version-kind"],
            json!([{"group": "", "kind": "Pod", "version": "v1"}])
        );
        let containers = &b.definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
        assert_eq!(
            b.definitions["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]["x-kubernetes-map-type"],
            "atomic"
        );
    }

    #[test]
    fn references_point_at_components() {
        let b = builtins();
        let spec = &b.definitions["io.k8s.api.core.v1.Pod"]["properties"]["spec"];
        assert_eq!(spec["allOf"][0]["$ref"], "#/components/schemas/io.k8s.api.core.v1.PodSpec");
        let names = closure(&b.definitions, &["io.k8s.api.core.v1.ConfigMap"]);
        assert!(names.contains(&"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        assert!(!names.contains(&"io.k8s.api.core.v1.PodSpec"));
    }
}
