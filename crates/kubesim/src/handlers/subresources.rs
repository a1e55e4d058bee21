//! Subresources: `status` (reads and writes confined to status), `scale` (autoscaling/v1
//! Scale over a replicas path), `pods/binding`, `pods/eviction` and `namespaces/finalize`.
//! `pods/exec` and `pods/log` arrive with the kubelets.

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::delete::{DeleteRequest, delete_object};
use super::write::{Target, patch_target, update_target};
use super::{Ctx, body, read};
use crate::admission::store_error;
use crate::errors::{Error, Result};
use crate::registry::ScalePaths;
use crate::routes::Verb;
use crate::store::{WriteOptions, object};

pub async fn handle(ctx: &mut Ctx, sub: &str) -> Result<Response> {
    let resource = ctx.resource.clone();
    let core = |plural: &str| resource.group.is_empty() && resource.plural == plural;
    let verb = ctx.path.verb;
    match sub {
        "status" if resource.status_subresource => match verb {
            Verb::Get => read::get(ctx),
            Verb::Update => update_target(ctx, Target::Status),
            Verb::Patch => patch_target(ctx, Target::Status),
            _ => Err(not_allowed()),
        },
        "scale" => match (&resource.scale, verb) {
            (Some(paths), Verb::Get | Verb::Update | Verb::Patch) => scale(ctx, paths),
            (Some(_), _) => Err(not_allowed()),
            (None, _) => Err(Error::UnknownPath),
        },
        "binding" if core("pods") => match verb {
            Verb::Create => binding(ctx),
            _ => Err(not_allowed()),
        },
        "eviction" if core("pods") => match verb {
            Verb::Create => eviction(ctx),
            _ => Err(not_allowed()),
        },
        "finalize" if core("namespaces") => match verb {
            Verb::Update => finalize(ctx),
            _ => Err(not_allowed()),
        },
        _ => Err(Error::UnknownPath),
    }
}

fn not_allowed() -> Error {
    Error::MethodNotAllowed(
        "the server does not allow this method on the requested resource".into(),
    )
}

fn pointer(path: &str) -> String {
    path.replace('.', "/")
}

fn created_status() -> Response {
    body::json(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "code": 201}),
    )
}

/// A label selector object as the selector string Scale reports.
fn selector_string(selector: &Value) -> String {
    if let Some(text) = selector.as_str() {
        return text.to_string();
    }
    let mut terms = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            terms.push(format!("{k}={}", v.as_str().unwrap_or("")));
        }
    }
    if let Some(exprs) = selector.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => terms.push(format!("{key} in ({})", values.join(","))),
                "NotIn" => terms.push(format!("{key} notin ({})", values.join(","))),
                "Exists" => terms.push(key.to_string()),
                "DoesNotExist" => terms.push(format!("!{key}")),
                _ => {}
            }
        }
    }
    terms.join(",")
}

fn scale_of(ctx: &Ctx, obj: &Value, paths: &ScalePaths) -> Value {
    let meta = object::metadata(obj).cloned().unwrap_or_default();
    let mut scale_meta = serde_json::Map::new();
    for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
        if let Some(v) = meta.get(field) {
            scale_meta.insert(field.into(), v.clone());
        }
    }
    let replicas = obj.pointer(&pointer(&paths.spec_replicas)).cloned().unwrap_or(json!(0));
    let status_replicas =
        obj.pointer(&pointer(&paths.status_replicas)).cloned().unwrap_or(json!(0));
    let selector = if ctx.resource.is_custom() {
        paths.label_selector.as_deref().and_then(|p| obj.pointer(&pointer(p))).map(selector_string)
    } else {
        obj.pointer("/spec/selector").map(selector_string)
    };
    let mut status = json!({"replicas": status_replicas});
    if let Some(selector) = selector {
        status["selector"] = json!(selector);
    }
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta,
           "spec": {"replicas": replicas}, "status": status})
}

fn scale(ctx: &mut Ctx, paths: &ScalePaths) -> Result<Response> {
    let name = ctx.name()?.to_string();
    let dry_run = ctx.query.dry_run()?;
    let old = ctx.served(&ctx.current()?);
    let current_scale = scale_of(ctx, &old, paths);
    let wanted = match ctx.path.verb {
        Verb::Get => return Ok(body::json(StatusCode::OK, &current_scale)),
        Verb::Update => body::decode(&ctx.headers, &ctx.body)?,
        _ => {
            let mut doc = current_scale.clone();
            match body::content_type(&ctx.headers).as_str() {
                "application/merge-patch+json" => {
                    let p: Value = serde_json::from_slice(&ctx.body)
                        .map_err(|e| Error::BadRequest(format!("error decoding patch: {e}")))?;
                    json_patch::merge(&mut doc, &p);
                }
                "application/json-patch+json" => {
                    let p: json_patch::Patch = serde_json::from_slice(&ctx.body)
                        .map_err(|e| Error::BadRequest(format!("error decoding patch: {e}")))?;
                    json_patch::patch(&mut doc, &p)
                        .map_err(|e| Error::PatchFailed(e.to_string()))?;
                }
                other => {
                    return Err(Error::UnsupportedMediaType(format!(
                        "the body of the request was in an unknown format ({other}) - accepted media types include: application/json-patch+json, application/merge-patch+json"
                    )));
                }
            }
            doc
        }
    };
    let replicas =
        wanted.pointer("/spec/replicas").and_then(Value::as_i64).ok_or_else(|| Error::Invalid {
            group: "autoscaling".into(),
            kind: "Scale".into(),
            name: name.clone(),
            causes: vec![crate::errors::Cause::required("spec.replicas")],
        })?;
    if replicas < 0 {
        return Err(Error::Invalid {
            group: "autoscaling".into(),
            kind: "Scale".into(),
            name: name.clone(),
            causes: vec![crate::errors::Cause::invalid(
                "spec.replicas",
                &json!(replicas),
                "must be greater than or equal to 0",
            )],
        });
    }
    let mut updated = (*old).clone();
    let spec_path = pointer(&paths.spec_replicas);
    set_at(&mut updated, &spec_path, json!(replicas));
    if let Some(rv) = wanted.pointer("/metadata/resourceVersion") {
        object::metadata_mut(&mut updated).insert("resourceVersion".into(), rv.clone());
    }
    // The scale subresource's writer owns the replicas, recorded with subresource "scale".
    let manager = super::write::field_manager(ctx)?;
    let api_version = ctx.resource.api_version();
    let scope = crate::apply::Scope {
        shape: crate::openapi::shape::Shape::of_resource(&ctx.resource),
        api_version: &api_version,
        subresource: "scale",
        reset: crate::apply::Reset::Nothing,
    };
    crate::apply::track_update(scope, Some(&old), &mut updated, &manager);
    let stored = ctx
        .api
        .store
        .update(
            &ctx.resource.storage,
            crate::conversion::to_storage(&ctx.resource, updated),
            WriteOptions { dry_run, generation: ctx.resource.generation },
        )
        .map_err(|e| store_error(&ctx.resource, &name, e))?;
    let served = ctx.served(&stored.object);
    Ok(body::json(StatusCode::OK, &scale_of(ctx, &served, paths)))
}

