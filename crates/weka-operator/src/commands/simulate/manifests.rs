//! What simulate applies: the default WekaCluster, or the documents of the `--apply` files;
//! and what to wait for among them (every WekaCluster Ready, every standalone WekaContainer
//! Running).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kube::api::DynamicObject;
use serde::Deserialize;

use super::SimulateError;
use super::prerequisites::PULL_SECRET;

/// The cluster simulate brings up without `--apply`: upstream's minimal example sized for
/// the default nodes (one compute and one drive container per node at most).
pub const DEFAULT_CLUSTER: &str = r#"apiVersion: weka.weka.io/v1alpha1
kind: WekaCluster
metadata:
  name: demo
  namespace: default
spec:
  template: dynamic
  dynamicTemplate:
    computeContainers: 6
    driveContainers: 6
    numDrives: 1
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
  imagePullSecret: quay-io-robot-secret
  driversDistService: https://drivers.weka.io
  nodeSelector:
    weka.io/supports-backends: "true"
"#;

/// One document to apply, with where it came from.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub object: DynamicObject,
    pub source: String,
}

impl Manifest {
    pub fn kind(&self) -> &str {
        self.object.types.as_ref().map(|t| t.kind.as_str()).unwrap_or_default()
    }

    pub fn api_version(&self) -> &str {
        self.object.types.as_ref().map(|t| t.api_version.as_str()).unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object.metadata.name.as_deref().unwrap_or_default()
    }

    /// The namespace, `default` when the document names none (namespaced kinds only use it).
    pub fn namespace(&self) -> &str {
        self.object.metadata.namespace.as_deref().unwrap_or("default")
    }

    fn is_weka(&self, kind: &str) -> bool {
        self.api_version() == weka_api::API_VERSION && self.kind() == kind
    }

    /// `spec.imagePullSecret` of WEKA objects.
    fn pull_secret(&self) -> Option<&str> {
        let weka = self.api_version().starts_with(weka_api::GROUP);
        weka.then(|| self.object.data.get("spec")?.get("imagePullSecret")?.as_str())?
            .filter(|s| !s.is_empty())
    }
}

/// A WEKA object simulate waits for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What to wait for: clusters until Ready, standalone containers until Running.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    pub clusters: Vec<Target>,
    pub containers: Vec<Target>,
}

/// The manifests of the files, in order, or the default cluster when there are none.
pub fn load(files: &[PathBuf]) -> Result<Vec<Manifest>, SimulateError> {
    if files.is_empty() {
        return parse(DEFAULT_CLUSTER, "the default cluster");
    }
    let mut all = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .map_err(|source| SimulateError::Io { path: path.clone(), source })?;
        all.extend(parse(&text, &path.display().to_string())?);
    }
    Ok(all)
}

/// The documents of a multi-document YAML stream (empty documents skipped).
pub fn parse(text: &str, source: &str) -> Result<Vec<Manifest>, SimulateError> {
    let mut manifests = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = serde_yaml::Value::deserialize(document).map_err(|e| {
            SimulateError::Manifest { origin: source.into(), reason: e.to_string() }
        })?;
        if value.is_null() {
            continue;
        }
        let where_ = format!("{source} (document {})", index + 1);
        let object: DynamicObject = serde_yaml::from_value(value).map_err(|e| {
            SimulateError::Manifest { origin: where_.clone(), reason: e.to_string() }
        })?;
        if object.types.is_none() || object.metadata.name.is_none() {
            let reason = "needs apiVersion, kind and metadata.name".to_string();
            return Err(SimulateError::Manifest { origin: where_, reason });
        }
        manifests.push(Manifest { object, source: where_ });
    }
    Ok(manifests)
}

/// The WekaClusters and WekaContainers among the manifests.
pub fn targets(manifests: &[Manifest]) -> Targets {
    let target = |m: &Manifest| Target { namespace: m.namespace().into(), name: m.name().into() };
    Targets {
        clusters: manifests.iter().filter(|m| m.is_weka("WekaCluster")).map(target).collect(),
        containers: manifests.iter().filter(|m| m.is_weka("WekaContainer")).map(target).collect(),
    }
}

/// Namespaces the WEKA manifests live in.
pub fn namespaces(manifests: &[Manifest]) -> BTreeSet<String> {
    let weka = |m: &&Manifest| m.api_version().starts_with(weka_api::GROUP);
    manifests.iter().filter(weka).map(|m| m.namespace().to_string()).collect()
}

/// Pull secrets the manifests name, and the examples' one.
pub fn pull_secrets(manifests: &[Manifest]) -> Vec<String> {
    let mut names: BTreeSet<String> =
        manifests.iter().filter_map(|m| m.pull_secret()).map(String::from).collect();
    names.insert(PULL_SECRET.to_string());
    names.into_iter().collect()
}

/// Display name of a manifests file list (for the header).
pub fn describe(files: &[PathBuf]) -> String {
    if files.is_empty() {
        return "the default WekaCluster".into();
    }
    files.iter().map(|p| file_name(p)).collect::<Vec<_>>().join(", ")
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cluster_is_one_wekacluster_to_wait_for() {
        let manifests = load(&[]).unwrap();
        assert_eq!(manifests.len(), 1);
        let targets = targets(&manifests);
        assert_eq!(targets.clusters, [Target { namespace: "default".into(), name: "demo".into() }]);
        assert!(targets.containers.is_empty());
        assert_eq!(pull_secrets(&manifests), [PULL_SECRET]);
    }

    #[test]
    fn multi_document_files_keep_their_order_and_skip_empty_documents() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: weka}\n---\n---\n\
            apiVersion: weka.weka.io/v1alpha1\nkind: WekaContainer\nmetadata: {name: c, namespace: weka}\n\
            spec: {mode: compute, imagePullSecret: other}\n";
        let manifests = parse(text, "f.yaml").unwrap();
        let kinds: Vec<_> = manifests.iter().map(|m| m.kind()).collect();
        assert_eq!(kinds, ["Namespace", "WekaContainer"]);
        assert_eq!(targets(&manifests).containers[0].to_string(), "weka/c");
        assert_eq!(namespaces(&manifests).into_iter().collect::<Vec<_>>(), ["weka"]);
        assert_eq!(pull_secrets(&manifests), ["other", PULL_SECRET]);
    }

    #[test]
    fn a_document_without_a_name_is_refused_with_its_place() {
        let err = parse("a: 1\n---\napiVersion: v1\nkind: ConfigMap\n", "x.yaml").unwrap_err();
        assert!(err.to_string().contains("x.yaml (document 1)"), "{err}");
    }
}
