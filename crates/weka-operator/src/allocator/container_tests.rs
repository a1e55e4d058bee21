use weka_api::WekaContainer;
use weka_api::common::GoInt;
use weka_api::wekacluster::ClusterPorts;
use weka_api::wekacontainer::ContainerAllocations;

use super::test_support::*;
use super::*;

fn cluster_ports(base: GoInt, size: GoInt) -> ClusterPorts {
    let request = ClusterRangeRequest {
        cluster: ClusterKey { namespace: "weka".into(), name: format!("c{base}") },
        spec: ClusterPorts { base_port: Some(base), port_range: Some(size), ..Default::default() },
        status: ClusterPorts::default(),
        layout: PortLayout::DEFAULT,
        starting_port: 35000,
    };
    allocate_cluster_ports(&request, &ClusterRangeSnapshot::default()).expect("cluster range")
}

fn request(name: &str, ports: ClusterPorts, drives: DriveRequest) -> ContainerRequest {
    ContainerRequest {
        owner: owner(name),
        cluster_ports: ports,
        layout: PortLayout::DEFAULT,
        weka_port: true,
        agent_port: true,
        drives,
        drive_sharing: DriveSharingSettings::default(),
    }
}

fn snapshot<'a>(
    drives: NodeDrives,
    claims: NodeClaims,
    containers: &'a [WekaContainer],
) -> NodeSnapshot<'a> {
    NodeSnapshot { node_name: NODE, drives, claims, containers }
}

#[test]
fn exclusive_drives_are_the_signed_ones_minus_blocked_and_used() {
    let mut drives = exclusive_node(&["s1", "s2", "s3", "s4", "s5"]);
    drives.blocked_serials = vec!["s2".into()];
    let using_s1 = with_allocations(
        container_on(NODE, "c1", "drive-0"),
        ContainerAllocations { drives: Some(vec!["s1".into()]), ..Default::default() },
    );
    let elsewhere = with_allocations(
        container_on("node-b", "c1", "drive-9"),
        ContainerAllocations { drives: Some(vec!["s4".into()]), ..Default::default() },
    );
    let mut claims = NodeClaims::default();
    claims.drives.insert("s3".into(), owner("drive-1"));
    let containers = [using_s1, elsewhere];
    let snap = snapshot(drives, claims, &containers);

    assert_eq!(allocate_exclusive_drives(2, &snap).unwrap(), ["s4", "s5"]);
    let err = allocate_exclusive_drives(3, &snap).unwrap_err();
    assert_eq!(err, AllocationError::InsufficientDrives { needed: 3, available: 2 });
    assert!(err.to_string().starts_with("not enough drives on the node: 3 needed, 2 available"));
}

#[test]
fn container_ports_avoid_claims_statuses_and_cluster_singletons() {
    let ports = cluster_ports(35000, 500);
    assert_eq!(ports.lb_port, Some(35300));
    let neighbour = with_allocations(
        container_on(NODE, "c1", "drive-0"),
        ContainerAllocations {
            weka_port: Some(35000),
            agent_port: Some(35303),
            ..Default::default()
        },
    );
    let mut claims = NodeClaims::default();
    claims.ports.insert(PortBlock::new(35100, 100), owner("drive-1"));
    let containers = [neighbour];
    let snap = snapshot(NodeDrives::default(), claims, &containers);

    let got = allocate_container(
        &request("drive-2", ports, DriveRequest::None),
        &snap,
        &mut sequential_uuids(),
    )
    .unwrap();
    assert_eq!((got.weka_port, got.agent_port), (Some(35200), Some(35304)));
}

#[test]
fn a_cluster_without_a_range_cannot_place_container_ports() {
    let snap = snapshot(NodeDrives::default(), NodeClaims::default(), &[]);
    let req = request("drive-0", ClusterPorts::default(), DriveRequest::None);
    let err = allocate_container(&req, &snap, &mut sequential_uuids()).unwrap_err();
    assert_eq!(err, AllocationError::ClusterRangeNotAllocated);
}

