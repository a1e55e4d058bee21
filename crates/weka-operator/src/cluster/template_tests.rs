use weka_api::common::DriveTypesRatio;

use super::test_support::*;
use super::*;
use crate::allocator::DriveSharingSettings;

fn resolve(spec: &str) -> Result<ClusterTemplate, ClusterSpecError> {
    resolve_template(&cluster(spec).spec, &ClusterSettings::default())
}

#[test]
fn each_static_template_has_upstreams_layout() {
    let small = resolve("  template: small\n").unwrap();
    assert_eq!((small.drive_containers, small.compute_containers, small.s3_containers), (6, 6, 0));
    assert_eq!(
        (small.drive_hugepages, small.compute_hugepages, small.hugepages_size),
        (1500, 3000, "2Mi")
    );
    assert_eq!((small.drive_hugepages_offset, small.compute_hugepages_offset), (0, 0));

    let small_s3 = resolve("  template: small_s3\n").unwrap();
    assert_eq!((small_s3.s3_containers, small_s3.s3_cores, small_s3.s3_extra_cores), (6, 1, 1));
    assert_eq!(small_s3.s3_frontend_hugepages, 1400);

    let large = resolve("  template: large\n").unwrap();
    assert_eq!((large.drive_containers, large.compute_containers), (20, 20));
    assert_eq!((large.s3_containers, large.s3_extra_cores, large.envoy_cores), (5, 2, 2));

    let small_nfs = resolve("  template: small_nfs\n").unwrap();
    assert_eq!((small_nfs.nfs_containers, small_nfs.nfs_frontend_hugepages), (2, 1200));
    assert_eq!(small_nfs.nfs_cores, 0, "upstream gives this template's NFS containers no cores");
    assert_eq!(STATIC_TEMPLATES.map(|n| static_template(n).is_some()), [true; 4]);
}

#[test]
fn an_unknown_template_is_an_error_naming_it() {
    let err = resolve("  template: huge\n").unwrap_err();
    assert_eq!(err, ClusterSpecError::UnknownTemplate { name: "huge".into() });
    assert!(err.to_string().starts_with("template \"huge\" not found"));
}

#[test]
fn a_dynamic_template_without_dynamic_template_is_an_error_not_a_panic() {
    let err = resolve("  template: dynamic\n").unwrap_err();
    assert_eq!(err, ClusterSpecError::MissingDynamicTemplate);
    assert_eq!(
        resolve("").unwrap_err(),
        ClusterSpecError::MissingDynamicTemplate,
        "dynamic is the default"
    );
}

#[test]
fn a_qlc_only_drive_types_ratio_is_refused() {
    let err = resolve(
        "  dynamicTemplate:\n    containerCapacity: 1000\n    driveTypesRatio: {tlc: 0, qlc: 1}\n",
    )
    .unwrap_err();
    assert_eq!(err, ClusterSpecError::QlcOnlyDriveTypesRatio);
}

#[test]
fn an_empty_dynamic_template_gets_upstreams_defaults() {
    let t = resolve("  dynamicTemplate: {}\n").unwrap();
    assert_eq!(
        (t.drive_cores, t.compute_cores, t.drive_containers, t.compute_containers),
        (1, 1, 6, 6)
    );
    assert_eq!((t.num_drives, t.drive_hugepages, t.drive_hugepages_offset), (1, 1600, 200));
    assert_eq!((t.compute_hugepages, t.compute_hugepages_offset), (3000, 200));
    assert_eq!(
        (t.s3_cores, t.s3_extra_cores, t.s3_frontend_hugepages, t.s3_frontend_hugepages_offset),
        (1, 1, 1400, 200)
    );
    assert_eq!(
        (t.nfs_cores, t.nfs_extra_cores, t.nfs_frontend_hugepages, t.nfs_frontend_hugepages_offset),
        (1, 1, 1400, 200)
    );
    assert_eq!(
        (t.data_services_cores, t.data_services_hugepages, t.data_services_hugepages_offset),
        (1, 1536, 200)
    );
    assert_eq!(
        (t.envoy_cores, t.s3_containers, t.nfs_containers, t.data_services_containers),
        (1, 0, 0, 0)
    );
    assert_eq!(
        (t.drive_extra_cores, t.compute_extra_cores, t.data_services_extra_cores),
        (0, 0, 0)
    );
    assert_eq!(t.drive_types_ratio, None);
}

