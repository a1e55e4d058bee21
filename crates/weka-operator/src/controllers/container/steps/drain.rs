//! `waitForMountsOrDrain` (spec flows §4.7): a client is not stopped while filesystems are
//! mounted through it, unless told to drain them (`overrides.forceDrain`), and with
//! `overrides.umountOnHost` to unmount them from the host too (`umount`).

use super::QUARTER_MINUTE;
use super::node_agent::{self, record_active_mounts};
use super::umount::umount_on_host;
use crate::controllers::container::state::ContainerState;
use crate::engine::{StepError, StepFuture};

pub fn wait_for_mounts_or_drain(s: &mut ContainerState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.node.is_none() {
            let node = s.node_affinity().unwrap_or_default().to_string();
            let message = format!("node {node} not found: no mounts to wait for");
            node_agent::note(s, "NodeNotFound", &message).await;
            return Ok(());
        }
        let mounts = match s.active_mounts.clone() {
            Some(Ok(mounts)) => Ok(mounts),
            _ => node_agent::active_mounts(s).await,
        };
        let mounts = match mounts {
            Ok(mounts) => mounts,
            Err(err) => {
                s.warn("ActiveMounts", "Mounts are not set").await;
                return Err(node_agent::step_error("ActiveMountsUnknown", err));
            }
        };
        record_active_mounts(s, mounts);
        s.active_mounts = Some(Ok(mounts));
        if mounts == 0 {
            return Ok(());
        }
        let overrides = s.spec().overrides.clone().unwrap_or_default();
        if overrides.force_drain == Some(true) {
            tracing::info!(mounts, "force-draining the client");
            if let Err(err) = s.cli().drain_client().await {
                tracing::warn!(error = %err, "draining the client failed");
            }
            if overrides.umount_on_host == Some(true) {
                umount_on_host(s).await?;
            }
        }
        let message = format!("{mounts} mounts are still active");
        s.warn("ActiveMounts", &message).await;
        Err(StepError::poll("ActiveMounts", message, QUARTER_MINUTE))
    })
}