#[test]
fn a_full_cluster_range_reports_the_range() {
    let ports = cluster_ports(35000, 500);
    let mut claims = NodeClaims::default();
    for (i, base) in [35000, 35100, 35200, 35304, 35400].into_iter().enumerate() {
        claims.ports.insert(PortBlock::new(base, 100), owner(&format!("drive-{i}")));
    }
    let snap = snapshot(NodeDrives::default(), claims, &[]);
    let err = allocate_container(
        &request("drive-9", ports, DriveRequest::None),
        &snap,
        &mut sequential_uuids(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no free block of 100 ports in the cluster's port range 35000-35499"
    );
}

#[test]
fn an_interrupted_allocation_is_resumed_from_the_node_claims() {
    let ports = cluster_ports(35000, 500);
    let req = request("drive-0", ports, DriveRequest::Exclusive { count: 2 });
    let snap = snapshot(exclusive_node(&["s1", "s2", "s3"]), NodeClaims::default(), &[]);
    let first = allocate_container(&req, &snap, &mut sequential_uuids()).unwrap();
    let mut claims = snap.claims.clone();
    claims.record(&req.owner, &first, req.layout).unwrap();

    // The operator stopped before writing the status: the retry sees only the claims.
    let containers = [container_on(NODE, "c1", "drive-0")];
    let retry_snap = snapshot(exclusive_node(&["s1", "s2", "s3"]), claims, &containers);
    let retry = allocate_container(&req, &retry_snap, &mut sequential_uuids()).unwrap();
    assert_eq!(retry, first);
}

#[test]
fn a_container_holding_fewer_drives_than_it_needs_gets_the_rest() {
    let mut claims = NodeClaims::default();
    claims.drives.insert("s2".into(), owner("drive-0"));
    let snap = snapshot(exclusive_node(&["s1", "s2", "s3"]), claims, &[]);
    let req = request("drive-0", cluster_ports(35000, 500), DriveRequest::Exclusive { count: 2 });
    let got = allocate_container(&req, &snap, &mut sequential_uuids()).unwrap();
    assert_eq!(got.drives, ["s2", "s1"]);
}

#[test]
fn no_port_is_ever_allocated_twice_across_random_allocations() {
    let clusters =
        [cluster_ports(35000, 500), cluster_ports(35500, 500), cluster_ports(36000, 500)];
    let mut rng = Rng::seeded(0x5eed_1234);
    // Each live container: (cluster, name, allocation, claims written, status written).
    let mut live: Vec<(usize, String, Allocation, bool, bool)> = Vec::new();
    let mut next_name = 0;
    let mut exhausted = 0;
    for _ in 0..600 {
        if rng.below(3) == 0 && !live.is_empty() {
            live.remove(rng.below(live.len()));
            continue;
        }
        let cluster = rng.below(clusters.len());
        let name = format!("drive-{next_name}");
        next_name += 1;
        let (claims, containers) = persisted(&live);
        let snap = snapshot(NodeDrives::default(), claims, &containers);
        let req = request(&name, clusters[cluster], DriveRequest::None);
        match allocate_container(&req, &snap, &mut sequential_uuids()) {
            Ok(allocation) => {
                // Sometimes only one of the two copies survives (lost annotation or a
                // crash before the status write).
                let (in_claims, in_status) =
                    [(true, true), (true, false), (false, true)][rng.below(3)];
                live.push((cluster, name, allocation, in_claims, in_status));
            }
            Err(AllocationError::PortRangeExhausted { .. }) => exhausted += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
        assert_no_port_twice(&live, &clusters);
    }
    assert!(exhausted > 0, "the loop should fill some ranges");
    assert!(live.len() > 5);
}

/// The node's claims and containers for the live set.
fn persisted(live: &[(usize, String, Allocation, bool, bool)]) -> (NodeClaims, Vec<WekaContainer>) {
    let mut claims = NodeClaims::default();
    let mut containers = Vec::new();
    for (_, name, allocation, in_claims, in_status) in live {
        if *in_claims {
            claims
                .record(&owner(name), allocation, PortLayout::DEFAULT)
                .expect("no conflicting claim");
        }
        let mut container = container_on(NODE, "c1", name);
        if *in_status {
            let mut allocations = ContainerAllocations::default();
            allocation.apply_to(&mut allocations);
            container = with_allocations(container, allocations);
        }
        containers.push(container);
    }
    (claims, containers)
}

fn assert_no_port_twice(
    live: &[(usize, String, Allocation, bool, bool)],
    clusters: &[ClusterPorts],
) {
    let mut blocks: Vec<(PortBlock, &str)> = Vec::new();
    for (cluster, name, allocation, _, _) in live {
        let ports = &clusters[*cluster];
        let range = PortBlock::new(ports.base_port.unwrap(), ports.port_range.unwrap());
        for block in allocation.port_blocks(PortLayout::DEFAULT) {
            assert!(range.contains(block), "{name}: {block} outside {range}");
            for singleton in singleton_blocks(ports) {
                assert!(!block.overlaps(singleton), "{name}: {block} hits singleton {singleton}");
            }
            if let Some((other, owner)) = blocks.iter().find(|(b, _)| b.overlaps(block)) {
                panic!("{name}: {block} overlaps {other} of {owner}");
            }
            blocks.push((block, name));
        }
    }
}
