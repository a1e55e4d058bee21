//! Filesystem groups and filesystems (`weka fs ...`).

use crate::error::WekaError;
use crate::ids::{FsGroupId, FsId};
use crate::world::OpCtx;
use crate::world::cluster::Cluster;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsGroup {
    pub id: FsGroupId,
    pub name: String,
}

/// An object-store bucket attached to a filesystem (tiering).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsBucket {
    pub name: String,
    pub uid: String,
    pub mode: String,
    pub state: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filesystem {
    pub id: FsId,
    pub uid: String,
    pub name: String,
    pub group: FsGroupId,
    pub total_budget: u64,
    /// The SSD capacity reserved: all of it when thick, the minimum when thin.
    pub ssd_budget: u64,
    pub thin_provisioned: bool,
    pub encrypted: bool,
    pub used_ssd: u64,
    pub used_total: u64,
    pub obs_buckets: Vec<ObsBucket>,
    pub is_ready: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Filesystems {
    pub groups: Vec<FsGroup>,
    pub filesystems: Vec<Filesystem>,
    next_group: u32,
    next_fs: u32,
}

/// `weka fs create` capacities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsCreate {
    pub total: u64,
    /// `--thin-provision-min-ssd` (with `--thin-provision-max-ssd`).
    pub thin_min_ssd: Option<u64>,
    pub encrypted: bool,
    pub allow_no_kms: bool,
}

impl Filesystems {
    pub fn group(&self, name: &str) -> Option<&FsGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub fn group_by_id(&self, id: FsGroupId) -> Option<&FsGroup> {
        self.groups.iter().find(|g| g.id == id)
    }

    pub fn get(&self, name: &str) -> Option<&Filesystem> {
        self.filesystems.iter().find(|f| f.name == name)
    }

    pub fn ssd_budget_total(&self) -> u64 {
        self.filesystems.iter().map(|f| f.ssd_budget).sum()
    }
}

impl Cluster {
    pub fn create_fs_group(&mut self, name: &str) -> Result<FsGroupId, WekaError> {
        if self.fs.group(name).is_some() {
            return Err(WekaError::FsGroupExists(name.to_string()));
        }
        let id = FsGroupId(self.fs.next_group);
        self.fs.next_group += 1;
        self.fs.groups.push(FsGroup { id, name: name.to_string() });
        Ok(id)
    }

    /// Reserves SSD capacity out of what `weka status` reports unprovisioned.
    pub fn create_fs(
        &mut self,
        ctx: &mut OpCtx,
        name: &str,
        group: &str,
        request: &FsCreate,
    ) -> Result<FsId, WekaError> {
        if self.fs.get(name).is_some() {
            return Err(WekaError::FsExists(name.to_string()));
        }
        let group =
            self.fs.group(group).ok_or_else(|| WekaError::FsGroupNotFound(group.to_string()))?.id;
        if request.encrypted && !request.allow_no_kms && self.config.kms.is_none() {
            return Err(WekaError::EncryptionNeedsKms);
        }
        let ssd_budget = request.thin_min_ssd.unwrap_or(request.total).min(request.total);
        let available = self.capacity().unprovisioned_bytes;
        if ssd_budget > available {
            return Err(WekaError::NotEnoughCapacity { requested: ssd_budget, available });
        }
        let id = FsId(self.fs.next_fs);
        self.fs.next_fs += 1;
        self.fs.filesystems.push(Filesystem {
            id,
            uid: ctx.rng.uuid(),
            name: name.to_string(),
            group,
            total_budget: request.total,
            ssd_budget,
            thin_provisioned: request.thin_min_ssd.is_some(),
            encrypted: request.encrypted,
            used_ssd: 0,
            used_total: 0,
            obs_buckets: Vec::new(),
            is_ready: true,
        });
        Ok(id)
    }

    /// `weka dataservice global-config set --config-fs`.
    pub fn set_dataservice_config_fs(&mut self, fs: &str) -> Result<(), WekaError> {
        if self.fs.get(fs).is_none() {
            return Err(WekaError::FsNotFound(fs.to_string()));
        }
        self.config.dataservice_config_fs = Some(fs.to_string());
        Ok(())
    }
}
