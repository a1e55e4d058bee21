//! What an administrator installs before the operator, done through the API as they would:
//! the CRDs (as `kubectl apply -k deploy/crds`), the operator's namespace, the priority
//! classes of `deploy/operator/priority-classes.yaml`, the image pull secret the examples
//! name, and the ConfigMap with the WEKA runtime's boot scripts that pods mount.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::SimulateError;
use super::environment::api_error;
use crate::config::DEFAULT_OPERATOR_NAMESPACE;

/// The pull secret upstream's examples and the default cluster name.
pub const PULL_SECRET: &str = "quay-io-robot-secret";
/// The ConfigMap the WEKA pods mount the runtime from (in the operator's namespace; the
/// operator copies it to the namespace of each WekaContainer).
pub const BOOT_SCRIPTS: &str = "weka-boot-scripts";
const PRIORITY_CLASSES: &str = include_str!("../../../../../deploy/operator/priority-classes.yaml");
const CRDS_SERVED_WITHIN: Duration = Duration::from_secs(30);

/// The image of the simulated node agents (the operator's own, in a real install).
pub const NODE_AGENT_IMAGE: &str = "weka-operator:simulated";

/// CRDs, the operator's namespace, priority classes, the boot scripts and the node agents
/// (their DaemonSet and token).
pub async fn install(client: &Client) -> Result<(), SimulateError> {
    install_crds(client).await?;
    ensure_namespace(client, DEFAULT_OPERATOR_NAMESPACE).await?;
    for document in serde_yaml::Deserializer::from_str(PRIORITY_CLASSES) {
        let class = PriorityClass::deserialize(document).map_err(SimulateError::Embedded)?;
        ensure(&Api::all(client.clone()), &class).await?;
    }
    ensure(&Api::namespaced(client.clone(), DEFAULT_OPERATOR_NAMESPACE), &boot_scripts()).await?;
    crate::node_agent::sim::install(client, DEFAULT_OPERATOR_NAMESPACE, NODE_AGENT_IMAGE).await?;
    Ok(())
}

/// Creates every WEKA CRD (or brings an existing one up to date) and waits until the API
/// server serves them.
pub async fn install_crds(client: &Client) -> Result<(), SimulateError> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crds = weka_api::crds::all();
    for crd in &crds {
        create_or_merge(&api, crd).await?;
    }
    let deadline = Instant::now() + CRDS_SERVED_WITHIN;
    loop {
        let served = client.list_api_group_resources(weka_api::API_VERSION).await.ok();
        let missing: Vec<String> = crds
            .iter()
            .map(|crd| crd.spec.names.plural.clone())
            .filter(|plural| !served.iter().flat_map(|l| &l.resources).any(|r| r.name == *plural))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(SimulateError::CrdsNotServed(missing.join(", ")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The namespace, and in it the pull secrets WEKA pods there name.
pub async fn prepare_namespace(
    client: &Client,
    namespace: &str,
    pull_secrets: &[String],
) -> Result<(), SimulateError> {
    ensure_namespace(client, namespace).await?;
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for name in pull_secrets {
        ensure(&api, &pull_secret(name)).await?;
    }
    Ok(())
}

async fn ensure_namespace(client: &Client, name: &str) -> Result<(), SimulateError> {
    let namespace = Namespace { metadata: named(name), ..Default::default() };
    ensure(&Api::all(client.clone()), &namespace).await
}

/// Creates `object` unless an object of that name exists.
async fn ensure<K>(api: &Api<K>, object: &K) -> Result<(), SimulateError>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    match api.create(&PostParams::default(), object).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(source) => Err(SimulateError::Api { what: "create a prerequisite", source }),
    }
}

/// Creates `object`, or merges it into the existing one (as `kubectl apply` updates).
async fn create_or_merge<K>(api: &Api<K>, object: &K) -> Result<(), SimulateError>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    match api.create(&PostParams::default(), object).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let name = object.meta().name.clone().unwrap_or_default();
            api.patch(&name, &PatchParams::default(), &Patch::Merge(object))
                .await
                .map(drop)
                .map_err(api_error("update a CRD"))
        }
        Err(source) => Err(SimulateError::Api { what: "create a CRD", source }),
    }
}

fn named(name: &str) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), ..Default::default() }
}

/// A registry credential for quay.io (the simulated registry lets every pull through).
fn pull_secret(name: &str) -> Secret {
    let auth = r#"{"auths":{"quay.io":{"auth":"c2ltdWxhdGVkOnNpbXVsYXRlZA=="}}}"#;
    Secret {
        metadata: named(name),
        type_: Some("kubernetes.io/dockerconfigjson".into()),
        data: Some(BTreeMap::from([(
            ".dockerconfigjson".to_string(),
            ByteString(auth.as_bytes().to_vec()),
        )])),
        ..Default::default()
    }
}

/// The files the pod builder mounts from the boot scripts (wekasim plays what they do).
fn boot_scripts() -> ConfigMap {
    let note = "# simulated: wekasim runs the WEKA runtime in this container\n";
    let files = ["weka_runtime.py", "syslog-ng.conf", "run-weka-cli.sh", "devenv.sh"];
    ConfigMap {
        metadata: named(BOOT_SCRIPTS),
        data: Some(files.iter().map(|f| (f.to_string(), note.to_string())).collect()),
        ..Default::default()
    }
}
