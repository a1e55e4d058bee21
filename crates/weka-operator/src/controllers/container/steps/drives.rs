//! A drive container's drives in the WEKA cluster (spec: wekacontainer-functions.md §3):
//! adding the allocated drives, keeping `status.addedDrives` current, retiring failed or
//! blocked drives, and on deletion removing them and resigning them on the node.
//!
//! Exclusive drives are named by serial in `status.allocations.drives`; the node agent lists
//! them as the kernel shows them (`findDrives`), and when it cannot, the runtime's
//! `drives.json` in the pod does (upstream's order).

use std::time::Duration;

use kube::runtime::events::EventType;
use weka_api::constants::annotations::{BLOCKED_DRIVES, BLOCKED_DRIVES_PHYSICAL_UUIDS};
use weka_api::wekacontainer::{AddedDrive, WekaContainerStatus};

use super::deletion::member_cli;
use super::resources::deallocate_drives;
use crate::controllers::container::state::ContainerState;
use crate::engine::{StepError, StepFuture};
use crate::pod::uses_drive_sharing;
use crate::weka::drives::Drive;
use crate::weka::files::KernelDrive;
use crate::weka::{AlreadyDone, WekaError};

/// Drive commands get 2 minutes.
const DRIVES_TIMEOUT: Duration = Duration::from_secs(120);
/// Waiting for the cluster identity before drives can be added.
const NOT_JOINED_RECHECK: Duration = Duration::from_secs(10);

/// Pool of a virtual drive: `iubig` for QLC, else `iu4k`.
fn pool_of(drive_type: Option<&str>) -> &'static str {
    if drive_type == Some("QLC") { "iubig" } else { "iu4k" }
}

fn container_id(s: &ContainerState) -> Option<i64> {
    s.status().container_id.map(|id| id as i64)
}

/// How many drives the container should have in WEKA.
pub fn expected_drive_count(s: &ContainerState) -> usize {
    let status = s.status();
    let allocations = status.allocations.clone().unwrap_or_default();
    if uses_drive_sharing(&s.container) {
        allocations.virtual_drives.unwrap_or_default().len()
    } else {
        allocations.drives.unwrap_or_default().len()
    }
}

fn added_drives(s: &ContainerState) -> Vec<AddedDrive> {
    s.status().added_drives.clone().unwrap_or_default()
}

/// Upstream's `HasDrivesToAdd`.
pub fn has_drives_to_add(s: &ContainerState) -> bool {
    added_drives(s).len() < expected_drive_count(s)
}

/// `EnsureDrives`: every allocated drive not yet in WEKA is added (`weka cluster drive add`
/// in the container's own pod). A device WEKA already uses counts as added. Errors of single
/// drives are collected; the others are still tried. On failure: status `DrivesAdding` and a
/// Warning `DrivesAddingError` (upstream's `setDrivesErrorStatus`).
pub fn ensure_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(id) = container_id(s) else {
            return Err(StepError::poll(
                "NotJoined",
                "container cluster ID is not set, cannot ensure drives",
                NOT_JOINED_RECHECK,
            ));
        };
        if added_drives(s).len() == expected_drive_count(s) {
            if s.status_overwritable() {
                s.update_status(WekaContainerStatus::RUNNING).await?;
            }
            return Ok(());
        }
        // Ours: a container that has an ID but is still joining (CLUSTERIZING) cannot take
        // drives yet; WEKA would refuse every add, which upstream reports as a failure (a
        // Warning and a backoff). It is waited for instead.
        if let Some(internal) = s.status().internal_status.as_deref()
            && internal != "READY"
        {
            return Err(StepError::poll(
                "NotJoined",
                format!("the container is {internal} in WEKA: drives are added once it joined"),
                NOT_JOINED_RECHECK,
            ));
        }
        let errors = if uses_drive_sharing(&s.container) {
            add_virtual(s, id).await
        } else {
            add_exclusive(s, id).await
        };
        if errors.is_empty() {
            if s.status_overwritable() {
                s.update_status(WekaContainerStatus::RUNNING).await?;
            }
            return Ok(());
        }
        let message = format!("errors while adding drives: {}", errors.join("; "));
        s.event(EventType::Warning, "DrivesAddingError", &message).await;
        if s.status_overwritable() {
            s.update_status(WekaContainerStatus::DRIVES_ADDING).await?;
        }
        Err(StepError::failed("DrivesAddingError", message))
    })
}

