//! One simulated WEKA cluster: its settings, members, drives and configured services.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::ids::{DiskId, HostId};
use crate::world::config::ClusterConfig;
use crate::world::container::ClusterContainer;
use crate::world::drive::{Drive, DriveStatus};
use crate::world::fs::Filesystems;
use crate::world::nfs::Nfs;
use crate::world::s3::S3Cluster;
use crate::world::telemetry::Telemetry;
use crate::world::users::{Role, User};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoStatus {
    Stopped,
    Starting,
    Started,
}

impl IoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IoStatus::Stopped => "STOPPED",
            IoStatus::Starting => "STARTING",
            IoStatus::Started => "STARTED",
        }
    }
}

/// `weka cluster update` / `hot-spare` / `create` settings. `None` = WEKA picks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterSettings {
    pub hot_spare: u32,
    pub data_drives: Option<u32>,
    pub parity_drives: Option<u32>,
    pub bucket_raft_size: Option<u32>,
    pub leadership_size: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub guid: String,
    pub name: String,
    pub release: String,
    pub created_at: SystemTime,
    pub io_status: IoStatus,
    pub io_status_changed_at: SystemTime,
    pub settings: ClusterSettings,
    pub join_secret: Option<String>,
    pub containers: BTreeMap<HostId, ClusterContainer>,
    pub drives: BTreeMap<DiskId, Drive>,
    pub users: BTreeMap<String, User>,
    pub fs: Filesystems,
    pub s3: Option<S3Cluster>,
    pub nfs: Nfs,
    pub telemetry: Telemetry,
    pub config: ClusterConfig,
    /// Alerts raised by tests on top of those derived from failures.
    pub injected_alerts: Vec<String>,
    /// A workload runs against the cluster (set by tests, see [`Faults::run_workload`]):
    /// `weka status` then shows IO. Nothing mounts a simulated cluster otherwise, so an idle
    /// cluster reports no IO and its figures stay the same from one reading to the next.
    ///
    /// [`Faults::run_workload`]: crate::faults::Faults::run_workload
    pub workload: bool,
    pub license_mode: String,
    pub(crate) next_host: u32,
    pub(crate) next_disk: u32,
    /// Since when some failure domain has been failing; cleared when all are healthy.
    pub(crate) degraded_since: Option<SystemTime>,
}

impl Cluster {
    pub(crate) fn new(guid: String, release: &str, now: SystemTime) -> Self {
        Cluster {
            guid,
            name: String::new(),
            release: release.to_string(),
            created_at: now,
            io_status: IoStatus::Stopped,
            io_status_changed_at: now,
            settings: ClusterSettings::default(),
            join_secret: None,
            containers: BTreeMap::new(),
            drives: BTreeMap::new(),
            users: BTreeMap::new(),
            fs: Filesystems::default(),
            s3: None,
            nfs: Nfs::default(),
            telemetry: Telemetry::default(),
            config: ClusterConfig::default(),
            injected_alerts: Vec::new(),
            workload: false,
            license_mode: "Unlicensed".to_string(),
            next_host: 0,
            next_disk: 0,
            degraded_since: None,
        }
    }

    pub fn container(&self, host: HostId) -> Option<&ClusterContainer> {
        self.containers.get(&host)
    }

    /// Members in host-id order.
    pub fn members(&self) -> impl Iterator<Item = &ClusterContainer> {
        self.containers.values()
    }

    pub fn drive(&self, uuid: &str) -> Option<&Drive> {
        self.drives.values().find(|d| d.uuid == uuid)
    }

    pub(crate) fn drive_mut(&mut self, uuid: &str) -> Option<&mut Drive> {
        self.drives.values_mut().find(|d| d.uuid == uuid)
    }

    pub fn drives_of(&self, host: HostId) -> impl Iterator<Item = &Drive> {
        self.drives.values().filter(move |d| d.host == host)
    }

    /// A drive serves IO: ACTIVE and on a reachable member.
    pub fn drive_serves(&self, drive: &Drive) -> bool {
        drive.status() == DriveStatus::Active
            && self.containers.get(&drive.host).is_some_and(|c| c.is_reachable())
    }

    pub fn active_drive_count(&self) -> usize {
        self.drives.values().filter(|d| self.drive_serves(d)).count()
    }

    /// With `authenticate_client_join` on, a client must present the cluster's join secret or
    /// a join token it issued.
    pub fn admits_client(&self, secret: Option<&str>) -> bool {
        if !self.config.debug_overrides.contains_key("authenticate_client_join") {
            return true;
        }
        secret.is_some_and(|s| {
            self.join_secret.as_deref() == Some(s) || self.config.join_tokens.iter().any(|t| t == s)
        })
    }

    pub(crate) fn add_user(&mut self, username: &str, role: Role, password: &str, uid: String) {
        self.users.insert(
            username.to_string(),
            User { username: username.to_string(), role, password: password.to_string(), uid },
        );
    }
}
