use weka_api::wekacluster::ClusterPorts;

use super::*;

fn key(name: &str) -> ClusterKey {
    ClusterKey { namespace: "weka".into(), name: name.into() }
}

fn request(name: &str) -> ClusterRangeRequest {
    ClusterRangeRequest {
        cluster: key(name),
        spec: ClusterPorts::default(),
        status: ClusterPorts::default(),
        layout: PortLayout::DEFAULT,
        starting_port: 35000,
    }
}

fn taken(ranges: &[(&str, GoIntPair)]) -> ClusterRangeSnapshot {
    ClusterRangeSnapshot {
        clusters: ranges
            .iter()
            .map(|(name, (base, size))| ClusterRange {
                cluster: key(name),
                block: PortBlock::new(*base, *size),
            })
            .collect(),
        container_ports: Vec::new(),
    }
}

type GoIntPair = (weka_api::common::GoInt, weka_api::common::GoInt);

#[test]
fn the_first_cluster_starts_at_the_starting_port_with_singletons_after_the_offset() {
    let ports = allocate_cluster_ports(&request("a"), &ClusterRangeSnapshot::default()).unwrap();
    assert_eq!((ports.base_port, ports.port_range), (Some(35000), Some(500)));
    assert_eq!(
        (ports.lb_port, ports.lb_admin_port, ports.s3_port),
        (Some(35300), Some(35301), Some(35302))
    );
    assert_eq!(ports.management_proxy_port, None, "allocated on first use only");
}

#[test]
fn a_new_cluster_takes_the_first_gap_that_fits_between_existing_ranges() {
    let snapshot = taken(&[("a", (35000, 500)), ("c", (36000, 500))]);
    let ports = allocate_cluster_ports(&request("b"), &snapshot).unwrap();
    assert_eq!(ports.base_port, Some(35500));

    let snapshot = taken(&[("a", (35000, 500)), ("c", (35700, 500))]);
    let ports = allocate_cluster_ports(&request("b"), &snapshot).unwrap();
    assert_eq!(ports.base_port, Some(36200), "the 200-port gap is too small: after the last range");
}

#[test]
fn the_own_range_and_reduced_layouts_are_respected() {
    let snapshot = taken(&[("a", (35000, 500))]);
    let mut req = request("a");
    req.layout = PortLayout::REDUCED;
    let ports = allocate_cluster_ports(&req, &snapshot).unwrap();
    assert_eq!(
        (ports.base_port, ports.port_range),
        (Some(35000), Some(260)),
        "its own range is no obstacle"
    );
    assert_eq!(ports.lb_port, Some(35240));
}

#[test]
fn a_spec_range_overlapping_another_cluster_is_refused_with_the_range_in_the_message() {
    let mut req = request("b");
    req.spec.base_port = Some(35200);
    let err = allocate_cluster_ports(&req, &taken(&[("a", (35000, 500))])).unwrap_err();
    assert_eq!(err, AllocationError::RangeNotAvailable { from: 35200, to: 35699 });
    assert!(err.to_string().starts_with("port range 35200-35699 is not available"));
    assert_eq!(err.reason(), "AllocateClusterRangeError");
}

#[test]
fn changing_an_allocated_base_port_is_refused() {
    let mut req = request("a");
    req.status = allocate_cluster_ports(&req, &ClusterRangeSnapshot::default()).unwrap();
    req.spec.base_port = Some(40000);
    let err = allocate_cluster_ports(&req, &ClusterRangeSnapshot::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "changing spec.ports.basePort from 35000 to 40000 is not supported"
    );
}

#[test]
fn allocating_again_keeps_every_port() {
    let mut req = request("a");
    let first = allocate_cluster_ports(&req, &ClusterRangeSnapshot::default()).unwrap();
    req.status = first;
    let busy = ClusterRangeSnapshot {
        clusters: Vec::new(),
        container_ports: vec![PortBlock::new(35000, 500)],
    };
    assert_eq!(allocate_cluster_ports(&req, &busy).unwrap(), first);
}

#[test]
fn singletons_avoid_container_ports_and_spec_ports_are_checked() {
    let snapshot = ClusterRangeSnapshot {
        clusters: Vec::new(),
        container_ports: vec![PortBlock::new(35000, 100), PortBlock::single(35300)],
    };
    let mut req = request("a");
    req.spec.s3_port = Some(35310);
    let ports = allocate_cluster_ports(&req, &snapshot).unwrap();
    assert_eq!(
        (ports.lb_port, ports.lb_admin_port, ports.s3_port),
        (Some(35301), Some(35302), Some(35310))
    );

    req.spec.s3_port = Some(35300);
    let err = allocate_cluster_ports(&req, &snapshot).unwrap_err();
    assert!(matches!(err, AllocationError::PortNotAvailable { name: "s3", port: 35300, .. }));
    req.spec.s3_port = Some(36000);
    assert!(allocate_cluster_ports(&req, &snapshot).is_err(), "outside the cluster's range");
}

#[test]
fn the_management_proxy_port_comes_after_the_other_singletons() {
    let req = request("a");
    let status = allocate_cluster_ports(&req, &ClusterRangeSnapshot::default()).unwrap();
    let with_proxy = allocate_management_proxy_port(
        &req.spec,
        &status,
        PortLayout::DEFAULT,
        &[PortBlock::single(35303)],
    )
    .unwrap();
    assert_eq!(with_proxy.management_proxy_port, Some(35304));
    let again =
        allocate_management_proxy_port(&req.spec, &with_proxy, PortLayout::DEFAULT, &[]).unwrap();
    assert_eq!(again, with_proxy);
}

#[test]
fn no_range_is_left_near_the_top_of_the_port_space() {
    let snapshot = taken(&[("a", (65000, 500))]);
    let err = allocate_cluster_ports(&request("b"), &snapshot).unwrap_err();
    assert_eq!(err, AllocationError::NoFreeClusterRange { size: 500, from: 65000 });
}

#[test]
fn of_two_clusters_that_picked_the_same_range_the_later_one_yields() {
    let ranges = taken(&[("a", (35000, 500)), ("b", (35000, 500))]).clusters;
    let block = PortBlock::new(35000, 500);
    let for_b = overlapping_clusters(&key("b"), block, &ranges);
    assert_eq!(for_b, [&key("a")]);
    assert!(must_yield(&key("b"), &for_b));
    assert!(!must_yield(&key("a"), &overlapping_clusters(&key("a"), block, &ranges)));
}
