//! WekaClusters and their containers for the cluster domain's tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use weka_api::wekacontainer::ContainerMode;
use weka_api::{WekaCluster, WekaContainer};

use super::naming::ContainerName;
use super::settings::ClusterSettings;
use super::template::ClusterTemplate;
use super::{ClusterPlan, build_container};

pub const UID: &str = "4c1d2e3f-aaaa-4bbb-8ccc-0123456789ab";

/// A WekaCluster `prod` in namespace `weka` with the given `spec` (YAML, indented by 2).
pub fn cluster(spec: &str) -> WekaCluster {
    let text = format!(
        "apiVersion: weka.weka.io/v1alpha1
kind: WekaCluster
metadata:
  name: prod
  namespace: weka
  uid: {UID}
spec:
  image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4
{spec}"
    );
    serde_yaml::from_str(&text).expect("fixture is a WekaCluster")
}

/// The default dynamic cluster (6 drive and 6 compute containers).
pub fn dynamic_cluster() -> WekaCluster {
    cluster("  dynamicTemplate: {}\n")
}

pub fn template_of(cluster: &WekaCluster) -> ClusterTemplate {
    ClusterPlan::new(cluster, &ClusterSettings::default()).expect("template").template().clone()
}

/// Container `index` of `role` of `cluster`, as the factory builds it.
pub fn existing(cluster: &WekaCluster, role: ContainerMode, index: usize) -> WekaContainer {
    let template = template_of(cluster);
    build_container(cluster, &template, ContainerName { role, index }, &ClusterSettings::default())
        .expect("container builds")
}

/// The container, deleted (deletion timestamp set).
pub fn deleted(mut container: WekaContainer) -> WekaContainer {
    container.metadata.deletion_timestamp = Some(Time(Default::default()));
    container
}

/// The names of `containers`.
pub fn names(containers: &[WekaContainer]) -> Vec<&str> {
    containers.iter().map(|c| c.metadata.name.as_deref().unwrap_or_default()).collect()
}

/// An object as JSON, to compare kinds that do not implement `PartialEq`.
pub fn json<T: serde::Serialize>(object: &T) -> serde_json::Value {
    serde_json::to_value(object).expect("serialisable")
}
