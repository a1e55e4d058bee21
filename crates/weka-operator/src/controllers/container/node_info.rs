//! What the pod builder needs to know about a node ([`NodeInfo`]), from the node's discovery
//! annotation (`weka.io/discovery.json`, written by the discovery one-off). No pod is created
//! before the record is current (`steps/node_discovery`); checks that run earlier (spec
//! validation) take a node without one as a standard Linux node without hyper-threading,
//! with the boot ID Kubernetes reports.

use k8s_openapi::api::core::v1::Node;
use serde::Deserialize;
use weka_api::constants::annotations::DISCOVERY_JSON;

use crate::pod::{CloudProvider, NodeInfo, NodeOs};

/// The discovery record's schema version (upstream `DiscoveryTargetSchema`): an older record
/// lacks facts the pod builder reads, and is discovered again.
pub const DISCOVERY_SCHEMA: i64 = 3;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Discovery {
    schema: i64,
    is_ht: bool,
    os: String,
    boot_id: String,
    init_container_image: String,
    provider: String,
}

/// The node's current boot ID as its kubelet reports it (empty when unknown): what tells a
/// reboot, for the discovery record and the drivers-loaded marker alike.
pub fn boot_id(node: &Node) -> &str {
    node.status
        .as_ref()
        .and_then(|s| s.node_info.as_ref())
        .map(|i| i.boot_id.as_str())
        .unwrap_or_default()
}

fn discovery(node: &Node) -> Option<Discovery> {
    let text = node.metadata.annotations.as_ref()?.get(DISCOVERY_JSON)?;
    serde_json::from_str::<Discovery>(text).ok()
}

/// Upstream's test for skipping discovery: the node's record parses, has the current schema,
/// and was written on the node's current boot.
pub fn discovery_is_current(node: &Node) -> bool {
    discovery(node).is_some_and(|d| d.schema >= DISCOVERY_SCHEMA && d.boot_id == boot_id(node))
}

/// The node's info: discovery's if the node carries it, else defaults with the node's boot ID.
pub fn node_info(node: Option<&Node>) -> NodeInfo {
    let Some(node) = node else {
        return NodeInfo::default();
    };
    let live_boot_id = boot_id(node).to_string();
    let Some(d) = discovery(node) else {
        return NodeInfo { boot_id: live_boot_id, ..NodeInfo::default() };
    };
    NodeInfo {
        os: match d.os.as_str() {
            "cos" => NodeOs::Cos,
            "rhcos" => NodeOs::Rhcos,
            _ => NodeOs::Standard,
        },
        is_ht: d.is_ht,
        boot_id: if d.boot_id.is_empty() { live_boot_id } else { d.boot_id },
        init_container_image: Some(d.init_container_image).filter(|i| !i.is_empty()),
        provider: match d.provider.as_str() {
            "aws" => CloudProvider::Aws,
            "oci" => CloudProvider::Oci,
            _ => CloudProvider::Unknown,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::{NodeStatus, NodeSystemInfo};

    use super::*;

    fn node(annotation: Option<&str>) -> Node {
        let annotations =
            annotation.map(|text| BTreeMap::from([(DISCOVERY_JSON.to_string(), text.to_string())]));
        Node {
            metadata: kube::api::ObjectMeta { annotations, ..Default::default() },
            status: Some(NodeStatus {
                node_info: Some(NodeSystemInfo { boot_id: "live".into(), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn without_discovery_the_node_is_standard_with_its_live_boot_id() {
        let info = node_info(Some(&node(None)));
        assert_eq!(info, NodeInfo { boot_id: "live".into(), ..NodeInfo::default() });
    }

    #[test]
    fn discovery_gives_os_hyper_threading_and_provider() {
        let text = r#"{"is_ht": true, "os": "rhcos", "boot_id": "b1", "provider": "aws"}"#;
        let info = node_info(Some(&node(Some(text))));
        assert_eq!(info.os, NodeOs::Rhcos);
        assert!(info.is_ht);
        assert_eq!(info.boot_id, "b1");
        assert_eq!(info.provider, CloudProvider::Aws);
    }

    #[test]
    fn a_record_is_current_only_with_the_schema_and_the_live_boot() {
        let record = |schema: i64, boot: &str| {
            node(Some(&format!(r#"{{"schema": {schema}, "boot_id": "{boot}", "os": "ubuntu"}}"#)))
        };
        assert!(discovery_is_current(&record(DISCOVERY_SCHEMA, "live")));
        assert!(!discovery_is_current(&record(DISCOVERY_SCHEMA, "before-reboot")));
        assert!(!discovery_is_current(&record(DISCOVERY_SCHEMA - 1, "live")));
        assert!(!discovery_is_current(&node(Some("not json"))));
        assert!(!discovery_is_current(&node(None)));
    }
}
