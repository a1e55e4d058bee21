//! What a container sees besides its image: volumes (emptyDir per pod, hostPath on the node's
//! host filesystem, configMap / secret / downward API / service account token files) and its
//! environment (values, field references, config map and secret keys).

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Container, KeyToPath, Pod, Secret};
use kube::api::Api;

use crate::nodes::behaviour::{Fs, Tree};

/// The pod's volumes: name -> (tree, path inside it), and the ones that cannot be set up
/// yet: a Secret or ConfigMap a non-optional volume names does not exist (the kubelet keeps
/// the pod in ContainerCreating and retries).
#[derive(Default)]
pub struct PodVolumes(BTreeMap<String, (Arc<Tree>, String)>, pub Vec<String>);

const TOKEN_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Reads config maps and secrets once per pod start.
pub struct Sources<'a> {
    client: &'a kube::Client,
    namespace: String,
    config_maps: BTreeMap<String, Option<BTreeMap<String, Vec<u8>>>>,
    secrets: BTreeMap<String, Option<BTreeMap<String, Vec<u8>>>>,
}

impl<'a> Sources<'a> {
    pub fn new(client: &'a kube::Client, namespace: &str) -> Self {
        Sources {
            client,
            namespace: namespace.into(),
            config_maps: BTreeMap::new(),
            secrets: BTreeMap::new(),
        }
    }

    async fn config_map(&mut self, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
        if !self.config_maps.contains_key(name) {
            let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), &self.namespace);
            let data = api.get_opt(name).await.ok().flatten().map(|cm| {
                let mut out: BTreeMap<String, Vec<u8>> = cm
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.into_bytes()))
                    .collect();
                for (k, v) in cm.binary_data.unwrap_or_default() {
                    out.insert(k, v.0);
                }
                out
            });
            self.config_maps.insert(name.to_string(), data);
        }
        self.config_maps.get(name).cloned().flatten()
    }

    async fn secret(&mut self, name: &str) -> Option<BTreeMap<String, Vec<u8>>> {
        if !self.secrets.contains_key(name) {
            let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
            let data = api.get_opt(name).await.ok().flatten().map(|s| {
                let mut out: BTreeMap<String, Vec<u8>> =
                    s.data.unwrap_or_default().into_iter().map(|(k, v)| (k, v.0)).collect();
                for (k, v) in s.string_data.unwrap_or_default() {
                    out.insert(k, v.into_bytes());
                }
                out
            });
            self.secrets.insert(name.to_string(), data);
        }
        self.secrets.get(name).cloned().flatten()
    }
}

fn fill(tree: &Arc<Tree>, data: &BTreeMap<String, Vec<u8>>, items: Option<&Vec<KeyToPath>>) {
    let fs = Fs::new(vec![("/v".into(), tree.clone(), "/".into())]);
    match items {
        Some(items) => {
            for item in items {
                if let Some(content) = data.get(&item.key) {
                    let path = format!("/v/{}", item.path);
                    let _ = fs.mkdir_p(path.rsplit_once('/').map_or("/v", |(d, _)| d));
                    let _ = fs.write(&path, content);
                }
            }
        }
        None => {
            for (key, content) in data {
                let _ = fs.write(&format!("/v/{key}"), content);
            }
        }
    }
}

/// A downward API field of the pod as text.
pub fn field_value(pod: &Pod, path: &str, pod_ip: &str, host_ip: &str) -> Option<String> {
    let meta = &pod.metadata;
    let keyed = |prefix: &str, map: &Option<BTreeMap<String, String>>| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("['").and_then(|r| r.strip_suffix("']")))
            .map(|key| map.as_ref().and_then(|m| m.get(key)).cloned().unwrap_or_default())
    };
    if let Some(v) = keyed("metadata.labels", &meta.labels)
        .or_else(|| keyed("metadata.annotations", &meta.annotations))
    {
        return Some(v);
    }
    let spec = pod.spec.as_ref();
    Some(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => {
            spec.and_then(|s| s.service_account_name.clone()).unwrap_or_default()
        }
        "status.podIP" | "status.podIPs" => pod_ip.to_string(),
        "status.hostIP" | "status.hostIPs" => host_ip.to_string(),
        _ => return None,
    })
}

