//! Drive sharing: virtual drives cut from the node's shared physical drives, by count
//! (`numDrives` x `driveCapacity`, TLC only) or by capacity (`containerCapacity`, split into
//! TLC and QLC by `driveTypesRatio`).

use weka_api::common::{DriveTypesRatio, GoInt};
use weka_api::wekacontainer::VirtualDrive;

use super::claims::HeldClaims;
use super::container::DriveRequest;
use super::drive_types::{DriveType, split_capacity};
use super::error::AllocationError;
use super::node_drives::SharedDrive;
use super::settings::DriveSharingSettings;
use super::snapshot::NodeSnapshot;
use super::strategies::{MIN_CHUNK_GIB, place, strategies};

/// A shared drive of the requested type and what is still free on it.
struct FreeDrive<'a> {
    drive: &'a SharedDrive,
    free_gib: GoInt,
}

/// Virtual drives for a shared-drive request; other requests get none.
pub fn allocate_shared_drives(
    request: DriveRequest,
    settings: &DriveSharingSettings,
    snapshot: &NodeSnapshot,
    new_uuid: &mut dyn FnMut() -> String,
) -> Result<Vec<VirtualDrive>, AllocationError> {
    let shared_request = matches!(
        request,
        DriveRequest::SharedByCount { .. } | DriveRequest::SharedByCapacity { .. }
    );
    if shared_request && snapshot.drives.shared_candidates().next().is_none() {
        return Err(AllocationError::NoSharedDrives);
    }
    let planned = match request {
        DriveRequest::SharedByCount { count, capacity_gib } => {
            by_count(count, capacity_gib, snapshot)?
        }
        DriveRequest::SharedByCapacity { capacity_gib, ratio, num_cores } => {
            by_capacity(capacity_gib, ratio, num_cores, settings, snapshot)?
        }
        DriveRequest::None | DriveRequest::Exclusive { .. } => Vec::new(),
    };
    Ok(planned
        .into_iter()
        .map(|(drive, capacity_gib, drive_type)| VirtualDrive {
            virtual_uuid: new_uuid(),
            physical_uuid: drive.physical_uuid.clone(),
            capacity_gib,
            serial: drive.serial.clone(),
            type_: Some(drive_type.as_str().to_string()),
        })
        .collect())
}

/// The virtual drives the node's claims already give to an owner (resuming an allocation
/// whose status write was lost), with serial and type from the node's shared drives.
pub fn held_virtual_drives(held: &HeldClaims, snapshot: &NodeSnapshot) -> Vec<VirtualDrive> {
    held.virtual_drives
        .iter()
        .map(|(uuid, claim)| {
            let drive = snapshot.drives.shared_drive(&claim.physical_uuid);
            VirtualDrive {
                virtual_uuid: uuid.clone(),
                physical_uuid: claim.physical_uuid.clone(),
                capacity_gib: claim.capacity_gib,
                serial: drive.map(|d| d.serial.clone()).unwrap_or_default(),
                type_: drive.and_then(|d| d.drive_type).map(|t| t.as_str().to_string()),
            }
        })
        .collect()
}

type Planned<'a> = Vec<(&'a SharedDrive, GoInt, DriveType)>;

/// `count` drives of `capacity_gib`, each on the TLC drive with the most room. As upstream,
/// there must be at least `count` TLC drives.
fn by_count<'a>(
    count: usize,
    capacity_gib: GoInt,
    snapshot: &'a NodeSnapshot,
) -> Result<Planned<'a>, AllocationError> {
    if count == 0 {
        return Err(AllocationError::InvalidDriveSharingConfig(
            "driveCapacity is set but numDrives is 0: set numDrives (or use containerCapacity)"
                .into(),
        ));
    }
    let drives = free_drives(snapshot, DriveType::Tlc);
    if drives.len() < count {
        return Err(AllocationError::InsufficientDrives { needed: count, available: drives.len() });
    }
    let mut free: Vec<GoInt> = drives.iter().map(|d| d.free_gib).collect();
    let mut planned = Vec::with_capacity(count);
    for _ in 0..count {
        let (index, most) = free
            .iter()
            .copied()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| a.cmp(b).then(ib.cmp(ia)))
            .expect("at least count drives");
        if most < capacity_gib {
            return Err(capacity_error(
                count as GoInt * capacity_gib,
                DriveType::Tlc,
                &drives,
                capacity_gib,
                0,
            ));
        }
        free[index] -= capacity_gib;
        planned.push((drives[index].drive, capacity_gib, DriveType::Tlc));
    }
    Ok(planned)
}

