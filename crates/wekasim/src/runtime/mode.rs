//! The WekaContainer modes as the runtime tells them apart (`MODE`), and what each does at
//! start and stop (upstream's `weka_runtime.py` branches on the same lists).

use crate::world::local::ContainerKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Drive,
    Compute,
    Client,
    S3,
    Nfs,
    Smbw,
    DataServices,
    Envoy,
    Telemetry,
    SsdProxy,
    Dist,
    DriversDist,
    DriversBuilder,
    DriversLoader,
    Discovery,
    AdhocOp,
    AdhocOpWithContainer,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        Some(match text {
            "drive" => Mode::Drive,
            "compute" => Mode::Compute,
            "client" => Mode::Client,
            "s3" => Mode::S3,
            "nfs" => Mode::Nfs,
            "smbw" => Mode::Smbw,
            "data-services" => Mode::DataServices,
            "envoy" => Mode::Envoy,
            "telemetry" => Mode::Telemetry,
            "ssdproxy" => Mode::SsdProxy,
            "dist" => Mode::Dist,
            "drivers-dist" => Mode::DriversDist,
            "drivers-builder" => Mode::DriversBuilder,
            "drivers-loader" => Mode::DriversLoader,
            "discovery" => Mode::Discovery,
            "adhoc-op" => Mode::AdhocOp,
            "adhoc-op-with-container" => Mode::AdhocOpWithContainer,
            _ => return None,
        })
    }

    /// The modes that run a cluster member (`weka local setup container`), and its kind.
    pub fn member_kind(self) -> Option<ContainerKind> {
        Some(match self {
            Mode::Drive => ContainerKind::Drive,
            Mode::Compute => ContainerKind::Compute,
            Mode::Client => ContainerKind::Client,
            Mode::S3 => ContainerKind::S3,
            Mode::Nfs => ContainerKind::Nfs,
            Mode::Smbw => ContainerKind::Smbw,
            Mode::DataServices => ContainerKind::DataServices,
            _ => return None,
        })
    }

    /// The modes that wait for the operator's `resources.json`.
    pub fn waits_for_resources(self) -> bool {
        self.member_kind().is_some() || matches!(self, Mode::Envoy | Mode::Telemetry)
    }

    /// The modes that write `management_ips`.
    pub fn writes_management_ips(self) -> bool {
        self.member_kind().is_some()
    }

    /// The modes that run a WEKA agent (all but the driverless one-offs).
    pub fn runs_agent(self) -> bool {
        !matches!(self, Mode::AdhocOp | Mode::Discovery | Mode::DriversLoader)
    }

    /// The modes that wait for the node's WEKA drivers (and keep `/tmp/weka-drivers.log`).
    pub fn needs_drivers(self) -> bool {
        !matches!(
            self,
            Mode::Dist
                | Mode::DriversDist
                | Mode::DriversLoader
                | Mode::DriversBuilder
                | Mode::AdhocOpWithContainer
                | Mode::Envoy
                | Mode::AdhocOp
                | Mode::Telemetry
                | Mode::Discovery
        )
    }

    /// What `/tmp/weka-drivers.log` names while drivers are missing: frontends validate the
    /// whole driver set at once, backends look for the first missing module.
    pub fn missing_driver_marker(self) -> &'static str {
        match self {
            Mode::Client | Mode::S3 | Mode::Nfs => "weka-drivers-loading",
            _ => "wekafsio",
        }
    }

    /// On SIGTERM these block until the operator allows a stop.
    pub fn waits_for_stop_permission(self) -> bool {
        matches!(self, Mode::Client | Mode::S3 | Mode::Nfs | Mode::Drive | Mode::Compute)
    }

    /// These may stop gracefully (`weka local stop -g`); the others always stop with --force.
    pub fn may_stop_gracefully(self) -> bool {
        matches!(self, Mode::S3 | Mode::Drive | Mode::Compute | Mode::Nfs | Mode::DataServices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_rules_follow_upstream_lists() {
        assert!(Mode::Drive.waits_for_stop_permission() && Mode::Drive.may_stop_gracefully());
        assert!(Mode::Client.waits_for_stop_permission() && !Mode::Client.may_stop_gracefully());
        assert!(!Mode::Envoy.waits_for_stop_permission() && !Mode::Envoy.may_stop_gracefully());
        assert!(
            !Mode::DataServices.waits_for_stop_permission()
                && Mode::DataServices.may_stop_gracefully()
        );
    }

    #[test]
    fn modes_parse_and_know_their_member_kind() {
        assert_eq!(Mode::parse("data-services"), Some(Mode::DataServices));
        assert_eq!(Mode::parse("weird"), None);
        assert_eq!(Mode::Compute.member_kind(), Some(ContainerKind::Compute));
        assert_eq!(Mode::Envoy.member_kind(), None);
        assert!(Mode::Envoy.waits_for_resources() && !Mode::Envoy.writes_management_ips());
        assert!(!Mode::Telemetry.needs_drivers() && Mode::SsdProxy.needs_drivers());
    }
}
