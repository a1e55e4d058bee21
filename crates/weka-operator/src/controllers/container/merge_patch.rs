//! The JSON merge patch (RFC 7386) that turns one document into another, so that a status
//! write carries only what changed, and nothing at all when nothing did.

use serde_json::{Map, Value};

/// The merge patch from `before` to `after`; `None` when they are equal.
///
/// Objects are diffed key by key (a removed key becomes `null`); anything else, arrays
/// included, is replaced whole. A `null` inside `after` cannot be expressed by a merge patch
/// and reads as "remove", which is how the status types serialize absent fields anyway.
pub fn diff(before: &Value, after: &Value) -> Option<Value> {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch = Map::new();
            for (key, new_value) in new {
                match old.get(key) {
                    Some(old_value) => {
                        if let Some(change) = diff(old_value, new_value) {
                            patch.insert(key.clone(), change);
                        }
                    }
                    None if new_value.is_null() => {}
                    None => {
                        patch.insert(key.clone(), new_value.clone());
                    }
                }
            }
            for key in old.keys().filter(|k| !new.contains_key(*k)) {
                if !old[key].is_null() {
                    patch.insert(key.clone(), Value::Null);
                }
            }
            (!patch.is_empty()).then_some(Value::Object(patch))
        }
        (old, new) if old == new => None,
        (_, new) => Some(new.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equal_documents_need_no_patch() {
        let doc = json!({"status": "Running", "conditions": [{"type": "Ready"}]});
        assert_eq!(diff(&doc, &doc.clone()), None);
    }

    #[test]
    fn only_changed_keys_are_sent_and_removed_keys_become_null() {
        let before =
            json!({"status": "Init", "nodeAffinity": "n1", "printer": {"a": "1", "b": "2"}});
        let after = json!({"status": "Running", "printer": {"a": "1", "b": "3"}});
        assert_eq!(
            diff(&before, &after),
            Some(json!({"status": "Running", "nodeAffinity": null, "printer": {"b": "3"}}))
        );
    }

    #[test]
    fn arrays_are_replaced_whole() {
        let before = json!({"ips": ["a", "b"]});
        let after = json!({"ips": ["a"]});
        assert_eq!(diff(&before, &after), Some(json!({"ips": ["a"]})));
    }

    #[test]
    fn a_document_that_appears_is_sent_whole() {
        assert_eq!(diff(&Value::Null, &json!({"status": "Init"})), Some(json!({"status": "Init"})));
    }
}
