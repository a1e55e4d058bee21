//! The crate's one error type. Every failure of a request becomes a `kind: Status` object with
//! the reason and code a real kube-apiserver gives for it.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

/// A resource as named in messages: `pods`, `deployments.apps`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceName {
    pub group: String,
    pub resource: String,
}

impl ResourceName {
    pub fn new(group: &str, resource: &str) -> Self {
        ResourceName { group: group.to_string(), resource: resource.to_string() }
    }
}

impl std::fmt::Display for ResourceName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}", self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

/// One field problem of an Invalid error (`details.causes`).
#[derive(Clone, Debug, PartialEq)]
pub struct Cause {
    /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueForbidden`...
    pub reason: String,
    pub field: String,
    /// As upstream words it, e.g. `Required value`, `Invalid value: "x": must be ...`.
    pub message: String,
}

impl Cause {
    pub fn required(field: &str) -> Self {
        Cause {
            reason: "FieldValueRequired".into(),
            field: field.into(),
            message: "Required value".into(),
        }
    }

    pub fn invalid(field: &str, value: &Value, detail: &str) -> Self {
        Cause {
            reason: "FieldValueInvalid".into(),
            field: field.into(),
            message: format!("Invalid value: {}: {detail}", render_value(value)),
        }
    }

    pub fn forbidden(field: &str, detail: &str) -> Self {
        Cause {
            reason: "FieldValueForbidden".into(),
            field: field.into(),
            message: format!("Forbidden: {detail}"),
        }
    }
}

fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{resource} \"{name}\" not found")]
    NotFound { resource: ResourceName, name: String },
    #[error("{resource} \"{name}\" already exists")]
    AlreadyExists { resource: ResourceName, name: String },
    #[error("Operation cannot be fulfilled on {resource} \"{name}\": {message}")]
    Conflict { resource: ResourceName, name: String, message: String },
    #[error("{kind} \"{name}\" is invalid: {}", join_causes(.causes))]
    Invalid { group: String, kind: String, name: String, causes: Vec<Cause> },
    #[error("{0}")]
    BadRequest(String),
    /// A JSON patch that does not apply (failed `test`, missing path): 422.
    #[error("{0}")]
    PatchFailed(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the server could not find the requested resource")]
    UnknownPath,
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A resourceVersion or continue token older than the kept history.
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Timeout(String),
    /// A proxied backend (a pod behind `pods/proxy`) could not be reached: 503.
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Internal(String),
    /// Server-side apply conflicts: 409 Conflict whose causes name each field and its manager
    /// (`FieldManagerConflict`).
    #[error("{message}")]
    ApplyConflict { message: String, causes: Vec<Cause> },
    /// A failure chosen by a fault rule.
    #[error("{message}")]
    Injected { code: u16, reason: String, message: String, retry_after: Option<u64> },
}

fn join_causes(causes: &[Cause]) -> String {
    let parts: Vec<String> = causes
        .iter()
        .map(|c| {
            if c.field.is_empty() {
                c.message.clone()
            } else {
                format!("{}: {}", c.field, c.message)
            }
        })
        .collect();
    match parts.len() {
        1 => parts[0].clone(),
        _ => format!("[{}]", parts.join(", ")),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> StatusCode {
        match self {
            Error::NotFound { .. } | Error::UnknownPath => StatusCode::NOT_FOUND,
            Error::AlreadyExists { .. } | Error::Conflict { .. } | Error::ApplyConflict { .. } => {
                StatusCode::CONFLICT
            }
            Error::Invalid { .. } | Error::PatchFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Error::Expired(_) => StatusCode::GONE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Error::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Error::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Injected { code, .. } => {
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Error::NotFound { .. } | Error::UnknownPath => "NotFound",
            Error::AlreadyExists { .. } => "AlreadyExists",
            Error::Conflict { .. } | Error::ApplyConflict { .. } => "Conflict",
            Error::Invalid { .. } | Error::PatchFailed(_) => "Invalid",
            Error::BadRequest(_) => "BadRequest",
            Error::Forbidden(_) => "Forbidden",
            Error::MethodNotAllowed(_) => "MethodNotAllowed",
            Error::Expired(_) => "Expired",
            Error::UnsupportedMediaType(_) => "UnsupportedMediaType",
            Error::NotAcceptable(_) => "NotAcceptable",
            Error::Timeout(_) => "Timeout",
            Error::ServiceUnavailable(_) => "ServiceUnavailable",
            Error::Unauthorized => "Unauthorized",
            Error::Internal(_) => "InternalError",
            Error::Injected { reason, .. } => reason,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            Error::NotFound { resource, name }
            | Error::AlreadyExists { resource, name }
            | Error::Conflict { resource, name, .. } => {
                let mut details = json!({"name": name, "kind": resource.resource});
                if !resource.group.is_empty() {
                    details["group"] = json!(resource.group);
                }
                Some(details)
            }
            Error::Invalid { group, kind, name, causes } => {
                let causes: Vec<Value> = causes
                    .iter()
                    .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                    .collect();
                let mut details = json!({"name": name, "kind": kind, "causes": causes});
                if !group.is_empty() {
                    details["group"] = json!(group);
                }
                Some(details)
            }
            Error::ApplyConflict { causes, .. } => {
                let causes: Vec<Value> = causes
                    .iter()
                    .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                    .collect();
                Some(json!({"causes": causes}))
            }
            Error::Injected { retry_after: Some(seconds), .. } => {
                Some(json!({"retryAfterSeconds": seconds}))
            }
            _ => None,
        }
    }

    /// The `Status` object for this error.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.to_string(),
            "reason": self.reason(),
            "code": self.code().as_u16(),
        });
        if let Some(details) = self.details() {
            status["details"] = details;
        }
        status
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.status()).unwrap_or_default();
        let mut response = (self.code(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Error::Injected { retry_after: Some(seconds), .. } = &self
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}
