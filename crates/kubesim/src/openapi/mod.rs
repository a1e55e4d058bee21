//! OpenAPI v3, as far as this round goes: the index of group-versions and, per group-version,
//! its operations with the `fieldValidation` parameter, which is how kubectl decides to leave
//! field validation to the server. Schemas (for `kubectl explain` and client-side strategic
//! merge) come with the OpenAPI round; `/openapi/v2` answers 404 until then.

pub mod builtin;
pub mod shape;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::registry::Resource;

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

pub fn v3_index(groups: &[(String, Vec<String>)], resources: &[Arc<Resource>]) -> Value {
    let mut paths = Map::new();
    for (group, versions) in groups {
        for version in versions {
            let doc = v3_document(group, version, resources);
            let mut hasher = DefaultHasher::new();
            doc.to_string().hash(&mut hasher);
            let path = gv_path(group, version);
            paths.insert(
                path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={:016X}", hasher.finish())}),
            );
        }
    }
    json!({"paths": paths})
}

pub fn v3_document(group: &str, version: &str, resources: &[Arc<Resource>]) -> Value {
    let mut paths = Map::new();
    for r in resources.iter().filter(|r| r.group == group && r.version == version) {
        let prefix = format!("/{}", gv_path(group, version));
        let item = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        let params = json!([
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        let op = |action: &str| {
            json!({"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
                   "parameters": params, "responses": {"200": {"description": "OK"}}})
        };
        paths.insert(
            item,
            json!({"get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete")}),
        );
    }
    json!({"openapi": "3.0.0",
           "info": {"title": "Kubernetes", "version": crate::discovery::GIT_VERSION},
           "paths": paths, "components": {"schemas": {}}})
}
