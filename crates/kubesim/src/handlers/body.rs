//! Request bodies (JSON, YAML or Kubernetes protobuf) in, JSON responses out.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::errors::{Error, Result};

/// The media type of the body without parameters, lower-cased.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{' || *b == b'[')
}

/// Decodes a JSON or YAML body into a JSON value.
pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Value> {
    let media = content_type(headers);
    if media == crate::protobuf::MEDIA_TYPE {
        // kubectl's typed clients send built-in kinds as protobuf (see `crate::protobuf`).
        return crate::protobuf::decode(body).map_err(|e| {
            if e.starts_with("no protobuf decoding") {
                Error::UnsupportedMediaType(format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({e})"
                ))
            } else {
                Error::BadRequest(format!("unable to decode the protobuf body: {e}"))
            }
        });
    }
    if media.contains("protobuf") {
        return Err(Error::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {media})"
        )));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest("the request body is empty".into()));
    }
    let yaml = media.contains("yaml") || (!media.contains("json") && !looks_like_json(body));
    if yaml {
        serde_yaml::from_slice::<Value>(body)
            .map_err(|e| Error::BadRequest(format!("error converting YAML to JSON: yaml: {e}")))
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| {
            Error::BadRequest(format!("couldn't get version/kind; json parse error: {e}"))
        })
    }
}

pub fn json_bytes(code: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (code, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn json(code: StatusCode, value: &Value) -> Response {
    json_bytes(code, serde_json::to_vec(value).unwrap_or_default())
}

/// Adds `Warning: 299 - "..."` headers.
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let text = format!("299 - {warning:?}");
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

/// An item of a list: built-in lists omit each item's apiVersion and kind, as the apiserver
/// encodes typed lists; custom resource lists keep them.
struct ListItem<'a> {
    value: &'a Value,
    keep_type: bool,
}

impl Serialize for ListItem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(map) = self.value.as_object() else {
            return self.value.serialize(serializer);
        };
        let mut out = serializer.serialize_map(None)?;
        for (k, v) in map {
            if !self.keep_type && (k == "apiVersion" || k == "kind") {
                continue;
            }
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}

/// `{"kind":"XList","apiVersion":...,"metadata":{...},"items":[...]}`.
pub fn list_body(
    list_kind: &str,
    api_version: &str,
    metadata: &Value,
    items: &[Arc<Value>],
    keep_item_types: bool,
) -> Bytes {
    let mut out = Vec::with_capacity(128 + items.len() * 512);
    out.extend_from_slice(b"{\"kind\":");
    let _ = serde_json::to_writer(&mut out, list_kind);
    out.extend_from_slice(b",\"apiVersion\":");
    let _ = serde_json::to_writer(&mut out, api_version);
    out.extend_from_slice(b",\"metadata\":");
    let _ = serde_json::to_writer(&mut out, metadata);
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ =
            serde_json::to_writer(&mut out, &ListItem { value: item, keep_type: keep_item_types });
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}
