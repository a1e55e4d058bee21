//! The bridge between client-side apply (`kubectl.kubernetes.io/last-applied-configuration`)
//! and server-side apply by the manager `kubectl`, as the apiserver builds it: conflicts on
//! fields the annotation holds at their live values are allowed (the object moves from
//! client-side to server-side apply), and the annotation follows later server-side applies.

use serde_json::{Map, Value};

use super::Scope;
use super::fieldset::FieldSet;
use super::typed;

pub const ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn annotation(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/annotations")?.get(ANNOTATION)?.as_str().filter(|s| !s.is_empty())
}

/// The fields a server-side apply by `kubectl` may take without conflict: those of the
/// last-applied configuration whose live values still match it. `None` without annotation.
pub fn allowed_conflicts(scope: Scope, live: &Value) -> Option<FieldSet> {
    let last: Value = serde_json::from_str(annotation(live)?).ok()?;
    if last.get("apiVersion").and_then(Value::as_str) != Some(scope.api_version) {
        return None;
    }
    let set = typed::field_set(&last, scope.shape).ok()?;
    let comparison = typed::compare(&last, live, scope.shape);
    Some(
        set.difference(&comparison.modified)
            .difference(&comparison.added)
            .difference(&comparison.removed),
    )
}

/// After a server-side apply by `kubectl`: an object that has the annotation gets the applied
/// configuration in it.
pub fn update_annotation(obj: &mut Value, config: &Value) {
    if annotation(obj).is_none() {
        return;
    }
    let mut config = config.clone();
    if let Some(Value::Object(annotations)) = config.pointer_mut("/metadata/annotations") {
        annotations.remove(ANNOTATION);
    }
    let mut text = sorted_json(&config);
    text.push('\n');
    if let Some(Value::Object(annotations)) = obj.pointer_mut("/metadata/annotations") {
        annotations.insert(ANNOTATION.into(), Value::String(text));
    }
}

/// JSON with object keys sorted, as Go encodes maps.
fn sorted_json(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let sorted: Map<String, Value> =
                    keys.into_iter().map(|k| (k.clone(), sort(&map[k]))).collect();
                Value::Object(sorted)
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::Reset;
    use crate::openapi::shape::Shape;
    use serde_json::json;

    fn scope() -> Scope<'static> {
        Scope {
            shape: Shape::builtin("", "v1", "ConfigMap").unwrap(),
            api_version: "v1",
            subresource: "",
            reset: Reset::Nothing,
        }
    }

    #[test]
    fn fields_still_as_last_applied_are_allowed() {
        let last = r#"{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"name":"c"}}"#;
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {ANNOTATION: last}},
            "data": {"a": "1", "b": "changed"}});
        let allowed = allowed_conflicts(scope(), &live).unwrap();
        let path = |k: &str| {
            vec![
                crate::apply::fieldset::Element::field("data"),
                crate::apply::fieldset::Element::field(k),
            ]
        };
        assert!(allowed.has(&path("a")));
        assert!(!allowed.has(&path("b")));
    }

    #[test]
    fn the_annotation_follows_the_applied_configuration() {
        let mut obj = json!({"metadata": {"annotations": {ANNOTATION: "{}"}}});
        let config = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}});
        update_annotation(&mut obj, &config);
        assert_eq!(
            obj["metadata"]["annotations"][ANNOTATION],
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}\n"
        );
    }
}
