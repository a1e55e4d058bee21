//! Cluster-wide operations on members, drives and io: deactivate/activate/remove containers,
//! add/deactivate/activate/remove drives, start io, change settings.

use crate::error::WekaError;
use crate::ids::{DiskId, HostId};
use crate::rng::is_uuid;
use crate::world::cluster::{Cluster, IoStatus};
use crate::world::container::Activation;
use crate::world::drive::{Drive, DrivePhase, DriveStatus};
use crate::world::local::BlockDevice;
use crate::world::schedule::Event;
use crate::world::{OpCtx, WekaWorld};

/// Size of a virtual drive that the pod did not describe.
pub const DEFAULT_DRIVE_SIZE: u64 = 1 << 40;

/// `weka cluster update` options; `None` leaves a setting alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterUpdate {
    pub name: Option<String>,
    pub data_drives: Option<u32>,
    pub parity_drives: Option<u32>,
    pub bucket_raft_size: Option<u32>,
}

impl Cluster {
    pub fn update_settings(&mut self, update: ClusterUpdate) -> Result<(), WekaError> {
        if let Some(n) = update.data_drives.filter(|n| !(3..=16).contains(n)) {
            return Err(WekaError::InvalidSetting(format!(
                "data drives must be between 3 and 16, got {n}"
            )));
        }
        if let Some(n) = update.parity_drives.filter(|n| !(2..=4).contains(n)) {
            return Err(WekaError::InvalidSetting(format!(
                "parity drives must be between 2 and 4, got {n}"
            )));
        }
        if let Some(n) = update.bucket_raft_size.filter(|n| !(3..=9).contains(n) || n % 2 == 0) {
            return Err(WekaError::InvalidSetting(format!(
                "bucket raft size must be 3, 5, 7 or 9, got {n}"
            )));
        }
        if let Some(name) = update.name {
            self.name = name;
        }
        self.settings.data_drives = update.data_drives.or(self.settings.data_drives);
        self.settings.parity_drives = update.parity_drives.or(self.settings.parity_drives);
        self.settings.bucket_raft_size = update.bucket_raft_size.or(self.settings.bucket_raft_size);
        Ok(())
    }

    pub fn set_hot_spare(&mut self, hot_spare: u32) {
        self.settings.hot_spare = hot_spare;
    }

    /// STOPPED goes STARTING, then STARTED after the `start_io` latency.
    pub fn start_io(&mut self, ctx: &mut OpCtx) -> Result<(), WekaError> {
        if self.io_status != IoStatus::Stopped {
            return Ok(());
        }
        if self.active_drive_count() == 0 {
            return Err(WekaError::StartIoNoDrives);
        }
        self.io_status = IoStatus::Starting;
        self.io_status_changed_at = ctx.now;
        ctx.schedule.after(
            ctx.now,
            ctx.latencies.start_io,
            Event::IoStarted { guid: self.guid.clone() },
        );
        Ok(())
    }

    /// DEACTIVATING, then INACTIVE with its drives after the `container_deactivate` latency.
    pub fn deactivate_container(&mut self, ctx: &mut OpCtx, host: HostId) -> Result<(), WekaError> {
        let member = self.containers.get_mut(&host).ok_or(WekaError::HostNotFound(host))?;
        if member.activation != Activation::Active {
            return Ok(());
        }
        member.activation = Activation::Deactivating;
        let delay = ctx.latencies.container_deactivate;
        ctx.schedule.after(
            ctx.now,
            delay,
            Event::ContainerInactive { guid: self.guid.clone(), host },
        );
        let uuids: Vec<String> = self.drives_of(host).map(|d| d.uuid.clone()).collect();
        for uuid in uuids {
            self.phase_out(ctx, &uuid, delay);
        }
        Ok(())
    }

    /// Back into the active configuration (its drives stay INACTIVE until activated).
    pub fn activate_container(&mut self, host: HostId) -> Result<(), WekaError> {
        let member = self.containers.get_mut(&host).ok_or(WekaError::HostNotFound(host))?;
        member.activation = Activation::Active;
        Ok(())
    }

    /// Only an INACTIVE member can go; its drives, S3 membership and NFS ports go with it.
    pub(crate) fn remove_member(
        &mut self,
        host: HostId,
    ) -> Result<crate::world::container::ClusterContainer, WekaError> {
        let member = self.containers.get(&host).ok_or(WekaError::HostNotFound(host))?;
        if member.activation != Activation::Inactive {
            return Err(WekaError::ContainerActive(host));
        }
        self.drives.retain(|_, d| d.host != host);
        if let Some(s3) = &mut self.s3 {
            s3.hosts.remove(&host);
        }
        for group in &mut self.nfs.interface_groups {
            group.ports.retain(|p| p.host != host);
        }
        self.containers.remove(&host).ok_or(WekaError::HostNotFound(host))
    }

