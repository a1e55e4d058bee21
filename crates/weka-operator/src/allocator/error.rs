//! Why an allocation failed, in words a user can act on: these messages end up in conditions
//! and events.

use weka_api::common::GoInt;

use super::drive_types::DriveType;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error(
        "not enough drives on the node: {needed} needed, {available} available \
         (signed for WEKA, not blocked and not used by another container)"
    )]
    InsufficientDrives { needed: usize, available: usize },

    #[error("{}", insufficient_capacity_message(.needed_gib, .usable_gib, .available_gib, .drive_type, .free_per_drive_gib, .max_virtual_drives))]
    InsufficientDriveCapacity {
        needed_gib: GoInt,
        /// Free capacity on physical drives that can still take a virtual drive (>= 384 GiB free).
        usable_gib: GoInt,
        /// Free capacity on all physical drives of the type.
        available_gib: GoInt,
        drive_type: DriveType,
        free_per_drive_gib: Vec<GoInt>,
        max_virtual_drives: usize,
    },

    #[error(
        "the node has no shared drives (annotation weka.io/weka-shared-drives is missing or empty)"
    )]
    NoSharedDrives,

    #[error("invalid drive sharing configuration: {0}")]
    InvalidDriveSharingConfig(String),

    #[error("no free block of {size} ports in the cluster's port range {range}")]
    PortRangeExhausted { size: GoInt, range: super::ports::PortBlock },

    #[error("the cluster has no port range yet (status.ports.basePort is 0)")]
    ClusterRangeNotAllocated,

    #[error("no free range of {size} ports is left between {from} and 65535")]
    NoFreeClusterRange { size: GoInt, from: GoInt },

    #[error(
        "port range {from}-{to} is not available: it overlaps the range of another WekaCluster or leaves 0-65535"
    )]
    RangeNotAvailable { from: GoInt, to: GoInt },

    #[error("changing spec.ports.{field} from {allocated} to {requested} is not supported")]
    PortChangeNotSupported { field: &'static str, allocated: GoInt, requested: GoInt },

    #[error(
        "{name} port {port} is not available: it must lie in the cluster's range {range} \
         and not be used by another port of the cluster or by a container"
    )]
    PortNotAvailable { name: &'static str, port: GoInt, range: super::ports::PortBlock },

    #[error("node annotation {annotation} is not valid: {reason}")]
    BadNodeAnnotation { annotation: &'static str, reason: String },

    #[error("{resource} is already claimed by {holder}")]
    ClaimConflict { resource: String, holder: String },
}

impl AllocationError {
    /// The event reason to report the error with (upstream's names where it has them).
    pub fn reason(&self) -> &'static str {
        use AllocationError::*;
        match self {
            InsufficientDrives { .. } | NoSharedDrives => "InsufficientDrives",
            InsufficientDriveCapacity { .. } => "InsufficientDriveCapacity",
            InvalidDriveSharingConfig(_) => "InvalidDriveSharingConfig",
            PortRangeExhausted { .. } | ClusterRangeNotAllocated | PortNotAvailable { .. } => {
                "PortAllocationFailed"
            }
            NoFreeClusterRange { .. }
            | RangeNotAvailable { .. }
            | PortChangeNotSupported { .. } => "AllocateClusterRangeError",
            BadNodeAnnotation { .. } => "InvalidNodeAnnotation",
            ClaimConflict { .. } => "AllocationConflict",
        }
    }
}

fn insufficient_capacity_message(
    needed: &GoInt,
    usable: &GoInt,
    available: &GoInt,
    drive_type: &DriveType,
    per_drive: &[GoInt],
    max_virtual_drives: &usize,
) -> String {
    let mut message = if usable >= needed {
        format!(
            "cannot allocate {needed} GiB of {drive_type} capacity: each virtual drive must fit \
             on one physical drive"
        )
    } else {
        format!(
            "not enough {drive_type} drive capacity on the node: {needed} GiB needed, {usable} GiB \
             usable ({available} GiB free in total)"
        )
    };
    if !per_drive.is_empty() {
        message.push_str(&format!("; free per physical drive: {per_drive:?} GiB"));
    }
    if *max_virtual_drives > 0 {
        message.push_str(&format!("; at most {max_virtual_drives} virtual drives allowed"));
    }
    message
}
