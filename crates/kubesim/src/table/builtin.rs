//! kubectl's columns for the built-in kinds (upstream's `printers` package), computed by the
//! server as kube-apiserver does (always the wide set; kubectl hides priority-1 columns unless
//! `-o wide`). This module has the core kinds and the dispatch; events are in
//! [`super::events`], cluster-level kinds in [`super::cluster`], workloads in
//! [`super::workloads`]; pods come from [`crate::nodes::printer`].

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::cluster::*;
use super::columns::{age, age_column, column, labels_text, name, name_column, or_none, text};
use super::events::{event_columns, event_row};
use super::workloads;
use crate::nodes::printer::{pod_cells, pod_column_definitions};

/// Columns and cells of one kind.
#[derive(Clone, Copy)]
pub struct Printer {
    pub columns: fn() -> Vec<Value>,
    pub cells: fn(&Value, Timestamp) -> Vec<Value>,
}

/// The printer of a built-in resource; NAME and AGE for any other.
pub fn printer(group: &str, plural: &str) -> Printer {
    let p = |columns, cells| Printer { columns, cells };
    match (group, plural) {
        ("", "pods") => p(pod_columns, pod_row),
        ("", "nodes") => p(node_columns, node_row),
        ("", "namespaces") => p(namespace_columns, namespace_row),
        ("", "services") => p(service_columns, service_row),
        ("", "configmaps") => p(configmap_columns, configmap_row),
        ("", "secrets") => p(secret_columns, secret_row),
        ("", "serviceaccounts") => p(serviceaccount_columns, serviceaccount_row),
        ("", "endpoints") => p(endpoints_columns, endpoints_row),
        ("", "events") | ("events.k8s.io", "events") => p(event_columns, event_row),
        ("", "persistentvolumeclaims") => p(pvc_columns, pvc_row),
        ("coordination.k8s.io", "leases") => p(lease_columns, lease_row),
        ("scheduling.k8s.io", "priorityclasses") => p(priorityclass_columns, priorityclass_row),
        ("storage.k8s.io", "storageclasses") => p(storageclass_columns, storageclass_row),
        ("storage.k8s.io", "csidrivers") => p(csidriver_columns, csidriver_row),
        ("rbac.authorization.k8s.io", "roles" | "clusterroles")
        | ("apiextensions.k8s.io", "customresourcedefinitions") => {
            p(created_at_columns, created_at_row)
        }
        ("rbac.authorization.k8s.io", "rolebindings" | "clusterrolebindings") => {
            p(binding_columns, binding_row)
        }
        ("policy", "poddisruptionbudgets") => p(pdb_columns, pdb_row),
        _ => workloads::printer(group, plural).unwrap_or(p(default_columns, default_row)),
    }
}

fn default_columns() -> Vec<Value> {
    vec![name_column(), age_column()]
}

fn default_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(obj), age(obj, now)]
}

fn pod_columns() -> Vec<Value> {
    pod_column_definitions().as_array().cloned().unwrap_or_default()
}

fn pod_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    match serde_json::from_value::<Pod>(obj.clone()) {
        Ok(pod) => pod_cells(&pod, now),
        Err(_) => default_row(obj, now),
    }
}

