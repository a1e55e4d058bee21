//! The `Status` a rejected write gets: 422 Invalid with one cause per field error
//! (`apierrors.NewInvalid`).

use serde_json::{Map, Value, json};

use super::field_error::FieldError;
use super::go_format::quote;

/// `<Kind>.<group> "<name>" is invalid: <errors>`, where errors are deduplicated and, if more
/// than one, listed as `[e1, e2]`.
pub fn invalid_message(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> String {
    let qualified = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let text = e.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    match seen.as_slice() {
        [] => format!("{qualified} {} is invalid", quote(name)),
        [one] => format!("{qualified} {} is invalid: {one}", quote(name)),
        many => format!("{qualified} {} is invalid: [{}]", quote(name), many.join(", ")),
    }
}

/// The full `Status` object (code 422, reason `Invalid`, `details.causes`).
pub fn invalid_status(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> Value {
    let causes: Vec<Value> = errors
        .iter()
        .map(|e| {
            let mut cause = Map::new();
            cause.insert("reason".into(), Value::String(e.kind.reason().into()));
            if !e.message.is_empty() {
                cause.insert("message".into(), Value::String(e.message.clone()));
            }
            if !e.field.is_empty() {
                cause.insert("field".into(), Value::String(e.field.clone()));
            }
            Value::Object(cause)
        })
        .collect();
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), Value::String(name.into()));
    }
    if !group.is_empty() {
        details.insert("group".into(), Value::String(group.into()));
    }
    details.insert("kind".into(), Value::String(kind.into()));
    details.insert("causes".into(), Value::Array(causes));
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": invalid_message(kind, group, name, errors),
        "reason": "Invalid",
        "details": Value::Object(details),
        "code": 422,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_has_no_brackets_and_many_are_bracketed() {
        let a = FieldError::required("spec.image", "");
        let b = FieldError::invalid("spec.numCores", "string", "bad");
        assert_eq!(
            invalid_message("WekaContainer", "weka.weka.io", "c1", std::slice::from_ref(&a)),
            r#"WekaContainer.weka.weka.io "c1" is invalid: spec.image: Required value"#
        );
        assert_eq!(
            invalid_message("WekaContainer", "weka.weka.io", "c1", &[a.clone(), b, a]),
            r#"WekaContainer.weka.weka.io "c1" is invalid: [spec.image: Required value, spec.numCores: Invalid value: "string": bad]"#
        );
    }

    #[test]
    fn status_carries_causes() {
        let s = invalid_status(
            "WekaCluster",
            "weka.weka.io",
            "x",
            &[FieldError::required("spec.image", "")],
        );
        assert_eq!(s["code"], 422);
        assert_eq!(s["reason"], "Invalid");
        assert_eq!(s["details"]["kind"], "WekaCluster");
        assert_eq!(
            s["details"]["causes"][0],
            json!({"reason": "FieldValueRequired", "message": "Required value", "field": "spec.image"})
        );
    }
}
