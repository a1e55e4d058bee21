//! What nodes a simulated cluster has: built from `--nodes N` and an optional node-spec YAML
//! file, turned into `Node` objects that the kubelets register.
//!
//! The node-spec file (every key optional):
//!
//! ```yaml
//! defaults:                 # applied to every node, including the `--nodes N` ones
//!   capacity: {cpu: "16", memory: 64Gi, hugepages-2Mi: 16Gi, pods: "110"}
//!   labels: {team: storage}
//! nodes:                    # listed first; `--nodes N` adds default nodes up to N in total
//!   - name: drive           # `count` > 1 names them drive-1, drive-2, ...
//!     count: 3
//!     zone: zone-b          # topology.kubernetes.io/zone (default: zone-a, zone-b, zone-c in turn)
//!     region: region-1      # topology.kubernetes.io/region
//!     arch: arm64           # kubernetes.io/arch (default amd64); os: linux
//!     labels: {weka.io/supports-backends: "true"}
//!     taints: [{key: weka.io/dedicated, value: backends, effect: NoSchedule}]
//!     capacity: {weka.io/drives: "6", hugepages-1Gi: 4Gi}   # merged over the defaults
//!     allocatable: {cpu: 15500m}                              # default: the capacity
//!     unschedulable: false
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Node, NodeAddress, NodeCondition, NodeSpec, NodeStatus, NodeSystemInfo, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::Deserialize;

use super::quantity::parse_milli;

pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
pub const REGION_LABEL: &str = "topology.kubernetes.io/region";
pub const KUBELET_VERSION: &str = "v1.32.0";

#[derive(Debug, thiserror::Error)]
pub enum NodeSpecError {
    #[error("reading node spec {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("parsing node spec: {0}")]
    Parse(#[from] serde_yaml::Error),
    #[error("node {node}: {resource}: {message}")]
    Quantity { node: String, resource: String, message: String },
    #[error(
        "node {node}: taint effect {effect:?} is not NoSchedule, PreferNoSchedule or NoExecute"
    )]
    TaintEffect { node: String, effect: String },
    #[error("node name {0:?} is used twice")]
    Duplicate(String),
}

/// The node-spec file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpecFile {
    #[serde(default)]
    pub defaults: NodeTemplate,
    #[serde(default)]
    pub nodes: Vec<NodeTemplate>,
}

/// One entry of the file: a node, or `count` alike nodes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeTemplate {
    pub name: Option<String>,
    pub count: Option<u32>,
    pub zone: Option<String>,
    pub region: Option<String>,
    pub arch: Option<String>,
    pub os: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<TaintSpec>,
    #[serde(default)]
    pub capacity: BTreeMap<String, String>,
    #[serde(default)]
    pub allocatable: BTreeMap<String, String>,
    pub unschedulable: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintSpec {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    pub effect: String,
}

/// One node, resolved: everything needed to register it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeConfig {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub capacity: BTreeMap<String, String>,
    pub allocatable: BTreeMap<String, String>,
    pub unschedulable: bool,
    pub internal_ip: String,
    pub pod_cidr: String,
}

