//! Pure choices over a cluster's WekaContainers: which are ready to form the cluster, which
//! one runs cluster-wide WEKA commands, the host IPs and join IPs they advertise, and the
//! drives the cluster expects (upstream `discovery` and `getReadyForClusterCreateContainers`).
//!
//! Upstream shuffles its candidates; here they are taken in name order, so that a repeated
//! reconcile makes the same choice (and tests can predict it).

use std::net::IpAddr;

use weka_api::WekaContainer;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use crate::pod::{ModeTraits, uses_drive_sharing};

/// The containers judged for forming the cluster (drive and compute only).
#[derive(Debug, Default)]
pub struct Clusterization<'a> {
    pub drive: Vec<&'a WekaContainer>,
    pub compute: Vec<&'a WekaContainer>,
    /// Unhealthy, or without a management IP in `spec.network.deviceSubnets`.
    pub ignored: Vec<&'a WekaContainer>,
}

impl<'a> Clusterization<'a> {
    /// Drive containers first, then compute (the order of `cluster create`).
    pub fn all(&self) -> Vec<&'a WekaContainer> {
        self.drive.iter().chain(self.compute.iter()).copied().collect()
    }
}

/// Upstream's `getReadyForClusterCreateContainers`: not being deleted, `status.status ==
/// Running`; `Unhealthy` ones are ignored, and so are, when `device_subnets` is set, those
/// without a management IP in every subnet. (Upstream counts the latter both as ignored and
/// as ready; here an ignored container is only ignored.)
pub fn for_clusterization<'a>(
    containers: &'a [WekaContainer],
    device_subnets: &[String],
) -> Clusterization<'a> {
    let mut result = Clusterization::default();
    for container in containers {
        if container.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let status = container.status.as_ref().map(|s| s.status.as_str()).unwrap_or_default();
        let role = container.spec.mode;
        if !matches!(role, ContainerMode::Drive | ContainerMode::Compute) {
            continue;
        }
        if status == WekaContainerStatus::UNHEALTHY {
            result.ignored.push(container);
            continue;
        }
        if status != WekaContainerStatus::RUNNING {
            continue;
        }
        if !device_subnets.is_empty() && !has_ips_in_subnets(container, device_subnets) {
            result.ignored.push(container);
            continue;
        }
        match role {
            ContainerMode::Drive => result.drive.push(container),
            _ => result.compute.push(container),
        }
    }
    result
}

/// Statuses in which a container cannot run cluster commands.
const NOT_OPERATIONAL: [&str; 6] = [
    WekaContainerStatus::POD_NOT_RUNNING,
    WekaContainerStatus::STOPPED,
    WekaContainerStatus::STARTING,
    WekaContainerStatus::DESTROYING,
    WekaContainerStatus::DELETING,
    WekaContainerStatus::PAUSED,
];

/// Upstream's `IsContainerOperational`: a member (container ID), READY in WEKA, with a
/// management IP and a weka port, not stopping.
pub fn is_operational(container: &WekaContainer) -> bool {
    let Some(status) = &container.status else { return false };
    container.metadata.deletion_timestamp.is_none()
        && status.container_id.is_some()
        && status.internal_status.as_deref() == Some("READY")
        && !management_ips(container).is_empty()
        && weka_port(container) > 0
        && !NOT_OPERATIONAL.contains(&status.status.as_str())
}

/// Upstream's `SelectOperationalContainers`: up to `count` operational containers of
/// `roles` (drive and compute when empty) that run; when none runs, any containers whose pod
/// runs.
pub fn operational<'a>(
    containers: &'a [WekaContainer],
    count: usize,
    roles: &[ContainerMode],
) -> Vec<&'a WekaContainer> {
    let roles: &[ContainerMode] =
        if roles.is_empty() { &[ContainerMode::Drive, ContainerMode::Compute] } else { roles };
    let running = |c: &&WekaContainer| {
        c.status.as_ref().is_some_and(|s| s.status == WekaContainerStatus::RUNNING)
    };
    let selected: Vec<&WekaContainer> = containers
        .iter()
        .filter(|c| roles.contains(&c.spec.mode) && is_operational(c))
        .filter(running)
        .take(count)
        .collect();
    if !selected.is_empty() {
        return selected;
    }
    containers
        .iter()
        .filter(|c| {
            let status = c.status.as_ref().map(|s| s.status.as_str()).unwrap_or_default();
            ![WekaContainerStatus::POD_NOT_RUNNING, WekaContainerStatus::STOPPED].contains(&status)
                && c.status.as_ref().is_some_and(|s| s.container_id.is_some())
                && roles.contains(&c.spec.mode)
        })
        .take(count)
        .collect()
}

