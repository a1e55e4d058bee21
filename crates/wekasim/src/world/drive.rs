//! Cluster drives (`weka cluster drive`).

use std::time::SystemTime;

use crate::ids::{DiskId, HostId, NodeId};

/// Where a drive is in its life, apart from failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrivePhase {
    PhasingIn,
    Active,
    PhasingOut,
    Inactive,
}

/// The `status` column of `weka cluster drive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriveStatus {
    PhasingIn,
    Active,
    PhasingOut,
    Inactive,
    Failed,
}

impl DriveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DriveStatus::PhasingIn => "PHASING_IN",
            DriveStatus::Active => "ACTIVE",
            DriveStatus::PhasingOut => "PHASING_OUT",
            DriveStatus::Inactive => "INACTIVE",
            DriveStatus::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "PHASING_IN" => DriveStatus::PhasingIn,
            "ACTIVE" => DriveStatus::Active,
            "PHASING_OUT" => DriveStatus::PhasingOut,
            "INACTIVE" => DriveStatus::Inactive,
            "FAILED" => DriveStatus::Failed,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Drive {
    pub uuid: String,
    pub disk: DiskId,
    pub host: HostId,
    pub node: NodeId,
    pub device_path: String,
    pub serial: String,
    pub size_bytes: u64,
    pub pool: Option<String>,
    pub added_at: SystemTime,
    pub(crate) phase: DrivePhase,
    /// Fault injection: the drive failed.
    pub(crate) failed: bool,
}

impl Drive {
    pub fn status(&self) -> DriveStatus {
        if self.failed {
            return DriveStatus::Failed;
        }
        match self.phase {
            DrivePhase::PhasingIn => DriveStatus::PhasingIn,
            DrivePhase::Active => DriveStatus::Active,
            DrivePhase::PhasingOut => DriveStatus::PhasingOut,
            DrivePhase::Inactive => DriveStatus::Inactive,
        }
    }

    /// Meant to serve IO (whether or not it can right now).
    pub(crate) fn phase_is_active(&self) -> bool {
        self.phase == DrivePhase::Active
    }
}
