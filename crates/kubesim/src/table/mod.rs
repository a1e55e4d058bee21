//! Server-side printing: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (and v1beta1)
//! answers a `Table` with kubectl's columns — built-in kinds with upstream's printers
//! ([`builtin`], [`events`], [`cluster`], [`workloads`]), custom resources with their
//! `additionalPrinterColumns` ([`crd`]) — and rows carrying the object as `includeObject` asks
//! (None, Metadata by default, Object). `as=PartialObjectMetadata[List]` answers metadata only.

pub mod builtin;
pub mod cluster;
pub mod columns;
pub mod crd;
pub mod events;
pub mod jsonpath;
pub mod workloads;

use std::sync::Arc;

use http::{HeaderMap, header};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::errors::{Error, Result};
use crate::handlers::params::Query;
use crate::registry::Resource;

/// What the client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The objects themselves.
    Objects,
    /// A `Table` in `meta.k8s.io/<version>`.
    Table(&'static str),
    /// `PartialObjectMetadata(List)` in `meta.k8s.io/<version>`.
    Metadata(&'static str),
}

/// How much of each object a Table row carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

fn meta_version(version: &str) -> Option<&'static str> {
    match version {
        "v1" => Some("v1"),
        "v1beta1" => Some("v1beta1"),
        _ => None,
    }
}

/// Picks the first acceptable media type of `Accept`, as the apiserver negotiates. Media
/// types kubesim does not produce (protobuf) are passed over; a client that asks only for
/// transformations kubesim lacks (another Table version) gets 406, any other gets objects.
pub fn negotiate(headers: &HeaderMap) -> Result<Output> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut asked_transform = false;
    for media in accept.split(',') {
        let mut parts = media.split(';').map(str::trim);
        let kind = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |key: &str| params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        if !matches!(
            kind.as_str(),
            "application/json" | "application/*" | "*/*" | "application/yaml"
        ) {
            continue;
        }
        let Some(as_kind) = param("as") else { return Ok(Output::Objects) };
        asked_transform = true;
        if param("g") != Some("meta.k8s.io") {
            continue;
        }
        let Some(version) = param("v").and_then(meta_version) else { continue };
        match as_kind {
            "Table" => return Ok(Output::Table(version)),
            "PartialObjectMetadata" | "PartialObjectMetadataList" => {
                return Ok(Output::Metadata(version));
            }
            _ => continue,
        }
    }
    if !asked_transform {
        return Ok(Output::Objects);
    }
    Err(Error::NotAcceptable(
        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"
            .into(),
    ))
}

pub fn include(query: &Query) -> Result<Include> {
    match query.non_empty("includeObject") {
        None | Some("Metadata") => Ok(Include::Metadata),
        Some("None") => Ok(Include::None),
        Some("Object") => Ok(Include::Object),
        Some(other) => Err(Error::BadRequest(format!(
            "includeObject: Unsupported value: {other:?}: supported values: \"Metadata\", \"None\", \"Object\""
        ))),
    }
}

fn partial(obj: &Value, version: &str) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": format!("meta.k8s.io/{version}"),
           "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

/// A `Table` of `objects` (served form); `metadata` is the list metadata (resourceVersion,
/// continue).
pub fn table(
    resource: &Resource,
    objects: &[Arc<Value>],
    metadata: Value,
    version: &str,
    include: Include,
) -> Value {
    let now = Timestamp::now();
    type Cells<'a> = Box<dyn Fn(&Value) -> Vec<Value> + 'a>;
    let (columns, cells): (Vec<Value>, Cells) = match &resource.custom {
        Some(info) => (crd::columns(info), Box::new(move |o| crd::cells(info, o, now))),
        None => {
            let printer = builtin::printer(&resource.group, &resource.plural);
            (((printer.columns)()), Box::new(move |o| (printer.cells)(o, now)))
        }
    };
    let rows: Vec<Value> = objects
        .iter()
        .map(|obj| {
            let mut row = Map::new();
            row.insert("cells".into(), Value::Array(cells(obj)));
            match include {
                Include::None => {}
                Include::Metadata => {
                    row.insert("object".into(), partial(obj, version));
                }
                Include::Object => {
                    row.insert("object".into(), (**obj).clone());
                }
            }
            Value::Object(row)
        })
        .collect();
    json!({"kind": "Table", "apiVersion": format!("meta.k8s.io/{version}"), "metadata": metadata,
           "columnDefinitions": columns, "rows": rows})
}

/// `PartialObjectMetadata` of one object.
pub fn metadata_of(obj: &Value, version: &str) -> Value {
    partial(obj, version)
}

/// `PartialObjectMetadataList` of `objects`.
pub fn metadata_list(objects: &[Arc<Value>], metadata: Value, version: &str) -> Value {
    let items: Vec<Value> = objects.iter().map(|o| partial(o, version)).collect();
    json!({"kind": "PartialObjectMetadataList", "apiVersion": format!("meta.k8s.io/{version}"),
           "metadata": metadata, "items": items})
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn accept(value: &str) -> Result<Output> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers)
    }

    #[test]
    fn kubectl_gets_tables_and_others_objects() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(accept(kubectl).unwrap(), Output::Table("v1"));
        assert_eq!(
            accept("application/json;as=Table;v=v1beta1;g=meta.k8s.io").unwrap(),
            Output::Table("v1beta1")
        );
        assert_eq!(accept("application/json, */*").unwrap(), Output::Objects);
        assert_eq!(
            accept("application/vnd.kubernetes.protobuf,application/json").unwrap(),
            Output::Objects
        );
        assert_eq!(
            accept("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").unwrap(),
            Output::Metadata("v1")
        );
        assert_eq!(accept("application/json;as=Table;v=v2;g=meta.k8s.io").unwrap_err().code(), 406);
        assert_eq!(
            accept("application/vnd.kubernetes.protobuf;stream=watch").unwrap(),
            Output::Objects
        );
    }

    #[test]
    fn rows_carry_what_include_object_asks() {
        let resource = crate::registry::Registry::new().lookup("", "v1", "configmaps").unwrap();
        let cm = Arc::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "resourceVersion": "5"}, "data": {"a": "1"}}));
        let t = table(
            &resource,
            std::slice::from_ref(&cm),
            json!({"resourceVersion": "7"}),
            "v1",
            Include::Metadata,
        );
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["metadata"]["resourceVersion"], "7");
        assert_eq!(t["rows"][0]["cells"][0], "c");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        let t = table(&resource, std::slice::from_ref(&cm), json!({}), "v1beta1", Include::Object);
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1beta1");
        assert_eq!(t["rows"][0]["object"]["data"]["a"], "1");
        let t = table(&resource, &[cm], json!({}), "v1", Include::None);
        assert!(t["rows"][0].get("object").is_none());
    }
}