fn node_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Status", "string", 0, "The status of the node"),
        column("Roles", "string", 0, "The roles of the node"),
        age_column(),
        column("Version", "string", 0, "Kubelet Version reported by the node."),
        column(
            "Internal-IP",
            "string",
            1,
            "List of addresses reachable to the node. Queried from cloud provider, if available.",
        ),
        column(
            "External-IP",
            "string",
            1,
            "List of addresses reachable to the node. Queried from cloud provider, if available.",
        ),
        column(
            "OS-Image",
            "string",
            1,
            "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        ),
        column(
            "Kernel-Version",
            "string",
            1,
            "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        ),
        column(
            "Container-Runtime",
            "string",
            1,
            "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        ),
    ]
}

fn node_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let conditions = obj.pointer("/status/conditions").and_then(Value::as_array);
    let ready = conditions
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"));
    let mut status = match ready.and_then(|c| c.get("status")).and_then(Value::as_str) {
        Some("True") => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if obj.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    let mut roles: Vec<String> = Vec::new();
    for (key, value) in
        obj.pointer("/metadata/labels").and_then(Value::as_object).into_iter().flatten()
    {
        if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.push(role.to_string());
            }
        } else if key == "kubernetes.io/role"
            && let Some(role) = value.as_str().filter(|r| !r.is_empty())
        {
            roles.push(role.to_string());
        }
    }
    roles.sort();
    roles.dedup();
    let address = |kind: &str| {
        obj.pointer("/status/addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|a| a.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|a| a.get("address").and_then(Value::as_str))
            .map_or_else(|| "<none>".to_string(), str::to_string)
    };
    let info = |field: &str| {
        let value = text(obj, &format!("/status/nodeInfo/{field}"));
        if value.is_empty() { "<unknown>".to_string() } else { value.to_string() }
    };
    vec![
        name(obj),
        json!(status),
        json!(if roles.is_empty() { "<none>".to_string() } else { roles.join(",") }),
        age(obj, now),
        json!(text(obj, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

fn namespace_columns() -> Vec<Value> {
    vec![name_column(), column("Status", "string", 0, "The status of the namespace"), age_column()]
}

fn namespace_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(obj), json!(text(obj, "/status/phase")), age(obj, now)]
}

fn service_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Type", "string", 0, "type determines how the Service is exposed."),
        column(
            "Cluster-IP",
            "string",
            0,
            "clusterIP is the IP address of the service and is usually assigned randomly.",
        ),
        column(
            "External-IP",
            "string",
            0,
            "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.",
        ),
        column("Port(s)", "string", 0, "The list of ports that are exposed by this service."),
        age_column(),
        column(
            "Selector",
            "string",
            1,
            "Route service traffic to pods with label keys and values matching this selector.",
        ),
    ]
}

fn service_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let kind = match text(obj, "/spec/type") {
        "" => "ClusterIP",
        t => t,
    };
    let external_ips: Vec<&str> = obj
        .pointer("/spec/externalIPs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let external = match kind {
        "ExternalName" => text(obj, "/spec/externalName").to_string(),
        "LoadBalancer" => {
            let mut ips = external_ips.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            for ingress in obj
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ip =
                    ingress.get("ip").or_else(|| ingress.get("hostname")).and_then(Value::as_str);
                ips.extend(ip.map(str::to_string));
            }
            if ips.is_empty() { "<pending>".into() } else { ips.join(",") }
        }
        _ => or_none(&external_ips.join(",")),
    };
    let ports: Vec<String> = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            match p.get("nodePort").and_then(Value::as_i64).filter(|n| *n != 0) {
                Some(node_port) => format!("{port}:{node_port}/{protocol}"),
                None => format!("{port}/{protocol}"),
            }
        })
        .collect();
    vec![
        name(obj),
        json!(kind),
        json!(or_none(text(obj, "/spec/clusterIP"))),
        json!(external),
        json!(or_none(&ports.join(","))),
        age(obj, now),
        json!(labels_text(obj.pointer("/spec/selector"))),
    ]
}

fn count(obj: &Value, pointer: &str) -> usize {
    match obj.pointer(pointer) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

fn configmap_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Data", "string", 0, "Data contains the configuration data."),
        age_column(),
    ]
}

fn configmap_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let data = count(obj, "/data") + count(obj, "/binaryData");
    vec![name(obj), json!(data), age(obj, now)]
}

fn secret_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Type", "string", 0, "Used to facilitate programmatic handling of secret data."),
        column("Data", "string", 0, "Data contains the secret data."),
        age_column(),
    ]
}

fn secret_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let kind = match text(obj, "/type") {
        "" => "Opaque",
        t => t,
    };
    vec![name(obj), json!(kind), json!(count(obj, "/data")), age(obj, now)]
}

fn serviceaccount_columns() -> Vec<Value> {
    vec![
        name_column(),
        column(
            "Secrets",
            "string",
            0,
            "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
        ),
        age_column(),
    ]
}

fn serviceaccount_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(obj), json!(count(obj, "/secrets")), age(obj, now)]
}

fn endpoints_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Endpoints", "string", 0, "Endpoints is the list of endpoints for the service."),
        age_column(),
    ]
}

