//! [`ContainerObject`]: a WekaContainer as the watch delivers it, decoded leniently.
//!
//! The controller watches WekaContainers through this type, not the typed
//! [`weka_api::WekaContainer`], because a list or watch of typed objects fails as a whole when
//! one object does not decode (a mode added by a newer CRD, a field written by hand with the
//! schema bypassed): every container would stop being reconciled, and the watch would retry
//! forever. Here only the metadata must decode; each reconcile then decodes its own object
//! ([`ContainerObject::decode`]) and reports a clear condition and event when it cannot.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use weka_api::WekaContainer;
use weka_api::parse::ParseError;

/// A WekaContainer with its spec and status kept as JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContainerObject {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Value,
    #[serde(default)]
    pub status: Option<Value>,
}

impl Resource for ContainerObject {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        WekaContainer::kind(dt)
    }

    fn group(dt: &()) -> Cow<'_, str> {
        WekaContainer::group(dt)
    }

    fn version(dt: &()) -> Cow<'_, str> {
        WekaContainer::version(dt)
    }

    fn plural(dt: &()) -> Cow<'_, str> {
        WekaContainer::plural(dt)
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// Why an object could not be decoded: the JSON path and what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

impl DecodeError {
    /// The mode itself is one this operator does not know.
    pub fn is_unknown_mode(&self) -> bool {
        self.path == "spec.mode"
    }
}

impl ContainerObject {
    /// The typed WekaContainer.
    pub fn decode(&self) -> Result<WekaContainer, DecodeError> {
        let mut value = serde_json::json!({
            "apiVersion": weka_api::API_VERSION,
            "kind": "WekaContainer",
            "metadata": serde_json::to_value(&self.metadata).unwrap_or(Value::Null),
            "spec": self.spec,
        });
        if let Some(status) = &self.status {
            value["status"] = status.clone();
        }
        weka_api::parse::from_value(value).map_err(|err| match err {
            ParseError::Field { path, message } => DecodeError { path, message },
            ParseError::Syntax { message, .. } => DecodeError { path: ".".into(), message },
        })
    }

    /// The node the container is pinned to, read from the raw JSON (`spec.nodeAffinity`, else
    /// `status.nodeAffinity`), so that node events reach even containers that do not decode.
    pub fn node_affinity(&self) -> Option<&str> {
        fn from(value: Option<&Value>) -> Option<&str> {
            value
                .and_then(|v| v.get("nodeAffinity"))
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
        }
        from(Some(&self.spec)).or_else(|| from(self.status.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(spec: Value) -> ContainerObject {
        ContainerObject {
            metadata: ObjectMeta {
                name: Some("c".into()),
                namespace: Some("ns".into()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }

    #[test]
    fn a_known_container_decodes() {
        let c = object(
            serde_json::json!({"name": "drive0", "mode": "drive", "image": "i", "numCores": 1}),
        )
        .decode()
        .expect("decodes");
        assert_eq!(c.spec.mode, weka_api::wekacontainer::ContainerMode::Drive);
    }

    #[test]
    fn an_unknown_mode_names_the_field() {
        let err =
            object(serde_json::json!({"name": "x", "mode": "warp", "image": "i", "numCores": 1}))
                .decode()
                .expect_err("unknown mode");
        assert!(err.is_unknown_mode(), "{err}");
        assert!(err.message.contains("warp"), "{err}");
    }

    #[test]
    fn node_affinity_prefers_the_spec() {
        let mut o = object(serde_json::json!({"nodeAffinity": "n1"}));
        o.status = Some(serde_json::json!({"nodeAffinity": "n2"}));
        assert_eq!(o.node_affinity(), Some("n1"));
        o.spec = serde_json::json!({});
        assert_eq!(o.node_affinity(), Some("n2"));
    }
}
