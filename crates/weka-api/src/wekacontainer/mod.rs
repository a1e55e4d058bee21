//! `WekaContainer`: one WEKA container, run as exactly one Pod of the same name.
//!
//! The spec ([`spec`]) says what to run and where; the status ([`status`]) is written by the
//! operator. The container's role is its [`ContainerMode`].

mod mode;
pub mod spec;
pub mod status;

pub use mode::{ContainerMode, ParseContainerModeError};
pub use spec::{
    ContainerState, DataServicesConfig, Instructions, WekaContainer, WekaContainerBuilder,
    WekaContainerOverrides, WekaContainerSpec,
};
pub use status::{
    AddedDrive, ContainerAllocations, ContainerPrinterColumns, ContainerStats, VirtualDrive,
    WekaContainerStatus,
};

#[cfg(test)]
mod tests;