    /// `weka cluster drive add`: the device must be visible in the member's pod. The drive is
    /// PHASING_IN, then ACTIVE after the `drive_activate` latency. Returns its UUID.
    pub fn add_drive(
        &mut self,
        ctx: &mut OpCtx,
        host: HostId,
        path: &str,
        pool: Option<&str>,
    ) -> Result<String, WekaError> {
        let member = self.containers.get(&host).ok_or(WekaError::HostNotFound(host))?;
        let node = member.drive_process().ok_or(WekaError::NoDriveProcesses(host))?;
        if !member.is_reachable() {
            return Err(WekaError::HostDown(host));
        }
        let device = member
            .local
            .as_ref()
            .and_then(|l| ctx.agents.get(&l.agent)?.containers.get(&l.name))
            .and_then(|lc| lc.spec.block_devices.iter().find(|b| b.path == path).cloned())
            .or_else(|| {
                is_uuid(path).then(|| BlockDevice {
                    path: path.to_string(),
                    serial: String::new(),
                    size_bytes: DEFAULT_DRIVE_SIZE,
                })
            })
            .ok_or_else(|| WekaError::DeviceNotFound { host, path: path.to_string() })?;
        if self.device_in_use(host, &device) {
            return Err(WekaError::DeviceInUse { host, path: path.to_string() });
        }
        let uuid = if is_uuid(path) { path.to_string() } else { ctx.rng.uuid() };
        let disk = DiskId(self.next_disk);
        self.next_disk += 1;
        self.drives.insert(
            disk,
            Drive {
                uuid: uuid.clone(),
                disk,
                host,
                node,
                device_path: device.path,
                serial: device.serial,
                size_bytes: device.size_bytes,
                pool: pool.map(str::to_string),
                added_at: ctx.now,
                phase: DrivePhase::PhasingIn,
                failed: false,
            },
        );
        let event = Event::DriveActive { guid: self.guid.clone(), uuid: uuid.clone() };
        ctx.schedule.after(ctx.now, ctx.latencies.drive_activate, event);
        Ok(uuid)
    }

    /// Whether WEKA already has `device`. A virtual drive is named by its UUID, which is the
    /// drive's UUID in the whole cluster: several virtual drives carved from one physical drive
    /// share its serial and are still distinct drives. A physical device is in use on `host`
    /// when a drive there has its path or its serial.
    fn device_in_use(&self, host: HostId, device: &BlockDevice) -> bool {
        if is_uuid(&device.path) {
            return self.drive(&device.path).is_some();
        }
        self.drives_of(host).any(|d| {
            d.device_path == device.path || (!device.serial.is_empty() && d.serial == device.serial)
        })
    }

    /// PHASING_OUT, then INACTIVE after the `drive_deactivate` latency; repeating is harmless.
    pub fn deactivate_drive(&mut self, ctx: &mut OpCtx, uuid: &str) -> Result<(), WekaError> {
        if self.drive(uuid).is_none() {
            return Err(WekaError::DriveNotFound(uuid.to_string()));
        }
        let delay = ctx.latencies.drive_deactivate;
        self.phase_out(ctx, uuid, delay);
        Ok(())
    }

    pub fn activate_drive(&mut self, ctx: &mut OpCtx, uuid: &str) -> Result<(), WekaError> {
        let guid = self.guid.clone();
        let drive =
            self.drive_mut(uuid).ok_or_else(|| WekaError::DriveNotFound(uuid.to_string()))?;
        if matches!(drive.phase, DrivePhase::Inactive | DrivePhase::PhasingOut) {
            drive.phase = DrivePhase::PhasingIn;
            let event = Event::DriveActive { guid, uuid: uuid.to_string() };
            ctx.schedule.after(ctx.now, ctx.latencies.drive_activate, event);
        }
        Ok(())
    }

    /// Only INACTIVE (or FAILED) drives can be removed.
    pub fn remove_drive(&mut self, uuid: &str) -> Result<(), WekaError> {
        let drive = self.drive(uuid).ok_or_else(|| WekaError::DriveNotFound(uuid.to_string()))?;
        let status = drive.status();
        if !matches!(status, DriveStatus::Inactive | DriveStatus::Failed) {
            return Err(WekaError::DriveNotInactive {
                uuid: uuid.to_string(),
                status: status.as_str().to_string(),
            });
        }
        let disk = drive.disk;
        self.drives.remove(&disk);
        Ok(())
    }

    fn phase_out(&mut self, ctx: &mut OpCtx, uuid: &str, delay: std::time::Duration) {
        let guid = self.guid.clone();
        if let Some(drive) = self.drive_mut(uuid)
            && matches!(drive.phase, DrivePhase::Active | DrivePhase::PhasingIn)
        {
            drive.phase = DrivePhase::PhasingOut;
            let event = Event::DriveInactive { guid, uuid: uuid.to_string() };
            ctx.schedule.after(ctx.now, delay, event);
        }
    }
}

impl WekaWorld {
    /// `weka cluster container remove`: with `unimprint` the member's local container forgets
    /// its identity (back to STEM, or joining again if it has join IPs); with
    /// `--no-unimprint` it keeps a stale identity and stays CLUSTERIZING.
    pub fn remove_container(
        &mut self,
        guid: &str,
        host: HostId,
        unimprint: bool,
    ) -> Result<(), WekaError> {
        let member = self.op(guid, |cluster, _| cluster.remove_member(host))?;
        if unimprint
            && let Some(local) = member.local
            && let Some(lc) =
                self.agents.get_mut(&local.agent).and_then(|a| a.containers.get_mut(&local.name))
        {
            lc.identity = None;
        }
        self.settle();
        Ok(())
    }
}
