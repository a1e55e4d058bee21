//! What one pod's WEKA agent knows: its local containers (what `weka local ps` lists), their
//! setup, whether they run, and which cluster identity they carry. The in-pod runtime drives
//! this through the `WekaWorld` methods in `world/lifecycle.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use crate::ids::HostId;

/// One pod's agent and its persistent `/opt/weka`. The runtime picks the key; it should
/// outlive pod restarts (the WekaContainer's `namespace/name` does), since a restarted pod
/// finds its local containers, and their cluster identity, where it left them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentKey(pub String);

impl AgentKey {
    pub fn new(key: impl Into<String>) -> Self {
        AgentKey(key.into())
    }
}

impl From<&str> for AgentKey {
    fn from(key: &str) -> Self {
        AgentKey(key.to_string())
    }
}

impl From<String> for AgentKey {
    fn from(key: String) -> Self {
        AgentKey(key)
    }
}

impl fmt::Display for AgentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which local container of which agent.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalRef {
    pub agent: AgentKey,
    pub name: String,
}

/// What a local container is for; follows the WekaContainer modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerKind {
    Drive,
    Compute,
    Client,
    S3,
    Nfs,
    Smbw,
    DataServices,
    Envoy,
    Telemetry,
    SsdProxy,
    Dist,
    Adhoc,
}

/// The role of a container's worker processes (each container also has one MANAGEMENT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProcessRole {
    Management,
    Drives,
    Compute,
    Frontend,
}

impl ProcessRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessRole::Management => "MANAGEMENT",
            ProcessRole::Drives => "DRIVES",
            ProcessRole::Compute => "COMPUTE",
            ProcessRole::Frontend => "FRONTEND",
        }
    }
}

impl ContainerKind {
    /// From a WekaContainer `spec.mode`.
    pub fn from_mode(mode: &str) -> Option<Self> {
        Some(match mode {
            "drive" => ContainerKind::Drive,
            "compute" => ContainerKind::Compute,
            "client" => ContainerKind::Client,
            "s3" => ContainerKind::S3,
            "nfs" => ContainerKind::Nfs,
            "smbw" => ContainerKind::Smbw,
            "data-services" => ContainerKind::DataServices,
            "envoy" => ContainerKind::Envoy,
            "telemetry" => ContainerKind::Telemetry,
            "ssdproxy" => ContainerKind::SsdProxy,
            "dist" | "drivers-dist" | "drivers-builder" => ContainerKind::Dist,
            "adhoc-op-with-container" => ContainerKind::Adhoc,
            _ => return None,
        })
    }

    /// Whether such a container becomes a cluster member (the others stay local).
    pub fn joins_cluster(self) -> bool {
        self.worker_role().is_some()
    }

    pub fn worker_role(self) -> Option<ProcessRole> {
        match self {
            ContainerKind::Drive => Some(ProcessRole::Drives),
            ContainerKind::Compute => Some(ProcessRole::Compute),
            ContainerKind::Client
            | ContainerKind::S3
            | ContainerKind::Nfs
            | ContainerKind::Smbw
            | ContainerKind::DataServices => Some(ProcessRole::Frontend),
            _ => None,
        }
    }

    pub fn is_client(self) -> bool {
        self == ContainerKind::Client
    }

    /// The `type` column of `weka local ps`.
    pub fn local_type(self) -> &'static str {
        match self {
            ContainerKind::Envoy => "envoy",
            ContainerKind::Telemetry => "telemetry",
            ContainerKind::SsdProxy => "ssdproxy",
            _ => "weka",
        }
    }
}

/// A block device visible in the pod, as `weka cluster drive add` finds it. In drive-sharing
/// mode the path is the virtual drive's UUID and the serial that of the physical drive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockDevice {
    pub path: String,
    pub serial: String,
    pub size_bytes: u64,
}

/// How a local container was set up (`weka local setup container ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalContainerSpec {
    /// The local container name (`drive`, `compute`, `client`, `s3`, `envoy`...).
    pub name: String,
    pub kind: ContainerKind,
    /// The node name; printed as the member's `hostname`.
    pub hostname: String,
    pub management_ips: Vec<String>,
    pub port: u16,
    pub agent_port: u16,
    /// Worker processes (one MANAGEMENT process is added).
    pub cores: u32,
    pub failure_domain: Option<String>,
    /// `ip:port` of cluster members to join; empty means STEM until `cluster create`.
    pub join_ips: Vec<String>,
    /// The secret a client presents when `authenticate_client_join` is on.
    pub join_secret: Option<String>,
    pub block_devices: Vec<BlockDevice>,
    pub version: String,
}

