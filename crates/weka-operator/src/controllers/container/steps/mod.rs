//! The steps of the WekaContainer flows, one file per area. Each step is a function of the
//! [`ContainerState`](super::state::ContainerState) named after upstream's (see the flow
//! tables in `../flows`).

pub mod csi;
pub mod deletion;
pub mod lifecycle;
pub mod local_status;
pub mod metrics;
pub mod node;
pub mod pod;
pub mod termination;
pub mod upgrade;

// Domain steps (drivers, allocation and resources.json, drives, one-off results, joining,
// protocols, migrations) and what they share.
pub mod drain;
pub mod drive_signing;
pub mod drivers;
pub mod drivers_dist;
pub mod drives;
pub mod feature_flags;
pub mod helper_containers;
pub mod joining;
pub mod maintenance_pods;
pub mod migrations;
pub mod nics;
pub mod node_agent;
pub mod node_claims;
pub mod node_discovery;
pub mod oneoff;
pub mod persistent_dir;
pub mod protocols;
pub mod resources;
pub mod shutdown_instructions;
pub mod umount;
pub mod virtual_drives;

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;

use crate::pod::MAIN_CONTAINER;

pub const QUARTER_MINUTE: Duration = Duration::from_secs(15);
pub const MINUTE: Duration = Duration::from_secs(60);

/// The pod has a deletionTimestamp.
pub fn pod_is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// The pod's phase is `Running`.
pub fn pod_is_running(pod: &Pod) -> bool {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

/// The image of the pod's `weka-container`.
pub fn weka_image_of(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref()?.containers.iter().find(|c| c.name == MAIN_CONTAINER)?.image.as_deref()
}

/// The management IPs as the printer column shows them: the first, and how many more.
pub fn printer_ips(ips: &[String]) -> String {
    match ips {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{})", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_ips_shortens_lists() {
        assert_eq!(printer_ips(&[]), "");
        assert_eq!(printer_ips(&["10.0.0.1".into()]), "10.0.0.1");
        assert_eq!(printer_ips(&["10.0.0.1".into(), "10.0.0.2".into()]), "10.0.0.1 (+1)");
    }
}
