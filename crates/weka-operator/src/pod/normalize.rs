//! Pod fields as compared: what the API server and kubelet add undone, Kubernetes defaults made
//! explicit, and the values the builder derives from state that changes after creation left out.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, EnvVar, PodSpec, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::Value;
use weka_api::constants::labels::HOSTNAME;

use super::quantity;

/// Env vars left out of comparisons (see [`super::compare`]): state that changes after the
/// pod exists, operator-wide settings, and the image name (compared as the image).
const UNCOMPARED_ENV: [&str; 10] = [
    "PORT",
    "WEKA_PORT",
    "AGENT_PORT",
    "JOIN_IPS",
    "OTEL_SERVICE_VERSION",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "SYSLOG_PACKAGE",
    "WEKA_OPERATOR_DEBUG_SLEEP",
    "PYTHONPATH",
    "IMAGE_NAME",
];

/// What the optional OpenTelemetry installer (an operator-wide setting) adds to a pod.
const OTEL_INIT_CONTAINER: &str = "otel-packages-installer";
const OTEL_VOLUME: &str = "otel-packages";

/// The service account token volume the API server injects into every pod.
const INJECTED_VOLUME_PREFIX: &str = "kube-api-access-";
const INJECTED_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Kubernetes' default mode of configMap, secret and projected volumes (0644).
const DEFAULT_MODE: i64 = 420;

pub fn service_account(spec: &PodSpec) -> &str {
    spec.service_account_name.as_deref().or(spec.service_account.as_deref()).unwrap_or("default")
}

pub fn pull_secrets(spec: &PodSpec) -> Vec<&str> {
    spec.image_pull_secrets.iter().flatten().map(|s| s.name.as_str()).collect()
}

/// JSON without nulls, empty strings, empty lists and empty objects: Go's `omitempty` drops
/// them on the way in (and Kubernetes' unset hostPath type is the empty string).
fn pruned(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter().map(|(k, v)| (k, pruned(v))).filter(|(_, v)| !is_empty(v)).collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(pruned).collect()),
        other => other,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    pruned(serde_json::to_value(value).unwrap_or(Value::Null))
}

/// `kubernetes.io/hostname In [node]` of the first required node-selector term.
pub fn hostname_pin(spec: &PodSpec) -> Option<&str> {
    let required = spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?;
    let term = required.node_selector_terms.first()?;
    term.match_expressions
        .iter()
        .flatten()
        .find(|r| r.key == HOSTNAME && r.operator == "In")
        .and_then(|r| match r.values.as_deref() {
            Some([node]) => Some(node.as_str()),
            _ => None,
        })
}

pub fn topology(spec: &PodSpec) -> Value {
    json(&spec.topology_spread_constraints.clone().unwrap_or_default())
}

pub fn affinity(spec: &PodSpec) -> Value {
    json(&spec.affinity.clone().unwrap_or_default())
}

/// The affinity without the hostname pin of the first required term.
pub fn affinity_without_pin(spec: &PodSpec) -> Value {
    let mut affinity: Affinity = spec.affinity.clone().unwrap_or_default();
    let term = affinity
        .node_affinity
        .as_mut()
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_mut())
        .and_then(|r| r.node_selector_terms.first_mut());
    if let Some(expressions) = term.and_then(|t| t.match_expressions.as_mut()) {
        expressions.retain(|r| !(r.key == HOSTNAME && r.operator == "In"));
    }
    json(&affinity)
}

fn injected(volume: &Volume) -> bool {
    volume.name.starts_with(INJECTED_VOLUME_PREFIX) && volume.projected.is_some()
}

/// Volumes with Kubernetes' default modes written out; the OpenTelemetry volume and (on live
/// pods) the injected token volume left out.
pub fn volumes(spec: &PodSpec, drop_injected: bool) -> Vec<Value> {
    spec.volumes
        .iter()
        .flatten()
        .filter(|v| !(drop_injected && injected(v)) && v.name != OTEL_VOLUME)
        .map(|volume| {
            let mut value = json(volume);
            for source in ["configMap", "secret", "projected"] {
                if let Some(object) = value.get_mut(source).and_then(Value::as_object_mut) {
                    object.entry("defaultMode").or_insert(DEFAULT_MODE.into());
                }
            }
            value
        })
        .collect()
}