async fn add_exclusive(s: &ContainerState, id: i64) -> Vec<String> {
    let added: Vec<String> = added_drives(s).into_iter().map(|d| d.serial_number).collect();
    let allocated = s.status().allocations.clone().unwrap_or_default().drives.unwrap_or_default();
    let missing: Vec<&String> = allocated.iter().filter(|d| !added.contains(d)).collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let cli = s.cli().with_timeout(DRIVES_TIMEOUT);
    let kernel = match kernel_drives(s).await {
        Ok(kernel) => kernel,
        Err(err) => return vec![format!("cannot read the drives the runtime found: {err}")],
    };
    let mut errors = Vec::new();
    for serial in missing {
        let Some(drive) = kernel.iter().find(|d| &d.serial_id == serial) else {
            errors.push(format!("drive {serial} not found in kernel"));
            continue;
        };
        if drive.partition.is_empty() {
            errors.push(format!("drive {serial} is not partitioned"));
            continue;
        }
        if drive.is_signed {
            errors.push(format!("drive {serial} has Weka signature on it, forbidding usage"));
            continue;
        }
        tracing::info!(%serial, device = %drive.device_path, container_id = id, "adding drive");
        match cli.add_drive(id, &drive.device_path, None).await.or_already_done() {
            Ok(()) => {
                s.event(EventType::Normal, "DriveAdded", &format!("Drive {serial} added")).await
            }
            Err(err) => errors.push(format!("drive {serial}: {err}")),
        }
    }
    errors
}

/// The node's drives: from the node agent, else from the pod's `drives.json`.
async fn kernel_drives(s: &ContainerState) -> Result<Vec<KernelDrive>, WekaError> {
    let from_agent = match super::node_agent::agent(s).await {
        Ok(agent) => agent.client.find_drives(&agent.endpoint, &agent.token).await,
        Err(err) => Err(err),
    };
    match from_agent {
        Ok(drives) => Ok(drives),
        Err(err) => {
            tracing::info!(error = %err, "drives from the node agent unavailable; reading drives.json");
            s.cli().with_timeout(DRIVES_TIMEOUT).kernel_drives().await
        }
    }
}

async fn add_virtual(s: &ContainerState, id: i64) -> Vec<String> {
    let added: Vec<String> = added_drives(s).into_iter().map(|d| d.uuid).collect();
    let allocated =
        s.status().allocations.clone().unwrap_or_default().virtual_drives.unwrap_or_default();
    let cli = s.cli().with_timeout(DRIVES_TIMEOUT);
    let mut errors = Vec::new();
    for drive in allocated.iter().filter(|d| !added.contains(&d.virtual_uuid)) {
        let pool = pool_of(drive.type_.as_deref());
        tracing::info!(virtual_uuid = %drive.virtual_uuid, pool, "adding virtual drive");
        match cli.add_drive(id, &drive.virtual_uuid, Some(pool)).await.or_already_done() {
            Ok(()) => {
                let message = format!("Virtual drive {} added to cluster", drive.virtual_uuid);
                s.event(EventType::Normal, "VirtualDriveAdded", &message).await;
            }
            Err(err) => errors.push(format!("virtual drive {}: {err}", drive.virtual_uuid)),
        }
    }
    errors
}

fn to_added(drive: Drive) -> AddedDrive {
    AddedDrive {
        uuid: drive.uuid,
        added_time: drive.added_time,
        device_path: drive.device_path,
        serial_number: drive.serial_number,
        size_bytes: drive.size_bytes,
        status: drive.status,
    }
}

/// Upstream's `NeedWekaDrivesListUpdate`: the recorded drives are not all there and active,
/// or do not match the allocation.
pub fn needs_added_drives_update(s: &ContainerState) -> bool {
    let added = added_drives(s);
    let all_active =
        added.len() == expected_drive_count(s) && added.iter().all(|d| d.status == "ACTIVE");
    !all_active || added_not_aligned(s)
}

