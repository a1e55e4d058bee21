//! The single seam between the API server and [`crate::schema`] (structural schemas, pruning,
//! defaulting, CEL), which is developed separately. Everything the server does with a custom
//! resource's schema goes through [`CrdValidator`].

use serde_json::Value;

use crate::errors::Cause;
use crate::schema::{CrdSchema, FieldError};

/// What admission of one custom resource found.
#[derive(Debug, Default)]
pub struct Admission {
    /// Paths of fields the schema does not know (already pruned from the object), for
    /// `fieldValidation` Strict (reject) or Warn (warning headers).
    pub unknown_fields: Vec<String>,
    /// Schema and CEL violations: the request fails with 422 Invalid naming them.
    pub errors: Vec<Cause>,
}

/// The compiled schema of one version of a CRD.
#[derive(Debug)]
pub struct CrdValidator {
    schema: CrdSchema,
}

fn cause(error: FieldError) -> Cause {
    Cause { reason: error.kind.reason().to_string(), field: error.field, message: error.message }
}

impl CrdValidator {
    /// Compiles `spec.versions[i].schema.openAPIV3Schema`; `field` is that path, for the
    /// CRD's own Invalid causes.
    pub fn compile(open_api_v3_schema: Option<&Value>, field: &str) -> Result<Self, Vec<Cause>> {
        let Some(schema) = open_api_v3_schema else {
            return Err(vec![Cause::required(field)]);
        };
        let schema = CrdSchema::compile(schema).map_err(|e| {
            let path = e.path().strip_prefix("openAPIV3Schema").unwrap_or(e.path());
            // The error's text starts with its path; the cause names the field separately.
            let text = e.to_string();
            let message = text
                .strip_prefix(e.path())
                .and_then(|m| m.strip_prefix(": "))
                .unwrap_or(&text)
                .to_string();
            vec![Cause {
                reason: "FieldValueInvalid".into(),
                field: format!("{field}{path}"),
                message,
            }]
        })?;
        Ok(CrdValidator { schema })
    }

    /// Prunes unknown fields, applies defaults and validates `obj` (with `old` for transition
    /// rules on updates), in the order the real apiserver does. `status_only` for writes to
    /// the `/status` subresource.
    pub fn admit(&self, obj: &mut Value, old: Option<&Value>, status_only: bool) -> Admission {
        let unknown_fields = self.schema.prune(obj);
        self.schema.apply_defaults(obj);
        let errors = match (status_only, old) {
            (true, Some(old)) => self.schema.validate_status(obj, old),
            _ => self.schema.validate(obj, old),
        };
        Admission { unknown_fields, errors: errors.into_iter().map(cause).collect() }
    }
}
