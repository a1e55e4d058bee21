//! The single seam between the API server and `crate::schema` (structural schemas, pruning,
//! defaulting, CEL), which is developed separately. Everything the server does with a custom
//! resource's schema goes through [`CrdValidator`]; wiring the schema module in is a change to
//! this file only.
//!
//! Until then a validator accepts every object unchanged: no pruning, no defaults, no errors.

use serde_json::Value;

use crate::errors::Cause;

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
#[derive(Debug, Default)]
pub struct CrdValidator {
    _private: (),
}

impl CrdValidator {
    /// Compiles `spec.versions[].schema.openAPIV3Schema`; problems with the schema are the
    /// CRD's own Invalid causes.
    pub fn compile(_open_api_v3_schema: Option<&Value>) -> Result<Self, Vec<Cause>> {
        Ok(CrdValidator { _private: () })
    }

    /// Prunes unknown fields, applies defaults and validates `obj` (with `old` for transition
    /// rules on updates), in the order the real apiserver does.
    pub fn admit(&self, _obj: &mut Value, _old: Option<&Value>) -> Admission {
        Admission::default()
    }
}