impl LocalContainerSpec {
    pub fn new(name: &str, kind: ContainerKind, management_ip: &str, port: u16) -> Self {
        LocalContainerSpec {
            name: name.to_string(),
            kind,
            hostname: management_ip.to_string(),
            management_ips: vec![management_ip.to_string()],
            port,
            agent_port: port.saturating_sub(1),
            cores: 1,
            failure_domain: None,
            join_ips: Vec::new(),
            join_secret: None,
            block_devices: Vec::new(),
            version: crate::world::DEFAULT_RELEASE.to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Stopped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "Running",
            RunStatus::Stopped => "Stopped",
        }
    }
}

/// `internalStatus.display_status` of `weka local ps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayStatus {
    /// Not part of any cluster and not trying to join one.
    Stem,
    /// Joining, or a member that is not connected (yet).
    Clusterizing,
    /// A connected cluster member.
    Ready,
}

impl DisplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayStatus::Stem => "STEM",
            DisplayStatus::Clusterizing => "CLUSTERIZING",
            DisplayStatus::Ready => "READY",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            DisplayStatus::Stem => "STEM mode",
            DisplayStatus::Clusterizing => "Joining cluster",
            DisplayStatus::Ready => "Ready",
        }
    }
}

/// The cluster identity a container keeps on disk once it is a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub guid: String,
    pub host: HostId,
}

#[derive(Clone, Debug)]
pub struct LocalContainer {
    pub spec: LocalContainerSpec,
    /// `weka local resources join-ips` before `weka local resources apply`.
    pub staged_join_ips: Option<Vec<String>>,
    pub run: RunStatus,
    pub started_at: Option<SystemTime>,
    pub identity: Option<Identity>,
    pub last_failure: Option<(String, SystemTime)>,
    /// Active wekafs mounts through this container (clients); see `world/mounts.rs`.
    pub active_mounts: u64,
    /// A join has been scheduled and not completed.
    pub(crate) joining: bool,
    /// Bumped on every start and stop, so a join scheduled before is void.
    pub(crate) epoch: u64,
}

impl LocalContainer {
    pub(crate) fn new(spec: LocalContainerSpec) -> Self {
        LocalContainer {
            spec,
            staged_join_ips: None,
            run: RunStatus::Stopped,
            started_at: None,
            identity: None,
            last_failure: None,
            active_mounts: 0,
            joining: false,
            epoch: 0,
        }
    }

    pub fn is_running(&self) -> bool {
        self.run == RunStatus::Running
    }

    pub(crate) fn fail(&mut self, message: &str, now: SystemTime) {
        if self.last_failure.as_ref().map(|(m, _)| m.as_str()) != Some(message) {
            self.last_failure = Some((message.to_string(), now));
        }
    }
}

/// One pod's agent.
#[derive(Clone, Debug, Default)]
pub struct LocalAgent {
    pub running: bool,
    pub containers: BTreeMap<String, LocalContainer>,
    /// What a drivers distribution serves: releases fetched with `weka version get` and driver
    /// packages (`<version>-<kernel signature>`) fetched with `weka driver download --from`.
    pub dist_versions: std::collections::BTreeSet<String>,
    pub dist_drivers: std::collections::BTreeSet<String>,
}

/// Splits `ip:port`, `[v6]:port` or a bare ip.
pub fn split_ip_port(endpoint: &str) -> (&str, Option<u16>) {
    if let Some(rest) = endpoint.strip_prefix('[')
        && let Some((ip, tail)) = rest.split_once(']')
    {
        return (ip, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match endpoint.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') => (ip, port.parse().ok()),
        _ => (endpoint, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_split_into_ip_and_port() {
        assert_eq!(split_ip_port("10.0.0.1:14000"), ("10.0.0.1", Some(14000)));
        assert_eq!(split_ip_port("10.0.0.1"), ("10.0.0.1", None));
        assert_eq!(split_ip_port("[fd00::1]:14000"), ("fd00::1", Some(14000)));
        assert_eq!(split_ip_port("fd00::1"), ("fd00::1", None));
    }

    #[test]
    fn only_backend_and_client_kinds_join() {
        assert!(ContainerKind::Drive.joins_cluster());
        assert!(ContainerKind::Client.joins_cluster());
        assert!(!ContainerKind::Envoy.joins_cluster());
        assert_eq!(ContainerKind::from_mode("data-services"), Some(ContainerKind::DataServices));
    }
}
