//! Accessors for the metadata of objects held as `serde_json::Value`, shared by the store and
//! the API layer so that both read and write metadata the same way.

use serde_json::{Map, Value};

/// Where an object lives inside one resource table: cluster-scoped objects have an empty
/// namespace. The derived order (namespace, then name) is the order of list results.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectKey { namespace: namespace.into(), name: name.into() }
    }

    /// The key of an object from its metadata (missing parts read as empty).
    pub fn of(obj: &Value) -> Self {
        ObjectKey::new(namespace(obj).unwrap_or(""), name(obj).unwrap_or(""))
    }
}

pub fn metadata(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata").and_then(Value::as_object)
}

/// The metadata map, created if it is missing or not an object.
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = obj.as_object_mut().expect("made an object above");
    let meta = map.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("made an object above")
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    metadata(obj)?.get(field)?.as_str().filter(|s| !s.is_empty())
}

pub fn name(obj: &Value) -> Option<&str> {
    meta_str(obj, "name")
}

pub fn namespace(obj: &Value) -> Option<&str> {
    meta_str(obj, "namespace")
}

pub fn uid(obj: &Value) -> Option<&str> {
    meta_str(obj, "uid")
}

pub fn generate_name(obj: &Value) -> Option<&str> {
    meta_str(obj, "generateName")
}

pub fn deletion_timestamp(obj: &Value) -> Option<&str> {
    meta_str(obj, "deletionTimestamp")
}

/// The resourceVersion as a number; `None` when absent or empty, `Some(Err)` when unparsable.
pub fn resource_version(obj: &Value) -> Option<Result<u64, String>> {
    let rv = meta_str(obj, "resourceVersion")?;
    Some(rv.parse::<u64>().map_err(|_| rv.to_string()))
}

pub fn generation(obj: &Value) -> Option<i64> {
    metadata(obj)?.get("generation")?.as_i64()
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    metadata(obj)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|f| f.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

pub fn labels(obj: &Value) -> Option<&Map<String, Value>> {
    metadata(obj)?.get("labels")?.as_object()
}

pub fn set_resource_version(obj: &mut Value, rv: u64) {
    metadata_mut(obj).insert("resourceVersion".into(), Value::String(rv.to_string()));
}

/// Current time as Kubernetes writes timestamps (RFC 3339, whole seconds, UTC).
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A timestamp `seconds` from now, in the same format.
pub fn timestamp_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The object without `metadata` (and without `status` when `ignore_status`): the part whose
/// change bumps `metadata.generation`.
pub fn spec_part_equal(a: &Value, b: &Value, ignore_status: bool) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let relevant = |k: &String| {
        k != "metadata" && k != "apiVersion" && k != "kind" && !(ignore_status && k == "status")
    };
    let a_keys = a.iter().filter(|(k, _)| relevant(k));
    let b_count = b.keys().filter(|k| relevant(k)).count();
    let mut a_count = 0;
    for (k, v) in a_keys {
        a_count += 1;
        if b.get(k) != Some(v) {
            return false;
        }
    }
    a_count == b_count
}