impl NodeSpecFile {
    pub fn load(path: &str) -> Result<Self, NodeSpecError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| NodeSpecError::Read { path: path.to_string(), source })?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, NodeSpecError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        Ok(serde_yaml::from_str(text)?)
    }

    /// The nodes of the file, then default nodes up to `total` nodes in all.
    pub fn resolve(&self, total: usize) -> Result<Vec<NodeConfig>, NodeSpecError> {
        let mut out: Vec<NodeConfig> = Vec::new();
        for template in &self.nodes {
            let count = template.count.unwrap_or(1).max(1) as usize;
            for i in 1..=count {
                let name = match (&template.name, count) {
                    (Some(name), 1) => name.clone(),
                    (Some(name), _) => format!("{name}-{i}"),
                    (None, _) => format!("node-{}", out.len() + 1),
                };
                let index = out.len();
                out.push(self.build(&name, index, template)?);
            }
        }
        let mut n = 0;
        while out.len() < total {
            n += 1;
            let name = format!("node-{n}");
            if out.iter().any(|c| c.name == name) {
                continue;
            }
            let index = out.len();
            out.push(self.build(&name, index, &NodeTemplate::default())?);
        }
        let mut names = std::collections::BTreeSet::new();
        for config in &out {
            if !names.insert(config.name.clone()) {
                return Err(NodeSpecError::Duplicate(config.name.clone()));
            }
        }
        Ok(out)
    }

    /// One node from a template merged over the defaults; `index` (0-based, unique in the
    /// cluster) picks its addresses and default zone.
    pub fn build(
        &self,
        name: &str,
        index: usize,
        template: &NodeTemplate,
    ) -> Result<NodeConfig, NodeSpecError> {
        let d = &self.defaults;
        let pick = |a: &Option<String>, b: &Option<String>, fallback: String| {
            a.clone().or_else(|| b.clone()).unwrap_or(fallback)
        };
        let zone = pick(&template.zone, &d.zone, default_zone(index));
        let region = pick(&template.region, &d.region, "region-1".into());
        let arch = pick(&template.arch, &d.arch, "amd64".into());
        let os = pick(&template.os, &d.os, "linux".into());

        let mut labels = BTreeMap::new();
        for (k, v) in [
            ("beta.kubernetes.io/arch", &arch),
            ("beta.kubernetes.io/os", &os),
            ("kubernetes.io/arch", &arch),
            ("kubernetes.io/os", &os),
            (ZONE_LABEL, &zone),
            (REGION_LABEL, &region),
        ] {
            labels.insert(k.to_string(), v.clone());
        }
        labels.insert(HOSTNAME_LABEL.into(), name.to_string());
        labels.extend(d.labels.clone());
        labels.extend(template.labels.clone());

        let mut capacity = default_capacity();
        capacity.extend(d.capacity.clone());
        capacity.extend(template.capacity.clone());
        let mut allocatable = capacity.clone();
        allocatable.extend(d.allocatable.clone());
        allocatable.extend(template.allocatable.clone());
        for (resource, value) in capacity.iter().chain(allocatable.iter()) {
            parse_milli(value).map_err(|e| NodeSpecError::Quantity {
                node: name.to_string(),
                resource: resource.clone(),
                message: e.to_string(),
            })?;
        }

        let mut taints = Vec::new();
        for spec in d.taints.iter().chain(template.taints.iter()) {
            if !matches!(spec.effect.as_str(), "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                return Err(NodeSpecError::TaintEffect {
                    node: name.to_string(),
                    effect: spec.effect.clone(),
                });
            }
            taints.push(Taint {
                key: spec.key.clone(),
                value: spec.value.clone(),
                effect: spec.effect.clone(),
                time_added: None,
            });
        }

        Ok(NodeConfig {
            name: name.to_string(),
            labels,
            taints,
            capacity,
            allocatable,
            unschedulable: template.unschedulable.or(d.unschedulable).unwrap_or(false),
            internal_ip: node_ip(index),
            pod_cidr: pod_cidr(index),
        })
    }
}

fn default_zone(index: usize) -> String {
    ["zone-a", "zone-b", "zone-c"][index % 3].to_string()
}

