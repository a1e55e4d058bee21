//! NFS: global configuration, the interface group, its IP ranges and ports.

use serde::Deserialize;

use super::cli::{WekaCli, failed};
use super::command::Command;
use super::error::WekaError;
use super::ip_ranges;
use super::json::{host_id, nullable};
use super::shell::word;

/// The interface group the operator creates and manages.
pub const NFS_INTERFACE_GROUP: &str = "MgmtInterfaceGroup";

/// Spec `nfsConfig` as the NFS global configuration takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NfsParams {
    pub config_filesystem: String,
    pub supported_versions: Vec<String>,
    pub mountd_port: u16,
    pub lockmgr_port: u16,
    pub notify_port: u16,
}

/// One row of `weka nfs interface-group --name <ig> --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NfsInterfaceGroup {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub uid: String,
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    #[serde(deserialize_with = "nullable")]
    pub gateway: String,
    #[serde(deserialize_with = "nullable")]
    pub subnet_mask: String,
    pub allow_manage_gids: bool,
    #[serde(deserialize_with = "nullable")]
    pub ips: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub ports: Vec<NfsPort>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct NfsPort {
    /// `HostId<N>`.
    #[serde(deserialize_with = "nullable")]
    pub host_id: String,
    #[serde(deserialize_with = "nullable")]
    pub host_uid: String,
    /// The network interface name.
    #[serde(deserialize_with = "nullable")]
    pub port: String,
    #[serde(deserialize_with = "nullable")]
    pub status: String,
}

impl WekaCli {
    /// The NFS global configuration (config filesystem, versions if given, ports if any is
    /// set), then the [`NFS_INTERFACE_GROUP`] if it does not exist.
    pub async fn configure_nfs(&self, params: &NfsParams) -> Result<(), WekaError> {
        let set = |extra: Vec<String>| {
            let mut argv: Vec<String> =
                ["wekaauthcli", "nfs", "global-config", "set"].map(String::from).to_vec();
            argv.extend(extra);
            Command::argv("nfs global-config set", argv)
        };
        let config_fs = vec!["--config-fs".to_string(), params.config_filesystem.clone()];
        self.run(&set(config_fs)).await?;
        if !params.supported_versions.is_empty() {
            let versions =
                vec!["--supported-versions".to_string(), params.supported_versions.join(",")];
            self.run(&set(versions)).await?;
        }
        let ports = [
            ("--mountd-port", params.mountd_port),
            ("--lockmgr-port", params.lockmgr_port),
            ("--notify-port", params.notify_port),
        ];
        if ports.iter().any(|(_, port)| *port > 0) {
            let mut args = vec!["-f".to_string()];
            for (option, port) in ports.iter().filter(|(_, port)| *port > 0) {
                args.extend([option.to_string(), port.to_string()]);
            }
            self.run(&set(args)).await?;
        }
        match self.create_nfs_interface_group(NFS_INTERFACE_GROUP).await {
            Err(WekaError::AlreadyExists { .. }) => Ok(()),
            other => other,
        }
    }

    /// `wekaauthcli nfs interface-group add <name> NFS --subnet 0.0.0.0`;
    /// [`WekaError::AlreadyExists`] when it exists.
    pub async fn create_nfs_interface_group(&self, name: &str) -> Result<(), WekaError> {
        let argv =
            ["wekaauthcli", "nfs", "interface-group", "add", name, "NFS", "--subnet", "0.0.0.0"];
        let cmd = Command::argv("nfs interface-group add", argv);
        self.run_creating(&cmd, "already exists", format!("NFS interface group {name}")).await
    }

    /// `weka nfs interface-group --name <name> --json`; [`WekaError::NotFound`] on an empty
    /// list.
    pub async fn get_nfs_interface_group(
        &self,
        name: &str,
    ) -> Result<NfsInterfaceGroup, WekaError> {
        let argv = ["weka", "nfs", "interface-group", "--name", name, "--json"];
        let groups: Vec<NfsInterfaceGroup> =
            self.run_json(&Command::argv("nfs interface-group", argv)).await?;
        groups
            .into_iter()
            .next()
            .ok_or_else(|| WekaError::NotFound { what: format!("NFS interface group {name}") })
    }

