//! Names of a cluster's WekaContainers.
//!
//! Upstream names a new container `<cluster>-<role>-<random UUID>`. A random name is not
//! restart safe: if the operator creates a container and stops (or reads a cache that does
//! not show it yet) before it sees the container, the next reconcile counts one container
//! too few and creates another under a new name, a duplicate that never goes away.
//!
//! Here the name is `<cluster>-<role>-<n>` with `n` the lowest index no container of the
//! cluster uses. The name of the k-th missing container is a function of the containers
//! that exist, so a repeated reconcile proposes the same names and the API server's
//! uniqueness of names turns a repeated create into `AlreadyExists` instead of a duplicate.
//! A gap left by a removed container is filled again. (A hash of the cluster UID, role and
//! index would be just as deterministic; the index reads better in `kubectl get` and keeps
//! names short.) The WEKA container name (`spec.name`) is derived as upstream does:
//! `<role>-<n>` with every `-` replaced by `x` (`drivex0`, `dataxservicesx2`).

use std::collections::BTreeSet;

use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode;

/// The name of one container of a cluster: its role and index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerName {
    pub role: ContainerMode,
    pub index: usize,
}

impl ContainerName {
    /// `<role>-<n>`, the part after the cluster name.
    pub fn suffix(&self) -> String {
        format!("{}-{}", self.role, self.index)
    }

    /// `metadata.name`: `<cluster>-<role>-<n>`.
    pub fn object_name(&self, cluster: &str) -> String {
        format!("{cluster}-{}", self.suffix())
    }

    /// `spec.name`, the container's name inside WEKA: the suffix with `-` replaced by `x`.
    pub fn weka_name(&self) -> String {
        self.suffix().replace('-', "x")
    }

    /// The index in `object_name` if it is a name this scheme gives to `role` of `cluster`.
    pub fn parse_index(cluster: &str, role: ContainerMode, object_name: &str) -> Option<usize> {
        let digits = object_name
            .strip_prefix(cluster)?
            .strip_prefix('-')?
            .strip_prefix(role.as_str())?
            .strip_prefix('-')?;
        let canonical = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        canonical.then(|| digits.parse().ok()).flatten()
    }
}

/// The index of a cluster's container from its name and mode (`None` for names of another
/// scheme, such as upstream's UUID names).
pub fn index_of(cluster: &str, container: &WekaContainer) -> Option<usize> {
    let name = container.metadata.name.as_deref()?;
    ContainerName::parse_index(cluster, container.spec.mode, name)
}

/// `count` names for new `role` containers: the lowest indices that none of `existing`
/// (the cluster's containers, of any state) uses.
pub fn free_names(
    cluster: &str,
    role: ContainerMode,
    existing: &[&WekaContainer],
    count: usize,
) -> Vec<ContainerName> {
    let used: BTreeSet<usize> = existing
        .iter()
        .filter_map(|c| ContainerName::parse_index(cluster, role, c.metadata.name.as_deref()?))
        .collect();
    (0..)
        .filter(|i| !used.contains(i))
        .take(count)
        .map(|index| ContainerName { role, index })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_cluster_role_and_index() {
        let name = ContainerName { role: ContainerMode::DataServices, index: 12 };
        assert_eq!(name.object_name("prod"), "prod-data-services-12");
        assert_eq!(name.weka_name(), "dataxservicesx12");
    }

    #[test]
    fn only_canonical_names_of_the_role_parse() {
        use ContainerMode::*;
        assert_eq!(ContainerName::parse_index("a-b", Drive, "a-b-drive-7"), Some(7));
        assert_eq!(ContainerName::parse_index("a-b", Drive, "a-b-drive-07"), None);
        assert_eq!(ContainerName::parse_index("a-b", Drive, "a-b-compute-7"), None);
        assert_eq!(ContainerName::parse_index("a", Drive, "a-b-drive-7"), None);
        assert_eq!(
            ContainerName::parse_index("a", Drive, "a-drive-4f1c2e3a-0d7e-11ef-8f6b-0242ac120002"),
            None
        );
        assert_eq!(ContainerName::parse_index("a", S3, "a-s3-0"), Some(0));
    }
}