/// Upstream's `AddedDrivesNotAligedWithAllocations` (false while nothing is added).
pub fn added_not_aligned(s: &ContainerState) -> bool {
    let status = s.status();
    let Some(allocations) = status.allocations.as_ref() else { return false };
    let added = added_drives(s);
    if added.is_empty() {
        return false;
    }
    let (mut have, mut want): (Vec<String>, Vec<String>) = if uses_drive_sharing(&s.container) {
        (
            added.into_iter().map(|d| d.uuid).collect(),
            allocations.virtual_drives.iter().flatten().map(|v| v.virtual_uuid.clone()).collect(),
        )
    } else {
        (
            added.into_iter().map(|d| d.serial_number).collect(),
            allocations.drives.clone().unwrap_or_default(),
        )
    };
    have.sort();
    want.sort();
    have != want
}

/// `UpdateWekaAddedDrives`: WEKA's list of the container's drives → `status.addedDrives`
/// and the drives printer column.
pub fn update_weka_added_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(id) = container_id(s) else { return Ok(()) };
        let drives =
            s.cli().with_timeout(DRIVES_TIMEOUT).list_container_drives(id).await.map_err(|e| {
                StepError::poll(
                    "DrivesListFailed",
                    format!("cannot list the container's drives: {e}"),
                    NOT_JOINED_RECHECK,
                )
            })?;
        let added: Vec<AddedDrive> = drives.into_iter().map(to_added).collect();
        let active = added.iter().filter(|d| d.status == "ACTIVE").count();
        let printer = format!("{active}/{}", expected_drive_count(s));
        let status = s.status_mut();
        status.added_drives = Some(added);
        status.printer.get_or_insert_with(Default::default).drives = Some(printer);
        s.persist_status().await
    })
}

/// A node annotation holding a JSON list of strings (absent: empty).
fn node_list(s: &ContainerState, annotation: &str) -> Result<Vec<String>, StepError> {
    let Some(node) = s.node.as_deref() else {
        return Err(StepError::wait("NodeNotFound", "the container's node is not known"));
    };
    match node.metadata.annotations.as_ref().and_then(|a| a.get(annotation)) {
        None => Ok(Vec::new()),
        Some(text) if text.trim().is_empty() => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            StepError::failed(
                "InvalidNodeAnnotation",
                format!("node annotation {annotation} is not valid: {e}"),
            )
        }),
    }
}

/// `RemoveDrives`: drives blocked on the node (`weka.io/blocked-drives`) that WEKA still has
/// for this container are dropped from the allocation, then deactivated and removed.
pub fn remove_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let blocked = node_list(s, BLOCKED_DRIVES)?;
        if blocked.is_empty() {
            return Ok(());
        }
        let to_remove: Vec<AddedDrive> = added_drives(s)
            .into_iter()
            .filter(|d| !d.serial_number.is_empty() && blocked.contains(&d.serial_number))
            .collect();
        if to_remove.is_empty() {
            return Ok(());
        }
        deallocate_drives(s, &blocked, &[]).await?;
        let mut errors = Vec::new();
        for drive in &to_remove {
            if let Err(err) = remove_drive_from_weka(s, drive).await {
                errors.push(err);
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        Err(StepError::failed(
            "RemoveDrivesError",
            format!("errors during drive removal: {}", errors.join("; ")),
        ))
    })
}

/// `RemoveDrivesByPhysicalUuids` (drive sharing): mapping the added virtual drives to their
/// physical drives needs the SSD proxy's list through the node agent, which this operator
/// does not run; blocked physical drives are only dropped from the allocation here.
pub fn remove_drives_by_physical_uuids(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let blocked = node_list(s, BLOCKED_DRIVES_PHYSICAL_UUIDS)?;
        if blocked.is_empty() {
            return Ok(());
        }
        let affected = s
            .status()
            .allocations
            .as_ref()
            .and_then(|a| a.virtual_drives.as_ref())
            .is_some_and(|v| v.iter().any(|d| blocked.contains(&d.physical_uuid)));
        if !affected {
            return Ok(());
        }
        Err(StepError::poll(
            "NodeAgentUnavailable",
            "virtual drives on blocked physical drives cannot be removed: the SSD proxy is reached through the node agent, which this operator does not run",
            Duration::from_secs(60),
        ))
    })
}