/// `capacity_gib` split into TLC and QLC, each part cut by the first strategy that fits,
/// with at least `num_cores` virtual drives (per type when the settings enforce it) and at
/// most `num_cores * max_virtual_drives_per_core` in all.
fn by_capacity<'a>(
    capacity_gib: GoInt,
    ratio: Option<DriveTypesRatio>,
    num_cores: usize,
    settings: &DriveSharingSettings,
    snapshot: &'a NodeSnapshot,
) -> Result<Planned<'a>, AllocationError> {
    let (tlc, qlc) = split_capacity(capacity_gib, ratio);
    let min_per_type = num_cores as GoInt * MIN_CHUNK_GIB;
    let enforce = settings.enforce_min_drives_per_type_per_core;
    let too_small = |kind: &str, have: GoInt| {
        AllocationError::InvalidDriveSharingConfig(format!(
            "{kind} capacity {have} GiB is too small: {num_cores} drive cores need at least \
             {min_per_type} GiB ({num_cores} virtual drives of {MIN_CHUNK_GIB} GiB); increase \
             containerCapacity or change driveTypesRatio"
        ))
    };
    if enforce {
        if tlc > 0 && tlc < min_per_type {
            return Err(too_small("TLC", tlc));
        }
        if qlc > 0 && qlc < min_per_type {
            return Err(too_small("QLC", qlc));
        }
    } else if tlc + qlc < min_per_type {
        return Err(too_small("total", tlc + qlc));
    }

    let max_drives = num_cores * settings.max_virtual_drives_per_core;
    let tlc_drives = free_drives(snapshot, DriveType::Tlc);
    let qlc_drives = free_drives(snapshot, DriveType::Qlc);
    let tlc_min_range = if tlc == 0 {
        0..=0
    } else if qlc == 0 || enforce {
        num_cores..=num_cores
    } else {
        1..=num_cores.max(1)
    };
    let mut last_error = None;
    for tlc_min in tlc_min_range {
        let tlc_part = match one_type(DriveType::Tlc, tlc, tlc_min, max_drives, &tlc_drives) {
            Ok(part) => part,
            Err(e) => {
                last_error = Some(e);
                continue;
            }
        };
        let qlc_min =
            if enforce { num_cores } else { num_cores.saturating_sub(tlc_part.len()).max(1) };
        let qlc_max = max_drives.saturating_sub(tlc_part.len());
        match one_type(DriveType::Qlc, qlc, qlc_min, qlc_max, &qlc_drives) {
            Ok(qlc_part) => return Ok(tlc_part.into_iter().chain(qlc_part).collect()),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.expect("the TLC range is never empty"))
}

/// Virtual drives of one type for `needed` GiB (none when nothing is needed).
fn one_type<'a>(
    drive_type: DriveType,
    needed: GoInt,
    min_drives: usize,
    max_drives: usize,
    drives: &[FreeDrive<'a>],
) -> Result<Planned<'a>, AllocationError> {
    if needed <= 0 {
        return Ok(Vec::new());
    }
    let free: Vec<GoInt> = drives.iter().map(|d| d.free_gib).collect();
    for sizes in strategies(needed, min_drives, max_drives, &free) {
        if let Some(placement) = place(&sizes, &free) {
            return Ok(placement
                .into_iter()
                .zip(sizes)
                .map(|(index, size)| (drives[index].drive, size, drive_type))
                .collect());
        }
    }
    Err(capacity_error(needed, drive_type, drives, MIN_CHUNK_GIB, max_drives))
}

/// Candidate shared drives of `drive_type` with their free capacity, largest first (then by
/// physical UUID, so equal drives are used in a stable order).
fn free_drives<'a>(snapshot: &'a NodeSnapshot, drive_type: DriveType) -> Vec<FreeDrive<'a>> {
    let claimed = snapshot.claimed_capacity();
    let mut drives: Vec<FreeDrive> = snapshot
        .drives
        .shared_candidates()
        .filter(|d| d.drive_type == Some(drive_type))
        .map(|drive| FreeDrive {
            drive,
            free_gib: drive.capacity_gib
                - claimed.get(drive.physical_uuid.as_str()).copied().unwrap_or(0),
        })
        .collect();
    drives.sort_by(|a, b| {
        b.free_gib.cmp(&a.free_gib).then(a.drive.physical_uuid.cmp(&b.drive.physical_uuid))
    });
    drives
}

fn capacity_error(
    needed_gib: GoInt,
    drive_type: DriveType,
    drives: &[FreeDrive],
    usable_from: GoInt,
    max_virtual_drives: usize,
) -> AllocationError {
    let free_per_drive_gib: Vec<GoInt> = drives.iter().map(|d| d.free_gib.max(0)).collect();
    AllocationError::InsufficientDriveCapacity {
        needed_gib,
        usable_gib: free_per_drive_gib.iter().filter(|f| **f >= usable_from).sum(),
        available_gib: free_per_drive_gib.iter().sum(),
        drive_type,
        free_per_drive_gib,
        max_virtual_drives,
    }
}
