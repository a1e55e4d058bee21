//! Swagger 2.0 (`/openapi/v2`) from the OpenAPI v3 definitions: references point at
//! `#/definitions/`, a described reference is written `$ref` with siblings (as the apiserver's
//! v2 document has it), and what Swagger 2.0 cannot say (`nullable`, `oneOf`, `anyOf`, `not`)
//! is left out, as the apiextensions apiserver does for CRD schemas.

use serde_json::{Map, Value, json};

const V2_PREFIX: &str = "#/definitions/";

/// A v3 schema in v2 form.
pub fn schema(v3: &Value) -> Value {
    let Value::Object(map) = v3 else { return v3.clone() };
    let mut out = Map::with_capacity(map.len());
    if let Some(Value::Array(all)) = map.get("allOf")
        && let [single] = all.as_slice()
        && let Some(target) = single.get("$ref").and_then(Value::as_str)
    {
        out.insert("$ref".into(), json!(rewrite_ref(target)));
    }
    for (key, value) in map {
        let converted = match key.as_str() {
            "allOf" if out.contains_key("$ref") => continue,
            "nullable" | "oneOf" | "anyOf" | "not" => continue,
            "$ref" => json!(rewrite_ref(value.as_str().unwrap_or(""))),
            "properties" => match value {
                Value::Object(props) => {
                    Value::Object(props.iter().map(|(k, v)| (k.clone(), schema(v))).collect())
                }
                other => other.clone(),
            },
            "items" | "additionalProperties" => schema(value),
            "allOf" => match value {
                Value::Array(items) => Value::Array(items.iter().map(schema).collect()),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Value::Object(out)
}

fn rewrite_ref(target: &str) -> String {
    let name = target.rsplit('/').next().unwrap_or(target);
    format!("{V2_PREFIX}{name}")
}

/// The whole document.
pub fn document(
    definitions: &Map<String, Value>,
    paths: Map<String, Value>,
    version: &str,
) -> Value {
    let definitions: Map<String, Value> =
        definitions.iter().map(|(k, v)| (k.clone(), schema(v))).collect();
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": version},
           "paths": paths, "definitions": definitions})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_v3_only_keywords_are_converted() {
        let v3 = json!({"type": "object", "properties": {
            "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.X"}], "description": "d"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/io.k8s.Y"}},
            "opt": {"type": "string", "nullable": true, "enum": ["a", "b"]},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true}}});
        let v2 = schema(&v3);
        assert_eq!(
            v2["properties"]["metadata"],
            json!({"$ref": "#/definitions/io.k8s.X", "description": "d"})
        );
        assert_eq!(v2["properties"]["items"]["items"]["$ref"], "#/definitions/io.k8s.Y");
        assert_eq!(v2["properties"]["opt"], json!({"type": "string", "enum": ["a", "b"]}));
        assert_eq!(v2["properties"]["either"], json!({"x-kubernetes-int-or-string": true}));
    }
}
