//! The runtime the controllers plug into.
//!
//! - [`Operator`]: built from a client and the [`Config`](crate::config::Config); controllers
//!   are registered on it ([`Reconciler`]), then [`Operator::start`] binds the HTTP endpoints,
//!   starts the shared reflectors and the leader election, and runs the controllers while this
//!   process leads.
//! - [`Reflectors`]: one watch and cache per resource type, shared by all controllers.
//! - [`Context`]: what every reconcile receives.
//! - [`CachedPod`]: a Pod as the shared cache keeps it (the spec as compact JSON).

mod cached_pod;
mod connect;
mod context;
mod controller;
mod operator;
mod preflight;
mod reflectors;

pub use cached_pod::CachedPod;
pub use connect::connect;
pub use context::{Context, REPORTING_CONTROLLER};
pub use controller::{ReconcileError, Reconciler};
pub use operator::{Operator, OperatorHandle};
pub use preflight::{MissingCrds, check_crds};
pub use reflectors::{ApiScope, Reflector, Reflectors, Subscription, Watched};

/// Why the operator could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot load the Kubernetes client configuration: {0}")]
    KubeConfig(String),
    #[error("cannot reach the Kubernetes API server: {0}")]
    Connect(String),
    #[error(transparent)]
    MissingCrds(#[from] MissingCrds),
    #[error(transparent)]
    Bind(#[from] crate::http::BindError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot listen for termination signals: {0}")]
    Signals(std::io::Error),
    #[error("the operator stopped unexpectedly (see the log above)")]
    Stopped,
}
