//! `WekaClient`: WEKA client containers on the selected nodes, joined to one WEKA cluster,
//! plus the CSI deployment that mounts the cluster's filesystems into pods.
//!
//! The spec ([`spec`]) says what to run and where; the status ([`status`]) is written by the
//! operator.

pub mod spec;
pub mod status;

pub use spec::{
    ClientCsiConfig, UpgradePolicy, WekaClient, WekaClientOverrides, WekaClientSpec,
    WekaHomeClientConfig,
};
pub use status::{ClientMetrics, ClientPrinterColumns, WekaClientPhase, WekaClientStatus};

#[cfg(test)]
mod tests;
