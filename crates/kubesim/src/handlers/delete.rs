//! delete and deletecollection: DeleteOptions from the body or the query, preconditions,
//! graceful deletion of pods, namespace termination.

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::read::Filter;
use super::{Ctx, DeleteRecord, body};
use crate::admission::store_error;
use crate::errors::{Error, Result};
use crate::hooks;
use crate::registry::Resource;
use crate::server::{ApiServer, success_status};
use crate::store::{DeleteMode, DeleteOptions, DeleteOutcome, ObjectKey, Propagation, object};

/// The DeleteOptions of one request.
#[derive(Clone, Debug, Default)]
pub struct DeleteRequest {
    pub grace_period_seconds: Option<i64>,
    /// Background, Foreground or Orphan: which garbage-collector finalizer the object gets
    /// (see `crate::gc`).
    pub propagation_policy: Option<String>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteRequest {
    pub fn from_ctx(ctx: &Ctx) -> Result<Self> {
        let mut request = DeleteRequest {
            grace_period_seconds: ctx.query.int("gracePeriodSeconds")?,
            propagation_policy: ctx.query.non_empty("propagationPolicy").map(str::to_string),
            dry_run: ctx.query.dry_run()?,
            ..Default::default()
        };
        if !ctx.body.iter().all(u8::is_ascii_whitespace) {
            let options = body::decode(&ctx.headers, &ctx.body)?;
            request.merge_body(&options)?;
        }
        if let Some(policy) = &request.propagation_policy
            && !matches!(policy.as_str(), "Orphan" | "Background" | "Foreground")
        {
            return Err(Error::BadRequest(format!(
                "propagationPolicy: Unsupported value: {policy:?}: supported values: \"Foreground\", \"Background\", \"Orphan\""
            )));
        }
        Ok(request)
    }

    pub fn record(&self) -> DeleteRecord {
        DeleteRecord {
            grace_period_seconds: self.grace_period_seconds,
            propagation_policy: self.propagation_policy.clone(),
            dry_run: self.dry_run,
        }
    }

    /// Options from a DeleteOptions object (the body of a delete, or of an eviction).
    pub fn merge_body(&mut self, options: &Value) -> Result<()> {
        if let Some(grace) = options.get("gracePeriodSeconds").and_then(Value::as_i64) {
            self.grace_period_seconds = Some(grace);
        }
        if let Some(policy) = options.get("propagationPolicy").and_then(Value::as_str) {
            self.propagation_policy = Some(policy.to_string());
        }
        match options.get("orphanDependents").and_then(Value::as_bool) {
            Some(true) => self.propagation_policy = Some("Orphan".into()),
            Some(false) if self.propagation_policy.is_none() => {
                self.propagation_policy = Some("Background".into())
            }
            _ => {}
        }
        if let Some(p) = options.get("preconditions") {
            self.uid = p.get("uid").and_then(Value::as_str).map(str::to_string);
            self.resource_version =
                p.get("resourceVersion").and_then(Value::as_str).map(str::to_string);
        }
        if let Some(dry) = options.get("dryRun").and_then(Value::as_array) {
            self.dry_run |= dry.iter().any(|d| d == "All");
        }
        Ok(())
    }
}

fn mark_namespace_terminating(ns: &mut Value) {
    if let Some(map) = ns.as_object_mut() {
        let status = map.entry("status").or_insert_with(|| json!({}));
        if let Some(status) = status.as_object_mut() {
            status.insert("phase".into(), json!("Terminating"));
        }
    }
}

/// How an object of `resource` is deleted: pods bound to a node wait for their kubelet
/// (grace period), unbound or finished pods go at once; namespaces empty themselves first.
fn delete_mode(resource: &Resource, current: &Value, request: &DeleteRequest) -> DeleteOptions {
    let propagation = match request.propagation_policy.as_deref() {
        Some("Foreground") => Some(Propagation::Foreground),
        Some("Orphan") => Some(Propagation::Orphan),
        Some("Background") => Some(Propagation::Background),
        _ => None,
    };
    let mut options = DeleteOptions {
        dry_run: request.dry_run,
        propagation,
        uid: request.uid.clone(),
        resource_version: request.resource_version.clone(),
        ..Default::default()
    };
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "pods") => {
            let bound = current
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            let finished = matches!(
                current.pointer("/status/phase").and_then(Value::as_str),
                Some("Succeeded" | "Failed")
            );
            let grace = request.grace_period_seconds.unwrap_or_else(|| {
                current
                    .pointer("/spec/terminationGracePeriodSeconds")
                    .and_then(Value::as_i64)
                    .unwrap_or(30)
            });
            if bound && !finished && grace > 0 {
                options.mode = DeleteMode::Graceful { seconds: grace };
            }
        }
        ("", "namespaces") => {
            options.hold = true;
            options.on_mark = Some(mark_namespace_terminating);
        }
        _ => {}
    }
    options
}

