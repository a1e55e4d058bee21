//! The JSON merge patch (RFC 7386) from the status as last read or written to the status
//! now: a status write carries only what changed, and nothing at all when nothing did.

use serde_json::{Map, Value};

/// The merge patch turning `before` into `after`; `None` when they are equal. Objects are
/// compared key by key (a key gone from `after` is sent as `null`); anything else, arrays
/// included, is sent whole.
pub fn merge_patch(before: &Value, after: &Value) -> Option<Value> {
    let (Value::Object(old), Value::Object(new)) = (before, after) else {
        return (before != after).then(|| after.clone());
    };
    let mut patch = Map::new();
    for (key, value) in new {
        let change = match old.get(key) {
            Some(previous) => merge_patch(previous, value),
            None => (!value.is_null()).then(|| value.clone()),
        };
        if let Some(change) = change {
            patch.insert(key.clone(), change);
        }
    }
    for (key, previous) in old {
        if !new.contains_key(key) && !previous.is_null() {
            patch.insert(key.clone(), Value::Null);
        }
    }
    (!patch.is_empty()).then_some(Value::Object(patch))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::merge_patch;

    #[test]
    fn nothing_changed_means_no_patch() {
        let status = json!({"status": "Ready", "ports": {"basePort": 35000}});
        assert_eq!(merge_patch(&status, &status), None);
    }

    #[test]
    fn changed_and_removed_keys_are_sent() {
        let before = json!({"status": "Init", "ports": {"basePort": 35000, "lbPort": 35300}});
        let after = json!({"status": "Init", "ports": {"basePort": 35000}, "clusterID": "g"});
        assert_eq!(
            merge_patch(&before, &after),
            Some(json!({"ports": {"lbPort": null}, "clusterID": "g"}))
        );
    }

    #[test]
    fn lists_are_replaced_whole() {
        let before = json!({"conditions": [{"type": "A"}]});
        let after = json!({"conditions": [{"type": "A"}, {"type": "B"}]});
        assert_eq!(merge_patch(&before, &after), Some(after.clone()));
    }
}