/// Builds the pod's volumes.
pub async fn prepare(
    pod: &Pod,
    host: &Arc<Tree>,
    sources: &mut Sources<'_>,
    pod_ip: &str,
    host_ip: &str,
) -> PodVolumes {
    let mut volumes = PodVolumes::default();
    let spec = pod.spec.clone().unwrap_or_default();
    for volume in spec.volumes.iter().flatten() {
        let entry = if let Some(host_path) = &volume.host_path {
            (host.clone(), host_path.path.clone())
        } else if let Some(cm) = &volume.config_map {
            let tree = Tree::new();
            match sources.config_map(&cm.name).await {
                Some(data) => fill(&tree, &data, cm.items.as_ref()),
                None if cm.optional != Some(true) => volumes.1.push(format!(
                    "MountVolume.SetUp failed for volume \"{}\" : configmap \"{}\" not found",
                    volume.name, cm.name
                )),
                None => {}
            }
            (tree, "/".into())
        } else if let Some(secret) = &volume.secret {
            let tree = Tree::new();
            let name = secret.secret_name.clone().unwrap_or_default();
            match sources.secret(&name).await {
                Some(data) => fill(&tree, &data, secret.items.as_ref()),
                None if secret.optional != Some(true) => volumes.1.push(format!(
                    "MountVolume.SetUp failed for volume \"{}\" : secret \"{name}\" not found",
                    volume.name
                )),
                None => {}
            }
            (tree, "/".into())
        } else if let Some(downward) = &volume.downward_api {
            let tree = Tree::new();
            let mut data = BTreeMap::new();
            for item in downward.items.iter().flatten() {
                if let Some(field) = &item.field_ref {
                    let value =
                        field_value(pod, &field.field_path, pod_ip, host_ip).unwrap_or_default();
                    data.insert(item.path.clone(), value.into_bytes());
                }
            }
            fill(&tree, &data, None);
            (tree, "/".into())
        } else if let Some(projected) = &volume.projected {
            let tree = Tree::new();
            for source in projected.sources.iter().flatten() {
                if let Some(cm) = &source.config_map
                    && let Some(data) = sources.config_map(&cm.name).await
                {
                    fill(&tree, &data, cm.items.as_ref());
                }
                if let Some(secret) = &source.secret
                    && let Some(data) = sources.secret(&secret.name).await
                {
                    fill(&tree, &data, secret.items.as_ref());
                }
                if let Some(token) = &source.service_account_token {
                    let data = BTreeMap::from([(
                        token.path.clone(),
                        b"kubesim-service-account-token".to_vec(),
                    )]);
                    fill(&tree, &data, None);
                }
            }
            (tree, "/".into())
        } else {
            (Tree::new(), "/".into())
        };
        volumes.0.insert(volume.name.clone(), entry);
    }
    if spec.automount_service_account_token != Some(false) {
        let tree = Tree::new();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let data = BTreeMap::from([
            ("token".to_string(), b"kubesim-service-account-token".to_vec()),
            ("namespace".to_string(), namespace.into_bytes()),
            ("ca.crt".to_string(), b"".to_vec()),
        ]);
        fill(&tree, &data, None);
        volumes.0.insert(String::from("\u{0}service-account"), (tree, "/".into()));
    }
    volumes
}

impl PodVolumes {
    /// The container's mounts as (mount path, tree, path in tree).
    pub fn mounts(&self, container: &Container) -> Vec<(String, Arc<Tree>, String)> {
        let mut out = Vec::new();
        for mount in container.volume_mounts.iter().flatten() {
            if let Some((tree, base)) = self.0.get(&mount.name) {
                let sub = mount.sub_path.clone().unwrap_or_default();
                out.push((mount.mount_path.clone(), tree.clone(), format!("{base}/{sub}")));
            }
        }
        let covered = out.iter().any(|(at, _, _)| at.trim_end_matches('/') == TOKEN_MOUNT);
        if let Some((tree, base)) = self.0.get("\u{0}service-account")
            && !covered
        {
            out.push((TOKEN_MOUNT.to_string(), tree.clone(), base.clone()));
        }
        out
    }
}

/// The container's environment; Err carries the CreateContainerConfigError message.
pub async fn environment(
    pod: &Pod,
    container: &Container,
    sources: &mut Sources<'_>,
    pod_ip: &str,
    host_ip: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        if let Some(cm) = &from.config_map_ref {
            match sources.config_map(&cm.name).await {
                Some(data) => {
                    env.extend(data.into_iter().map(|(k, v)| (format!("{prefix}{k}"), text(v))))
                }
                None if cm.optional == Some(true) => {}
                None => return Err(format!("configmap \"{}\" not found", cm.name)),
            }
        }
        if let Some(secret) = &from.secret_ref {
            match sources.secret(&secret.name).await {
                Some(data) => {
                    env.extend(data.into_iter().map(|(k, v)| (format!("{prefix}{k}"), text(v))))
                }
                None if secret.optional == Some(true) => {}
                None => return Err(format!("secret \"{}\" not found", secret.name)),
            }
        }
    }
    for var in container.env.iter().flatten() {
        let value = match &var.value_from {
            None => crate::nodes::behaviour::expand_env_references(
                var.value.as_deref().unwrap_or(""),
                &env,
            ),
            Some(from) => {
                if let Some(field) = &from.field_ref {
                    field_value(pod, &field.field_path, pod_ip, host_ip).unwrap_or_default()
                } else if let Some(key) = &from.config_map_key_ref {
                    match sources.config_map(&key.name).await.map(|d| d.get(&key.key).cloned()) {
                        Some(Some(v)) => text(v),
                        _ if key.optional == Some(true) => continue,
                        Some(None) => {
                            return Err(format!(
                                "couldn't find key {} in ConfigMap {}/{}",
                                key.key, sources.namespace, key.name
                            ));
                        }
                        None => return Err(format!("configmap \"{}\" not found", key.name)),
                    }
                } else if let Some(key) = &from.secret_key_ref {
                    match sources.secret(&key.name).await.map(|d| d.get(&key.key).cloned()) {
                        Some(Some(v)) => text(v),
                        _ if key.optional == Some(true) => continue,
                        Some(None) => {
                            return Err(format!(
                                "couldn't find key {} in Secret {}/{}",
                                key.key, sources.namespace, key.name
                            ));
                        }
                        None => return Err(format!("secret \"{}\" not found", key.name)),
                    }
                } else if let Some(resource) = &from.resource_field_ref {
                    resource_value(container, &resource.resource)
                } else {
                    String::new()
                }
            }
        };
        env.insert(var.name.clone(), value);
    }
    Ok(env)
}

fn resource_value(container: &Container, resource: &str) -> String {
    let Some((kind, name)) = resource.split_once('.') else {
        return String::new();
    };
    let resources = container.resources.as_ref();
    let list = match kind {
        "limits" => resources.and_then(|r| r.limits.as_ref()),
        _ => resources.and_then(|r| r.requests.as_ref()),
    };
    let milli = list
        .and_then(|l| l.get(name))
        .and_then(|q| crate::nodes::quantity::parse_milli(&q.0).ok())
        .unwrap_or(0);
    ((milli + 999) / 1000).to_string()
}
