//! OpenAPI, as kubectl uses it: `/openapi/v3` (the index of group-versions, each with a
//! `serverRelativeURL` carrying a content hash) and `/openapi/v3/<gv>` (the operations with
//! their `fieldValidation`/`dryRun` parameters, which tell kubectl to leave validation to the
//! server, and the schemas with `x-kubernetes-group-version-kind` that `kubectl explain` and
//! kubectl's strategic merge patches read), and `/openapi/v2` (the aggregated Swagger 2.0
//! document, as JSON). Built-in schemas come from k8s-openapi ([`builtin`]), custom resources
//! from their CRDs ([`crd`]); [`shape`] walks either for patches and server-side apply.
//!
//! `/openapi/v2` is served as JSON only: a client that accepts nothing but the protobuf
//! encoding gets 406 Not Acceptable. kubectl 1.32 reads v3 first (explain, client-side apply,
//! diff) and only falls back to v2 when a kind is missing from v3, which does not happen here.

pub mod builtin;
pub mod crd;
pub mod shape;
pub mod v2;

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Map, Value, json};

use crate::errors::{Error, Result};
use crate::registry::Resource;
use builtin::builtins;

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// A serialized document and its hash.
#[derive(Clone)]
pub struct Document {
    pub bytes: Arc<Vec<u8>>,
    pub hash: String,
}

impl Document {
    fn new(doc: &Value) -> Document {
        let bytes = serde_json::to_vec(doc).unwrap_or_default();
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        Document { bytes: Arc::new(bytes), hash: format!("{:016X}", hasher.finish()) }
    }
}

/// Documents of group-versions that only built-in kinds serve never change.
static BUILTIN_DOCUMENTS: LazyLock<Mutex<HashMap<String, Document>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

pub fn v3_index(groups: &[(String, Vec<String>)], resources: &[Arc<Resource>]) -> Value {
    let mut paths = Map::new();
    for (group, versions) in groups {
        for version in versions {
            let doc = v3_document(group, version, resources);
            let path = gv_path(group, version);
            paths.insert(
                path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={}", doc.hash)}),
            );
        }
    }
    json!({"paths": paths})
}

/// The item path of each resource with its operations, `v3` or Swagger 2.0 parameters.
fn paths<'r>(resources: impl Iterator<Item = &'r Arc<Resource>>, v3: bool) -> Map<String, Value> {
    let mut paths = Map::new();
    for r in resources {
        let prefix = format!("/{}", gv_path(&r.group, &r.version));
        let item = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        let param = |name: &str| {
            if v3 {
                json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}})
            } else {
                json!({"name": name, "in": "query", "type": "string", "uniqueItems": true})
            }
        };
        let params = json!([param("fieldValidation"), param("dryRun"), param("fieldManager")]);
        let op = |action: &str| {
            json!({"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
                   "parameters": params, "responses": {"200": {"description": "OK"}}})
        };
        paths.insert(
            item,
            json!({"get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete")}),
        );
    }
    paths
}

/// The definitions of the kinds of one group-version, and of what they refer to.
fn schemas(in_gv: &[&Arc<Resource>]) -> Map<String, Value> {
    let b = builtins();
    let mut roots: Vec<&str> = in_gv
        .iter()
        .filter(|r| !r.is_custom())
        .filter_map(|r| b.definition_of(&r.group, &r.version, &r.kind))
        .collect();
    let custom = crd::definitions(in_gv.iter().map(|r| r.as_ref()));
    if !custom.is_empty() {
        roots.push(crd::OBJECT_META);
        roots.push("io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta");
    }
    roots.push("io.k8s.apimachinery.pkg.apis.meta.v1.Status");
    let mut out = Map::new();
    for name in builtin::closure(&b.definitions, &roots) {
        out.insert(name.to_string(), b.definitions[name].clone());
    }
    out.extend(custom);
    let mut sorted: Vec<(String, Value)> = out.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.into_iter().collect()
}

pub fn v3_document(group: &str, version: &str, resources: &[Arc<Resource>]) -> Document {
    let in_gv: Vec<&Arc<Resource>> =
        resources.iter().filter(|r| r.group == group && r.version == version).collect();
    let cacheable = !in_gv.iter().any(|r| r.is_custom());
    let key = gv_path(group, version);
    if cacheable
        && let Some(doc) = BUILTIN_DOCUMENTS.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
    {
        return doc.clone();
    }
    let doc = json!({"openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": crate::discovery::GIT_VERSION},
        "paths": paths(in_gv.iter().copied(), true),
        "components": {"schemas": schemas(&in_gv)}});
    let doc = Document::new(&doc);
    if cacheable {
        BUILTIN_DOCUMENTS.lock().unwrap_or_else(|e| e.into_inner()).insert(key, doc.clone());
    }
    doc
}

/// Built-in definitions in Swagger 2.0 form, converted once.
static BUILTIN_V2: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    builtins().definitions.iter().map(|(k, v)| (k.clone(), v2::schema(v))).collect()
});

/// Whether `accept` admits a JSON answer.
fn accepts_json(accept: &str) -> bool {
    accept.trim().is_empty()
        || accept.split(',').any(|m| {
            let media = m.split(';').next().unwrap_or("").trim();
            matches!(media, "application/json" | "application/*" | "*/*")
        })
}

/// The aggregated Swagger 2.0 document.
pub fn v2_document(resources: &[Arc<Resource>], accept: &str) -> Result<Vec<u8>> {
    if !accepts_json(accept) {
        return Err(Error::NotAcceptable(
            "only the following media types are accepted: application/json".into(),
        ));
    }
    let mut definitions = BUILTIN_V2.clone();
    let custom = crd::definitions(resources.iter().map(|r| r.as_ref()));
    definitions.extend(custom.iter().map(|(k, v)| (k.clone(), v2::schema(v))));
    let doc = json!({"swagger": "2.0",
        "info": {"title": "Kubernetes", "version": crate::discovery::GIT_VERSION},
        "paths": paths(resources.iter(), false),
        "definitions": definitions});
    Ok(serde_json::to_vec(&doc).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn built_in_documents_hold_their_kinds_and_references() {
        let resources = Registry::new().all();
        let doc = v3_document("apps", "v1", &resources);
        let value: Value = serde_json::from_slice(&doc.bytes).unwrap();
        let schemas = value["components"]["schemas"].as_object().unwrap();
        assert!(schemas.contains_key("io.k8s.api.apps.v1.Deployment"));
        assert!(schemas.contains_key("io.k8s.api.core.v1.PodSpec"));
        assert!(!schemas.contains_key("io.k8s.api.core.v1.Node"));
        assert!(
            value["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
                .is_object()
        );
        assert_eq!(v3_document("apps", "v1", &resources).hash, doc.hash);
    }

    #[test]
    fn v2_is_json_with_definitions() {
        let resources = Registry::new().all();
        let doc: Value =
            serde_json::from_slice(&v2_document(&resources, "application/json").unwrap()).unwrap();
        assert_eq!(doc["swagger"], "2.0");
        assert_eq!(
            doc["definitions"]["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.PodSpec"
        );
        let protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
        assert_eq!(v2_document(&resources, protobuf).unwrap_err().code(), 406);
    }
}
