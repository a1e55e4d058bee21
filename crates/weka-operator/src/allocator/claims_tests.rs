use std::collections::BTreeMap;

use weka_api::constants::annotations::{DRIVE_CLAIMS, PORT_CLAIMS, VIRTUAL_DRIVE_CLAIMS};
use weka_api::wekacontainer::ContainerAllocations;

use super::test_support::*;
use super::*;

fn sample_claims() -> NodeClaims {
    let mut claims = NodeClaims::default();
    let allocation = Allocation {
        drives: vec!["S1".into()],
        virtual_drives: vec![virtual_drive("v-1", "p-1", 2048)],
        weka_port: Some(35000),
        agent_port: Some(35303),
    };
    claims.record(&owner("drive-0"), &allocation, PortLayout::DEFAULT).unwrap();
    claims
}

#[test]
fn claims_are_written_in_upstreams_annotation_format() {
    let encoded = sample_claims().encode();
    assert_eq!(encoded[DRIVE_CLAIMS], r#"{"S1":"c1:weka:drive-0"}"#);
    assert_eq!(
        encoded[PORT_CLAIMS],
        r#"{"35000,100":"c1:weka:drive-0","35303,1":"c1:weka:drive-0"}"#
    );
    assert_eq!(encoded[VIRTUAL_DRIVE_CLAIMS], r#"{"v-1":["c1:weka:drive-0","p-1",2048]}"#);
    assert_eq!(NodeClaims::decode(&encoded).unwrap(), sample_claims());
}

#[test]
fn virtual_drive_claims_are_also_read_in_object_form() {
    let annotations = BTreeMap::from([(
        VIRTUAL_DRIVE_CLAIMS.to_string(),
        r#"{"v-1":{"container":"c1:weka:drive-0","physicalUUID":"p-1","capacityGiB":2048}}"#
            .to_string(),
    )]);
    let claims = NodeClaims::decode(&annotations).unwrap();
    assert_eq!(claims.virtual_drives, sample_claims().virtual_drives);
    assert_eq!(NodeClaims::decode(&BTreeMap::new()).unwrap(), NodeClaims::default());
}

#[test]
fn malformed_claims_name_the_annotation() {
    let bad_key =
        BTreeMap::from([(PORT_CLAIMS.to_string(), r#"{"35000":"c1:weka:x"}"#.to_string())]);
    let err = NodeClaims::decode(&bad_key).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"node annotation weka.io/port-claims is not valid: key "35000" is not <base>,<count>"#
    );
    let bad_owner = BTreeMap::from([(DRIVE_CLAIMS.to_string(), r#"{"S1":"drive-0"}"#.to_string())]);
    assert!(
        NodeClaims::decode(&bad_owner).unwrap_err().to_string().contains("weka.io/drive-claims")
    );
}

#[test]
fn recording_what_another_container_holds_is_refused() {
    let mut claims = sample_claims();
    let overlapping = Allocation { weka_port: Some(35050), ..Default::default() };
    let err = claims.record(&owner("drive-1"), &overlapping, PortLayout::DEFAULT).unwrap_err();
    assert_eq!(err.to_string(), "ports 35000-35099 is already claimed by c1:weka:drive-0");
    assert_eq!(claims, sample_claims(), "nothing recorded");
    let same = Allocation { drives: vec!["S1".into()], ..Default::default() };
    assert!(claims.record(&owner("drive-0"), &same, PortLayout::DEFAULT).is_ok(), "idempotent");
}

#[test]
fn releasing_drops_every_claim_of_the_owner() {
    let mut claims = sample_claims();
    claims.drives.insert("S2".into(), owner("drive-1"));
    claims.release(&owner("drive-0"));
    assert_eq!(claims.drives.len(), 1);
    assert!(claims.ports.is_empty() && claims.virtual_drives.is_empty());
}

#[test]
fn claims_of_deleted_or_moved_containers_are_stale() {
    let claims = sample_claims();
    let moved = [container_on("node-b", "c1", "drive-0")];
    let stale = reconcile_claims(NODE, &claims, &moved);
    assert_eq!(stale.drives, ["S1"]);
    assert_eq!(stale.ports, [PortBlock::new(35000, 100), PortBlock::single(35303)]);
    assert_eq!(stale.virtual_drives, ["v-1"]);
    assert_eq!(reconcile_claims(NODE, &claims, &[]), stale, "deleted");
}

#[test]
fn claims_of_a_container_that_has_not_recorded_its_allocation_are_kept() {
    let claims = sample_claims();
    let in_flight = [container_on(NODE, "c1", "drive-0")];
    assert!(reconcile_claims(NODE, &claims, &in_flight).is_empty());
}

#[test]
fn claims_beyond_a_recorded_allocation_are_stale() {
    let claims = sample_claims();
    let recorded = ContainerAllocations {
        drives: Some(vec!["S1".into()]),
        weka_port: Some(35000),
        agent_port: Some(35303),
        ..Default::default()
    };
    let containers = [with_allocations(container_on(NODE, "c1", "drive-0"), recorded)];
    let stale = reconcile_claims(NODE, &claims, &containers);
    assert_eq!(stale, StaleClaims { virtual_drives: vec!["v-1".into()], ..Default::default() });

    let mut cleaned = claims.clone();
    cleaned.remove(&stale);
    assert!(cleaned.virtual_drives.is_empty() && cleaned.drives.len() == 1);
}

#[test]
fn healing_restores_claims_lost_from_the_annotations() {
    let recorded = ContainerAllocations {
        drives: Some(vec!["S9".into()]),
        weka_port: Some(35100),
        ..Default::default()
    };
    let containers = [
        with_allocations(container_on(NODE, "c1", "drive-3"), recorded),
        with_allocations(
            container_on("node-b", "c1", "drive-4"),
            ContainerAllocations { drives: Some(vec!["S8".into()]), ..Default::default() },
        ),
    ];
    let healed = sample_claims().healed(NODE, &containers, PortLayout::DEFAULT);
    assert_eq!(
        healed.drives.keys().collect::<Vec<_>>(),
        ["S9"],
        "drive-0 is gone; drive-4 is elsewhere"
    );
    assert_eq!(healed.ports.keys().copied().collect::<Vec<_>>(), [PortBlock::new(35100, 100)]);
    assert_eq!(healed.drives["S9"], owner("drive-3"));
}
