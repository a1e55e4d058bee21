//! The CSI driver as the operator names and advertises it: the group a WekaClient's CSI
//! resources belong to and the driver name derived from it ([`naming`]), and the topology
//! labels a node carries while a client container on it can serve CSI volumes
//! ([`topology`]). Pure functions: the WekaContainer controller applies them, and the
//! WekaClient controller's CSI deployment must name things the same way.

pub mod naming;
pub mod topology;
