//! What a mode is, as upstream's API helpers (weka-k8s-api `container_types.go`) classify it.
//! They belong in weka-api; they live here until the lead moves them.

use weka_api::WekaContainer;
use weka_api::wekacontainer::ContainerMode::{self, *};

/// Instruction types (`spec.instructions.type`) that change the pod.
pub mod instructions {
    /// Sign drives; with drive sharing the payload names the SSD proxy to talk to.
    pub const SIGN_DRIVES: &str = "sign-drives";
    /// Configure NICs; reaches the instance metadata service, so it runs on the host network.
    pub const ENSURE_NICS: &str = "ensure-nics";
    /// A drivers pod copies the WEKA dist files from the cluster image (the payload).
    pub const COPY_WEKA_FILES_TO_DRIVER_LOADER: &str = "copy-weka-files-to-driver-loader";
}

/// Mode-only predicates.
pub trait ModeTraits: Copy {
    /// Runs a WEKA container process (upstream `IsWekaContainer`).
    fn is_weka_container(self) -> bool;
    /// Builds, serves or loads drivers (`IsDriversContainer`).
    fn is_drivers(self) -> bool;
    /// Builds drivers (`IsDriversBuilder`).
    fn is_drivers_builder(self) -> bool;
    /// A short-lived helper with minimal resources and no hugepages (`IsAdhocOpContainer`).
    fn is_adhoc(self) -> bool;
    /// Finishes and reports a result (`IsOneOff`).
    fn is_one_off(self) -> bool;
    /// Keeps state in host directories across pod restarts (`HasPersistentStorage`).
    fn has_persistent_storage(self) -> bool;
    /// Runs the WEKA agent (`HasAgent`).
    fn has_agent(self) -> bool;
    /// Gets ports (and drives) allocated on its node (`IsAllocatable`).
    fn is_allocatable(self) -> bool;
    /// A backend of the WEKA cluster (`IsBackend`).
    fn is_backend(self) -> bool;
    /// A protocol gateway (`IsProtocol`).
    fn is_protocol(self) -> bool;
    /// Needs WEKA drivers loaded on its node (`RequiresDrivers`).
    fn requires_drivers(self) -> bool;
    /// Joins the WEKA cluster as a container (`ShouldJoinCluster`).
    fn should_join_cluster(self) -> bool;
    /// Must be pinned to a node (`MustHaveNodeAffinity`).
    fn must_have_node_affinity(self) -> bool;
}

impl ModeTraits for ContainerMode {
    fn is_weka_container(self) -> bool {
        matches!(
            self,
            Drive
                | Compute
                | S3
                | Client
                | Envoy
                | Dist
                | DriversDist
                | DriversBuilder
                | Nfs
                | Smbw
                | Ssdproxy
                | Telemetry
                | DataServices
        )
    }

    fn is_drivers(self) -> bool {
        matches!(self, Dist | DriversDist | DriversLoader | DriversBuilder)
    }

    fn is_drivers_builder(self) -> bool {
        matches!(self, DriversBuilder | Dist)
    }

    fn is_adhoc(self) -> bool {
        matches!(self, AdhocOpWithContainer | AdhocOp | DriversLoader)
    }

    fn is_one_off(self) -> bool {
        matches!(self, AdhocOpWithContainer | Discovery | AdhocOp | DriversBuilder | DriversLoader)
    }

    fn has_persistent_storage(self) -> bool {
        matches!(
            self,
            Drive
                | Compute
                | S3
                | Envoy
                | Client
                | Dist
                | DriversDist
                | Nfs
                | Smbw
                | Ssdproxy
                | Telemetry
                | DataServices
        )
    }

    fn has_agent(self) -> bool {
        matches!(
            self,
            Drive
                | Compute
                | S3
                | Envoy
                | Dist
                | DriversDist
                | DriversBuilder
                | AdhocOpWithContainer
                | Nfs
                | Smbw
                | Ssdproxy
                | Telemetry
                | DataServices
        )
    }

    fn is_allocatable(self) -> bool {
        matches!(self, Drive | Compute | Envoy | S3 | Nfs | Smbw | Telemetry | DataServices)
    }

    fn is_backend(self) -> bool {
        matches!(self, Drive | Compute | S3 | Nfs | Smbw | DataServices)
    }

    fn is_protocol(self) -> bool {
        matches!(self, Nfs | S3 | Smbw | DataServices)
    }

    fn requires_drivers(self) -> bool {
        self.is_weka_container() && !self.is_drivers() && !matches!(self, Envoy | Telemetry)
    }

    fn should_join_cluster(self) -> bool {
        self.is_weka_container()
            && !self.is_drivers()
            && !matches!(self, Envoy | Ssdproxy | Telemetry)
    }

    fn must_have_node_affinity(self) -> bool {
        (self.is_allocatable() && self.is_backend()) || matches!(self, Envoy | Telemetry)
    }
}

/// Modes whose pods the anti-affinity rule "one frontend per node" selects
/// (upstream `domain.ContainerModesWithFrontend`).
pub const FRONTEND_MODES: [ContainerMode; 3] = [Nfs, S3, Client];

/// The instruction type of an ad-hoc container, if any.
pub fn instruction_type(container: &WekaContainer) -> Option<&str> {
    container.spec.instructions.as_ref().map(|i| i.type_.as_str())
}

/// Runs a WEKA frontend (`HasFrontend`); data services only with frontend cores.
pub fn has_frontend(container: &WekaContainer) -> bool {
    match container.spec.mode {
        S3 | Client | Nfs | Smbw => true,
        DataServices => container
            .spec
            .data_services_config
            .as_ref()
            .and_then(|c| c.data_services_fe_cores)
            .is_some_and(|cores| cores > 0),
        _ => false,
    }
}

/// Runs on the host network (`IsHostNetwork`).
pub fn is_host_network(container: &WekaContainer) -> bool {
    let mode = container.spec.mode;
    if mode == AdhocOpWithContainer {
        return instruction_type(container) == Some(instructions::ENSURE_NICS);
    }
    mode.is_weka_container() && !mode.is_drivers() && !matches!(mode, Ssdproxy | Telemetry)
}

/// Shares drives through the node's SSD proxy (`UsesDriveSharing`).
pub fn uses_drive_sharing(container: &WekaContainer) -> bool {
    container.spec.drive_capacity.unwrap_or(0) > 0
        || container.spec.container_capacity.unwrap_or(0) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_network_modes_are_the_data_path_modes() {
        let host: Vec<_> = ContainerMode::ALL
            .into_iter()
            .filter(|m| m.is_weka_container() && !m.is_drivers())
            .filter(|m| !matches!(m, Ssdproxy | Telemetry))
            .collect();
        assert_eq!(host, [Drive, Compute, Client, S3, Envoy, Nfs, Smbw, DataServices]);
    }

    #[test]
    fn drivers_loader_is_an_adhoc_drivers_one_off_without_agent() {
        assert!(DriversLoader.is_adhoc());
        assert!(DriversLoader.is_drivers());
        assert!(DriversLoader.is_one_off());
        assert!(!DriversLoader.has_agent());
        assert!(!DriversLoader.has_persistent_storage());
    }
}
