//! Type meta of embedded resources (`x-kubernetes-embedded-resource`), as
//! `schemaobjectmeta.Validate` checks it: `apiVersion` and `kind` present, strings, well formed.

use serde_json::{Map, Value};

use super::field_error::{FieldError, FieldPath};
use super::node::{Additional, Node};

/// Validates every embedded resource below the root (the root itself is checked elsewhere).
pub(crate) fn validate(root: &Node, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    walk(&FieldPath::root(), root, obj, &mut errs);
    errs
}

fn walk(path: &FieldPath, node: &Node, value: &Value, errs: &mut Vec<FieldError>) {
    match value {
        Value::Object(map) => {
            if node.embedded {
                validate_type_meta(path, map, errs);
            }
            for (k, v) in map {
                if let Some(prop) = node.property(k) {
                    walk(&path.child(k), prop, v, errs);
                } else if let Additional::Schema(add) = &node.additional {
                    walk(&path.key(k), add, v, errs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = node.items.as_deref() {
                for (i, item) in items.iter().enumerate() {
                    walk(&path.index(i), item_node, item, errs);
                }
            }
        }
        _ => {}
    }
}

fn validate_type_meta(path: &FieldPath, map: &Map<String, Value>, errs: &mut Vec<FieldError>) {
    let api_version = path.child("apiVersion").to_string();
    let kind = path.child("kind").to_string();
    match map.get("apiVersion") {
        None => errs.push(FieldError::required(api_version, "must not be empty")),
        Some(Value::String(s)) if s.is_empty() => {
            errs.push(FieldError::invalid(api_version, "", "must not be empty"))
        }
        Some(Value::String(s)) if s.matches('/').count() > 1 => errs.push(FieldError::invalid(
            api_version,
            s.as_str(),
            &format!("unexpected GroupVersion string: {s}"),
        )),
        Some(Value::String(_)) => {}
        Some(other) => errs.push(FieldError::invalid(api_version, other, "must be a string")),
    }
    match map.get("kind") {
        None => errs.push(FieldError::required(kind, "must not be empty")),
        Some(Value::String(s)) if s.is_empty() => {
            errs.push(FieldError::invalid(kind, "", "must not be empty"))
        }
        Some(Value::String(s)) => {
            if let Some(msg) = dns1035_label_error(&s.to_lowercase()) {
                let detail = format!("may have mixed case, but should otherwise match: {msg}");
                errs.push(FieldError::invalid(kind, s.as_str(), &detail));
            }
        }
        Some(other) => errs.push(FieldError::invalid(kind, other, "must be a string")),
    }
}

/// `validation.IsDNS1035Label`, joined with `,` as the apiserver joins its messages.
fn dns1035_label_error(s: &str) -> Option<String> {
    let mut msgs = Vec::new();
    if s.len() > 63 {
        msgs.push("must be no more than 63 characters".to_string());
    }
    let bytes = s.as_bytes();
    let valid = bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if !valid {
        msgs.push(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with \
             an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or \
             'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                .to_string(),
        );
    }
    if msgs.is_empty() { None } else { Some(msgs.join(",")) }
}