    /// Makes the group's IPs exactly `target_ranges`: missing IPs are added (as ranges) before
    /// extra ones are removed, so service never drops to no IPs.
    pub async fn ensure_nfs_ip_ranges(
        &self,
        group: &str,
        target_ranges: &[String],
    ) -> Result<(), WekaError> {
        let current = self.get_nfs_interface_group(group).await?.ips;
        let target = ip_ranges::expand(target_ranges).map_err(WekaError::InvalidInput)?;
        let to_add: Vec<String> =
            target.iter().filter(|ip| !current.contains(ip)).cloned().collect();
        let to_remove: Vec<String> =
            current.iter().filter(|ip| !target.contains(ip)).cloned().collect();
        for range in ip_ranges::aggregate(&to_add).map_err(WekaError::InvalidInput)? {
            let argv =
                ["wekaauthcli", "nfs", "interface-group", "ip-range", "add", group, range.as_str()];
            self.run(&Command::argv("nfs interface-group ip-range add", argv)).await?;
        }
        for range in ip_ranges::aggregate(&to_remove).map_err(WekaError::InvalidInput)? {
            let argv = [
                "weka",
                "nfs",
                "interface-group",
                "ip-range",
                "remove",
                group,
                range.as_str(),
                "-f",
            ];
            self.run(&Command::argv("nfs interface-group ip-range remove", argv)).await?;
        }
        Ok(())
    }

    /// Makes the container's ports (interfaces) in the group exactly `interfaces`, adding
    /// before deleting. A second interface for the same container is
    /// [`WekaError::InterfaceGroupConflict`]: WEKA allows one per container.
    pub async fn ensure_nfs_interface_group_ports(
        &self,
        group: &str,
        container_id: i64,
        interfaces: &[String],
    ) -> Result<(), WekaError> {
        let host = host_id(container_id);
        let current: Vec<String> = self
            .get_nfs_interface_group(group)
            .await?
            .ports
            .into_iter()
            .filter(|p| p.host_id == host)
            .map(|p| p.port)
            .collect();
        let id = container_id.to_string();
        for interface in interfaces.iter().filter(|i| !current.contains(i)) {
            let argv = [
                "wekaauthcli",
                "nfs",
                "interface-group",
                "port",
                "add",
                group,
                id.as_str(),
                interface,
            ];
            let cmd = Command::argv("nfs interface-group port add", argv);
            let out = self.exec(&cmd).await?;
            if out.exit_code == 0
                || out.stderr.contains(&format!("port {interface} is already part of group"))
            {
                continue;
            }
            if out.stderr.contains("host can't be added more than once to the same interface group")
            {
                return Err(WekaError::InterfaceGroupConflict {
                    group: group.to_string(),
                    container_id,
                    stderr: out.stderr.trim_end().to_string(),
                });
            }
            return Err(failed(&cmd, &out));
        }
        for interface in current.iter().filter(|i| !interfaces.contains(i)) {
            let argv = [
                "wekaauthcli",
                "nfs",
                "interface-group",
                "port",
                "delete",
                "-f",
                group,
                id.as_str(),
                interface,
            ];
            let cmd = Command::argv("nfs interface-group port delete", argv);
            self.run_accepting(&cmd, |stderr| stderr.contains("is not part of group")).await?;
        }
        Ok(())
    }

    /// The interface that routes to `ip`:
    /// `ip route show | grep -w <ip> | head -1 | awk '{print $5}'` (trimmed; empty when none).
    pub async fn interface_for_ip(&self, ip: &str) -> Result<String, WekaError> {
        if ip.is_empty() {
            return Err(WekaError::InvalidInput("the IP address is empty".to_string()));
        }
        let script = format!("ip route show | grep -w {} | head -1 | awk '{{print $5}}'", word(ip));
        let out = self.run(&Command::script("ip route show", script)).await?;
        Ok(out.stdout.trim().to_string())
    }
}
