//! create, update (PUT) and patch (JSON patch, JSON merge patch, strategic merge patch; apply
//! is in `handlers::apply`), on the main resource and on its `status` subresource. Every write
//! records its field manager in `metadata.managedFields` (see [`crate::apply`]).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde_json::Value;

use super::params::FieldValidation;
use super::{Ctx, body};
use crate::admission::{admit, status_on_create, store_error};
use crate::apply::{self, Reset, Scope};
use crate::errors::{Cause, Error, ResourceName, Result};
use crate::hooks;
use crate::openapi::shape::Shape;
use crate::patch::{self, Patch};
use crate::registry::Resource;
use crate::store::{ObjectKey, StoreError, WriteOptions, object};

/// Which part of the object a write may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Everything but status, on kinds with a status subresource.
    Main,
    /// Only status (the `/status` subresource).
    Status,
}

/// Where a write lands, for field management.
pub(crate) fn scope<'r>(resource: &'r Resource, api_version: &'r str, target: Target) -> Scope<'r> {
    let (subresource, reset) = match target {
        Target::Main if resource.status_subresource => ("", Reset::Status),
        Target::Main => ("", Reset::Nothing),
        Target::Status => ("status", Reset::AllButStatus),
    };
    Scope { shape: Shape::of_resource(resource), api_version, subresource, reset }
}

/// The request's field manager: `fieldManager`, else derived from the user agent.
pub(crate) fn field_manager(ctx: &Ctx) -> Result<String> {
    if let Some(manager) = ctx.query.field_manager() {
        if manager.len() > 128 {
            return Err(Error::Invalid {
                group: "meta.k8s.io".into(),
                kind: "PatchOptions".into(),
                name: String::new(),
                causes: vec![Cause {
                    reason: "FieldValueTooLong".into(),
                    field: "fieldManager".into(),
                    message: "Too long: may not be more than 128 bytes".into(),
                }],
            });
        }
        return Ok(manager.to_string());
    }
    let agent = ctx.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    Ok(apply::managed_fields::manager_from_user_agent(agent.unwrap_or("")))
}

/// Records the write in `obj`'s managedFields (`obj` in stored form; ownership is tracked on
/// the served form, which differs for events.k8s.io Events).
pub(super) fn track(
    resource: &Resource,
    scope: Scope,
    live_served: Option<&Value>,
    obj: &mut Value,
    manager: &str,
) {
    if resource.codec == crate::registry::Codec::Plain {
        apply::track_update(scope, live_served, obj, manager);
        return;
    }
    let mut served = (*crate::conversion::to_served(resource, &Arc::new(obj.clone()))).clone();
    apply::track_update(scope, live_served, &mut served, manager);
    let meta = object::metadata_mut(obj);
    match served.pointer("/metadata/managedFields") {
        Some(list) => meta.insert("managedFields".into(), list.clone()),
        None => meta.remove("managedFields"),
    };
}

pub(super) fn write_options(ctx: &Ctx, dry_run: bool) -> WriteOptions {
    WriteOptions { dry_run, generation: ctx.resource.generation }
}

/// Creating into a namespace needs the namespace, and one that is not being deleted.
pub(super) fn check_namespace_for_create(ctx: &Ctx, name: &str) -> Result<()> {
    if !ctx.resource.namespaced {
        return Ok(());
    }
    let namespace = ctx.namespace();
    match ctx.api.store.get("namespaces", &ObjectKey::new("", namespace)) {
        None => Err(Error::NotFound {
            resource: ResourceName::new("", "namespaces"),
            name: namespace.into(),
        }),
        Some(ns) if object::deletion_timestamp(&ns).is_some() => Err(Error::Forbidden(format!(
            "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
            ctx.resource.name()
        ))),
        Some(_) => Ok(()),
    }
}

/// Makes the body's namespace and name agree with the URL.
pub(super) fn align_identity(ctx: &Ctx, obj: &mut Value, url_name: Option<&str>) -> Result<()> {
    if !obj.is_object() {
        return Err(Error::BadRequest("the request body must be a JSON or YAML object".into()));
    }
    let meta = object::metadata_mut(obj);
    if ctx.resource.namespaced {
        let namespace = ctx.namespace();
        match meta.get("namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() && ns != namespace => {
                return Err(Error::BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request".into(),
                ));
            }
            _ => {
                meta.insert("namespace".into(), Value::String(namespace.into()));
            }
        }
    } else {
        meta.remove("namespace");
    }
    if let Some(url_name) = url_name {
        match meta.get("name").and_then(Value::as_str) {
            Some(name) if !name.is_empty() && name != url_name => {
                return Err(Error::BadRequest(format!(
                    "the name of the object ({name}) does not match the name on the URL ({url_name})"
                )));
            }
            _ => {
                meta.insert("name".into(), Value::String(url_name.into()));
            }
        }
    }
    Ok(())
}

