use weka_api::common::{DriveTypesRatio, GoInt};
use weka_api::wekacontainer::{ContainerAllocations, VirtualDrive};

use super::DriveType::{Qlc, Tlc};
use super::test_support::*;
use super::*;

fn allocate(
    request: DriveRequest,
    snapshot: &NodeSnapshot,
) -> Result<Vec<VirtualDrive>, AllocationError> {
    allocate_shared_drives(
        request,
        &DriveSharingSettings::default(),
        snapshot,
        &mut sequential_uuids(),
    )
}

fn snapshot(drives: NodeDrives) -> NodeSnapshot<'static> {
    NodeSnapshot { node_name: NODE, drives, claims: NodeClaims::default(), containers: &[] }
}

fn by_capacity(
    capacity_gib: GoInt,
    num_cores: usize,
    ratio: Option<DriveTypesRatio>,
) -> DriveRequest {
    DriveRequest::SharedByCapacity { capacity_gib, ratio, num_cores }
}

fn layout(drives: &[VirtualDrive]) -> Vec<(&str, GoInt, &str)> {
    drives
        .iter()
        .map(|d| (d.physical_uuid.as_str(), d.capacity_gib, d.type_.as_deref().unwrap_or("")))
        .collect()
}

#[test]
fn virtual_drives_by_count_go_to_the_tlc_drive_with_most_room() {
    let mut snap = snapshot(shared_node(&[(Tlc, 2000), (Tlc, 2000), (Qlc, 8000), (Tlc, 3000)]));
    snap.claims.virtual_drives.insert(
        "other".into(),
        VirtualDriveClaim {
            owner: owner("drive-7"),
            physical_uuid: "p3".into(),
            capacity_gib: 2500,
        },
    );
    let drives =
        allocate(DriveRequest::SharedByCount { count: 3, capacity_gib: 500 }, &snap).unwrap();
    assert_eq!(layout(&drives), [("p0", 500, "TLC"), ("p1", 500, "TLC"), ("p0", 500, "TLC")]);
    assert_eq!(drives[0].virtual_uuid, "vd-0");
    assert_eq!(drives[0].serial, "serial-0");

    let err =
        allocate(DriveRequest::SharedByCount { count: 4, capacity_gib: 500 }, &snap).unwrap_err();
    assert_eq!(
        err,
        AllocationError::InsufficientDrives { needed: 4, available: 3 },
        "QLC drives do not count"
    );
}

#[test]
fn capacity_is_spread_evenly_over_one_drive_per_core_first() {
    let snap = snapshot(shared_node(&[(Tlc, 2000), (Tlc, 2000)]));
    let drives = allocate(by_capacity(3000, 2, None), &snap).unwrap();
    assert_eq!(layout(&drives), [("p0", 1500, "TLC"), ("p1", 1500, "TLC")]);
}

#[test]
fn heterogeneous_drives_fall_back_to_fit_to_physical() {
    let snap = snapshot(shared_node(&[(Tlc, 20000), (Tlc, 500), (Tlc, 500)]));
    let drives = allocate(by_capacity(21000, 1, None), &snap).unwrap();
    assert_eq!(layout(&drives), [("p0", 20000, "TLC"), ("p1", 500, "TLC"), ("p2", 500, "TLC")]);
}

#[test]
fn a_drive_types_ratio_splits_capacity_between_tlc_and_qlc_drives() {
    let snap = snapshot(shared_node(&[(Qlc, 5000), (Tlc, 5000)]));
    let ratio = Some(DriveTypesRatio { tlc: 1, qlc: 3 });
    let drives = allocate(by_capacity(4000, 1, ratio), &snap).unwrap();
    assert_eq!(layout(&drives), [("p1", 1000, "TLC"), ("p0", 3000, "QLC")]);
}

#[test]
fn each_type_needs_a_minimum_chunk_per_core_when_enforced() {
    let snap = snapshot(shared_node(&[(Qlc, 5000), (Tlc, 5000)]));
    let err = allocate(by_capacity(1000, 2, Some(DriveTypesRatio { tlc: 1, qlc: 1 })), &snap)
        .unwrap_err();
    assert!(matches!(err, AllocationError::InvalidDriveSharingConfig(_)));
    assert!(
        err.to_string()
            .contains("TLC capacity 500 GiB is too small: 2 drive cores need at least 768 GiB")
    );

    let relaxed =
        DriveSharingSettings { enforce_min_drives_per_type_per_core: false, ..Default::default() };
    let drives = allocate_shared_drives(
        by_capacity(1000, 2, Some(DriveTypesRatio { tlc: 1, qlc: 1 })),
        &relaxed,
        &snap,
        &mut sequential_uuids(),
    )
    .unwrap();
    assert_eq!(
        layout(&drives),
        [("p1", 500, "TLC"), ("p0", 500, "QLC")],
        "two drives in all suffice"
    );
}

#[test]
fn capacity_used_by_other_virtual_drives_is_not_free() {
    let neighbour = with_allocations(
        container_on(NODE, "c1", "drive-5"),
        ContainerAllocations {
            virtual_drives: Some(vec![virtual_drive("v1", "p0", 3000)]),
            ..Default::default()
        },
    );
    let containers = [neighbour];
    let snap = NodeSnapshot {
        node_name: NODE,
        drives: shared_node(&[(Tlc, 4000)]),
        claims: NodeClaims::default(),
        containers: &containers,
    };
    let err = allocate(by_capacity(2000, 1, None), &snap).unwrap_err();
    assert_eq!(
        err.to_string(),
        "not enough TLC drive capacity on the node: 2000 GiB needed, 1000 GiB usable (1000 GiB free \
         in total); free per physical drive: [1000] GiB; at most 8 virtual drives allowed"
    );
    assert_eq!(err.reason(), "InsufficientDriveCapacity");
}

#[test]
fn capacity_spread_over_too_small_pieces_is_reported_as_fragmented() {
    let snap = snapshot(shared_node(&[(Tlc, 700), (Tlc, 700)]));
    let one_drive = DriveSharingSettings { max_virtual_drives_per_core: 1, ..Default::default() };
    let err = allocate_shared_drives(
        by_capacity(1000, 1, None),
        &one_drive,
        &snap,
        &mut sequential_uuids(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with(
        "cannot allocate 1000 GiB of TLC capacity: each virtual drive must fit on one physical drive"
    ));
}

#[test]
fn a_node_without_shared_drives_says_so() {
    let snap = snapshot(NodeDrives::default());
    assert_eq!(
        allocate(by_capacity(1000, 1, None), &snap).unwrap_err(),
        AllocationError::NoSharedDrives
    );
}
