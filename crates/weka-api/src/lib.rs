//! The WEKA custom resources (`weka.weka.io/v1alpha1`) as Rust types, wire-compatible with
//! upstream's CRDs, plus the CRDs generated from them, the names every controller shares
//! ([`constants`]), condition helpers ([`conditions`]) and parsing with precise errors ([`parse`]).
//!
//! This crate does no I/O: controllers, simulators and tests all build on it.

pub mod common;
pub mod conditions;
pub mod constants;
pub mod crds;
pub mod parse;
pub mod payloads;
pub mod schema;
pub mod wekaclient;
pub mod wekacluster;
pub mod wekacontainer;
pub mod wekamanualoperation;
pub mod wekapolicy;

pub use wekaclient::{WekaClient, WekaClientSpec, WekaClientStatus};
pub use wekacluster::{WekaCluster, WekaClusterSpec, WekaClusterStatus};
pub use wekacontainer::{WekaContainer, WekaContainerSpec, WekaContainerStatus};
pub use wekamanualoperation::{
    WekaManualOperation, WekaManualOperationSpec, WekaManualOperationStatus,
};
pub use wekapolicy::{WekaPolicy, WekaPolicySpec, WekaPolicyStatus};

/// The API group of every WEKA kind.
pub const GROUP: &str = "weka.weka.io";
/// The only served version.
pub const VERSION: &str = "v1alpha1";
/// `GROUP/VERSION`, as in `apiVersion`.
pub const API_VERSION: &str = "weka.weka.io/v1alpha1";
