//! A cluster's port range and its singleton ports (spec §3.2), written to
//! `status.ports` by the caller.

use weka_api::common::GoInt;
use weka_api::wekacluster::ClusterPorts;

use super::error::AllocationError;
use super::ports::{MAX_PORT, PortBlock, PortLayout, first_free, is_free};

/// A WekaCluster, by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterKey {
    pub namespace: String,
    pub name: String,
}

/// The port range another cluster holds (`status.ports.basePort/portRange`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterRange {
    pub cluster: ClusterKey,
    pub block: PortBlock,
}

/// What the cluster asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterRangeRequest {
    pub cluster: ClusterKey,
    /// `spec.ports`.
    pub spec: ClusterPorts,
    /// `status.ports` as it is now.
    pub status: ClusterPorts,
    pub layout: PortLayout,
    /// Base of the first cluster's range (`PORT_ALLOCATION_STARTING_PORT`, 35000).
    pub starting_port: GoInt,
}

/// What the allocation must avoid.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterRangeSnapshot {
    /// Every WekaCluster's range (all namespaces); the requesting cluster's own is ignored.
    pub clusters: Vec<ClusterRange>,
    /// Every container's weka port block and agent port, on every node.
    pub container_ports: Vec<PortBlock>,
}

/// Every port of 0..65535 a range may use (upstream's bounds).
const ALL_PORTS: PortBlock = PortBlock::new(0, MAX_PORT);

/// The cluster's `status.ports` with its range and the LB, LB admin and S3 ports filled in.
/// Values already in the status are kept (the call is idempotent); a spec value that
/// contradicts one is an error, since moving ports of a running cluster is not supported.
pub fn allocate_cluster_ports(
    request: &ClusterRangeRequest,
    snapshot: &ClusterRangeSnapshot,
) -> Result<ClusterPorts, AllocationError> {
    let spec = &request.spec;
    let mut status = request.status;
    check_unchanged("basePort", spec.base_port, status.base_port)?;
    check_unchanged("portRange", spec.port_range, status.port_range)?;

    if nonzero(status.base_port).is_none() {
        let others: Vec<PortBlock> = snapshot
            .clusters
            .iter()
            .filter(|c| c.cluster != request.cluster)
            .map(|c| c.block)
            .collect();
        let size = nonzero(spec.port_range).unwrap_or(request.layout.default_cluster_range);
        let base = match nonzero(spec.base_port) {
            Some(base) => base,
            None => free_cluster_range(&others, size, request.starting_port)?,
        };
        let block = PortBlock::new(base, size);
        if !is_free(ALL_PORTS, &others, block) {
            return Err(AllocationError::RangeNotAvailable { from: block.base, to: block.last() });
        }
        status.base_port = Some(base);
        status.port_range = Some(size);
    }

    let offset = request.layout.single_ports_offset;
    let taken = &snapshot.container_ports;
    status.lb_port = Some(singleton(&status, "lb", spec.lb_port, status.lb_port, offset, taken)?);
    status.lb_admin_port = Some(singleton(
        &status,
        "lbAdmin",
        spec.lb_admin_port,
        status.lb_admin_port,
        offset,
        taken,
    )?);
    status.s3_port = Some(singleton(&status, "s3", spec.s3_port, status.s3_port, offset, taken)?);
    Ok(status)
}

/// The cluster's `status.ports` with a management proxy port, allocated on first use of the
/// management proxy like the other singletons.
pub fn allocate_management_proxy_port(
    spec: &ClusterPorts,
    status: &ClusterPorts,
    layout: PortLayout,
    container_ports: &[PortBlock],
) -> Result<ClusterPorts, AllocationError> {
    let mut status = *status;
    let port = singleton(
        &status,
        "managementProxy",
        spec.management_proxy_port,
        status.management_proxy_port,
        layout.single_ports_offset,
        container_ports,
    )?;
    status.management_proxy_port = Some(port);
    Ok(status)
}

/// The singleton ports in `ports` (LB, LB admin, S3, management proxy), as one-port blocks.
pub fn singleton_blocks(ports: &ClusterPorts) -> Vec<PortBlock> {
    [ports.lb_port, ports.lb_admin_port, ports.s3_port, ports.management_proxy_port]
        .into_iter()
        .filter_map(nonzero)
        .map(PortBlock::single)
        .collect()
}

/// Other clusters whose range overlaps `block`. Two operators allocating concurrently can
/// both pick the same free range (each writes only its own status); after writing, the
/// cluster that sorts later by (namespace, name) among the overlapping ones gives its range
/// back ([`must_yield`]) before any container uses it.
pub fn overlapping_clusters<'a>(
    me: &ClusterKey,
    block: PortBlock,
    clusters: &'a [ClusterRange],
) -> Vec<&'a ClusterKey> {
    clusters
        .iter()
        .filter(|c| c.cluster != *me && c.block.overlaps(block))
        .map(|c| &c.cluster)
        .collect()
}

/// Whether `me` must release its range because of the overlap with `others`.
pub fn must_yield(me: &ClusterKey, others: &[&ClusterKey]) -> bool {
    others.iter().any(|other| *other < me)
}

/// First fit: the end of an existing range where `size` ports are free (sorted by base),
/// or `starting_port` when no cluster has a range.
fn free_cluster_range(
    others: &[PortBlock],
    size: GoInt,
    starting_port: GoInt,
) -> Result<GoInt, AllocationError> {
    if others.is_empty() {
        return Ok(starting_port);
    }
    let mut sorted = others.to_vec();
    sorted.sort();
    sorted
        .iter()
        .map(|b| b.end())
        .find(|end| is_free(ALL_PORTS, &sorted, PortBlock::new(*end, size)))
        .ok_or(AllocationError::NoFreeClusterRange { size, from: sorted[0].base })
}

fn singleton(
    status: &ClusterPorts,
    name: &'static str,
    wanted: Option<GoInt>,
    allocated: Option<GoInt>,
    offset: GoInt,
    container_ports: &[PortBlock],
) -> Result<GoInt, AllocationError> {
    if let Some(allocated) = nonzero(allocated) {
        if let Some(requested) = nonzero(wanted).filter(|w| *w != allocated) {
            let field = match name {
                "lb" => "lbPort",
                "lbAdmin" => "lbAdminPort",
                "s3" => "s3Port",
                _ => "managementProxyPort",
            };
            return Err(AllocationError::PortChangeNotSupported { field, allocated, requested });
        }
        return Ok(allocated);
    }
    let range = PortBlock::new(status.base_port.unwrap_or(0), status.port_range.unwrap_or(0));
    if range.base <= 0 {
        return Err(AllocationError::ClusterRangeNotAllocated);
    }
    let mut taken = singleton_blocks(status);
    taken.extend_from_slice(container_ports);
    match nonzero(wanted) {
        Some(port) if is_free(range, &taken, PortBlock::single(port)) => Ok(port),
        Some(port) => Err(AllocationError::PortNotAvailable { name, port, range }),
        None => first_free(range, &taken, 1, offset)
            .ok_or(AllocationError::PortRangeExhausted { size: 1, range }),
    }
}

fn check_unchanged(
    field: &'static str,
    wanted: Option<GoInt>,
    allocated: Option<GoInt>,
) -> Result<(), AllocationError> {
    match (nonzero(wanted), nonzero(allocated)) {
        (Some(requested), Some(allocated)) if requested != allocated => {
            Err(AllocationError::PortChangeNotSupported { field, allocated, requested })
        }
        _ => Ok(()),
    }
}

fn nonzero(value: Option<GoInt>) -> Option<GoInt> {
    value.filter(|v| *v != 0)
}