fn default_capacity() -> BTreeMap<String, String> {
    [
        ("cpu", "16"),
        ("memory", "64Gi"),
        ("hugepages-2Mi", "16Gi"),
        ("hugepages-1Gi", "0"),
        ("pods", "110"),
        ("ephemeral-storage", "100Gi"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The InternalIP of the node with this index: 172.18.0.2, 172.18.0.3, ...
pub fn node_ip(index: usize) -> String {
    let n = index + 2;
    format!("172.18.{}.{}", (n / 256) % 256, n % 256)
}

/// The pod CIDR of the node with this index: 10.244.0.0/24, 10.244.1.0/24, ...
pub fn pod_cidr(index: usize) -> String {
    format!("10.{}.{}.0/24", 244 + (index / 256) % 12, index % 256)
}

impl NodeConfig {
    /// The Node object as its kubelet registers it: Ready, with capacity and system info.
    pub fn to_node(&self, now: Time) -> Node {
        let quantities = |m: &BTreeMap<String, String>| {
            m.iter().map(|(k, v)| (k.clone(), Quantity(v.clone()))).collect::<BTreeMap<_, _>>()
        };
        Node {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                labels: Some(self.labels.clone()),
                annotations: Some(BTreeMap::from([(
                    "node.alpha.kubernetes.io/ttl".to_string(),
                    "0".to_string(),
                )])),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                pod_cidr: Some(self.pod_cidr.clone()),
                pod_cidrs: Some(vec![self.pod_cidr.clone()]),
                provider_id: Some(format!("kubesim://{}", self.name)),
                taints: (!self.taints.is_empty()).then(|| self.taints.clone()),
                unschedulable: self.unschedulable.then_some(true),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                addresses: Some(vec![
                    NodeAddress { type_: "InternalIP".into(), address: self.internal_ip.clone() },
                    NodeAddress { type_: "Hostname".into(), address: self.name.clone() },
                ]),
                capacity: Some(quantities(&self.capacity)),
                allocatable: Some(quantities(&self.allocatable)),
                conditions: Some(node_conditions(true, &now)),
                node_info: Some(NodeSystemInfo {
                    architecture: self
                        .labels
                        .get("kubernetes.io/arch")
                        .cloned()
                        .unwrap_or_default(),
                    operating_system: self
                        .labels
                        .get("kubernetes.io/os")
                        .cloned()
                        .unwrap_or_default(),
                    boot_id: uuid::Uuid::new_v4().to_string(),
                    machine_id: uuid::Uuid::new_v4().simple().to_string(),
                    system_uuid: uuid::Uuid::new_v4().to_string(),
                    container_runtime_version: "containerd://1.7.24".into(),
                    kernel_version: "6.8.0-kubesim".into(),
                    kube_proxy_version: KUBELET_VERSION.into(),
                    kubelet_version: KUBELET_VERSION.into(),
                    os_image: "Ubuntu 24.04 LTS".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }
}

/// The four conditions a kubelet reports; `ready` says whether Ready is True.
pub fn node_conditions(ready: bool, now: &Time) -> Vec<NodeCondition> {
    let cond = |type_: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
    };
    vec![
        cond(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        if ready {
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        } else {
            cond(
                "Ready",
                "False",
                "KubeletNotReady",
                "container runtime status check may not have completed yet",
            )
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_flag_alone_gives_default_nodes_in_three_zones() {
        let nodes = NodeSpecFile::default().resolve(4).unwrap();
        let names: Vec<_> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["node-1", "node-2", "node-3", "node-4"]);
        assert_eq!(nodes[0].labels[ZONE_LABEL], "zone-a");
        assert_eq!(nodes[3].labels[ZONE_LABEL], "zone-a");
        assert_eq!(nodes[1].labels[HOSTNAME_LABEL], "node-2");
        assert_eq!(nodes[0].capacity["hugepages-2Mi"], "16Gi");
        assert_eq!(nodes[0].internal_ip, "172.18.0.2");
        assert_eq!(nodes[1].pod_cidr, "10.244.1.0/24");
    }

    #[test]
    fn file_nodes_come_first_and_merge_over_defaults() {
        let file = NodeSpecFile::parse(
            r#"
defaults:
  capacity: {cpu: "8"}
  labels: {team: storage}
nodes:
  - name: drive
    count: 2
    zone: zone-x
    labels: {weka.io/supports-backends: "true"}
    taints: [{key: weka.io/dedicated, value: backends, effect: NoSchedule}]
    capacity: {weka.io/drives: "6"}
    allocatable: {cpu: 7500m}
"#,
        )
        .unwrap();
        let nodes = file.resolve(3).unwrap();
        let names: Vec<_> = nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["drive-1", "drive-2", "node-1"]);
        let drive = &nodes[0];
        assert_eq!(drive.capacity["cpu"], "8");
        assert_eq!(drive.allocatable["cpu"], "7500m");
        assert_eq!(drive.allocatable["weka.io/drives"], "6");
        assert_eq!(drive.labels["team"], "storage");
        assert_eq!(drive.labels[ZONE_LABEL], "zone-x");
        assert_eq!(drive.taints[0].effect, "NoSchedule");
        assert!(!nodes[2].labels.contains_key("weka.io/supports-backends"));
    }

    #[test]
    fn bad_files_are_refused_with_the_node_named() {
        let bad_quantity = "nodes: [{name: a, capacity: {cpu: lots}}]";
        let err = NodeSpecFile::parse(bad_quantity).unwrap().resolve(0).unwrap_err();
        assert!(err.to_string().starts_with("node a: cpu"), "{err}");
        let bad_effect = "nodes: [{name: a, taints: [{key: k, effect: Sometimes}]}]";
        assert!(NodeSpecFile::parse(bad_effect).unwrap().resolve(0).is_err());
        assert!(NodeSpecFile::parse("nodes: [{nmae: a}]").is_err());
        let twice = "nodes: [{name: a}, {name: a}]";
        assert!(NodeSpecFile::parse(twice).unwrap().resolve(0).is_err());
    }

    #[test]
    fn node_object_carries_capacity_labels_and_ready_condition() {
        let config = NodeSpecFile::default().resolve(1).unwrap().remove(0);
        let node = config.to_node(Time(k8s_openapi::jiff::Timestamp::now()));
        let status = node.status.unwrap();
        assert_eq!(status.capacity.unwrap()["pods"].0, "110");
        let ready = status.conditions.unwrap().into_iter().find(|c| c.type_ == "Ready").unwrap();
        assert_eq!(ready.status, "True");
        assert_eq!(status.node_info.unwrap().kubelet_version, KUBELET_VERSION);
    }
}
