//! The roles a WekaCluster's containers take, and a count per role.

use std::fmt;

use weka_api::wekacontainer::ContainerMode;

/// The roles of a cluster's containers, in the order upstream builds them.
pub const CLUSTER_ROLES: [ContainerMode; 7] = [
    ContainerMode::Drive,
    ContainerMode::Compute,
    ContainerMode::S3,
    ContainerMode::Envoy,
    ContainerMode::Nfs,
    ContainerMode::Telemetry,
    ContainerMode::DataServices,
];

/// A number of containers for each cluster role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoleCounts([usize; CLUSTER_ROLES.len()]);

impl RoleCounts {
    /// The count of `role` (0 for modes that are no cluster role).
    pub fn get(&self, role: ContainerMode) -> usize {
        position(role).map_or(0, |i| self.0[i])
    }

    /// Sets the count of a cluster role; other modes are ignored.
    pub fn set(&mut self, role: ContainerMode, count: usize) {
        if let Some(i) = position(role) {
            self.0[i] = count;
        }
    }

    /// `(role, count)` in build order.
    pub fn iter(&self) -> impl Iterator<Item = (ContainerMode, usize)> + '_ {
        CLUSTER_ROLES.iter().copied().zip(self.0.iter().copied())
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }
}

impl fmt::Display for RoleCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> =
            self.iter().filter(|(_, n)| *n > 0).map(|(role, n)| format!("{role}={n}")).collect();
        f.write_str(&parts.join(" "))
    }
}

fn position(role: ContainerMode) -> Option<usize> {
    CLUSTER_ROLES.iter().position(|r| *r == role)
}
