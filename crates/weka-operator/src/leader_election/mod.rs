//! Leader election through a `coordination.k8s.io/v1` Lease, written for this operator (the
//! algorithm of client-go's `leaderelection`, which controller-runtime uses upstream).
//!
//! - A candidate reads the Lease every retry period. It takes the Lease when nobody holds it,
//!   or when the holder's record has not changed for the lease duration *as observed locally*
//!   (monotonic time, so clock skew between nodes does not matter). Every write carries the
//!   resourceVersion it read: of two candidates, one wins and the other gets a conflict.
//!   Taking over from another holder increments `leaseTransitions`.
//! - The leader renews every retry period. When it has not renewed for the renew deadline, or
//!   finds another holder, it publishes [`Leadership::Standby`] at once, so the operator stops
//!   its controllers before anyone else can take the Lease (renew deadline < lease duration),
//!   and goes back to being a candidate.
//! - On shutdown the leader releases the Lease (empty holder, `leaseDurationSeconds: 1`), so a
//!   standby takes over at its next retry instead of waiting for expiry.
//!
//! Timing uses `tokio::time`, so unit tests drive it with a paused clock.

mod elector;
mod lease_store;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use elector::Elector;
pub use lease_store::{KubeLeaseStore, LeaseError, LeaseStore};

/// What this process knows about leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leadership {
    /// Not known yet (the Lease has not been read).
    Unknown,
    /// This process holds the Lease: it may reconcile. `term` counts this process's
    /// acquisitions, so that a watcher that missed a loss and a re-acquisition in between
    /// still sees that the term changed (and restarts its controllers).
    Leader { term: u64 },
    /// Another process holds the Lease (or nobody, for an instant): do not reconcile.
    Standby { holder: Option<String> },
}

impl Leadership {
    pub fn is_leader(&self) -> bool {
        matches!(self, Leadership::Leader { .. })
    }

    /// The leadership term, while leading.
    pub fn term(&self) -> Option<u64> {
        match self {
            Leadership::Leader { term } => Some(*term),
            _ => None,
        }
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, Leadership::Unknown)
    }
}

/// Timing and identity of one candidate.
#[derive(Debug, Clone)]
pub struct ElectionConfig {
    /// `holderIdentity`: unique per process.
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

/// A unique holder identity: `<stem>_<8 random hex digits>`, the stem being the pod name or the
/// host name, so that a restarted container never mistakes its predecessor's Lease for its own.
pub fn holder_identity(stem: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{stem}_{}", &random[..8])
}