pub fn create(ctx: &mut Ctx) -> Result<Response> {
    let dry_run = ctx.query.dry_run()?;
    let validation = FieldValidation::from_query(&ctx.query)?;
    let mut obj = body::decode(&ctx.headers, &ctx.body)?;
    align_identity(ctx, &mut obj, None)?;
    let name = object::name(&obj).unwrap_or("").to_string();
    check_namespace_for_create(ctx, &name)?;
    let manager = field_manager(ctx)?;
    let admitted = admit(&ctx.resource, obj, None, validation, false)?;
    let mut obj = admitted.object;
    let api_version = ctx.resource.api_version();
    track(
        &ctx.resource,
        scope(&ctx.resource, &api_version, Target::Main),
        None,
        &mut obj,
        &manager,
    );
    status_on_create(&ctx.resource, &mut obj);
    hooks::before_create(&ctx.resource, &mut obj);
    let stored = ctx
        .api
        .store
        .create(&ctx.resource.storage, obj, write_options(ctx, dry_run))
        .map_err(|e| store_error(&ctx.resource, &name, e))?;
    if !dry_run {
        hooks::after_write(&ctx.api, &ctx.resource, &stored, false);
    }
    ctx.created_name = object::name(&stored).map(str::to_string);
    ctx.warnings.extend(admitted.warnings);
    Ok(ctx.respond(StatusCode::CREATED, &stored))
}

/// The object to store from what the client sent (`new`) and what is stored (`old`, served
/// form), keeping out of reach what the target may not change.
pub(super) fn scope_to_target(ctx: &Ctx, target: Target, old: &Value, mut new: Value) -> Value {
    if !ctx.resource.status_subresource {
        return new;
    }
    match target {
        Target::Main => {
            if let Some(map) = new.as_object_mut() {
                match old.get("status") {
                    Some(status) => map.insert("status".into(), status.clone()),
                    None => map.remove("status"),
                };
            }
            new
        }
        Target::Status => {
            let mut merged = old.clone();
            if let Some(map) = merged.as_object_mut() {
                match new.get("status") {
                    Some(status) => map.insert("status".into(), status.clone()),
                    None => map.remove("status"),
                };
            }
            let meta = object::metadata_mut(&mut merged);
            match new.pointer("/metadata/resourceVersion") {
                Some(rv) => meta.insert("resourceVersion".into(), rv.clone()),
                None => meta.remove("resourceVersion"),
            };
            merged
        }
    }
}

/// Stores an admitted update and runs the hooks.
pub(super) fn store_update(ctx: &Ctx, obj: Value, dry_run: bool) -> Result<Arc<Value>, StoreError> {
    let outcome = ctx.api.store.update(&ctx.resource.storage, obj, write_options(ctx, dry_run))?;
    if !dry_run {
        hooks::after_write(&ctx.api, &ctx.resource, &outcome.object, outcome.deleted);
    }
    Ok(outcome.object)
}

pub fn update(ctx: &mut Ctx) -> Result<Response> {
    update_target(ctx, Target::Main)
}

pub fn update_target(ctx: &mut Ctx, target: Target) -> Result<Response> {
    let dry_run = ctx.query.dry_run()?;
    let validation = FieldValidation::from_query(&ctx.query)?;
    let name = ctx.name()?.to_string();
    let mut obj = body::decode(&ctx.headers, &ctx.body)?;
    align_identity(ctx, &mut obj, Some(&name))?;
    let old = ctx.current()?;
    let old_served = ctx.served(&old);
    let obj = scope_to_target(ctx, target, &old_served, obj);
    let manager = field_manager(ctx)?;
    let admitted =
        admit(&ctx.resource, obj, Some(&old_served), validation, target == Target::Status)?;
    let mut obj = admitted.object;
    let api_version = ctx.resource.api_version();
    track(
        &ctx.resource,
        scope(&ctx.resource, &api_version, target),
        Some(&old_served),
        &mut obj,
        &manager,
    );
    let stored =
        store_update(ctx, obj, dry_run).map_err(|e| store_error(&ctx.resource, &name, e))?;
    ctx.warnings.extend(admitted.warnings);
    Ok(ctx.respond(StatusCode::OK, &stored))
}