/// The container to run cluster-wide commands in (upstream `SelectActiveContainer`).
pub fn active(containers: &[WekaContainer]) -> Option<&WekaContainer> {
    operational(containers, 1, &[]).into_iter().next()
}

/// An active container of `role` (upstream `SelectActiveContainerWithRole`).
pub fn active_with_role(
    containers: &[WekaContainer],
    role: ContainerMode,
) -> Option<&WekaContainer> {
    operational(containers, 1, &[role]).into_iter().next()
}

/// `status.managementIPs`, else the single `status.managementIP`.
pub fn management_ips(container: &WekaContainer) -> Vec<String> {
    let Some(status) = &container.status else { return Vec::new() };
    match (&status.management_ips, &status.management_ip) {
        (Some(ips), _) if !ips.is_empty() => ips.clone(),
        (_, Some(ip)) if !ip.is_empty() => vec![ip.clone()],
        _ => Vec::new(),
    }
}

/// The allocated weka port, else `spec.port` (upstream `GetPort`).
pub fn weka_port(container: &WekaContainer) -> i64 {
    let allocated = container
        .status
        .as_ref()
        .and_then(|s| s.allocations.as_ref())
        .and_then(|a| a.weka_port)
        .filter(|p| *p != 0);
    allocated.or(container.spec.port).unwrap_or(0) as i64
}

/// `ip:port` (`[ip]:port` for IPv6) of each management IP, restricted to `subnets` when
/// given (upstream `GetHostIps`).
pub fn host_ips(container: &WekaContainer, subnets: &[String]) -> Vec<String> {
    let port = weka_port(container);
    management_ips(container)
        .into_iter()
        .filter(|ip| subnets.is_empty() || subnets.iter().any(|s| in_subnet(ip, s)))
        .map(|ip| format!("{}:{port}", bracketed(&ip)))
        .collect()
}

/// Where containers that join later find the cluster: every management IP (with port) of up
/// to 12 operational members (upstream `SelectJoinIps`, flattened over failure domains).
pub fn join_ips(containers: &[WekaContainer]) -> Vec<String> {
    operational(containers, 12, &[])
        .into_iter()
        .filter(|c| is_operational(c))
        .flat_map(|c| {
            let port = weka_port(c);
            management_ips(c).into_iter().map(move |ip| format!("{}:{port}", bracketed(&ip)))
        })
        .collect()
}

/// The first host IP of up to `max` operational containers (CSI endpoints).
pub fn endpoints(containers: &[WekaContainer], max: usize, subnets: &[String]) -> Vec<String> {
    operational(containers, max, &[])
        .into_iter()
        .filter_map(|c| host_ips(c, subnets).into_iter().next())
        .take(max)
        .collect()
}

/// Drives the drive containers were given: virtual drives with drive sharing, else whole
/// drives (what `WaitForDrivesAdd` expects WEKA to report).
pub fn allocated_drives(containers: &[WekaContainer]) -> usize {
    containers
        .iter()
        .filter(|c| c.spec.mode == ContainerMode::Drive)
        .filter_map(|c| {
            let allocations = c.status.as_ref()?.allocations.as_ref()?;
            Some(if uses_drive_sharing(c) {
                allocations.virtual_drives.as_ref().map_or(0, Vec::len)
            } else {
                allocations.drives.as_ref().map_or(0, Vec::len)
            })
        })
        .sum()
}

/// Whether the container should be a member of the WEKA cluster.
pub fn should_join(container: &WekaContainer) -> bool {
    container.spec.mode.should_join_cluster()
}

fn has_ips_in_subnets(container: &WekaContainer, subnets: &[String]) -> bool {
    let ips = management_ips(container);
    subnets.iter().all(|subnet| ips.iter().any(|ip| in_subnet(ip, subnet)))
}

fn bracketed(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => format!("[{ip}]"),
        _ => ip.to_string(),
    }
}

/// Whether `ip` lies in the CIDR `subnet` (false when either does not parse).
pub fn in_subnet(ip: &str, subnet: &str) -> bool {
    let Some((network, bits)) = subnet.split_once('/') else { return false };
    let (Ok(ip), Ok(network), Ok(bits)) =
        (ip.parse::<IpAddr>(), network.parse::<IpAddr>(), bits.parse::<u32>())
    else {
        return false;
    };
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}
