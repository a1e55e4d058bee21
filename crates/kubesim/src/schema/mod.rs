//! Structural schemas of CustomResourceDefinitions: pruning, defaulting, validation and CEL
//! rules, with the apiextensions apiserver's semantics and messages.
//!
//! A write of a custom resource goes through, in this order (as in kube-apiserver):
//! 1. [`CrdSchema::prune`] — unknown fields are dropped; the paths it returns are what
//!    `fieldValidation=Strict` rejects ([`strict_decoding_error`], in a 400) and `Warn` warns
//!    about ([`unknown_field_message`]).
//! 2. [`CrdSchema::apply_defaults`] — `null`s of non-nullable fields without default are dropped,
//!    then `default`s are applied. The apiserver also defaults objects read from storage.
//! 3. [`CrdSchema::validate`] (or [`CrdSchema::validate_status`] on the `/status` subresource) —
//!    OpenAPI keywords, embedded resources, list-type set/map uniqueness, then CEL rules (only if
//!    no "blocking" error was found). An update passes the old object: transition rules see
//!    `oldSelf`, and unchanged values are ratcheted.
//! 4. Errors are reported as a 422 with [`invalid_status`].
//!
//! `metadata` (name, namespace, labels...) of the resource itself is validated by the caller,
//! except for constraints the schema places on `metadata.name` / `metadata.generateName`.

mod cel;
mod correlate;
mod defaults;
mod embedded;
mod field_error;
mod formats;
mod go_format;
mod listtype;
mod node;
mod openapi;
mod prune;
mod status;

use serde_json::Value;

pub use field_error::{
    BadValue, FieldError, FieldErrorKind, FieldPath, strict_decoding_error, unknown_field_message,
};
pub use status::{invalid_message, invalid_status};

use node::Node;

/// A schema the apiserver would refuse in a CRD (paths are relative to the version's schema,
/// e.g. `openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SchemaError {
    /// A malformed keyword.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// A CEL rule (or its `messageExpression`, then `rule` holds that) that does not compile.
    #[error("{path}: Invalid value: {}: {message}", go_format::quote(.rule))]
    Rule { path: String, rule: String, message: String },
}

impl SchemaError {
    pub(crate) fn invalid(path: &str, message: &str) -> Self {
        Self::Invalid { path: path.to_string(), message: message.to_string() }
    }

    /// Where in the schema the problem is.
    pub fn path(&self) -> &str {
        match self {
            Self::Invalid { path, .. } | Self::Rule { path, .. } => path,
        }
    }

    /// The problem without the path (the `message` of a Status cause whose `field` is the path).
    pub fn detail(&self) -> String {
        match self {
            Self::Invalid { message, .. } => message.clone(),
            Self::Rule { rule, message, .. } => {
                format!("Invalid value: {}: {message}", go_format::quote(rule))
            }
        }
    }
}

/// The compiled structural schema of one CRD version, `Send + Sync` (share it in an `Arc`);
/// compile it once when the CRD is created or updated.
#[derive(Debug)]
pub struct CrdSchema {
    root: Node,
}

impl CrdSchema {
    /// Compiles `spec.versions[*].schema.openAPIV3Schema`, including every CEL rule.
    pub fn compile(open_api_v3_schema: &Value) -> Result<Self, SchemaError> {
        Ok(Self { root: Node::parse(open_api_v3_schema, "openAPIV3Schema", 0)? })
    }

    /// Removes the fields the schema does not know (honouring
    /// `x-kubernetes-preserve-unknown-fields`, `additionalProperties` and embedded resources;
    /// `apiVersion`, `kind` and `metadata` are kept, unknown `metadata` fields dropped).
    /// Returns the removed paths without a leading dot (`spec.foo`, `spec.items[0].bar`,
    /// `metadata.foo`), in the apiserver's order.
    pub fn prune(&self, obj: &mut Value) -> Vec<String> {
        prune::prune_resource(&self.root, obj)
    }

    /// Drops `null`s of non-nullable fields that have no default, then applies `default`s.
    pub fn apply_defaults(&self, obj: &mut Value) {
        defaults::prune_nulls(obj, Some(&self.root));
        defaults::apply(obj, &self.root);
    }

    /// Validates a created (`old: None`) or updated object, as the main resource endpoint does.
    pub fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        let mut oa = Vec::new();
        openapi::validate(&self.root, obj, "", old, &mut oa);
        let mut errs = openapi::to_field_errors(oa, None);
        errs.extend(embedded::validate(&self.root, obj));
        if old.is_none_or(|o| listtype::validate(&self.root, o).is_empty()) {
            errs.extend(listtype::validate(&self.root, obj));
        }
        self.validate_rules(obj, old, old.map(|_| false), errs)
    }

    /// Validates a write to the `/status` subresource: the schema of `status` (without
    /// ratcheting) and the CEL rules of the whole object.
    pub fn validate_status(&self, obj: &Value, old: &Value) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if let (Some(status), Some(node)) = (obj.get("status"), self.root.property("status")) {
            let mut oa = Vec::new();
            openapi::validate(node, status, "", None, &mut oa);
            errs = openapi::to_field_errors(oa, Some("status"));
        }
        let new_list_errs = listtype::validate(&self.root, obj);
        if !new_list_errs.is_empty() && listtype::validate(&self.root, old).is_empty() {
            errs.extend(new_list_errs);
        }
        self.validate_rules(obj, Some(old), None, errs)
    }

    fn validate_rules(
        &self,
        obj: &Value,
        old: Option<&Value>,
        ratchet: Option<bool>,
        mut errs: Vec<FieldError>,
    ) -> Vec<FieldError> {
        if !self.root.subtree_has_rules {
            return errs;
        }
        let blocking = errs.iter().any(|e| {
            matches!(
                e.kind,
                FieldErrorKind::NotSupported
                    | FieldErrorKind::Required
                    | FieldErrorKind::TooLong
                    | FieldErrorKind::TooMany
                    | FieldErrorKind::TypeInvalid
            )
        });
        if blocking {
            errs.push(FieldError::invalid(
                "<nil>",
                &Value::Null,
                "some validation rules were not checked because the object was invalid; correct \
                 the existing errors to complete validation",
            ));
        } else {
            cel::validate(&self.root, obj, old, &FieldPath::root(), true, ratchet, &mut errs);
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn compiled_schemas_can_be_shared_between_threads() {
        assert_send_sync::<CrdSchema>();
    }
}