fn endpoints_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut all = Vec::new();
    for subset in obj.pointer("/subsets").and_then(Value::as_array).into_iter().flatten() {
        let ports: Vec<i64> = subset
            .get("ports")
            .and_then(Value::as_array)
            .map(|p| p.iter().filter_map(|p| p.get("port").and_then(Value::as_i64)).collect())
            .unwrap_or_default();
        for address in subset.get("addresses").and_then(Value::as_array).into_iter().flatten() {
            let ip = address.get("ip").and_then(Value::as_str).unwrap_or("");
            if ports.is_empty() {
                all.push(ip.to_string());
            }
            all.extend(ports.iter().map(|p| format!("{ip}:{p}")));
        }
    }
    let shown = if all.len() > 3 {
        format!("{} + {} more...", all[..3].join(","), all.len() - 3)
    } else {
        or_none(&all.join(","))
    };
    vec![name(obj), json!(shown), age(obj, now)]
}

fn pvc_columns() -> Vec<Value> {
    vec![
        name_column(),
        column(
            "Status",
            "string",
            0,
            "phase represents the current phase of PersistentVolumeClaim.",
        ),
        column(
            "Volume",
            "string",
            0,
            "volumeName is the binding reference to the PersistentVolume backing this claim.",
        ),
        column(
            "Capacity",
            "string",
            0,
            "capacity represents the actual resources of the underlying volume.",
        ),
        column(
            "Access Modes",
            "string",
            0,
            "accessModes contains the actual access modes the volume backing the PVC has.",
        ),
        column(
            "StorageClass",
            "string",
            0,
            "storageClassName is the name of the StorageClass required by the claim.",
        ),
        column(
            "VolumeAttributesClass",
            "string",
            0,
            "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.",
        ),
        age_column(),
        column(
            "VolumeMode",
            "string",
            1,
            "volumeMode defines what type of volume is required by the claim.",
        ),
    ]
}

fn pvc_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let modes: Vec<&str> = obj
        .pointer("/status/accessModes")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter_map(Value::as_str)
                .map(|m| match m {
                    "ReadWriteOnce" => "RWO",
                    "ReadOnlyMany" => "ROX",
                    "ReadWriteMany" => "RWX",
                    "ReadWriteOncePod" => "RWOP",
                    other => other,
                })
                .collect()
        })
        .unwrap_or_default();
    vec![
        name(obj),
        json!(text(obj, "/status/phase")),
        json!(text(obj, "/spec/volumeName")),
        json!(text(obj, "/status/capacity/storage")),
        json!(modes.join(",")),
        json!(text(obj, "/spec/storageClassName")),
        json!(or_unset(text(obj, "/spec/volumeAttributesClassName"))),
        age(obj, now),
        json!(or_unset(text(obj, "/spec/volumeMode"))),
    ]
}

fn or_unset(value: &str) -> String {
    if value.is_empty() { "<unset>".into() } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2024-01-01T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn nodes_show_readiness_roles_and_scheduling() {
        let node = json!({"metadata": {"name": "n1", "creationTimestamp": "2024-01-01T00:00:00Z",
                                       "labels": {"node-role.kubernetes.io/control-plane": ""}},
                          "spec": {"unschedulable": true},
                          "status": {"conditions": [{"type": "Ready", "status": "True"}],
                                     "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
                                     "nodeInfo": {"kubeletVersion": "v1.32.5"}}});
        let cells = node_row(&node, now());
        assert_eq!(
            cells[..6],
            [
                json!("n1"),
                json!("Ready,SchedulingDisabled"),
                json!("control-plane"),
                json!("60m"),
                json!("v1.32.5"),
                json!("10.0.0.1")
            ]
        );
        assert_eq!(cells.len(), node_columns().len());
    }

    #[test]
    fn services_list_their_ports() {
        let svc = json!({"metadata": {"name": "web"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "selector": {"app": "web"},
                     "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}});
        let cells = service_row(&svc, now());
        assert_eq!(
            cells[1..5],
            [json!("NodePort"), json!("10.96.0.10"), json!("<none>"), json!("80:30080/TCP,53/UDP")]
        );
        assert_eq!(cells[6], json!("app=web"));
    }

    #[test]
    fn config_maps_count_their_keys() {
        let cm = json!({"metadata": {"name": "c", "creationTimestamp": "2024-01-01T00:00:00Z"},
                        "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        assert_eq!(configmap_row(&cm, now()), vec![json!("c"), json!(3), json!("60m")]);
    }
}
