//! Which nodes the simulated cluster has: by default `--nodes N` WEKA backend nodes (labelled
//! `weka.io/supports-backends=true`, with hugepages, cores and one extended resource per
//! NVMe disk), or a kubesim node-spec file.

use std::collections::BTreeMap;
use std::path::Path;

use kubesim::nodes::node_spec::{NodeSpecError, NodeSpecFile, NodeTemplate};
use weka_api::constants::{labels, resources};

/// Nodes when neither `--nodes` nor a node-spec file says.
pub const DEFAULT_NODES: usize = 8;

/// The node-spec file and how many nodes in all.
#[derive(Clone, Debug)]
pub struct NodeLayout {
    pub spec: NodeSpecFile,
    pub count: usize,
}

impl NodeLayout {
    /// `count` backend nodes, each with `disks` NVMe disks for WEKA and room for a few WEKA
    /// containers of one cluster (cores, memory, 2 MiB hugepages).
    pub fn backends(count: usize, disks: usize) -> NodeLayout {
        NodeLayout::backends_sized(count, disks, &Capacity::default())
    }

    /// As [`NodeLayout::backends`], with the given capacity.
    pub fn backends_sized(count: usize, disks: usize, capacity: &Capacity) -> NodeLayout {
        let defaults = NodeTemplate {
            labels: BTreeMap::from([(labels::SUPPORTS_BACKENDS.to_string(), "true".to_string())]),
            capacity: BTreeMap::from([
                ("cpu".to_string(), capacity.cpu.clone()),
                ("memory".to_string(), capacity.memory.clone()),
                ("hugepages-2Mi".to_string(), capacity.hugepages_2mi.clone()),
                ("pods".to_string(), capacity.pods.clone()),
                (resources::DRIVES.to_string(), disks.to_string()),
            ]),
            ..NodeTemplate::default()
        };
        NodeLayout { spec: NodeSpecFile { defaults, nodes: Vec::new() }, count }
    }

    /// A node-spec file; `count` (if given) tops it up with default nodes.
    pub fn from_file(path: &Path, count: Option<usize>) -> Result<NodeLayout, NodeSpecError> {
        let spec = NodeSpecFile::load(&path.to_string_lossy())?;
        let listed = spec.resolve(0)?.len();
        Ok(NodeLayout { spec, count: count.unwrap_or(listed).max(listed) })
    }

    /// From the flags: the file when given, else `count` backend nodes.
    pub fn from_flags(
        file: Option<&Path>,
        count: Option<usize>,
        disks: usize,
    ) -> Result<NodeLayout, NodeSpecError> {
        match file {
            Some(path) => NodeLayout::from_file(path, count),
            None => Ok(NodeLayout::backends(count.unwrap_or(DEFAULT_NODES), disks)),
        }
    }
}

/// What each default node offers.
#[derive(Clone, Debug)]
pub struct Capacity {
    pub cpu: String,
    pub memory: String,
    pub hugepages_2mi: String,
    pub pods: String,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            cpu: "32".into(),
            memory: "128Gi".into(),
            hugepages_2mi: "32Gi".into(),
            pods: "110".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_nodes_are_labelled_backends_with_one_drive_resource_per_disk() {
        let layout = NodeLayout::from_flags(None, None, 8).unwrap();
        let nodes = layout.spec.resolve(layout.count).unwrap();
        assert_eq!(nodes.len(), DEFAULT_NODES);
        assert_eq!(nodes[0].labels[labels::SUPPORTS_BACKENDS], "true");
        assert_eq!(nodes[7].capacity[resources::DRIVES], "8");
        assert_eq!(nodes[3].capacity["hugepages-2Mi"], "32Gi");
    }

    #[test]
    fn a_node_spec_file_is_topped_up_to_the_node_count() {
        let dir = std::env::temp_dir().join(format!("node-layout-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nodes.yaml");
        std::fs::write(&path, "nodes: [{name: big, count: 2}]").unwrap();
        assert_eq!(NodeLayout::from_file(&path, None).unwrap().count, 2);
        assert_eq!(NodeLayout::from_file(&path, Some(5)).unwrap().count, 5);
        assert_eq!(NodeLayout::from_file(&path, Some(1)).unwrap().count, 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
