//! Shaping the schemas that `schemars` derives into the form Kubernetes' CRD tooling
//! (controller-gen) emits, so that our CRDs are field-for-field the same as upstream's.
//!
//! The derive gives us most of it; this module fixes what differs:
//! - `Option<T>` becomes `nullable: true` in kube's rewriter; controller-gen never emits it.
//! - Rust `isize` (our stand-in for Go's `int`) carries `format: int`; controller-gen emits none.
//! - `Option<Enum>` lists `null` among the enum values.
//! - Titles and `default: null` are noise.
//!
//! Embedded Kubernetes types (affinity, tolerations, ...) get hand-written schemas in
//! [`k8s`], because k8s-openapi's derived schemas lack the list/map-type markers.

pub mod k8s;

use serde_json::{Map, Value, json};

/// Rewrites a whole `openAPIV3Schema` in place (see the module docs).
pub fn to_controller_gen_form(root: &mut Value) {
    shape_node(root);
    if let Some(obj) = root.as_object_mut() {
        obj.remove("description");
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props.insert("apiVersion".into(), json!({"type": "string"}));
            props.insert("kind".into(), json!({"type": "string"}));
            props.insert("metadata".into(), json!({"type": "object"}));
        }
    }
}

fn shape_node(node: &mut Value) {
    let Some(obj) = node.as_object_mut() else { return };
    obj.remove("nullable");
    obj.remove("title");
    if obj.get("format").and_then(Value::as_str) == Some("int") {
        obj.remove("format");
    }
    if obj.get("default").is_some_and(Value::is_null) {
        obj.remove("default");
    }
    // kube's structural rewriter empties the branches of int-or-string `anyOf`s; restore them.
    if obj.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
        && obj.contains_key("anyOf")
    {
        obj.insert("anyOf".into(), json!([{"type": "integer"}, {"type": "string"}]));
    }
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    for key in ["minimum", "maximum"] {
        if let Some(v) = obj.get_mut(key) {
            integral_number(v);
        }
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(children)) = obj.get_mut(key) {
            children.values_mut().for_each(shape_node);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = obj.get_mut(key) {
            shape_node(child);
        }
    }
    for key in ["anyOf", "allOf", "oneOf"] {
        if let Some(Value::Array(children)) = obj.get_mut(key) {
            children.iter_mut().for_each(shape_node);
        }
    }
}

/// `1.0` → `1`, so that bounds read like controller-gen's.
fn integral_number(v: &mut Value) {
    if let Some(f) = v.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.0e15
    {
        *v = json!(f as i64);
    }
}

/// An object schema from `(name, schema)` pairs and the required names.
pub(crate) fn object(props: &[(&str, Value)], required: &[&str]) -> Value {
    let mut properties = Map::new();
    for (name, schema) in props {
        properties.insert((*name).to_string(), schema.clone());
    }
    let mut out = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        out["required"] = json!(required);
    }
    out
}