/// Deletes one object as a DELETE request would (also used by the lifecycle controller).
pub fn delete_object(
    api: &ApiServer,
    resource: &Resource,
    key: &ObjectKey,
    request: &DeleteRequest,
) -> Result<DeleteOutcome> {
    let current = api
        .store
        .get(&resource.storage, key)
        .ok_or_else(|| Error::NotFound { resource: resource.name(), name: key.name.clone() })?;
    let options = delete_mode(resource, &current, request);
    let outcome = api
        .store
        .delete(&resource.storage, key, &options)
        .map_err(|e| store_error(resource, &key.name, e))?;
    if !request.dry_run {
        match &outcome {
            DeleteOutcome::Deleted(obj) => hooks::after_write(api, resource, obj, true),
            DeleteOutcome::Marked(obj) => hooks::after_write(api, resource, obj, false),
        }
    }
    Ok(outcome)
}

pub fn delete(ctx: &mut Ctx) -> Result<Response> {
    let request = DeleteRequest::from_ctx(ctx)?;
    ctx.record_delete = Some(request.record());
    let key = ctx.key()?;
    match delete_object(&ctx.api, &ctx.resource, &key, &request)? {
        DeleteOutcome::Marked(obj) => Ok(ctx.respond(StatusCode::OK, &obj)),
        DeleteOutcome::Deleted(obj) if ctx.resource.returns_deleted_object => {
            Ok(ctx.respond(StatusCode::OK, &obj))
        }
        DeleteOutcome::Deleted(obj) => {
            let mut details = json!({"name": key.name, "kind": ctx.resource.plural,
                                     "uid": object::uid(&obj).unwrap_or("")});
            if !ctx.resource.group.is_empty() {
                details["group"] = json!(ctx.resource.group);
            }
            Ok(success_status(details))
        }
    }
}

pub fn delete_collection(ctx: &mut Ctx) -> Result<Response> {
    let request = DeleteRequest::from_ctx(ctx)?;
    ctx.record_delete = Some(request.record());
    let filter = Filter::from_ctx(ctx)?;
    let snapshot = ctx.api.store.list(&ctx.resource.storage, ctx.path.namespace.as_deref());
    let mut results: Vec<Arc<Value>> = Vec::new();
    for obj in snapshot.items.iter().filter(|o| filter.matches(o)) {
        let key = ObjectKey::of(obj);
        match delete_object(&ctx.api, &ctx.resource, &key, &request) {
            Ok(DeleteOutcome::Deleted(o) | DeleteOutcome::Marked(o)) => {
                results.push(ctx.served(&o))
            }
            // Deleted meanwhile by someone else.
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let bytes = body::list_body(
        &ctx.resource.list_kind,
        &ctx.resource.api_version(),
        &json!({"resourceVersion": ctx.api.store.current_rv().to_string()}),
        &results,
        ctx.resource.is_custom(),
    );
    Ok(body::json_bytes(StatusCode::OK, bytes.to_vec()))
}