#[test]
fn explicit_zero_container_counts_are_kept_other_zeros_are_defaulted() {
    let t = resolve("  dynamicTemplate:\n    computeContainers: 0\n    driveContainers: 0\n    driveCores: 0\n    s3ExtraCores: 0\n")
        .unwrap();
    assert_eq!((t.compute_containers, t.drive_containers), (0, 0));
    assert_eq!((t.drive_cores, t.s3_extra_cores), (1, 1));
}

#[test]
fn drive_hugepages_follow_cores_and_drives() {
    let t = resolve("  dynamicTemplate:\n    driveCores: 2\n    numDrives: 4\n    s3Cores: 3\n")
        .unwrap();
    assert_eq!((t.drive_hugepages, t.drive_hugepages_offset), (1400 * 2 + 200 * 4, 800));
    assert_eq!(t.s3_frontend_hugepages, 4200);

    let shared =
        resolve("  dynamicTemplate:\n    driveCores: 2\n    containerCapacity: 1000\n").unwrap();
    assert_eq!(shared.num_drives, 0, "containerCapacity replaces numDrives");
    assert_eq!((shared.drive_hugepages, shared.drive_hugepages_offset), (3200, 400));
    assert_eq!(
        shared.drive_types_ratio,
        Some(DriveTypesRatio { tlc: 1, qlc: 0 }),
        "the operator's ratio"
    );
}

#[test]
fn explicit_values_win_over_defaults() {
    let t = resolve("  dynamicTemplate:\n    computeHugepages: 5001\n    driveHugepages: 2000\n    driveTypesRatio: {tlc: 2, qlc: 1}\n    containerCapacity: 3000\n")
        .unwrap();
    assert_eq!((t.compute_hugepages, t.drive_hugepages), (5001, 2000));
    assert_eq!(t.drive_types_ratio, Some(DriveTypesRatio { tlc: 2, qlc: 1 }));
}

#[test]
fn compute_hugepages_grow_with_the_clusters_drive_capacity() {
    // (dynamicTemplate, expected), the cases of upstream's templates_test.go.
    let cases = [
        ("containerCapacity: 5000", 6820),
        ("containerCapacity: 500", 3000),
        ("numDrives: 4\n    driveCapacity: 2000", 9892),
        ("computeCores: 1", 3000),
        ("containerCapacity: 10000\n    computeCores: 2", 13640),
        ("containerCapacity: 5000\n    driveTypesRatio: {tlc: 1, qlc: 1}", 4686),
        ("containerCapacity: 10000\n    driveTypesRatio: {tlc: 1, qlc: 10}", 4182),
    ];
    for (dynamic, expected) in cases {
        let t = resolve(&format!("  dynamicTemplate:\n    {dynamic}\n")).unwrap();
        assert_eq!(t.compute_hugepages, expected, "{dynamic}");
    }
}

#[test]
fn compute_hugepages_are_rounded_up_to_an_even_number() {
    let settings = DriveSharingSettings::default();
    // 1300 GiB TLC -> 1331 MiB for one container, + 1700 = 3031 -> 3032.
    assert_eq!(compute_hugepages(1300, 1, 1, None, &settings), 3032);
    assert_eq!(compute_hugepages(1303, 1, 1, None, &settings), 3034, "1334 + 1700 is even");
    // 7000 GiB over 7 containers with 2 cores: 1024 + 3400 is below the 6000 minimum.
    assert_eq!(compute_hugepages(7000, 7, 2, None, &settings), 6000);
}

#[test]
fn resolving_never_changes_the_users_spec() {
    let cluster = cluster("  dynamicTemplate:\n    containerCapacity: 5000\n");
    let before = cluster.clone();
    let template = resolve_template(&cluster.spec, &ClusterSettings::default()).unwrap();
    assert_eq!(template.compute_hugepages, 6820);
    assert_eq!(json(&cluster), json(&before));
    assert_eq!(cluster.spec.dynamic_template.as_ref().unwrap().compute_hugepages, None);
}
