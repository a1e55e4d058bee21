use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode::{self, *};
use weka_api::wekacontainer::ContainerState;

use super::test_support::*;
use super::*;

const WITH_S3: &str =
    "  dynamicTemplate:\n    s3Containers: 2\n    computeContainers: 3\n    driveContainers: 3\n";

fn missing(
    cluster: &weka_api::WekaCluster,
    existing: &[WekaContainer],
    created: bool,
) -> Vec<WekaContainer> {
    let settings = ClusterSettings::default();
    ClusterPlan::new(cluster, &settings).unwrap().missing_containers(existing, created).unwrap()
}

fn joined(mut container: WekaContainer) -> WekaContainer {
    container.status.get_or_insert_with(Default::default).container_id = Some(7);
    container
}

#[test]
fn before_the_cluster_is_formed_only_capped_drive_and_compute_containers_are_wanted() {
    let cluster = cluster("  template: large\n");
    let settings = ClusterSettings::default();
    let plan = ClusterPlan::new(&cluster, &settings).unwrap();
    assert_eq!(plan.desired_counts(false).to_string(), "drive=10 compute=10");
    assert_eq!(plan.desired_counts(true).to_string(), "drive=20 compute=20 s3=5 envoy=5");
}

#[test]
fn telemetry_containers_follow_compute_only_with_exports() {
    let plain = cluster(WITH_S3);
    let settings = ClusterSettings::default();
    assert_eq!(ClusterPlan::new(&plain, &settings).unwrap().desired_counts(true).get(Telemetry), 0);
    let exporting = cluster(&format!(
        "{WITH_S3}  telemetry:\n    exports: [{{name: audit, sources: [audit]}}]\n"
    ));
    let plan = ClusterPlan::new(&exporting, &settings).unwrap();
    assert_eq!(plan.desired_counts(true).get(Telemetry), 3);
    let created = missing(&exporting, &[], true);
    assert_eq!(created.iter().filter(|c| c.spec.mode == Telemetry).count(), 3);
}

#[test]
fn a_new_cluster_gets_its_first_containers_with_indexed_names() {
    let created = missing(&dynamic_cluster(), &[], false);
    assert_eq!(
        names(&created),
        [
            "prod-drive-0",
            "prod-drive-1",
            "prod-drive-2",
            "prod-drive-3",
            "prod-drive-4",
            "prod-drive-5",
            "prod-compute-0",
            "prod-compute-1",
            "prod-compute-2",
            "prod-compute-3",
            "prod-compute-4",
            "prod-compute-5",
        ]
    );
}

#[test]
fn building_twice_proposes_the_same_names_so_a_retry_cannot_duplicate() {
    let cluster = cluster(WITH_S3);
    let first = missing(&cluster, &[], true);
    let second = missing(&cluster, &[], true);
    assert_eq!(json(&first), json(&second));
    // Once they exist, nothing is missing.
    assert!(missing(&cluster, &first, true).is_empty());
}

#[test]
fn a_gap_left_by_a_removed_container_is_filled_first() {
    let cluster = dynamic_cluster();
    let existing =
        [existing(&cluster, Drive, 0), existing(&cluster, Drive, 2), existing(&cluster, Drive, 5)];
    let created = missing(&cluster, &existing, false);
    let drives: Vec<_> = names(&created).into_iter().filter(|n| n.contains("drive")).collect();
    assert_eq!(drives, ["prod-drive-1", "prod-drive-3", "prod-drive-4"]);
}

#[test]
fn a_deleted_container_is_replaced_under_a_new_index() {
    let cluster = cluster("  dynamicTemplate:\n    driveContainers: 2\n    computeContainers: 0\n");
    let existing = [deleted(existing(&cluster, Drive, 0)), existing(&cluster, Drive, 1)];
    assert_eq!(names(&missing(&cluster, &existing, false)), ["prod-drive-2"]);
}

#[test]
fn envoys_follow_every_s3_container_including_new_and_leaving_ones() {
    let cluster = cluster(WITH_S3);
    let mut existing: Vec<WekaContainer> = [Drive, Compute]
        .into_iter()
        .flat_map(|role| (0..3).map(move |i| (role, i)))
        .map(|(role, i)| existing(&cluster, role, i))
        .collect();
    existing.push(deleted(existing_s3(&cluster, 0)));
    existing.push(existing_s3(&cluster, 1));
    let created = missing(&cluster, &existing, true);
    assert_eq!(names(&created), ["prod-s3-2", "prod-envoy-0", "prod-envoy-1", "prod-envoy-2"]);
}

fn existing_s3(cluster: &weka_api::WekaCluster, index: usize) -> WekaContainer {
    existing(cluster, S3, index)
}

#[test]
fn no_role_other_than_drive_and_compute_is_built_before_the_cluster_is_formed() {
    let created = missing(&cluster(WITH_S3), &[], false);
    assert!(created.iter().all(|c| matches!(c.spec.mode, Drive | Compute)));
}

#[test]
fn scale_down_removes_unjoined_containers_first_then_the_highest_index() {
    let cluster = cluster("  dynamicTemplate:\n    driveContainers: 6\n");
    let mut drives: Vec<WekaContainer> =
        (0..8).map(|i| joined(existing(&cluster, Drive, i))).collect();
    drives[2].status = None;
    let settings = ClusterSettings::default();
    let plan = ClusterPlan::new(&cluster, &settings).unwrap();
    let chosen: Vec<&str> = plan
        .excess_containers(&drives)
        .iter()
        .map(|c| c.metadata.name.as_deref().unwrap())
        .collect();
    assert_eq!(chosen, ["prod-drive-2", "prod-drive-7"]);
}

#[test]
fn scale_down_counts_no_container_already_leaving_and_keeps_upstream_names_longest() {
    let cluster = cluster("  dynamicTemplate:\n    computeContainers: 2\n");
    let mut computes: Vec<WekaContainer> =
        (0..3).map(|i| joined(existing(&cluster, Compute, i))).collect();
    let mut legacy = joined(existing(&cluster, Compute, 9));
    legacy.metadata.name = Some("prod-compute-0d8c6f9e-5d35-11ef-8a3b-0242ac120002".into());
    computes.push(legacy);
    assert_eq!(
        names_of(select_for_removal("prod", Compute, &computes, 2)),
        ["prod-compute-2", "prod-compute-1"]
    );
    computes[2].spec.state = Some(ContainerState::Deleting);
    assert_eq!(names_of(select_for_removal("prod", Compute, &computes, 2)), ["prod-compute-1"]);
    assert!(select_for_removal("prod", Compute, &computes, 3).is_empty());
}

fn names_of(containers: Vec<&WekaContainer>) -> Vec<&str> {
    containers.iter().map(|c| c.metadata.name.as_deref().unwrap()).collect()
}

#[test]
fn role_counts_ignore_modes_that_are_no_cluster_role() {
    let mut counts = RoleCounts::default();
    counts.set(ContainerMode::Client, 4);
    counts.set(Nfs, 2);
    assert_eq!((counts.get(ContainerMode::Client), counts.get(Nfs), counts.total()), (0, 2, 2));
}
