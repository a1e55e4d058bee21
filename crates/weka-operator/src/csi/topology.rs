//! The CSI topology labels of a node (spec `wekaclient-and-ops.md` §2.7).
//!
//! The CSI driver's provisioner places volumes only on nodes labelled for it, so a node
//! carries `topology.<driver>/{accessible,node,transport}` exactly while its client container
//! can serve WEKA mounts, and none of the three otherwise: new workloads then go elsewhere.
//! The labels are written as a merge patch of only these keys, so labels others own on the
//! node are never touched.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// The transport the WEKA CSI plugin mounts with.
pub const TRANSPORT: &str = "wekafs";

/// The three label keys of one driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologyKeys {
    pub accessible: String,
    pub node: String,
    pub transport: String,
}

impl TopologyKeys {
    pub fn of(driver: &str) -> Self {
        TopologyKeys {
            accessible: format!("topology.{driver}/accessible"),
            node: format!("topology.{driver}/node"),
            transport: format!("topology.{driver}/transport"),
        }
    }

    fn all(&self) -> [&str; 3] {
        [&self.accessible, &self.node, &self.transport]
    }

    /// The labels a node named `node` should carry: all three when its client container is
    /// accessible, none otherwise.
    pub fn expected(&self, node: &str, accessible: bool) -> BTreeMap<String, String> {
        if !accessible {
            return BTreeMap::new();
        }
        BTreeMap::from([
            (self.accessible.clone(), "true".to_string()),
            (self.node.clone(), node.to_string()),
            (self.transport.clone(), TRANSPORT.to_string()),
        ])
    }

    /// The node's `metadata.labels` merge patch that makes the driver's keys exactly
    /// `expected` (a value to set, `null` to remove), or `None` when they already are.
    pub fn patch(
        &self,
        current: &BTreeMap<String, String>,
        expected: &BTreeMap<String, String>,
    ) -> Option<Value> {
        let mut labels = Map::new();
        for key in self.all() {
            match (current.get(key), expected.get(key)) {
                (have, Some(want)) if have != Some(want) => {
                    labels.insert(key.to_string(), json!(want));
                }
                (Some(_), None) => {
                    labels.insert(key.to_string(), Value::Null);
                }
                _ => {}
            }
        }
        (!labels.is_empty()).then(|| json!({"metadata": {"labels": labels}}))
    }

    /// The patch that removes the driver's keys, whatever the node carries now (for
    /// finalization, which must not trust a cache that may lag behind its own last write).
    pub fn removal(&self) -> Value {
        let labels: Map<String, Value> =
            self.all().into_iter().map(|k| (k.to_string(), Value::Null)).collect();
        json!({"metadata": {"labels": labels}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TopologyKeys {
        TopologyKeys::of("csi.weka.io")
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_keys_are_scoped_by_driver() {
        let k = TopologyKeys::of("prod.storage.weka.io");
        assert_eq!(k.accessible, "topology.prod.storage.weka.io/accessible");
        assert_eq!(k.node, "topology.prod.storage.weka.io/node");
        assert_eq!(k.transport, "topology.prod.storage.weka.io/transport");
    }

    #[test]
    fn an_accessible_node_expects_all_three_labels() {
        let expected = keys().expected("node-1", true);
        assert_eq!(
            expected,
            labels(&[
                ("topology.csi.weka.io/accessible", "true"),
                ("topology.csi.weka.io/node", "node-1"),
                ("topology.csi.weka.io/transport", "wekafs"),
            ])
        );
        assert!(keys().expected("node-1", false).is_empty());
    }

    #[test]
    fn a_node_with_the_expected_labels_needs_no_patch() {
        let k = keys();
        let mut current = k.expected("node-1", true);
        current.insert("kubernetes.io/hostname".into(), "node-1".into());
        assert_eq!(k.patch(&current, &k.expected("node-1", true)), None);
        let unrelated = labels(&[("kubernetes.io/hostname", "node-1")]);
        assert_eq!(k.patch(&unrelated, &k.expected("node-1", false)), None);
    }

    #[test]
    fn missing_or_wrong_labels_are_set_and_only_those() {
        let k = keys();
        let current = labels(&[
            ("topology.csi.weka.io/accessible", "true"),
            ("topology.csi.weka.io/node", "node-9"),
            ("kubernetes.io/hostname", "node-1"),
        ]);
        let patch = k.patch(&current, &k.expected("node-1", true)).unwrap();
        assert_eq!(
            patch,
            json!({"metadata": {"labels": {
                "topology.csi.weka.io/node": "node-1",
                "topology.csi.weka.io/transport": "wekafs",
            }}})
        );
    }

    #[test]
    fn an_inaccessible_node_loses_the_labels_it_has_and_nothing_else() {
        let k = keys();
        let current = labels(&[
            ("topology.csi.weka.io/accessible", "true"),
            ("topology.other.weka.io/accessible", "true"),
            ("kubernetes.io/hostname", "node-1"),
        ]);
        let patch = k.patch(&current, &k.expected("node-1", false)).unwrap();
        assert_eq!(
            patch,
            json!({"metadata": {"labels": {"topology.csi.weka.io/accessible": null}}})
        );
    }

    #[test]
    fn removal_nulls_all_three_keys() {
        assert_eq!(
            keys().removal(),
            json!({"metadata": {"labels": {
                "topology.csi.weka.io/accessible": null,
                "topology.csi.weka.io/node": null,
                "topology.csi.weka.io/transport": null,
            }}})
        );
    }
}