/// Sets a value at a JSON pointer, creating objects on the way.
fn set_at(obj: &mut Value, pointer: &str, value: Value) {
    let mut target = obj;
    let parts: Vec<&str> = pointer.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        if !target.is_object() {
            *target = json!({});
        }
        let map = target.as_object_mut().expect("made an object above");
        if i == parts.len() - 1 {
            map.insert(part.to_string(), value);
            return;
        }
        target = map.entry(part.to_string()).or_insert_with(|| json!({}));
    }
}

fn binding(ctx: &mut Ctx) -> Result<Response> {
    let name = ctx.name()?.to_string();
    let dry_run = ctx.query.dry_run()?;
    let binding = body::decode(&ctx.headers, &ctx.body)?;
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::Invalid {
            group: String::new(),
            kind: "Binding".into(),
            name: name.clone(),
            causes: vec![crate::errors::Cause::required("target.name")],
        })?
        .to_string();
    let pod = ctx.current()?;
    if let Some(existing) =
        pod.pointer("/spec/nodeName").and_then(Value::as_str).filter(|n| !n.is_empty())
    {
        return Err(Error::Conflict {
            resource: crate::errors::ResourceName::new("", "pods/binding"),
            name: name.clone(),
            message: format!("pod {name} is already assigned to node {existing:?}"),
        });
    }
    if object::deletion_timestamp(&pod).is_some() {
        return Err(Error::Conflict {
            resource: crate::errors::ResourceName::new("", "pods/binding"),
            name: name.clone(),
            message: format!("pod {name} is being deleted, cannot be assigned to a host"),
        });
    }
    let mut bound = (*pod).clone();
    set_at(&mut bound, "/spec/nodeName", json!(node));
    let conditions = bound
        .pointer_mut("/status")
        .and_then(Value::as_object_mut)
        .map(|s| s.entry("conditions").or_insert_with(|| json!([])));
    if let Some(Value::Array(conditions)) = conditions {
        conditions.retain(|c| c["type"] != "PodScheduled");
        conditions.push(json!({"type": "PodScheduled", "status": "True",
                               "lastProbeTime": null,
                               "lastTransitionTime": object::now_timestamp()}));
    }
    ctx.api
        .store
        .update(
            &ctx.resource.storage,
            bound,
            WriteOptions { dry_run, generation: ctx.resource.generation },
        )
        .map_err(|e| store_error(&ctx.resource, &name, e))?;
    Ok(created_status())
}

/// Evicts a pod: deletes it with the eviction's DeleteOptions. (PodDisruptionBudgets are
/// honoured once the disruption controller exists.)
fn eviction(ctx: &mut Ctx) -> Result<Response> {
    let eviction = body::decode(&ctx.headers, &ctx.body)?;
    let mut request = DeleteRequest { dry_run: ctx.query.dry_run()?, ..Default::default() };
    if let Some(options) = eviction.get("deleteOptions") {
        request.merge_body(options)?;
    }
    ctx.record_delete = Some(request.record());
    let key = ctx.key()?;
    delete_object(&ctx.api, &ctx.resource, &key, &request)?;
    Ok(created_status())
}

/// `namespaces/NAME/finalize`: sets spec.finalizers; a terminating namespace left with none
/// is removed.
fn finalize(ctx: &mut Ctx) -> Result<Response> {
    let name = ctx.name()?.to_string();
    let dry_run = ctx.query.dry_run()?;
    let wanted = body::decode(&ctx.headers, &ctx.body)?;
    let current = ctx.current()?;
    let mut updated = (*current).clone();
    let finalizers = wanted.pointer("/spec/finalizers").cloned().unwrap_or(json!([]));
    set_at(&mut updated, "/spec/finalizers", finalizers);
    if let Some(rv) = wanted.pointer("/metadata/resourceVersion") {
        object::metadata_mut(&mut updated).insert("resourceVersion".into(), rv.clone());
    }
    let outcome = ctx
        .api
        .store
        .update(
            &ctx.resource.storage,
            updated,
            WriteOptions { dry_run, generation: ctx.resource.generation },
        )
        .map_err(|e| store_error(&ctx.resource, &name, e))?;
    if !dry_run {
        ctx.api.lifecycle.notify_one();
    }
    Ok(ctx.respond(StatusCode::OK, &outcome.object))
}