/// Init containers other than the OpenTelemetry installer.
pub fn init_containers(spec: &PodSpec) -> Vec<Container> {
    let init = spec.init_containers.iter().flatten();
    init.filter(|c| c.name != OTEL_INIT_CONTAINER).cloned().collect()
}

/// Env without the uncompared vars; empty values dropped, the field-ref API version explicit.
pub fn env(container: &Container) -> Vec<EnvVar> {
    container
        .env
        .iter()
        .flatten()
        .filter(|e| !UNCOMPARED_ENV.contains(&e.name.as_str()))
        .map(|e| {
            let mut e = e.clone();
            e.value = e.value.filter(|v| !v.is_empty());
            if let Some(field) = e.value_from.as_mut().and_then(|f| f.field_ref.as_mut()) {
                field.api_version.get_or_insert_with(|| "v1".to_string());
            }
            e
        })
        .collect()
}

/// Ports with protocol TCP by default and, on the host network, host port = container port.
pub fn ports(container: &Container, host_network: bool) -> Vec<ContainerPort> {
    container
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let mut p = p.clone();
            p.protocol.get_or_insert_with(|| "TCP".to_string());
            if host_network && p.host_port.is_none() {
                p.host_port = Some(p.container_port);
            }
            p
        })
        .collect()
}

/// Mounts without the injected token and OpenTelemetry mounts, empty and default values dropped.
pub fn mounts(container: &Container) -> Vec<VolumeMount> {
    container
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| {
            !(m.name.starts_with(INJECTED_VOLUME_PREFIX)
                || m.mount_path == INJECTED_MOUNT_PATH
                || m.name == OTEL_VOLUME)
        })
        .map(|m| VolumeMount {
            read_only: m.read_only.filter(|r| *r),
            sub_path: m.sub_path.clone().filter(|s| !s.is_empty()),
            mount_propagation: m.mount_propagation.clone().filter(|p| p != "None"),
            ..m.clone()
        })
        .collect()
}

pub fn privileged(container: &Container) -> bool {
    container.security_context.as_ref().and_then(|s| s.privileged).unwrap_or(false)
}

/// Requests with the API server's default (a missing request equals its limit).
fn requests_and_limits(
    container: &Container,
) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let resources = container.resources.clone().unwrap_or_default();
    let limits = resources.limits.unwrap_or_default();
    let mut requests = resources.requests.unwrap_or_default();
    for (name, limit) in &limits {
        requests.entry(name.clone()).or_insert_with(|| limit.clone());
    }
    (requests, limits)
}

fn same_quantities(a: &BTreeMap<String, Quantity>, b: &BTreeMap<String, Quantity>) -> bool {
    a.len() == b.len()
        && a.iter().all(|(name, q)| b.get(name).is_some_and(|other| quantity::same(q, other)))
}

/// Same requests and limits by value.
pub fn same_resources(a: &Container, b: &Container) -> bool {
    let (a_requests, a_limits) = requests_and_limits(a);
    let (b_requests, b_limits) = requests_and_limits(b);
    same_quantities(&a_requests, &b_requests) && same_quantities(&a_limits, &b_limits)
}

/// Same toleration apart from `tolerationSeconds` (operator `Equal` by default).
pub fn same_toleration_except_seconds(a: &Toleration, b: &Toleration) -> bool {
    let parts = |t: &Toleration| {
        (
            t.key.clone().unwrap_or_default(),
            t.operator.clone().unwrap_or_else(|| "Equal".to_string()),
            t.value.clone().unwrap_or_default(),
            t.effect.clone().unwrap_or_default(),
        )
    };
    parts(a) == parts(b)
}
