//! The resource registry: which resources are served, under which group/version/plural, with
//! which names, scope, verbs, subresources and validation. Built-in kinds are fixed at start;
//! CustomResourceDefinitions add and remove kinds at run time.

mod builtin;
mod crd;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::crd_validation::CrdValidator;
use crate::errors::ResourceName;
use crate::store::Generation;

pub use crd::{CrdError, crd_resources};

/// Decodes a built-in object into its k8s-openapi type and encodes it back: decoding errors
/// are the typed validation, and fields missing after the round trip are unknown fields.
pub type TypedRoundTrip = fn(&Value) -> Result<Value, serde_json::Error>;

pub fn round_trip<T: DeserializeOwned + Serialize>(
    value: &Value,
) -> Result<Value, serde_json::Error> {
    let typed = T::deserialize(value)?;
    serde_json::to_value(typed)
}

/// How an object is checked before it is stored.
#[derive(Clone)]
pub enum Schema {
    Typed(TypedRoundTrip),
    Custom(Arc<CrdValidator>),
}

/// How the served form of an object relates to its stored form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// Same fields; only apiVersion differs between versions.
    Plain,
    /// events.k8s.io/v1 Event served from core/v1 Event storage.
    EventsV1,
}

/// What `status` becomes when an object is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusOnCreate {
    /// Kept as sent (kinds without a status subresource, and nodes).
    Keep,
    /// Emptied (`status: {}`), as built-in strategies reset it.
    Empty,
    /// Removed, as for custom resources with a status subresource.
    Remove,
    /// `{phase: <value>}`.
    Phase(&'static str),
    /// Pending, with the QoS class computed from the containers.
    Pod,
}

/// The paths of a scale subresource (`.spec.replicas` style, as in CRDs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// A subresource served as its own kind (pods/binding, pods/eviction, */scale).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraSubresource {
    pub name: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

/// Facts about a CRD-defined resource that later features need (Table columns, OpenAPI,
/// merge rules for server-side apply).
#[derive(Clone, Debug, Default)]
pub struct CustomInfo {
    pub crd_name: String,
    pub printer_columns: Vec<Value>,
    pub deprecation_warning: Option<String>,
    /// The version's `schema.openAPIV3Schema`.
    pub schema: Option<Arc<Value>>,
}

/// One served group/version/resource.
#[derive(Clone)]
pub struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub list_kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub categories: Vec<String>,
    pub status_subresource: bool,
    pub scale: Option<ScalePaths>,
    pub extra_subresources: Vec<ExtraSubresource>,
    /// The store's key for this resource's objects, shared by all its versions.
    pub storage: String,
    /// apiVersion of the stored form.
    pub storage_api_version: String,
    pub codec: Codec,
    pub schema: Schema,
    pub generation: Generation,
    pub status_on_create: StatusOnCreate,
    /// Field selector labels beyond metadata.name and metadata.namespace.
    pub field_labels: Vec<String>,
    /// Whether a completed delete answers with the object (else a Success Status).
    pub returns_deleted_object: bool,
    pub custom: Option<CustomInfo>,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn group_version(&self) -> String {
        self.api_version()
    }

    pub fn name(&self) -> ResourceName {
        ResourceName::new(&self.group, &self.plural)
    }

    pub fn is_custom(&self) -> bool {
        self.custom.is_some()
    }

    pub fn supports_field_label(&self, label: &str) -> bool {
        label == "metadata.name"
            || label == "metadata.namespace"
            || self.field_labels.iter().any(|l| l == label)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

#[derive(Default)]
struct Index {
    /// In discovery order.
    all: Vec<Arc<Resource>>,
    by_gvr: HashMap<(String, String, String), Arc<Resource>>,
}

impl Index {
    fn build(builtins: &[Arc<Resource>], custom: &BTreeMap<String, Vec<Arc<Resource>>>) -> Self {
        let all: Vec<Arc<Resource>> =
            builtins.iter().chain(custom.values().flatten()).cloned().collect();
        let by_gvr = all
            .iter()
            .map(|r| ((r.group.clone(), r.version.clone(), r.plural.clone()), r.clone()))
            .collect();
        Index { all, by_gvr }
    }
}

/// The served resources. Reads take a snapshot (`Arc`) so that CRD changes never block them.
pub struct Registry {
    builtins: Vec<Arc<Resource>>,
    custom: RwLock<BTreeMap<String, Vec<Arc<Resource>>>>,
    index: RwLock<Arc<Index>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    pub fn new() -> Self {
        let builtins: Vec<Arc<Resource>> = builtin::resources().into_iter().map(Arc::new).collect();
        let index = Index::build(&builtins, &BTreeMap::new());
        Registry {
            builtins,
            custom: RwLock::new(BTreeMap::new()),
            index: RwLock::new(Arc::new(index)),
        }
    }

    fn index(&self) -> Arc<Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<Resource>> {
        self.index()
            .by_gvr
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// Every served resource, built-ins first, in a stable order.
    pub fn all(&self) -> Vec<Arc<Resource>> {
        self.index().all.clone()
    }

    /// Whether some served resource has this group and version.
    pub fn serves_group_version(&self, group: &str, version: &str) -> bool {
        self.index().all.iter().any(|r| r.group == group && r.version == version)
    }

    /// The resource through which objects of a storage key are kept in their stored form.
    pub fn by_storage(&self, storage: &str) -> Option<Arc<Resource>> {
        let index = self.index();
        index
            .all
            .iter()
            .find(|r| r.storage == storage && r.api_version() == r.storage_api_version)
            .or_else(|| index.all.iter().find(|r| r.storage == storage))
            .cloned()
    }

    /// Serves the kinds a CRD defines (replacing what it defined before).
    pub fn set_custom(&self, crd_name: &str, resources: Vec<Resource>) {
        let mut custom = self.custom.write().unwrap_or_else(|e| e.into_inner());
        custom.insert(crd_name.to_string(), resources.into_iter().map(Arc::new).collect());
        self.reindex(&custom);
    }

    pub fn remove_custom(&self, crd_name: &str) {
        let mut custom = self.custom.write().unwrap_or_else(|e| e.into_inner());
        custom.remove(crd_name);
        self.reindex(&custom);
    }

    fn reindex(&self, custom: &BTreeMap<String, Vec<Arc<Resource>>>) {
        let index = Index::build(&self.builtins, custom);
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
    }
}

/// Kubernetes' ordering of versions: GA over beta over alpha, higher numbers first, then
/// anything else alphabetically. Used for a group's preferred version.
pub fn version_priority(version: &str) -> (u8, i64, i64, String) {
    let parse = |v: &str| -> Option<(u8, i64, i64)> {
        let rest = v.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let major: i64 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((0, -major, 0));
        }
        for (rank, word) in [(1u8, "beta"), (2u8, "alpha")] {
            if let Some(n) = tail.strip_prefix(word) {
                let minor: i64 = n.parse().ok()?;
                return Some((rank, -major, -minor));
            }
        }
        None
    };
    match parse(version) {
        Some((rank, major, minor)) => (rank, major, minor, String::new()),
        None => (3, 0, 0, version.to_string()),
    }
}
