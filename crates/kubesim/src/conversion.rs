//! Between the stored form of an object and the form a version serves: apiVersion for
//! versions that share a schema, field mapping for events.k8s.io/v1 Events kept as core/v1
//! Events (as the real apiserver stores them).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::registry::{Codec, Resource};

/// (core/v1 field, events.k8s.io/v1 field)
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
];

fn rename(obj: Value, api_version: &str, to_v1: bool) -> Value {
    let Value::Object(map) = obj else {
        return obj;
    };
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        let renamed = EVENT_FIELDS
            .iter()
            .find(|(core, v1)| if to_v1 { core == &key } else { v1 == &key })
            .map(|(core, v1)| if to_v1 { *v1 } else { *core });
        match renamed {
            Some(name) => {
                out.insert(name.to_string(), value);
            }
            None if key == "apiVersion" => {
                out.insert(key, Value::String(api_version.to_string()));
            }
            None => {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

/// The object as `resource`'s version serves it. Shares the stored object when nothing
/// changes.
pub fn to_served(resource: &Resource, stored: &Arc<Value>) -> Arc<Value> {
    let api_version = resource.api_version();
    match resource.codec {
        Codec::Plain if api_version == resource.storage_api_version => stored.clone(),
        Codec::Plain => {
            let mut obj = (**stored).clone();
            if let Some(map) = obj.as_object_mut() {
                map.insert("apiVersion".into(), Value::String(api_version));
            }
            Arc::new(obj)
        }
        Codec::EventsV1 => Arc::new(rename((**stored).clone(), &api_version, true)),
    }
}

/// The object as it is stored, from the form `resource`'s version accepts.
pub fn to_storage(resource: &Resource, served: Value) -> Value {
    match resource.codec {
        Codec::Plain => {
            let mut obj = served;
            if let Some(map) = obj.as_object_mut() {
                map.insert(
                    "apiVersion".into(),
                    Value::String(resource.storage_api_version.clone()),
                );
            }
            obj
        }
        Codec::EventsV1 => rename(served, &resource.storage_api_version, false),
    }
}
