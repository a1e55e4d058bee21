//! `EnsureManagementService` (spec `wekacluster-services.md` §3): an envoy proxy fronting
//! the WEKA management API (`/api/v2`, HTTPS passed through) of up to ten active drive and
//! compute containers — ConfigMap `envoy.yaml`, Deployment, Service and, when an ingress base
//! domain is configured, an Ingress — all owned by the WekaCluster so that garbage collection
//! removes them with it. The proxy port is allocated in `status.ports.managementProxyPort` on
//! first use. Each object is written only when what the operator wants of it changed: it
//! carries the hash of its desired content (`weka.io/applied-hash`). Runs at most once a
//! minute (a failure is retried sooner) and records `ManagementServiceConfigured`.

mod backends;
mod objects;
#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::conditions as cond;

use super::config_hash::sha256_hex;
use super::ports::container_port_claims;
use crate::allocator::{AllocationError, PortLayout, allocate_management_proxy_port};
use crate::controllers::cluster::state::{ClusterState, api_error};
use crate::engine::{StepError, StepFuture};
use objects::{CONFIG_KEY, PROXY_CONTAINERS_ANNOTATION, ProxyParams};

/// Upstream's `ManagementServiceUpdateInterval`.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// On every object of the proxy: the hash of what the operator last wrote.
pub const APPLIED_HASH_ANNOTATION: &str = "weka.io/applied-hash";

/// Why the management proxy could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum ManagementError {
    #[error("cannot allocate the management proxy port: {0}")]
    Port(#[from] AllocationError),
    #[error("cannot render {kind} {name}: {source}")]
    Render { kind: &'static str, name: String, source: serde_json::Error },
    #[error("cannot {action} {kind} {name}: {source}")]
    Api { action: &'static str, kind: &'static str, name: String, source: kube::Error },
}

/// What happened to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Created,
    Updated,
    Unchanged,
}

pub fn ensure_management_service(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let result = ensure_proxy(s).await;
        let desired = match &result {
            Ok(message) => Desired::new(
                cond::MANAGEMENT_SERVICE_CONFIGURED,
                Status::True,
                "Configured",
                message.clone(),
            ),
            Err(StepError::Failed { message, .. }) => Desired::new(
                cond::MANAGEMENT_SERVICE_CONFIGURED,
                Status::False,
                "ConfigurationFailed",
                message.clone(),
            ),
            Err(StepError::Wait(_)) => return result.map(drop),
        };
        if s.set_condition_now(desired) {
            s.persist_status().await?;
        }
        result.map(drop)
    })
}

/// The proxy objects for the current selection; the condition's message on success.
async fn ensure_proxy(s: &mut ClusterState) -> Result<String, StepError> {
    let base_port = s.status().ports.and_then(|p| p.base_port).unwrap_or(0) as i64;
    let containers = s.containers.clone();
    let selected = backends::select(&containers, base_port);
    if selected.is_empty() {
        tracing::info!(cluster = s.name(), "no active containers for the management proxy yet");
        return Ok("No active containers to front yet".to_string());
    }
    let proxy_port = ensure_proxy_port(s).await?;
    let config = &s.ctx.config.pods;
    let params = ProxyParams {
        cluster: &s.cluster,
        base_port,
        proxy_port,
        host_network: config.management_proxy_host_network,
        ingress_base_domain: &config.management_proxy_ingress_base_domain,
        ingress_class: &config.management_proxy_ingress_class,
    };
    let client = s.ctx.client.clone();
    let namespace = s.namespace().to_string();
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);

    // The configuration follows the selection only when the listed backends are outdated.
    let config_map_name = params.config_map_name();
    let existing = config_maps
        .get_opt(&config_map_name)
        .await
        .map_err(|e| failed(api_err("read", "ConfigMap", &config_map_name, e)))?;
    let kept = existing.as_ref().and_then(|cm| {
        let listed = cm.annotations().get(PROXY_CONTAINERS_ANNOTATION).map(String::as_str);
        let outdated = backends::config_outdated(listed, &selected, &containers, base_port);
        let yaml = cm.data.as_ref().and_then(|d| d.get(CONFIG_KEY)).cloned();
        yaml.filter(|_| !outdated && has_applied_hash(cm))
    });
    let (envoy_yaml, config_change) = match kept {
        Some(yaml) => (yaml, Change::Unchanged),
        None => {
            let desired = params.config_map(&selected);
            let yaml = params.envoy_config(&selected);
            (yaml, apply(&config_maps, desired).await.map_err(failed)?)
        }
    };

    let deployment = params.deployment(&envoy_yaml);
    let service = params.service();
    let ingress = params.ingress();
    apply(&Api::<Deployment>::namespaced(client.clone(), &namespace), deployment)
        .await
        .map_err(failed)?;
    apply(&Api::<Service>::namespaced(client.clone(), &namespace), service)
        .await
        .map_err(failed)?;
    if let Some(ingress) = ingress {
        apply(&Api::<Ingress>::namespaced(client, &namespace), ingress).await.map_err(failed)?;
    }

    let names = backends::names(&selected);
    if config_change != Change::Unchanged {
        let message =
            format!("management proxy on port {proxy_port} fronts {}: {names}", selected.len());
        tracing::info!(cluster = s.name(), backends = %names, port = proxy_port, "management proxy configured");
        s.event(EventType::Normal, "ManagementProxyConfigured", &message).await;
    }
    Ok(format!("Management proxy on port {proxy_port} fronts {} containers", selected.len()))
}

