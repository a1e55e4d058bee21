//! Field-level validation errors, printed exactly as `k8s.io/apimachinery`'s `field.Error`.

use std::fmt;

use serde_json::Value;

use super::go_format;

/// The type of a field error; `reason()` is the `details.causes[].reason` of an Invalid Status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    Internal,
    TypeInvalid,
}

impl FieldErrorKind {
    /// The machine-readable cause type, e.g. `FieldValueInvalid`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotFound => "FieldValueNotFound",
            Self::Required => "FieldValueRequired",
            Self::Duplicate => "FieldValueDuplicate",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::Internal => "InternalError",
            Self::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The human-readable label that starts the message, e.g. `Invalid value`.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Required => "Required value",
            Self::Duplicate => "Duplicate value",
            Self::Invalid | Self::TypeInvalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Forbidden => "Forbidden",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
            Self::Internal => "Internal error",
        }
    }
}

/// The offending value of a field error, printed as Go's `field.Error` prints it.
#[derive(Clone, Debug, PartialEq)]
pub enum BadValue {
    /// Printed quoted: `"warp"`.
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A JSON value; objects and arrays print in Go syntax, `null` prints as `"null"`.
    Json(Value),
    /// No value is printed (`field.TooMany` with an unknown count).
    Omitted,
}

impl BadValue {
    fn render(&self) -> String {
        match self {
            Self::Str(s) => go_format::quote(s),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => go_format::float(*f),
            Self::Bool(b) => b.to_string(),
            Self::Json(v) => go_format::go_value(v),
            Self::Omitted => String::new(),
        }
    }
}

impl From<&Value> for BadValue {
    fn from(v: &Value) -> Self {
        match v {
            Value::String(s) => Self::Str(s.clone()),
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => match go_format::number(n) {
                go_format::GoNumber::Int(i) => Self::Int(i),
                go_format::GoNumber::Float(f) => Self::Float(f),
            },
            other => Self::Json(other.clone()),
        }
    }
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        Self::Str(s.to_string())
    }
}

/// One field-level error. `message` is the apiserver's error body (what a Status cause carries),
/// and `Display` prints `<field>: <message>`, e.g. `spec.image: Required value`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// The field path, e.g. `spec.dynamicTemplate` (`<nil>` for the object root).
    pub field: String,
    pub kind: FieldErrorKind,
    /// The body, e.g. `Unsupported value: "warp": supported values: "drive", "compute"`.
    pub message: String,
}

