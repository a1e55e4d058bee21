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

/// A WekaContainer with its spec and status kept as compact JSON text.
///
/// The shared cache holds every WekaContainer: as `serde_json::Value` trees a container took
/// ~15 KB (six times its JSON), as text it takes its JSON. The few fields read across all
/// containers at once (the node it is pinned to, its mode) are extracted when it is read;
/// everything else is in [`ContainerObject::decode`]. `metadata.managedFields` is dropped as
/// each object is read (no controller reads it, and it is a third of what the API sends).
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "WireObject")]
pub struct ContainerObject {
    pub metadata: ObjectMeta,
    /// `spec` as JSON (`null` when absent).
    spec: Box<str>,
    /// `status` as JSON.
    status: Option<Box<str>>,
    /// `spec.nodeAffinity`, `status.nodeAffinity` when they are strings.
    spec_node: Option<Box<str>>,
    status_node: Option<Box<str>>,
    /// A `nodeAffinity` that is there but is not a string (only decoding tells what it is).
    odd_node: bool,
    /// `spec.mode` when it is a string.
    mode: Option<Box<str>>,
}

/// The object as the API sends it.
#[derive(Deserialize, Serialize)]
struct WireObject {
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default)]
    spec: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Value>,
}

impl From<WireObject> for ContainerObject {
    fn from(wire: WireObject) -> Self {
        let WireObject { mut metadata, spec, status } = wire;
        metadata.managed_fields = None;
        ContainerObject::new(metadata, spec, status)
    }
}

impl Serialize for ContainerObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = WireObject {
            metadata: self.metadata.clone(),
            spec: self.spec_value(),
            status: self.status_value(),
        };
        wire.serialize(serializer)
    }
}

/// A string field of a JSON object: `Ok(None)` when absent or null, `Err` when something else.
fn string_field(object: Option<&Value>, key: &str) -> Result<Option<Box<str>>, ()> {
    match object.and_then(|o| o.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str().into())),
        Some(_) => Err(()),
    }
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
    pub fn new(metadata: ObjectMeta, spec: Value, status: Option<Value>) -> Self {
        let spec_node = string_field(Some(&spec), "nodeAffinity");
        let status_node = string_field(status.as_ref(), "nodeAffinity");
        let odd_node = spec_node.is_err() || status_node.is_err();
        let mode = string_field(Some(&spec), "mode").unwrap_or_default();
        let text = |value: &Value| value.to_string().into_boxed_str();
        ContainerObject {
            metadata,
            spec: text(&spec),
            status: status.as_ref().map(text),
            spec_node: spec_node.unwrap_or_default(),
            status_node: status_node.unwrap_or_default(),
            odd_node,
            mode,
        }
    }

    /// The typed WekaContainer.
    pub fn decode(&self) -> Result<WekaContainer, DecodeError> {
        let metadata = serde_json::to_string(&self.metadata).unwrap_or_else(|_| "null".into());
        let mut text = format!(
            r#"{{"apiVersion":"{}","kind":"WekaContainer","metadata":{metadata},"spec":{}"#,
            weka_api::API_VERSION,
            self.spec
        );
        if let Some(status) = &self.status {
            text.push_str(r#","status":"#);
            text.push_str(status);
        }
        text.push('}');
        weka_api::parse::from_json(&text).map_err(|err| match err {
            ParseError::Field { path, message } => DecodeError { path, message },
            ParseError::Syntax { message, .. } => DecodeError { path: ".".into(), message },
        })
    }

    /// `spec`, as JSON.
    pub fn spec_value(&self) -> Value {
        serde_json::from_str(&self.spec).unwrap_or(Value::Null)
    }

    /// `status`, as JSON.
    pub fn status_value(&self) -> Option<Value> {
        self.status.as_deref().and_then(|s| serde_json::from_str(s).ok())
    }

    /// `spec.mode`, as written (it may be a mode this operator does not know).
    pub fn mode(&self) -> Option<&str> {
        self.mode.as_deref()
    }

    /// `status.nodeAffinity`: the node the container was placed on.
    pub fn status_node_affinity(&self) -> Option<&str> {
        self.status_node.as_deref()
    }

    /// The node the container is pinned to, read from the raw JSON (`spec.nodeAffinity`, else
    /// `status.nodeAffinity`), so that node events reach even containers that do not decode.
    pub fn node_affinity(&self) -> Option<&str> {
        fn non_empty(node: &Option<Box<str>>) -> Option<&str> {
            node.as_deref().filter(|n| !n.is_empty())
        }
        non_empty(&self.spec_node).or_else(|| non_empty(&self.status_node))
    }

    /// Whether the container may be placed on `node`: pinned there, or with a `nodeAffinity`
    /// that is not a string (only decoding tells what it is).
    pub fn may_be_on(&self, node: &str) -> bool {
        self.odd_node || self.node_affinity() == Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ObjectMeta {
        ObjectMeta { name: Some("c".into()), namespace: Some("ns".into()), ..ObjectMeta::default() }
    }

    fn object(spec: Value) -> ContainerObject {
        ContainerObject::new(meta(), spec, None)
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
    fn spec_and_status_read_back_as_written() {
        let wire = serde_json::json!({
            "metadata": {"name": "c", "namespace": "ns"},
            "spec": {"name": "drive0", "mode": "drive", "image": "i", "numCores": 1},
            "status": {"status": "Running", "nodeAffinity": "n1"},
        });
        let o: ContainerObject = serde_json::from_value(wire.clone()).expect("reads");
        assert_eq!(o.spec_value(), wire["spec"]);
        assert_eq!(o.status_value(), Some(wire["status"].clone()));
        assert_eq!(o.mode(), Some("drive"));
        assert_eq!(serde_json::to_value(&o).expect("writes"), wire);
        let c = o.decode().expect("decodes");
        assert_eq!(c.status.and_then(|s| s.node_affinity).as_deref(), Some("n1"));
        assert_eq!(c.metadata.name.as_deref(), Some("c"));
    }

    #[test]
    fn managed_fields_are_dropped_when_read() {
        let o: ContainerObject = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "c", "managedFields": [{"manager": "m", "operation": "Apply"}]},
            "spec": {},
        }))
        .expect("reads");
        assert_eq!(o.metadata.name.as_deref(), Some("c"));
        assert_eq!(o.metadata.managed_fields, None);
    }

    #[test]
    fn may_be_on_the_node_it_is_pinned_to_or_when_unreadable() {
        assert!(!object(serde_json::json!({})).may_be_on("n1"), "not placed");
        let placed = Some(serde_json::json!({"nodeAffinity": "n1"}));
        let o = ContainerObject::new(meta(), serde_json::json!({}), placed.clone());
        assert!(o.may_be_on("n1"));
        assert!(!o.may_be_on("n2"));
        let o = ContainerObject::new(meta(), serde_json::json!({"nodeAffinity": 7}), placed);
        assert!(o.may_be_on("n2"), "only decoding can tell");
    }

    #[test]
    fn node_affinity_prefers_the_spec() {
        let status = Some(serde_json::json!({"nodeAffinity": "n2"}));
        let o =
            ContainerObject::new(meta(), serde_json::json!({"nodeAffinity": "n1"}), status.clone());
        assert_eq!(o.node_affinity(), Some("n1"));
        assert_eq!(o.status_node_affinity(), Some("n2"));
        let o = ContainerObject::new(meta(), serde_json::json!({"nodeAffinity": ""}), status);
        assert_eq!(o.node_affinity(), Some("n2"));
    }
}
