//! [`CachedPod`]: a Pod as the shared cache keeps it.
//!
//! A `k8s_openapi` Pod takes about ten times its JSON in memory: every `Volume` is a struct
//! with a field for each volume source (3.2 KB, whatever the source), every `Container` 2 KB,
//! every `EnvVar` 280 bytes, and vectors read from JSON grow by doubling. A WEKA pod (10
//! volumes, ~40 environment variables, 15 mounts) took ~75 KB for ~7 KB of JSON, and the
//! cache holds every pod of the watched namespaces: at 1,000 WekaContainers the pods were
//! most of the operator's memory. So the cache keeps the spec and the status as compact JSON
//! and decodes them on access ([`CachedPod::pod`]: one pod per reconcile), while what is read
//! across many pods at once stays typed: the metadata, `spec.nodeName` and `status.phase`.
//! A WEKA pod now takes ~7 KB.

use std::borrow::Cow;

use k8s_openapi::api::core::v1::{Pod, PodSpec, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::Deserialize;

/// A Pod with its spec and status kept as JSON (see the module documentation).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "WirePod")]
pub struct CachedPod {
    pub metadata: ObjectMeta,
    /// `spec.nodeName`.
    node_name: Option<Box<str>>,
    /// `status.phase`.
    phase: Option<Box<str>>,
    /// `spec`, as compact JSON.
    spec: Option<Box<str>>,
    /// `status`, as compact JSON.
    status: Option<Box<str>>,
}

#[derive(Deserialize)]
struct WirePod {
    #[serde(default)]
    metadata: ObjectMeta,
    spec: Option<PodSpec>,
    status: Option<PodStatus>,
}

impl TryFrom<WirePod> for CachedPod {
    type Error = serde_json::Error;

    fn try_from(wire: WirePod) -> Result<Self, Self::Error> {
        let WirePod { mut metadata, spec, status } = wire;
        metadata.managed_fields = None;
        if let Some(owners) = metadata.owner_references.as_mut() {
            owners.shrink_to_fit();
        }
        let node_name = spec.as_ref().and_then(|s| s.node_name.as_deref()).map(Box::from);
        let phase = status.as_ref().and_then(|s| s.phase.as_deref()).map(Box::from);
        Ok(CachedPod {
            metadata,
            node_name,
            phase,
            spec: spec.as_ref().map(compact).transpose()?,
            status: status.as_ref().map(compact).transpose()?,
        })
    }
}

fn compact<T: serde::Serialize>(value: &T) -> Result<Box<str>, serde_json::Error> {
    serde_json::to_string(value).map(String::into_boxed_str)
}

impl CachedPod {
    /// The whole Pod, its spec and status decoded.
    pub fn pod(&self) -> Result<Pod, serde_json::Error> {
        let spec = self.spec.as_deref().map(serde_json::from_str).transpose()?;
        Ok(Pod { metadata: self.metadata.clone(), spec, status: self.status()? })
    }

    /// `status`, decoded.
    pub fn status(&self) -> Result<Option<PodStatus>, serde_json::Error> {
        self.status.as_deref().map(serde_json::from_str).transpose()
    }

    /// `spec.nodeName`.
    pub fn node_name(&self) -> Option<&str> {
        self.node_name.as_deref()
    }

    /// `status.phase`.
    pub fn phase(&self) -> Option<&str> {
        self.phase.as_deref()
    }
}

impl Resource for CachedPod {
    type DynamicType = ();
    type Scope = k8s_openapi::NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        Pod::kind(dt)
    }

    fn group(dt: &()) -> Cow<'_, str> {
        Pod::group(dt)
    }

    fn version(dt: &()) -> Cow<'_, str> {
        Pod::version(dt)
    }

    fn plural(dt: &()) -> Cow<'_, str> {
        Pod::plural(dt)
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn wire() -> serde_json::Value {
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns", "labels": {"a": "b"},
                "managedFields": [{"manager": "m", "operation": "Update"}]},
            "spec": {
                "nodeName": "n1",
                "containers": [{"name": "c", "image": "i:1", "env": [{"name": "E", "value": "v"}]}],
                "volumes": [{"name": "v", "hostPath": {"path": "/x"}}],
            },
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        })
    }

    #[test]
    fn the_pod_decodes_back_as_read_without_managed_fields() {
        let cached: CachedPod = serde_json::from_value(wire()).expect("reads");
        let mut direct: Pod = serde_json::from_value(wire()).expect("reads");
        direct.metadata.managed_fields = None;
        assert_eq!(cached.pod().expect("decodes"), direct);
        assert_eq!(cached.node_name(), Some("n1"));
        assert_eq!(cached.phase(), Some("Running"));
    }

    #[test]
    fn a_pod_without_spec_or_status_reads() {
        let cached: CachedPod =
            serde_json::from_value(json!({"metadata": {"name": "p"}})).expect("reads");
        assert_eq!(cached.node_name(), None);
        assert_eq!(cached.phase(), None);
        assert_eq!(cached.pod().expect("decodes").spec, None);
        assert_eq!(cached.status().expect("decodes"), None);
    }

    #[test]
    fn it_is_the_core_pods_resource() {
        assert_eq!(CachedPod::plural(&()), "pods");
        assert_eq!(CachedPod::api_version(&()), "v1");
        assert_eq!(CachedPod::url_path(&(), Some("ns")), "/api/v1/namespaces/ns/pods");
    }
}