/// A ConfigMap written by an operator that did not hash its objects is rewritten once.
fn has_applied_hash(cm: &ConfigMap) -> bool {
    cm.annotations().contains_key(APPLIED_HASH_ANNOTATION)
}

/// `status.ports.managementProxyPort`, allocated in the cluster's range when still unset
/// (clusters created before the proxy existed) and written with the status (guarded by the
/// resourceVersion: a concurrent writer makes this reconcile start over).
async fn ensure_proxy_port(s: &mut ClusterState) -> Result<i32, StepError> {
    let ports = s.status().ports.unwrap_or_default();
    if let Some(port) = ports.management_proxy_port.filter(|p| *p > 0) {
        return Ok(port as i32);
    }
    let layout = PortLayout::DEFAULT;
    let spec = s.cluster.spec.ports.unwrap_or_default();
    let claims = container_port_claims(s, layout);
    let allocated = allocate_management_proxy_port(&spec, &ports, layout, &claims)
        .map_err(|e| failed(ManagementError::Port(e)))?;
    let port = allocated.management_proxy_port.unwrap_or(0) as i32;
    tracing::info!(cluster = s.name(), port, "management proxy port allocated");
    s.status_mut().ports = Some(allocated);
    s.persist_status().await?;
    Ok(port)
}

/// Creates `desired`, or merge-patches the existing object when the hash of the desired
/// content differs from the one it carries.
async fn apply<K>(api: &Api<K>, mut desired: K) -> Result<Change, ManagementError>
where
    K: Resource<DynamicType = ()> + Clone + Debug + Serialize + DeserializeOwned,
{
    let kind = kind_of::<K>();
    let name = desired.name_any();
    let rendered = serde_json::to_string(&desired).map_err(|source| ManagementError::Render {
        kind,
        name: name.clone(),
        source,
    })?;
    let hash = sha256_hex(&rendered);
    desired
        .meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .insert(APPLIED_HASH_ANNOTATION.to_string(), hash.clone());
    let existing = api.get_opt(&name).await.map_err(|e| api_err("read", kind, &name, e))?;
    match existing {
        None => match api.create(&PostParams::default(), &desired).await {
            Ok(_) => {
                tracing::info!(kind, name, "created");
                Ok(Change::Created)
            }
            // Created by an earlier attempt the read did not see yet: the next run compares.
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(Change::Unchanged),
            Err(e) => Err(api_err("create", kind, &name, e)),
        },
        Some(existing) if existing.annotations().get(APPLIED_HASH_ANNOTATION) == Some(&hash) => {
            Ok(Change::Unchanged)
        }
        Some(_) => {
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&desired))
                .await
                .map_err(|e| api_err("update", kind, &name, e))?;
            tracing::info!(kind, name, "updated");
            Ok(Change::Updated)
        }
    }
}

fn kind_of<K: Resource<DynamicType = ()>>() -> &'static str {
    match K::kind(&()).as_ref() {
        "ConfigMap" => "ConfigMap",
        "Deployment" => "Deployment",
        "Service" => "Service",
        "Ingress" => "Ingress",
        _ => "object",
    }
}

fn api_err(
    action: &'static str,
    kind: &'static str,
    name: &str,
    source: kube::Error,
) -> ManagementError {
    ManagementError::Api { action, kind, name: name.to_string(), source }
}

/// A failure of this step; a conflict is a short wait, as for every write.
fn failed(err: ManagementError) -> StepError {
    match err {
        ManagementError::Api { source, action, kind, name } => {
            api_error("ManagementProxyFailed", &format!("{action} {kind} {name}"), source)
        }
        other => StepError::failed("ManagementProxyFailed", other),
    }
}