/// Upstream's `removeDriveFromWeka`: an `ACTIVE` drive is deactivated first; one in another
/// state must become `INACTIVE` before it is removed.
async fn remove_drive_from_weka(s: &ContainerState, drive: &AddedDrive) -> Result<(), String> {
    let cli = s.cli().with_timeout(DRIVES_TIMEOUT);
    let serial = &drive.serial_number;
    let current = match cli.get_drive(&drive.uuid).await {
        Ok(current) => current,
        Err(err) if err.is_not_found() => return Ok(()),
        Err(err) => return Err(format!("cannot read drive {serial} ({}): {err}", drive.uuid)),
    };
    match current.status.as_str() {
        "ACTIVE" => {
            cli.deactivate_drive(&drive.uuid)
                .await
                .map_err(|e| format!("cannot deactivate drive {serial}: {e}"))?;
            s.event(EventType::Normal, "DriveDeactivated", &format!("Drive {serial} deactivated"))
                .await;
        }
        "INACTIVE" => {}
        other => {
            return Err(format!(
                "drive {serial} has status '{other}', wait for it to become 'INACTIVE'"
            ));
        }
    }
    cli.remove_drive(&drive.uuid)
        .await
        .map_err(|e| format!("cannot remove drive {serial}: {e}"))?;
    s.event(EventType::Normal, "DriveRemoved", &format!("Drive {serial} removed")).await;
    Ok(())
}

/// `MarkDrivesForRemoval`: drives WEKA reports failed (`status.stats.drives.failures`) are
/// blocked on the node (the block-drives operation) so that they are removed and replaced.
pub fn mark_drives_for_removal(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.status().status == WekaContainerStatus::UNHEALTHY {
            return Err(StepError::failed(
                "MarkDrivesForRemovalError",
                "container is uneligible for drive allocation (unhealthy)",
            ));
        }
        let failed: Vec<String> = s
            .status()
            .stats
            .as_ref()
            .and_then(|st| st.drives.as_ref())
            .and_then(|d| d.failures.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| f.serial_id)
            .filter(|serial| !serial.is_empty())
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        let blocked = node_list(s, BLOCKED_DRIVES)?;
        if failed.iter().all(|serial| blocked.contains(serial)) {
            return Ok(());
        }
        let node = s
            .node
            .clone()
            .ok_or_else(|| StepError::wait("NodeNotFound", "the container's node is not known"))?;
        super::drive_signing::block_drives(s, &node, &failed).await?;
        let message = format!("Drives {failed:?} marked for removal from container");
        s.event(EventType::Warning, "DrivesMarkedForRemoval", &message).await;
        Ok(())
    })
}

// --- deletion ----------------------------------------------------------------------------

/// `RemoveDeactivatedContainersDrives`: the deactivated container's drives are removed from
/// WEKA through an active member of the cluster.
pub fn remove_deactivated_containers_drives(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        let Some(id) = container_id(s) else {
            return Err(StepError::failed("NoContainerId", "Container ID is not set"));
        };
        let cli = member_cli(s)?.with_timeout(DRIVES_TIMEOUT);
        let drives = cli
            .list_container_drives(id)
            .await
            .map_err(|e| StepError::failed("RemoveDeactivatedContainersDrivesError", e))?;
        tracing::info!(
            container_id = id,
            drives = drives.len(),
            "removing the drives of the container"
        );
        let errors: Vec<String> =
            futures::future::join_all(drives.iter().map(|d| cli.remove_drive(&d.uuid)))
                .await
                .into_iter()
                .filter_map(Result::err)
                .map(|e: WekaError| e.to_string())
                .collect();
        if errors.is_empty() {
            return Ok(());
        }
        Err(StepError::failed(
            "RemoveDeactivatedContainersDrivesError",
            format!("failed to remove drives for container {id}: {}", errors.join("; ")),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qlc_virtual_drives_go_to_the_big_pool() {
        assert_eq!(pool_of(Some("QLC")), "iubig");
        assert_eq!(pool_of(Some("TLC")), "iu4k");
        assert_eq!(pool_of(None), "iu4k");
    }
}
