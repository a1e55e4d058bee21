//! WekaContainers, nodes and settings for the pod builder's tests.

use k8s_openapi::api::core::v1::{Container, EnvVar, Pod, Volume};
use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

use super::{NodeInfo, PodContext, PodSettings, build_pod};

pub const IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4";
pub const CLUSTER_UID: &str = "6a1e8f2c-1111-4c8e-9d61-0a1b2c3d4e5f";

/// A bare container of `mode` (name, namespace, UID, image, one core).
pub fn container(mode: ContainerMode) -> WekaContainer {
    from_yaml(&format!(
        "
metadata:
  name: wc-{mode}
  namespace: weka
  uid: 0c0ffee0-0000-4000-8000-00000000{code:04}
spec:
  name: {mode}0
  mode: {mode}
  image: {IMAGE}
  numCores: 1
",
        code = ContainerMode::ALL.iter().position(|m| *m == mode).unwrap_or(0)
    ))
}

/// A WekaContainer from YAML (apiVersion and kind may be left out).
pub fn from_yaml(text: &str) -> WekaContainer {
    let mut value: serde_json::Value = serde_yaml::from_str(text).expect("fixture YAML");
    value["apiVersion"] = "weka.weka.io/v1alpha1".into();
    value["kind"] = "WekaContainer".into();
    serde_json::from_value(value).expect("fixture is a WekaContainer")
}

/// Settings with a fixed operator version, so that snapshots do not follow the crate version.
pub fn settings() -> PodSettings {
    PodSettings {
        operator_version: "v1.10.0".to_string(),
        otel_exporter_otlp_endpoint: "http://otel-collector.weka-operator-system:4317".to_string(),
        ..PodSettings::default()
    }
}

pub fn build(container: &WekaContainer, node: NodeInfo, settings: &PodSettings) -> Pod {
    let ctx = PodContext::new(container, node, settings);
    build_pod(container, &ctx).expect("pod builds")
}

pub fn build_default(container: &WekaContainer) -> Pod {
    build(container, NodeInfo::default(), &settings())
}

pub fn main_container(pod: &Pod) -> &Container {
    &pod.spec.as_ref().expect("spec").containers[0]
}

pub fn env<'p>(pod: &'p Pod, name: &str) -> Option<&'p EnvVar> {
    main_container(pod).env.iter().flatten().find(|e| e.name == name)
}

pub fn env_value(pod: &Pod, name: &str) -> Option<String> {
    env(pod, name).and_then(|e| e.value.clone())
}

pub fn volume<'p>(pod: &'p Pod, name: &str) -> Option<&'p Volume> {
    let volumes = pod.spec.as_ref()?.volumes.as_ref()?;
    volumes.iter().find(|v| v.name == name)
}

pub fn mount_paths(pod: &Pod) -> Vec<&str> {
    let mounts = main_container(pod).volume_mounts.iter().flatten();
    mounts.map(|m| m.mount_path.as_str()).collect()
}

pub fn request(pod: &Pod, resource: &str) -> Option<String> {
    let resources = main_container(pod).resources.as_ref()?;
    Some(resources.requests.as_ref()?.get(resource)?.0.clone())
}

pub fn limit(pod: &Pod, resource: &str) -> Option<String> {
    let resources = main_container(pod).resources.as_ref()?;
    Some(resources.limits.as_ref()?.get(resource)?.0.clone())
}
