//! NFS: the global configuration, interface groups (floating IPs and member ports) and client
//! groups (`weka nfs ...`).

use std::net::Ipv4Addr;

use crate::error::WekaError;
use crate::ids::HostId;
use crate::world::OpCtx;
use crate::world::cluster::Cluster;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nfs {
    pub config_fs: Option<String>,
    pub supported_versions: Vec<String>,
    pub mountd_port: Option<u16>,
    pub lockmgr_port: Option<u16>,
    pub notify_port: Option<u16>,
    pub interface_groups: Vec<InterfaceGroup>,
    pub client_groups: Vec<ClientGroup>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceGroup {
    pub name: String,
    pub uid: String,
    /// `NFS` or `SMB`.
    pub kind: String,
    pub subnet: String,
    pub gateway: String,
    pub allow_manage_gids: bool,
    /// Floating IPs, kept sorted.
    pub ips: Vec<Ipv4Addr>,
    pub ports: Vec<InterfacePort>,
}

/// A member's network interface serving the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfacePort {
    pub host: HostId,
    pub port: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientGroup {
    pub name: String,
    pub uid: String,
}

/// `weka nfs global-config set`: each `Some` field is changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NfsConfigUpdate {
    pub config_fs: Option<String>,
    pub supported_versions: Option<Vec<String>>,
    pub mountd_port: Option<u16>,
    pub lockmgr_port: Option<u16>,
    pub notify_port: Option<u16>,
}

impl Nfs {
    pub fn interface_group(&self, name: &str) -> Option<&InterfaceGroup> {
        self.interface_groups.iter().find(|g| g.name == name)
    }
}

impl Cluster {
    pub fn set_nfs_config(&mut self, update: NfsConfigUpdate) -> Result<(), WekaError> {
        if let Some(fs) = &update.config_fs
            && self.fs.get(fs).is_none()
        {
            return Err(WekaError::FsNotFound(fs.clone()));
        }
        let nfs = &mut self.nfs;
        if update.config_fs.is_some() {
            nfs.config_fs = update.config_fs;
        }
        if let Some(versions) = update.supported_versions {
            nfs.supported_versions = versions;
        }
        nfs.mountd_port = update.mountd_port.or(nfs.mountd_port);
        nfs.lockmgr_port = update.lockmgr_port.or(nfs.lockmgr_port);
        nfs.notify_port = update.notify_port.or(nfs.notify_port);
        Ok(())
    }

    pub fn add_interface_group(
        &mut self,
        ctx: &mut OpCtx,
        name: &str,
        kind: &str,
        subnet: &str,
        gateway: &str,
    ) -> Result<(), WekaError> {
        if self.nfs.interface_group(name).is_some() {
            return Err(WekaError::InterfaceGroupExists(name.to_string()));
        }
        self.nfs.interface_groups.push(InterfaceGroup {
            name: name.to_string(),
            uid: ctx.rng.uuid(),
            kind: kind.to_string(),
            subnet: subnet.to_string(),
            gateway: gateway.to_string(),
            allow_manage_gids: true,
            ips: Vec::new(),
            ports: Vec::new(),
        });
        Ok(())
    }

    pub fn add_interface_group_ips(
        &mut self,
        group: &str,
        ips: &[Ipv4Addr],
    ) -> Result<(), WekaError> {
        let ig = self.interface_group_mut(group)?;
        if let Some(ip) = ips.iter().find(|ip| ig.ips.contains(ip)) {
            return Err(WekaError::IpInGroup { ip: ip.to_string(), group: group.to_string() });
        }
        ig.ips.extend_from_slice(ips);
        ig.ips.sort();
        ig.ips.dedup();
        Ok(())
    }

    pub fn remove_interface_group_ips(
        &mut self,
        group: &str,
        ips: &[Ipv4Addr],
    ) -> Result<(), WekaError> {
        let ig = self.interface_group_mut(group)?;
        if let Some(ip) = ips.iter().find(|ip| !ig.ips.contains(ip)) {
            return Err(WekaError::IpNotInGroup { ip: ip.to_string(), group: group.to_string() });
        }
        ig.ips.retain(|ip| !ips.contains(ip));
        Ok(())
    }

