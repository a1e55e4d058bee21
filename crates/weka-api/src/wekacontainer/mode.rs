//! [`ContainerMode`]: what a WekaContainer runs.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The role of a WekaContainer; fixes the kind of WEKA process (or helper job) its pod runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerMode {
    /// Backend container serving drives.
    Drive,
    /// Backend container running compute processes.
    Compute,
    /// Client container mounting filesystems on its node.
    Client,
    /// Legacy drivers distribution server (builds and serves drivers).
    Dist,
    /// Drivers distribution server.
    DriversDist,
    /// One-off job that loads the WEKA drivers on a node.
    DriversLoader,
    /// One-off job that builds drivers and uploads them to a distribution server.
    DriversBuilder,
    /// One-off job that inspects a node and records what it found.
    Discovery,
    /// S3 protocol frontend.
    S3,
    /// One-off operation that needs a WEKA container runtime.
    AdhocOpWithContainer,
    /// One-off operation without a WEKA container.
    AdhocOp,
    /// Envoy load balancer in front of S3.
    Envoy,
    /// NFS protocol frontend.
    Nfs,
    /// SMB-W protocol frontend.
    Smbw,
    /// Telemetry exporter.
    Telemetry,
    /// SSD proxy that shares a node's drives between clusters.
    Ssdproxy,
    /// Data services backend.
    DataServices,
    /// Data services frontend.
    DataServicesFe,
}

impl ContainerMode {
    /// Every mode, in the order the CRD lists them.
    pub const ALL: [ContainerMode; 18] = [
        ContainerMode::Drive,
        ContainerMode::Compute,
        ContainerMode::Client,
        ContainerMode::Dist,
        ContainerMode::DriversDist,
        ContainerMode::DriversLoader,
        ContainerMode::DriversBuilder,
        ContainerMode::Discovery,
        ContainerMode::S3,
        ContainerMode::AdhocOpWithContainer,
        ContainerMode::AdhocOp,
        ContainerMode::Envoy,
        ContainerMode::Nfs,
        ContainerMode::Smbw,
        ContainerMode::Telemetry,
        ContainerMode::Ssdproxy,
        ContainerMode::DataServices,
        ContainerMode::DataServicesFe,
    ];

    /// The mode as written in `spec.mode` (and in the `weka.io/mode` label).
    pub const fn as_str(self) -> &'static str {
        match self {
            ContainerMode::Drive => "drive",
            ContainerMode::Compute => "compute",
            ContainerMode::Client => "client",
            ContainerMode::Dist => "dist",
            ContainerMode::DriversDist => "drivers-dist",
            ContainerMode::DriversLoader => "drivers-loader",
            ContainerMode::DriversBuilder => "drivers-builder",
            ContainerMode::Discovery => "discovery",
            ContainerMode::S3 => "s3",
            ContainerMode::AdhocOpWithContainer => "adhoc-op-with-container",
            ContainerMode::AdhocOp => "adhoc-op",
            ContainerMode::Envoy => "envoy",
            ContainerMode::Nfs => "nfs",
            ContainerMode::Smbw => "smbw",
            ContainerMode::Telemetry => "telemetry",
            ContainerMode::Ssdproxy => "ssdproxy",
            ContainerMode::DataServices => "data-services",
            ContainerMode::DataServicesFe => "data-services-fe",
        }
    }
}

impl fmt::Display for ContainerMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`ContainerMode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown container mode {0:?}")]
pub struct ParseContainerModeError(pub String);

impl FromStr for ContainerMode {
    type Err = ParseContainerModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContainerMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseContainerModeError(s.to_string()))
    }
}
