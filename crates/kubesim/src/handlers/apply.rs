//! Server-side apply requests (`PATCH` with `application/apply-patch+yaml`): the field manager
//! is required, `force` takes over conflicting fields, a missing object is created (201), and
//! the result goes through the same admission as any write. The merge, ownership and
//! conflicts are [`crate::apply`]'s.

use axum::response::Response;
use http::StatusCode;
use serde_json::Value;

use super::Ctx;
use super::params::FieldValidation;
use super::write::{
    Target, align_identity, check_namespace_for_create, field_manager, scope, scope_to_target,
    store_update, write_options,
};
use crate::admission::{admit, status_on_create, store_error};
use crate::apply;
use crate::errors::{Cause, Error, Result};
use crate::hooks;
use crate::store::{StoreError, object};

fn patch_options_invalid(cause: Cause) -> Error {
    Error::Invalid {
        group: "meta.k8s.io".into(),
        kind: "PatchOptions".into(),
        name: String::new(),
        causes: vec![cause],
    }
}

fn force(ctx: &Ctx) -> Result<bool> {
    match ctx.query.get("force") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => {
            Err(Error::BadRequest(format!("strconv.ParseBool: parsing {other:?}: invalid syntax")))
        }
    }
}

/// Nulls mean "unset" for typed (built-in) objects; they are not stored.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn keep_managed_fields(obj: &mut Value, managed: &Option<Value>) {
    let meta = object::metadata_mut(obj);
    match managed {
        Some(list) => meta.insert("managedFields".into(), list.clone()),
        None => meta.remove("managedFields"),
    };
}

pub fn apply_patch(ctx: &mut Ctx, target: Target, mut config: Value) -> Result<Response> {
    let dry_run = ctx.query.dry_run()?;
    let validation = FieldValidation::from_query(&ctx.query)?;
    let name = ctx.name()?.to_string();
    if ctx.query.field_manager().is_none() {
        return Err(patch_options_invalid(Cause {
            reason: "FieldValueRequired".into(),
            field: "fieldManager".into(),
            message: "Required value: is required for apply patch".into(),
        }));
    }
    let manager = field_manager(ctx)?;
    let force = force(ctx)?;
    align_identity(ctx, &mut config, Some(&name))?;
    let resource = ctx.resource.clone();
    let api_version = resource.api_version();
    let scope = scope(&resource, &api_version, target);
    let key = ctx.key()?;
    for _ in 0..8 {
        let current = ctx.api.store.get(&resource.storage, &key);
        let old = current.as_ref().map(|c| ctx.served(c));
        if old.is_none() && target == Target::Status {
            return Err(ctx.not_found(&name));
        }
        let mut merged = apply::apply(scope, old.as_deref(), &config, &manager, force)?;
        if !resource.is_custom() {
            drop_nulls(&mut merged);
        }
        let managed = merged.pointer("/metadata/managedFields").cloned();
        let Some(old) = old else {
            // Create on apply.
            check_namespace_for_create(ctx, &name)?;
            let admitted = admit(&resource, merged, None, validation, false)?;
            let mut obj = admitted.object;
            keep_managed_fields(&mut obj, &managed);
            status_on_create(&resource, &mut obj);
            hooks::before_create(&resource, &mut obj);
            match ctx.api.store.create(&resource.storage, obj, write_options(ctx, dry_run)) {
                Ok(stored) => {
                    if !dry_run {
                        hooks::after_write(&ctx.api, &resource, &stored, false);
                    }
                    ctx.warnings.extend(admitted.warnings);
                    return Ok(ctx.respond(StatusCode::CREATED, &stored));
                }
                Err(StoreError::AlreadyExists) => continue,
                Err(e) => return Err(store_error(&resource, &name, e)),
            }
        };
        let user_precondition = config.pointer("/metadata/resourceVersion").is_some();
        let doc = scope_to_target(ctx, target, &old, merged);
        let admitted = admit(&resource, doc, Some(&old), validation, target == Target::Status)?;
        let mut obj = admitted.object;
        keep_managed_fields(&mut obj, &managed);
        match store_update(ctx, obj, dry_run) {
            Ok(stored) => {
                ctx.warnings.extend(admitted.warnings);
                return Ok(ctx.respond(StatusCode::OK, &stored));
            }
            Err(StoreError::Conflict | StoreError::NotFound) if !user_precondition => continue,
            Err(e) => return Err(store_error(&resource, &name, e)),
        }
    }
    Err(store_error(&resource, &name, StoreError::Conflict))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_are_dropped_throughout() {
        let mut v = json!({"a": null, "b": {"c": null, "d": 1}, "e": [{"f": null}]});
        drop_nulls(&mut v);
        assert_eq!(v, json!({"b": {"d": 1}, "e": [{}]}));
    }
}