    /// One port per host per group, as WEKA allows.
    pub fn add_interface_group_port(
        &mut self,
        group: &str,
        host: HostId,
        port: &str,
    ) -> Result<(), WekaError> {
        if !self.containers.contains_key(&host) {
            return Err(WekaError::HostNotFound(host));
        }
        let ig = self.interface_group_mut(group)?;
        if let Some(existing) = ig.ports.iter().find(|p| p.host == host) {
            let (host, group) = (host.0, group.to_string());
            return Err(if existing.port == port {
                WekaError::InterfaceGroupPortExists { host, port: port.to_string(), group }
            } else {
                WekaError::InterfaceGroupHostTwice { host, group, port: existing.port.clone() }
            });
        }
        ig.ports.push(InterfacePort { host, port: port.to_string() });
        Ok(())
    }

    pub fn delete_interface_group_port(
        &mut self,
        group: &str,
        host: HostId,
        port: &str,
    ) -> Result<(), WekaError> {
        let ig = self.interface_group_mut(group)?;
        let before = ig.ports.len();
        ig.ports.retain(|p| !(p.host == host && p.port == port));
        if ig.ports.len() == before {
            return Err(WekaError::InterfaceGroupPortMissing {
                host: host.0,
                port: port.to_string(),
                group: group.to_string(),
            });
        }
        Ok(())
    }

    pub fn add_client_group(&mut self, ctx: &mut OpCtx, name: &str) -> Result<(), WekaError> {
        if self.nfs.client_groups.iter().any(|g| g.name == name) {
            return Err(WekaError::ClientGroupExists(name.to_string()));
        }
        self.nfs.client_groups.push(ClientGroup { name: name.to_string(), uid: ctx.rng.uuid() });
        Ok(())
    }

    pub fn delete_client_group(&mut self, name: &str) -> Result<(), WekaError> {
        let before = self.nfs.client_groups.len();
        self.nfs.client_groups.retain(|g| g.name != name);
        if self.nfs.client_groups.len() == before {
            return Err(WekaError::ClientGroupNotFound(name.to_string()));
        }
        Ok(())
    }

    fn interface_group_mut(&mut self, name: &str) -> Result<&mut InterfaceGroup, WekaError> {
        self.nfs
            .interface_groups
            .iter_mut()
            .find(|g| g.name == name)
            .ok_or_else(|| WekaError::InterfaceGroupNotFound(name.to_string()))
    }
}

/// `10.0.0.5`, `10.0.0.5-9` (last octet) or `10.0.0.5-10.0.0.9`.
pub fn expand_ip_range(range: &str) -> Option<Vec<Ipv4Addr>> {
    let (start, end) = match range.split_once('-') {
        None => {
            let ip: Ipv4Addr = range.parse().ok()?;
            (ip, ip)
        }
        Some((start, end)) => {
            let start: Ipv4Addr = start.parse().ok()?;
            let end = match end.parse::<Ipv4Addr>() {
                Ok(ip) => ip,
                Err(_) => {
                    let last: u8 = end.parse().ok()?;
                    let [a, b, c, _] = start.octets();
                    Ipv4Addr::new(a, b, c, last)
                }
            };
            (start, end)
        }
    };
    let (start, end) = (u32::from(start), u32::from(end));
    if end < start || end - start > 65_535 {
        return None;
    }
    Some((start..=end).map(Ipv4Addr::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_ranges_expand() {
        let ips = expand_ip_range("10.0.0.5-7").unwrap();
        assert_eq!(ips.len(), 3);
        assert_eq!(ips[2], Ipv4Addr::new(10, 0, 0, 7));
        assert_eq!(expand_ip_range("10.0.0.5-10.0.0.5").unwrap().len(), 1);
        assert_eq!(expand_ip_range("10.0.0.5").unwrap().len(), 1);
        assert!(expand_ip_range("10.0.0.9-5").is_none());
        assert!(expand_ip_range("nope").is_none());
    }
}
