//! Applying manifests through the API, as `kubectl apply` would for a first apply: each
//! kind is looked up in discovery, the object created, or (already there, e.g. a resumed
//! simulation) merged into the existing one.

use kube::api::{Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{self, Scope};
use kube::{Api, Client};

use super::SimulateError;
use super::manifests::Manifest;

/// What became of a manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Created,
    Updated,
}

pub async fn apply(client: &Client, manifest: &Manifest) -> Result<Applied, SimulateError> {
    let failed = |reason: String| SimulateError::Apply { origin: manifest.source.clone(), reason };
    let gvk = manifest
        .object
        .types
        .as_ref()
        .map(GroupVersionKind::try_from)
        .transpose()
        .map_err(|e| failed(e.to_string()))?
        .ok_or_else(|| failed("no apiVersion and kind".into()))?;
    let (resource, capabilities) = discovery::pinned_kind(client, &gvk)
        .await
        .map_err(|e| failed(format!("the API server does not serve {}: {e}", gvk.kind)))?;
    let api = match capabilities.scope {
        Scope::Namespaced => Api::namespaced_with(client.clone(), manifest.namespace(), &resource),
        Scope::Cluster => Api::all_with(client.clone(), &resource),
    };
    let mut object = manifest.object.clone();
    if capabilities.scope == Scope::Namespaced {
        object.metadata.namespace = Some(manifest.namespace().to_string());
    }
    match api.create(&PostParams::default(), &object).await {
        Ok(_) => Ok(Applied::Created),
        Err(kube::Error::Api(status)) if status.code == 409 => api
            .patch(manifest.name(), &PatchParams::default(), &Patch::Merge(&object))
            .await
            .map(|_| Applied::Updated)
            .map_err(|e| failed(e.to_string())),
        Err(e) => Err(failed(e.to_string())),
    }
}
