//! How many containers of each role a cluster wants, and the ones it lacks (spec §2.3,
//! upstream `BuildMissingContainers`).

use weka_api::common::GoInt;
use weka_api::wekacontainer::ContainerMode;
use weka_api::{WekaCluster, WekaContainer};

use super::error::ClusterSpecError;
use super::factory::build_container;
use super::naming::free_names;
use super::roles::{CLUSTER_ROLES, RoleCounts};
use super::settings::ClusterSettings;
use super::template::ClusterTemplate;

/// The containers of each role the cluster wants. Until the WEKA cluster is formed only drive
/// and compute containers are wanted, at most `FormClusterMax*` of each; afterwards every
/// role: one envoy per S3 container and, with telemetry exports, one telemetry container per
/// compute container.
pub fn desired_counts(
    cluster: &WekaCluster,
    template: &ClusterTemplate,
    cluster_created: bool,
    settings: &ClusterSettings,
) -> RoleCounts {
    let count = |n: GoInt| n.max(0) as usize;
    let mut counts = RoleCounts::default();
    if !cluster_created {
        let drive = template.drive_containers.min(settings.form_cluster_max_drive_containers);
        let compute = template.compute_containers.min(settings.form_cluster_max_compute_containers);
        counts.set(ContainerMode::Drive, count(drive));
        counts.set(ContainerMode::Compute, count(compute));
        return counts;
    }
    counts.set(ContainerMode::Drive, count(template.drive_containers));
    counts.set(ContainerMode::Compute, count(template.compute_containers));
    counts.set(ContainerMode::S3, count(template.s3_containers));
    counts.set(ContainerMode::Envoy, count(template.s3_containers));
    counts.set(ContainerMode::Nfs, count(template.nfs_containers));
    if has_telemetry_exports(cluster) {
        counts.set(ContainerMode::Telemetry, count(template.compute_containers));
    }
    counts.set(ContainerMode::DataServices, count(template.data_services_containers));
    counts
}

/// The containers to create so that every role reaches its desired count, named with the
/// lowest free indices. `existing` are the cluster's containers. A deleted container does not
/// count (a replacement is built), and envoy/telemetry follow the total of S3/compute
/// containers including those being deleted and those about to be created, as upstream.
pub fn missing_containers(
    cluster: &WekaCluster,
    template: &ClusterTemplate,
    existing: &[WekaContainer],
    cluster_created: bool,
    settings: &ClusterSettings,
) -> Result<Vec<WekaContainer>, ClusterSpecError> {
    let desired = desired_counts(cluster, template, cluster_created, settings);
    let cluster_name = cluster.metadata.name.as_deref().unwrap_or_default();
    let mut totals = RoleCounts::default();
    let mut built: Vec<WekaContainer> = Vec::new();
    for role in CLUSTER_ROLES {
        let of_role = |c: &&WekaContainer| c.spec.mode == role;
        let all = existing.iter().filter(of_role).count();
        let current = existing.iter().filter(of_role).filter(|c| !is_deleted(c)).count();
        let mut target = desired.get(role);
        if cluster_created && role == ContainerMode::Envoy {
            target = totals.get(ContainerMode::S3);
        }
        if cluster_created && role == ContainerMode::Telemetry && has_telemetry_exports(cluster) {
            target = totals.get(ContainerMode::Compute);
        }
        // Upstream's total may shrink below `all` when there are more containers than wanted.
        totals.set(role, (all + target).saturating_sub(current));

        let missing = target.saturating_sub(current);
        let taken: Vec<&WekaContainer> = existing.iter().chain(built.iter()).collect();
        for name in free_names(cluster_name, role, &taken, missing) {
            built.push(build_container(cluster, template, name, settings)?);
        }
    }
    Ok(built)
}

/// A deleted container (upstream `IsUnhealthy`): it no longer counts and is replaced. A
/// container whose state asks for its removal still counts until it is deleted.
pub fn is_deleted(container: &WekaContainer) -> bool {
    container.metadata.deletion_timestamp.is_some()
}

fn has_telemetry_exports(cluster: &WekaCluster) -> bool {
    cluster.spec.telemetry.as_ref().and_then(|t| t.exports.as_ref()).is_some_and(|e| !e.is_empty())
}
