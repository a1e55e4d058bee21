//! Helpers shared by the printers: column definitions and the cells every printer computes
//! the same way (ages, selectors, container lists).

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use crate::nodes::printer::human_duration;

pub const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
pub const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// One `columnDefinitions` entry.
pub fn column(name: &str, ty: &str, priority: i32, description: &str) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": description, "priority": priority})
}

pub fn name_column() -> Value {
    column("Name", "string", 0, NAME_DESCRIPTION)
}

pub fn age_column() -> Value {
    column("Age", "string", 0, AGE_DESCRIPTION)
}

pub fn text<'v>(obj: &'v Value, pointer: &str) -> &'v str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// `value`, or `<none>` when empty.
pub fn or_none(value: &str) -> String {
    if value.is_empty() { "<none>".into() } else { value.to_string() }
}

fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok()
}

/// kubectl's age of a timestamp (`<unknown>` when missing).
pub fn since(timestamp: &str, now: Timestamp) -> String {
    match parse_time(timestamp) {
        Some(t) => human_duration(now.duration_since(t).as_secs()),
        None => "<unknown>".into(),
    }
}

pub fn age(obj: &Value, now: Timestamp) -> Value {
    json!(since(text(obj, "/metadata/creationTimestamp"), now))
}

pub fn name(obj: &Value) -> Value {
    json!(text(obj, "/metadata/name"))
}

/// A `map[string]string` as `k=v,k2=v2` (sorted), or `<none>`.
pub fn labels_text(map: Option<&Value>) -> String {
    let Some(map) = map.and_then(Value::as_object).filter(|m| !m.is_empty()) else {
        return "<none>".into();
    };
    let mut pairs: Vec<String> =
        map.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect();
    pairs.sort();
    pairs.join(",")
}

/// A LabelSelector as kubectl prints it (`app=web,tier in (a,b)`), `<none>` when empty.
pub fn selector_text(selector: Option<&Value>) -> String {
    let Some(selector) = selector else { return "<none>".into() };
    let mut terms = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        let mut pairs: Vec<String> =
            labels.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect();
        pairs.sort();
        terms.extend(pairs);
    }
    for e in selector.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let mut values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        values.sort();
        match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => terms.push(format!("{key} in ({})", values.join(","))),
            "NotIn" => terms.push(format!("{key} notin ({})", values.join(","))),
            "Exists" => terms.push(key.to_string()),
            "DoesNotExist" => terms.push(format!("!{key}")),
            _ => {}
        }
    }
    if terms.is_empty() { "<none>".into() } else { terms.join(",") }
}

/// The container names and images of a pod template, comma separated.
pub fn containers_and_images(pod_spec: Option<&Value>) -> (Value, Value) {
    let containers = pod_spec.and_then(|s| s.get("containers")).and_then(Value::as_array);
    let names: Vec<&str> = containers
        .into_iter()
        .flatten()
        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let images: Vec<&str> = containers
        .into_iter()
        .flatten()
        .map(|c| c.get("image").and_then(Value::as_str).unwrap_or(""))
        .collect();
    (json!(names.join(",")), json!(images.join(",")))
}
