//! What the benchmark creates: M containers as WekaClusters that fit the nodes (a cluster
//! puts at most one compute and one drive container on a node, so 1,000 containers on 200
//! nodes take 3 clusters), and nodes big enough for them.

use crate::commands::simulate::manifests::{self, Manifest, Target, Targets};
use crate::commands::simulate::node_layout::Capacity;

use super::BenchError;

/// The namespace of everything the benchmark creates.
pub const NAMESPACE: &str = "bench";
const IMAGE: &str = "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4";
/// A WEKA cluster forms with at least 5 compute and 5 drive containers.
const MIN_PER_ROLE: usize = 5;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterShape {
    pub name: String,
    pub compute: usize,
    pub drive: usize,
}

impl ClusterShape {
    pub fn containers(&self) -> usize {
        self.compute + self.drive
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub clusters: Vec<ClusterShape>,
}

impl Plan {
    /// `containers` split over `clusters` WekaClusters (default: as few as fit `nodes`).
    pub fn new(
        containers: usize,
        nodes: usize,
        clusters: Option<usize>,
    ) -> Result<Plan, BenchError> {
        if containers == 0 || nodes == 0 {
            return Err(BenchError::Plan("need at least one node and one container".into()));
        }
        let count = clusters.unwrap_or_else(|| containers.div_ceil(2 * nodes)).max(1);
        let shapes: Vec<ClusterShape> = (0..count)
            .map(|i| {
                let size = containers / count + usize::from(i < containers % count);
                ClusterShape {
                    name: format!("bench-{}", i + 1),
                    compute: size.div_ceil(2),
                    drive: size / 2,
                }
            })
            .collect();
        for shape in &shapes {
            if shape.compute > nodes || shape.drive > nodes {
                return Err(BenchError::Plan(format!(
                    "{} needs {} compute and {} drive containers, more than the {nodes} nodes hold",
                    shape.name, shape.compute, shape.drive
                )));
            }
            if shape.drive < MIN_PER_ROLE {
                return Err(BenchError::Plan(format!(
                    "{} would have {} drive containers; a WEKA cluster forms with at least {MIN_PER_ROLE} of each role",
                    shape.name, shape.drive
                )));
            }
        }
        Ok(Plan { clusters: shapes })
    }

    pub fn containers(&self) -> usize {
        self.clusters.iter().map(ClusterShape::containers).sum()
    }

    /// (compute, drive) containers in all.
    pub fn roles(&self) -> (usize, usize) {
        (self.clusters.iter().map(|s| s.compute).sum(), self.clusters.iter().map(|s| s.drive).sum())
    }

    /// WEKA containers a node may have to hold: one compute and one drive per cluster.
    pub fn per_node(&self) -> usize {
        2 * self.clusters.len()
    }

    /// Node capacity with room for [`Plan::per_node`] containers (and helpers).
    pub fn capacity(&self) -> Capacity {
        let c = self.per_node() + 1;
        Capacity {
            cpu: (4 * c).to_string(),
            memory: format!("{}Gi", 16 * c),
            hugepages_2mi: format!("{}Gi", 8 * c),
            pods: (110 + c).to_string(),
        }
    }

    /// Disks per node: one per drive container a node may hold, at least the usual 8.
    pub fn disks(&self) -> usize {
        self.clusters.len().max(8)
    }

    pub fn manifests(&self) -> Result<Vec<Manifest>, BenchError> {
        let text = self.clusters.iter().map(cluster_yaml).collect::<Vec<_>>().join("---\n");
        Ok(manifests::parse(&text, "the benchmark's clusters")?)
    }

    pub fn targets(&self) -> Targets {
        let target =
            |s: &ClusterShape| Target { namespace: NAMESPACE.into(), name: s.name.clone() };
        Targets { clusters: self.clusters.iter().map(target).collect(), containers: Vec::new() }
    }
}

fn cluster_yaml(shape: &ClusterShape) -> String {
    format!(
        "apiVersion: weka.weka.io/v1alpha1\nkind: WekaCluster\nmetadata: {{name: {}, namespace: {NAMESPACE}}}\n\
         spec:\n  template: dynamic\n  dynamicTemplate: {{computeContainers: {}, driveContainers: {}, numDrives: 1}}\n  \
         image: {IMAGE}\n  imagePullSecret: quay-io-robot-secret\n  nodeSelector: {{weka.io/supports-backends: \"true\"}}\n",
        shape.name, shape.compute, shape.drive
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_benchmark_takes_three_clusters_that_fit_200_nodes() {
        let plan = Plan::new(1000, 200, None).unwrap();
        let sizes: Vec<_> = plan.clusters.iter().map(|s| (s.compute, s.drive)).collect();
        assert_eq!(sizes, [(167, 167), (167, 166), (167, 166)]);
        assert_eq!(plan.containers(), 1000);
        assert_eq!(plan.roles(), (501, 499));
        assert_eq!(plan.per_node(), 6);
        assert_eq!(plan.manifests().unwrap().len(), 3);
        assert_eq!(plan.targets().clusters[2].to_string(), "bench/bench-3");
    }

    #[test]
    fn clusters_that_cannot_fit_or_form_are_refused() {
        let err = Plan::new(1000, 200, Some(1)).unwrap_err();
        assert!(err.to_string().contains("more than the 200 nodes"), "{err}");
        let err = Plan::new(8, 200, None).unwrap_err();
        assert!(err.to_string().contains("at least 5"), "{err}");
    }
}
