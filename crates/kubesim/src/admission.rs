//! What every write goes through before the store: type checks, decoding into the kind's
//! schema (k8s-openapi types for built-ins, the CRD schema for custom resources), unknown
//! fields per `fieldValidation`, defaulting, validation, conversion to the stored form.

use serde_json::Value;

use crate::conversion;
use crate::crd_validation::Admission;
use crate::errors::{Cause, Error, Result};
use crate::handlers::params::FieldValidation;
use crate::registry::{Resource, Schema, StatusOnCreate, crd_resources};
use crate::schema::{strict_decoding_error, unknown_field_message};
use crate::store::{StoreError, object};
use crate::{defaults, unknown_fields, validation};

/// An object ready for the store, and the warnings for the client.
pub struct Admitted {
    pub object: Value,
    pub warnings: Vec<String>,
}

/// Checks (or fills in) apiVersion and kind against the endpoint.
fn check_type(resource: &Resource, obj: &mut Value) -> Result<()> {
    let map = obj.as_object_mut().ok_or_else(|| {
        Error::BadRequest("the request body must be a JSON or YAML object".into())
    })?;
    let expected_api_version = resource.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        Some(v) if !v.is_empty() && v != expected_api_version => {
            return Err(Error::BadRequest(format!(
                "the API version in the data ({v}) does not match the expected API version ({expected_api_version})"
            )));
        }
        _ => {
            map.insert("apiVersion".into(), Value::String(expected_api_version));
        }
    }
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if !k.is_empty() && k != resource.kind => Err(Error::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): kind {k:?}",
            resource.kind
        ))),
        _ => {
            map.insert("kind".into(), Value::String(resource.kind.clone()));
            Ok(())
        }
    }
}

/// Applies `fieldValidation` to the unknown fields found; `prefix` starts the Strict error
/// message (built-in kinds name the decoding that failed).
fn unknown_field_policy(
    validation: FieldValidation,
    unknown: &[String],
    warnings: &mut Vec<String>,
    prefix: &str,
) -> Result<()> {
    if unknown.is_empty() {
        return Ok(());
    }
    match validation {
        FieldValidation::Ignore => Ok(()),
        FieldValidation::Warn => {
            warnings.extend(unknown.iter().map(|p| unknown_field_message(p)));
            Ok(())
        }
        FieldValidation::Strict => {
            Err(Error::BadRequest(format!("{prefix}{}", strict_decoding_error(unknown))))
        }
    }
}

pub fn invalid(resource: &Resource, obj: &Value, causes: Vec<Cause>) -> Error {
    Error::Invalid {
        group: resource.group.clone(),
        kind: resource.kind.clone(),
        name: object::name(obj).unwrap_or("").to_string(),
        causes,
    }
}

/// Admits `obj` (in the served form) for `resource`; `old` is the current served object on
/// updates. Returns the object in its stored form.
pub fn admit(
    resource: &Resource,
    mut obj: Value,
    old: Option<&Value>,
    field_validation: FieldValidation,
    status_only: bool,
) -> Result<Admitted> {
    check_type(resource, &mut obj)?;
    let mut warnings = Vec::new();
    let mut causes = Vec::new();
    match &resource.schema {
        Schema::Typed(round_trip) => {
            let known = round_trip(&obj).map_err(|e| {
                Error::BadRequest(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}",
                    kind = resource.kind,
                    version = resource.version
                ))
            })?;
            let unknown = unknown_fields::find(&obj, &known);
            let names: Vec<String> = unknown.iter().map(ToString::to_string).collect();
            let prefix = format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: ",
                kind = resource.kind,
                version = resource.version
            );
            unknown_field_policy(field_validation, &names, &mut warnings, &prefix)?;
            unknown_fields::remove(&mut obj, &unknown);
        }
        Schema::Custom(validator) => {
            let Admission { unknown_fields, mut errors } =
                validator.admit(&mut obj, old, status_only);
            unknown_field_policy(field_validation, &unknown_fields, &mut warnings, "")?;
            causes.append(&mut errors);
        }
    }
    if let Some(warning) = resource.custom.as_ref().and_then(|c| c.deprecation_warning.clone()) {
        warnings.push(warning);
    }
    defaults::apply(resource, &mut obj);
    causes.extend(validation::validate(resource, &obj));
    if is_crd(resource)
        && let Err(crd_error) = crd_resources(&obj)
    {
        causes.extend(crd_error.0);
    }
    if !causes.is_empty() {
        return Err(invalid(resource, &obj, causes));
    }
    Ok(Admitted { object: conversion::to_storage(resource, obj), warnings })
}

pub fn is_crd(resource: &Resource) -> bool {
    resource.group == "apiextensions.k8s.io" && resource.plural == "customresourcedefinitions"
}

/// Resets status on create as the kind's strategy does.
pub fn status_on_create(resource: &Resource, obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    match resource.status_on_create {
        StatusOnCreate::Keep => {}
        StatusOnCreate::Empty => {
            map.insert("status".into(), serde_json::json!({}));
        }
        StatusOnCreate::Remove => {
            map.remove("status");
        }
        StatusOnCreate::Phase(phase) => {
            map.insert("status".into(), serde_json::json!({"phase": phase}));
        }
        StatusOnCreate::Pod => {
            let qos = defaults::qos_class(obj);
            if let Some(map) = obj.as_object_mut() {
                map.insert(
                    "status".into(),
                    serde_json::json!({"phase": "Pending", "qosClass": qos}),
                );
            }
        }
    }
}

/// A store refusal as the API reports it.
pub fn store_error(resource: &Resource, name: &str, error: StoreError) -> Error {
    match error {
        StoreError::NotFound => Error::NotFound { resource: resource.name(), name: name.into() },
        StoreError::AlreadyExists => {
            Error::AlreadyExists { resource: resource.name(), name: name.into() }
        }
        StoreError::Conflict => Error::Conflict {
            resource: resource.name(),
            name: name.into(),
            message: StoreError::Conflict.to_string(),
        },
        StoreError::PreconditionFailed(message) => {
            Error::Conflict { resource: resource.name(), name: name.into(), message }
        }
        StoreError::Invalid { field, message } => Error::Invalid {
            group: resource.group.clone(),
            kind: resource.kind.clone(),
            name: name.into(),
            causes: vec![Cause {
                reason: if message.starts_with("Forbidden") {
                    "FieldValueForbidden".into()
                } else {
                    "FieldValueRequired".into()
                },
                field,
                message,
            }],
        },
        StoreError::Expired { requested, oldest } => {
            Error::Expired(format!("too old resource version: {requested} ({oldest})"))
        }
    }
}