impl FieldError {
    /// Builds an error the way `field.Error.ErrorBody()` renders it.
    pub fn new(
        kind: FieldErrorKind,
        field: impl Into<String>,
        value: &BadValue,
        detail: &str,
    ) -> Self {
        let mut message = kind.label().to_string();
        let omit_value = matches!(
            kind,
            FieldErrorKind::Required
                | FieldErrorKind::Forbidden
                | FieldErrorKind::TooLong
                | FieldErrorKind::Internal
        ) || *value == BadValue::Omitted;
        if !omit_value {
            message.push_str(": ");
            message.push_str(&value.render());
        }
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(detail);
        }
        Self { field: field.into(), kind, message }
    }

    pub fn required(field: impl Into<String>, detail: &str) -> Self {
        Self::new(FieldErrorKind::Required, field, &BadValue::Omitted, detail)
    }

    pub fn invalid(field: impl Into<String>, value: impl Into<BadValue>, detail: &str) -> Self {
        Self::new(FieldErrorKind::Invalid, field, &value.into(), detail)
    }

    pub fn type_invalid(
        field: impl Into<String>,
        value: impl Into<BadValue>,
        detail: &str,
    ) -> Self {
        Self::new(FieldErrorKind::TypeInvalid, field, &value.into(), detail)
    }

    /// `field.NotSupported`: lists the supported values, each quoted.
    pub fn not_supported(
        field: impl Into<String>,
        value: impl Into<BadValue>,
        supported: &[String],
    ) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_format::quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(FieldErrorKind::NotSupported, field, &value.into(), &detail)
    }

    pub fn duplicate(field: impl Into<String>, value: impl Into<BadValue>) -> Self {
        Self::new(FieldErrorKind::Duplicate, field, &value.into(), "")
    }

    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        Self::new(FieldErrorKind::Forbidden, field, &BadValue::Omitted, detail)
    }

    /// `field.TooLong` (1.32 wording): `Too long: may not be more than 10 bytes`.
    pub fn too_long(field: impl Into<String>, max_length: i64) -> Self {
        let detail = if max_length >= 0 {
            format!("may not be more than {max_length} bytes")
        } else {
            "value is too long".to_string()
        };
        Self::new(FieldErrorKind::TooLong, field, &BadValue::Omitted, &detail)
    }

    /// `field.TooMany`: `Too many: 5: must have at most 3 items`.
    pub fn too_many(field: impl Into<String>, actual: Option<i64>, max: i64) -> Self {
        let detail = if max >= 0 {
            format!("must have at most {max} items")
        } else {
            "has too many items".to_string()
        };
        let value = actual.filter(|a| *a >= 0).map_or(BadValue::Omitted, BadValue::Int);
        Self::new(FieldErrorKind::TooMany, field, &value, &detail)
    }

    pub fn internal(field: impl Into<String>, detail: &str) -> Self {
        Self::new(FieldErrorKind::Internal, field, &BadValue::Omitted, detail)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A `field.Path`: `spec.containers[0].name`, `spec.nodeSelector[kubernetes.io/os]`; the empty
/// path prints as `<nil>` as in Go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(Option<String>);

impl FieldPath {
    pub fn root() -> Self {
        Self(None)
    }

    pub fn new(name: &str) -> Self {
        Self(Some(name.to_string()))
    }

    pub fn child(&self, name: &str) -> Self {
        match &self.0 {
            None => Self(Some(name.to_string())),
            Some(p) if name.is_empty() => Self(Some(p.clone())),
            Some(p) => Self(Some(format!("{p}.{name}"))),
        }
    }

    pub fn key(&self, key: &str) -> Self {
        let base = self.0.as_deref().unwrap_or("");
        Self(Some(format!("{base}[{key}]")))
    }

    pub fn index(&self, i: usize) -> Self {
        let base = self.0.as_deref().unwrap_or("");
        Self(Some(format!("{base}[{i}]")))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or("<nil>"))
    }
}

/// The warning (and strict-mode error) text for a pruned field: `unknown field "spec.foo"`.
pub fn unknown_field_message(path: &str) -> String {
    format!("unknown field {}", go_format::quote(path))
}

/// The error `fieldValidation=Strict` gives for pruned fields (wrapped by the caller in a 400
/// BadRequest): `strict decoding error: unknown field "spec.a", unknown field "spec.b"`.
pub fn strict_decoding_error(paths: &[String]) -> String {
    let fields: Vec<String> = paths.iter().map(|p| unknown_field_message(p)).collect();
    format!("strict decoding error: {}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_render_like_field_error() {
        assert_eq!(
            FieldError::required("spec.image", "").to_string(),
            "spec.image: Required value"
        );
        let e = FieldError::not_supported("spec.mode", "warp", &["drive".into(), "compute".into()]);
        assert_eq!(
            e.to_string(),
            r#"spec.mode: Unsupported value: "warp": supported values: "drive", "compute""#
        );
        assert_eq!(
            FieldError::too_long("spec.x", 3).message,
            "Too long: may not be more than 3 bytes"
        );
        assert_eq!(
            FieldError::too_many("spec.x", Some(5), 3).message,
            "Too many: 5: must have at most 3 items"
        );
        assert_eq!(
            FieldError::invalid("x", &json!(null), "d").message,
            r#"Invalid value: "null": d"#
        );
        assert_eq!(
            FieldError::duplicate("x[1]", &json!({"name": "a"})).message,
            r#"Duplicate value: map[string]interface {}{"name":"a"}"#
        );
        assert_eq!(FieldError::forbidden("x", "no").message, "Forbidden: no");
    }

    #[test]
    fn field_paths_print_like_go() {
        let p = FieldPath::root();
        assert_eq!(p.to_string(), "<nil>");
        assert_eq!(
            p.child("spec").key("a.b/c").index(2).child("x").to_string(),
            "spec[a.b/c][2].x"
        );
    }
}
