//! The patch types the apiserver accepts, by `Content-Type`: JSON patch (RFC 6902), JSON merge
//! patch (RFC 7386), strategic merge patch (built-in kinds only; custom resources answer 415
//! as on a real server) and server-side apply (see [`crate::apply`]).

pub mod merge_keys;
pub mod strategic;

use serde_json::Value;

use crate::errors::{Error, Result};
use crate::openapi::shape::Shape;

pub const JSON_PATCH: &str = "application/json-patch+json";
pub const MERGE_PATCH: &str = "application/merge-patch+json";
pub const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";
pub const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// A parsed patch body.
pub enum Patch {
    Json(json_patch::Patch),
    Merge(Value),
    Strategic(Value),
    /// A server-side apply configuration.
    Apply(Value),
}

/// The patch types a resource accepts, in the apiserver's order.
fn accepted(custom: bool) -> &'static [&'static str] {
    if custom {
        &[JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
    } else {
        &[JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH]
    }
}

fn decode_json(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body)
        .map_err(|e| Error::BadRequest(format!("error decoding patch: {e}")))
}

/// Parses a patch body of media type `media` for a built-in (`custom == false`) or custom kind.
pub fn parse(media: &str, body: &[u8], custom: bool) -> Result<Patch> {
    let accepted = accepted(custom);
    if !accepted.contains(&media) {
        return Err(Error::UnsupportedMediaType(format!(
            "the body of the request was in an unknown format - accepted media types include: {}",
            accepted.join(", ")
        )));
    }
    match media {
        JSON_PATCH => serde_json::from_slice(body)
            .map(Patch::Json)
            .map_err(|e| Error::BadRequest(format!("error decoding patch: {e}"))),
        MERGE_PATCH => {
            let value = decode_json(body)?;
            if !value.is_object() {
                return Err(Error::BadRequest(
                    "error decoding patch: a merge patch must be a JSON object".into(),
                ));
            }
            Ok(Patch::Merge(value))
        }
        STRATEGIC_MERGE_PATCH => {
            let value = decode_json(body)?;
            if !value.is_object() {
                return Err(Error::BadRequest("invalid JSON document".into()));
            }
            Ok(Patch::Strategic(value))
        }
        _ => {
            let value: Value = serde_yaml::from_slice(body)
                .map_err(|e| Error::BadRequest(format!("error decoding patch: {e}")))?;
            Ok(Patch::Apply(value))
        }
    }
}

/// Applies a JSON, merge or strategic merge patch to `doc` (the served object).
pub fn apply_to(doc: &mut Value, patch: &Patch, shape: Shape) -> Result<()> {
    match patch {
        Patch::Merge(p) => json_patch::merge(doc, p),
        Patch::Json(p) => {
            json_patch::patch(doc, p).map_err(|e| Error::PatchFailed(e.to_string()))?
        }
        Patch::Strategic(p) => {
            let original = std::mem::take(doc);
            *doc = strategic::apply(original, p.clone(), shape).map_err(|e| match e {
                strategic::SmpError::BadRequest(m) => Error::BadRequest(m),
                strategic::SmpError::Unprocessable(m) => Error::PatchFailed(m),
                strategic::SmpError::Other(m) => Error::Internal(m),
            })?;
        }
        Patch::Apply(_) => {
            return Err(Error::Internal("server-side apply is not a plain patch".into()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_resources_refuse_strategic_merge_patch() {
        let err = parse(STRATEGIC_MERGE_PATCH, b"{}", true).err().unwrap();
        assert_eq!(err.code(), 415);
        assert_eq!(
            err.to_string(),
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        );
        assert!(matches!(parse(STRATEGIC_MERGE_PATCH, b"{}", false), Ok(Patch::Strategic(_))));
    }

    #[test]
    fn apply_configurations_may_be_yaml_or_json() {
        let Ok(Patch::Apply(v)) = parse(APPLY_PATCH, b"kind: ConfigMap\ndata: {a: b}\n", false)
        else {
            panic!("yaml apply")
        };
        assert_eq!(v["data"]["a"], "b");
        assert!(matches!(
            parse(APPLY_PATCH, br#"{"kind":"ConfigMap"}"#, true),
            Ok(Patch::Apply(_))
        ));
    }
}
