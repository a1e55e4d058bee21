//! Which containers go when a role's count shrinks. Upstream never removes containers on a
//! smaller count; here the cluster controller does, through the containers' stop protocol
//! (it sets the chosen ones' `spec.state` to `deleting`).
//!
//! Containers that have not joined the WEKA cluster go first (removing them costs no
//! rebuild), then the highest index (the newest). Containers named by another scheme (such
//! as upstream's UUID names) predate this operator and go last.

use std::cmp::Reverse;

use weka_api::constants::conditions::JOINED_CLUSTER;
use weka_api::wekacontainer::{ContainerMode, ContainerState};
use weka_api::{WekaCluster, WekaContainer};

use super::naming::index_of;
use super::roles::{CLUSTER_ROLES, RoleCounts};

/// The containers to remove so that no role has more than `desired` (pass the counts for a
/// formed cluster). Containers already on their way out are neither counted nor chosen.
pub fn excess_containers<'a>(
    cluster: &WekaCluster,
    desired: &RoleCounts,
    existing: &'a [WekaContainer],
) -> Vec<&'a WekaContainer> {
    let cluster_name = cluster.metadata.name.as_deref().unwrap_or_default();
    CLUSTER_ROLES
        .into_iter()
        .flat_map(|role| select_for_removal(cluster_name, role, existing, desired.get(role)))
        .collect()
}

/// The `role` containers to remove to keep `desired` of them.
pub fn select_for_removal<'a>(
    cluster_name: &str,
    role: ContainerMode,
    existing: &'a [WekaContainer],
    desired: usize,
) -> Vec<&'a WekaContainer> {
    let mut staying: Vec<&WekaContainer> =
        existing.iter().filter(|c| c.spec.mode == role && !is_leaving(c)).collect();
    let excess = staying.len().saturating_sub(desired);
    // Removal order: not joined first, then indexed names from the highest index, then others.
    staying.sort_by_key(|c| {
        let index = index_of(cluster_name, c);
        (has_joined(c), index.is_none(), Reverse(index), c.metadata.name.clone())
    });
    staying.truncate(excess);
    staying
}

/// Deleted, or told to deactivate or be destroyed.
pub fn is_leaving(container: &WekaContainer) -> bool {
    container.metadata.deletion_timestamp.is_some()
        || matches!(
            container.spec.state,
            Some(ContainerState::Deleting | ContainerState::Destroying)
        )
}

/// Whether the container is part of the WEKA cluster (it has a WEKA container ID or its
/// `JoinedCluster` condition is true).
pub fn has_joined(container: &WekaContainer) -> bool {
    let Some(status) = container.status.as_ref() else { return false };
    status.container_id.is_some()
        || status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == JOINED_CLUSTER && c.status == "True")
}
