//! get and list (as objects, `Table`s or metadata, see [`crate::table`]): selectors, `limit`/`continue` pagination over a consistent snapshot, and the
//! `resourceVersion`/`resourceVersionMatch` semantics.

use std::sync::Arc;

use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use serde_json::{Value, json};

use super::{Ctx, body};
use crate::errors::{Error, Result};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::{ObjectKey, StoreError, object};
use crate::table::{self, Output};

pub fn get(ctx: &mut Ctx) -> Result<Response> {
    let output = table::negotiate(&ctx.headers)?;
    let stored = ctx.current()?;
    match output {
        Output::Objects => Ok(ctx.respond(StatusCode::OK, &stored)),
        Output::Table(version) => {
            let include = table::include(&ctx.query)?;
            let served = ctx.served(&stored);
            let rv = served.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null);
            let metadata = json!({"resourceVersion": rv});
            let table = table::table(&ctx.resource, &[served], metadata, version, include);
            Ok(body::json(StatusCode::OK, &table))
        }
        Output::Metadata(version) => {
            Ok(body::json(StatusCode::OK, &table::metadata_of(&ctx.served(&stored), version)))
        }
    }
}

/// Label and field selectors of a list or watch, checked against the resource.
pub struct Filter {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn from_ctx(ctx: &Ctx) -> Result<Self> {
        let labels = LabelSelector::parse(ctx.query.get("labelSelector").unwrap_or(""))
            .map_err(Error::BadRequest)?;
        let mut field_text = ctx.query.get("fieldSelector").unwrap_or("").to_string();
        if let Some(name) = &ctx.path.name {
            // A watch on a named object is a watch with a name field selector.
            if !field_text.is_empty() {
                field_text.push(',');
            }
            field_text.push_str(&format!("metadata.name={name}"));
        }
        let fields = FieldSelector::parse(&field_text).map_err(Error::BadRequest)?;
        for label in fields.fields() {
            if !ctx.resource.supports_field_label(label) {
                return Err(Error::BadRequest(format!("field label not supported: {label}")));
            }
        }
        Ok(Filter { namespace: ctx.path.namespace.clone(), labels, fields })
    }

    pub fn is_trivial(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.namespace.as_deref().is_none_or(|ns| object::namespace(obj) == Some(ns))
            && self.labels.matches(object::labels(obj))
            && self.fields.matches(obj)
    }
}

fn encode_continue(rv: u64, last: &ObjectKey) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv,
                       "start": format!("{}/{}", last.namespace, last.name)});
    URL_SAFE_NO_PAD.encode(token.to_string())
}

fn decode_continue(token: &str) -> Result<(u64, ObjectKey)> {
    let invalid = || Error::BadRequest("continue key is not valid: invalid continue token".into());
    let raw = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).map_err(|_| invalid())?;
    let value: Value = serde_json::from_slice(&raw).map_err(|_| invalid())?;
    let rv = value.get("rv").and_then(Value::as_u64).ok_or_else(invalid)?;
    let start = value.get("start").and_then(Value::as_str).ok_or_else(invalid)?;
    let (namespace, name) = start.split_once('/').ok_or_else(invalid)?;
    Ok((rv, ObjectKey::new(namespace, name)))
}

pub fn too_large(requested: u64, current: u64) -> Error {
    Error::Timeout(format!("Too large resource version: {requested}, current: {current}"))
}

fn parse_rv(text: &str) -> Result<u64> {
    text.parse::<u64>()
        .map_err(|_| Error::BadRequest(format!("invalid resource version: {text:?}")))
}

pub fn list(ctx: &mut Ctx) -> Result<Response> {
    let output = table::negotiate(&ctx.headers)?;
    let include = table::include(&ctx.query)?;
    let filter = Filter::from_ctx(ctx)?;
    let limit = ctx.query.int("limit")?.filter(|l| *l > 0).map(|l| l as usize);
    let store = &ctx.api.store;
    let storage = ctx.resource.storage.as_str();
    let namespace = ctx.path.namespace.as_deref();
    let rv_param = ctx.query.non_empty("resourceVersion");
    let rv_match = ctx.query.non_empty("resourceVersionMatch");
    let (rv, items) = if let Some(token) = ctx.query.non_empty("continue") {
        if rv_param.is_some() {
            return Err(Error::BadRequest(
                "specifying resource version is not allowed when using continue".into(),
            ));
        }
        let (rv, start) = decode_continue(token)?;
        let items = store
            .list_at(storage, namespace, rv, Some(&start))
            .map_err(|e| match e {
                StoreError::Expired { .. } => Error::Expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to start from the next item.".into(),
                ),
                other => Error::Internal(other.to_string()),
            })?;
        (rv, items)
    } else {
        let current = store.current_rv();
        match (rv_param, rv_match) {
            (None, Some(_)) => {
                return Err(Error::BadRequest(
                    "resourceVersionMatch is forbidden unless resourceVersion is provided".into(),
                ));
            }
            (Some(text), Some("Exact")) => {
                let rv = parse_rv(text)?;
                if rv > current {
                    return Err(too_large(rv, current));
                }
                let items = store
                    .list_at(storage, namespace, rv, None)
                    .map_err(|e| Error::Expired(format!("too old resource version: {rv} ({e})")))?;
                (rv, items)
            }
            (Some(_), Some(other)) if other != "NotOlderThan" => {
                return Err(Error::BadRequest(format!(
                    "resourceVersionMatch: Unsupported value: {other:?}: supported values: \"Exact\", \"NotOlderThan\""
                )));
            }
            (Some(text), _) => {
                let rv = parse_rv(text)?;
                if rv > current {
                    return Err(too_large(rv, current));
                }
                let snapshot = store.list(storage, namespace);
                (snapshot.resource_version, snapshot.items)
            }
            (None, None) => {
                let snapshot = store.list(storage, namespace);
                (snapshot.resource_version, snapshot.items)
            }
        }
    };
    let mut matching = items.into_iter().filter(|o| filter.matches(o));
    let mut page: Vec<Arc<Value>> = Vec::new();
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    match limit {
        None => page.extend(matching),
        Some(limit) => {
            page.extend(matching.by_ref().take(limit));
            let rest: Vec<Arc<Value>> = matching.collect();
            if !rest.is_empty()
                && let Some(last) = page.last()
            {
                metadata["continue"] = json!(encode_continue(rv, &ObjectKey::of(last)));
                if filter.is_trivial() {
                    metadata["remainingItemCount"] = json!(rest.len());
                }
            }
        }
    }
    let served: Vec<Arc<Value>> = page.iter().map(|o| ctx.served(o)).collect();
    match output {
        Output::Objects => {}
        Output::Table(version) => {
            let table = table::table(&ctx.resource, &served, metadata, version, include);
            return Ok(body::json(StatusCode::OK, &table));
        }
        Output::Metadata(version) => {
            return Ok(body::json(
                StatusCode::OK,
                &table::metadata_list(&served, metadata, version),
            ));
        }
    }
    let bytes = body::list_body(
        &ctx.resource.list_kind,
        &ctx.resource.api_version(),
        &metadata,
        &served,
        ctx.resource.is_custom(),
    );
    Ok(body::json_bytes(StatusCode::OK, bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let key = ObjectKey::new("default", "web-1");
        let (rv, start) = decode_continue(&encode_continue(42, &key)).unwrap();
        assert_eq!((rv, start), (42, key));
        assert!(decode_continue("not a token").is_err());
    }
}