/// `force` is for apply patches only.
fn check_force(ctx: &Ctx) -> Result<()> {
    if ctx.query.get("force").is_some() {
        return Err(Error::Invalid {
            group: "meta.k8s.io".into(),
            kind: "PatchOptions".into(),
            name: String::new(),
            causes: vec![Cause::forbidden("force", "may not be specified for non-apply patch")],
        });
    }
    Ok(())
}

pub fn patch(ctx: &mut Ctx) -> Result<Response> {
    patch_target(ctx, Target::Main)
}

/// Patches retry on a conflict they did not ask for (a concurrent write), as the apiserver
/// does; a resourceVersion inside the patch is a precondition and its conflict is returned.
pub fn patch_target(ctx: &mut Ctx, target: Target) -> Result<Response> {
    let dry_run = ctx.query.dry_run()?;
    let validation = FieldValidation::from_query(&ctx.query)?;
    let name = ctx.name()?.to_string();
    let media = body::content_type(&ctx.headers);
    let patch = patch::parse(&media, &ctx.body, ctx.resource.is_custom())?;
    if let Patch::Apply(config) = patch {
        return super::apply::apply_patch(ctx, target, config);
    }
    check_force(ctx)?;
    let manager = field_manager(ctx)?;
    let resource = ctx.resource.clone();
    let api_version = resource.api_version();
    let scope = scope(&resource, &api_version, target);
    for _ in 0..8 {
        let old = ctx.current()?;
        let old_served = ctx.served(&old);
        let mut doc = (*old_served).clone();
        patch::apply_to(&mut doc, &patch, scope.shape)?;
        let old_rv = old_served.pointer("/metadata/resourceVersion").cloned();
        let pinned = doc.pointer("/metadata/resourceVersion").cloned();
        let user_precondition = pinned.is_some() && pinned != old_rv;
        if !user_precondition {
            let meta = object::metadata_mut(&mut doc);
            if let Some(rv) = &old_rv {
                meta.insert("resourceVersion".into(), rv.clone());
            }
        }
        // Name and namespace come from the URL whatever the patch says.
        align_identity_forced(ctx, &mut doc, &name);
        let doc = scope_to_target(ctx, target, &old_served, doc);
        let admitted =
            admit(&ctx.resource, doc, Some(&old_served), validation, target == Target::Status)?;
        let mut obj = admitted.object;
        track(&resource, scope, Some(&old_served), &mut obj, &manager);
        match store_update(ctx, obj, dry_run) {
            Ok(stored) => {
                ctx.warnings.extend(admitted.warnings);
                return Ok(ctx.respond(StatusCode::OK, &stored));
            }
            Err(StoreError::Conflict) if !user_precondition => continue,
            Err(e) => return Err(store_error(&ctx.resource, &name, e)),
        }
    }
    Err(store_error(&ctx.resource, &name, StoreError::Conflict))
}

pub(crate) fn align_identity_forced(ctx: &Ctx, doc: &mut Value, name: &str) {
    let namespaced = ctx.resource.namespaced;
    let namespace = ctx.namespace().to_string();
    let meta = object::metadata_mut(doc);
    meta.insert("name".into(), Value::String(name.into()));
    if namespaced {
        meta.insert("namespace".into(), Value::String(namespace));
    }
}

/// Creates an object from inside the server (bootstrap namespaces, `--nodes`), through the
/// same admission as a client's create.
pub(crate) fn create_internal(
    api: &crate::server::ApiServer,
    resource: &crate::registry::Resource,
    mut obj: Value,
) -> Result<Arc<Value>> {
    if !resource.namespaced {
        object::metadata_mut(&mut obj).remove("namespace");
    }
    let name = object::name(&obj).unwrap_or("").to_string();
    let admitted = admit(resource, obj, None, FieldValidation::Strict, false)?;
    let mut obj = admitted.object;
    let api_version = resource.api_version();
    let manager = if resource.plural == "nodes" { "kubelet" } else { "kube-apiserver" };
    track(resource, scope(resource, &api_version, Target::Main), None, &mut obj, manager);
    status_on_create(resource, &mut obj);
    hooks::before_create(resource, &mut obj);
    let stored = api
        .store
        .create(
            &resource.storage,
            obj,
            WriteOptions { dry_run: false, generation: resource.generation },
        )
        .map_err(|e| store_error(resource, &name, e))?;
    hooks::after_write(api, resource, &stored, false);
    Ok(stored)
}
