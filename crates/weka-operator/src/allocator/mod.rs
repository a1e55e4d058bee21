//! Allocation of ports and drives: pure decisions over a snapshot of claims, persisted by the caller.
//!
//! Every function here takes what it must avoid as data and returns a decision or an
//! [`AllocationError`]; none reads the API or keeps state between calls. The controllers
//! persist the decisions so that a restarted operator, or two operators at once, can never
//! hand out one port or drive twice:
//!
//! - **Cluster ranges** ([`allocate_cluster_ports`], spec §3.2) go to the WekaCluster's
//!   `status.ports`. Two clusters allocated at the same moment may pick the same free range;
//!   after writing, [`overlapping_clusters`] and [`must_yield`] tell the later one (by
//!   namespace/name) to clear its range and allocate again before any container uses it.
//! - **Per-container resources** ([`allocate_container`], spec §3.3) are claimed on the Node
//!   ([`NodeClaims`]: annotations `weka.io/port-claims`, `weka.io/drive-claims`,
//!   `weka.io/virtual-drive-claims`) and then copied to the container's
//!   `status.allocations`. The protocol of the WekaContainer controller:
//!   1. read the Node (keep its `resourceVersion`) and the WekaContainers;
//!   2. decode the claims and drop stale ones ([`NodeClaims::healed`]);
//!   3. [`allocate_container`] (it returns what the node already holds for this container,
//!      if an earlier attempt got that far), then [`NodeClaims::record`];
//!   4. update the Node with the [encoded](NodeClaims::encode) annotations and the
//!      `resourceVersion` of step 1; on 409 Conflict go back to step 1;
//!   5. write the allocation to `status.allocations` ([`Allocation::apply_to`]).
//!
//!   Concurrent allocations on one node serialise through the Node's optimistic concurrency;
//!   no process-local lock or Lease is needed. The used set is the union of the claims and
//!   the statuses, so losing either copy (annotations edited away, a status write lost) never
//!   frees a resource that is in use.
//! - **Garbage**: [`reconcile_claims`] lists claims whose container is gone from the node;
//!   the container's finalizer releases its own with [`NodeClaims::release`].

mod claims;
mod claims_gc;
mod cluster_ports;
mod container;
mod drive_types;
mod error;
mod node_drives;
mod ports;
mod settings;
mod shared_drives;
mod snapshot;
mod strategies;

#[cfg(test)]
mod claims_tests;
#[cfg(test)]
mod cluster_ports_tests;
#[cfg(test)]
mod container_tests;
#[cfg(test)]
mod shared_drives_tests;
#[cfg(test)]
mod test_support;

// The interface for the WekaCluster and WekaContainer controllers, which are wired in next.
#[allow(unused_imports)]
pub use claims::{ClaimOwner, HeldClaims, NodeClaims, VirtualDriveClaim};
#[allow(unused_imports)]
pub use claims_gc::{StaleClaims, reconcile_claims};
#[allow(unused_imports)]
pub use cluster_ports::{
    ClusterKey, ClusterRange, ClusterRangeRequest, ClusterRangeSnapshot, allocate_cluster_ports,
    allocate_management_proxy_port, must_yield, overlapping_clusters, singleton_blocks,
};
#[allow(unused_imports)]
pub use container::{
    Allocation, ContainerRequest, DriveRequest, allocate_container, allocate_exclusive_drives,
    allocate_ports,
};
#[allow(unused_imports)]
pub use drive_types::{DriveType, split_capacity};
#[allow(unused_imports)]
pub use error::AllocationError;
#[allow(unused_imports)]
pub use node_drives::{NodeDrives, SharedDrive};
#[allow(unused_imports)]
pub use ports::{PortBlock, PortLayout};
#[allow(unused_imports)]
pub use settings::DriveSharingSettings;
#[allow(unused_imports)]
pub use shared_drives::allocate_shared_drives;
#[allow(unused_imports)]
pub use snapshot::{NodeSnapshot, node_of};
