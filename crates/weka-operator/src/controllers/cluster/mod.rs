//! The WekaCluster controller: a user applies one WekaCluster and gets a running WEKA
//! cluster (spec `wekacluster.md`).
//!
//! Each reconcile builds a [`state::ClusterState`] from the object, its resolved template and
//! its WekaContainers (from the shared cache), picks the flow ([`flows`]: the main flow, or
//! the deletion flow once the cluster is deleted), runs its steps ([`steps`]) and turns the
//! outcome into `Ready`/`Progressing`, events and the next requeue ([`outcome`]).
//!
//! Triggers: the WekaCluster, its WekaContainers (by owner UID) and their pods (by the
//! `weka.io/cluster-name` label). Everything the controller decides is kept in the API
//! (status conditions, `status.ports`, deterministic container names), so a restarted
//! operator continues where the last one stopped.

mod flows;
mod outcome;
mod secrets;
mod selection;
mod shared;
mod state;
mod status_patch;
mod steps;
mod weka_stats;

use std::sync::Arc;
use std::time::Duration;

use kube::ResourceExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use weka_api::WekaCluster;
use weka_api::constants::labels;

pub use shared::Timing;
pub use steps::observe::PODS_SCHEDULED;

use crate::config::Config;
use crate::controllers::container::ContainerObject;
use crate::engine::{SystemClock, run_flow};
use crate::runtime::{CachedPod, Context, Reconciler, Reflectors};
use shared::Shared;
use state::ClusterState;

/// The controller's name in metrics and logs.
pub const NAME: &str = "wekacluster";

/// A reconcile that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("step {step} failed ({reason}): {message}")]
    StepFailed { step: &'static str, reason: &'static str, message: String },
    #[error("cannot write the status: {0}")]
    Status(String),
}

/// The WekaCluster controller (register with
/// `operator.register::<WekaCluster, _>(WekaClusterController::new())`).
pub struct WekaClusterController {
    shared: Arc<Shared>,
}

impl Default for WekaClusterController {
    fn default() -> Self {
        Self::new()
    }
}

impl WekaClusterController {
    pub fn new() -> Self {
        Self::with_timing(Timing::default())
    }

    /// With other timing (tests poll WEKA state faster).
    pub fn with_timing(timing: Timing) -> Self {
        WekaClusterController { shared: Arc::new(Shared::new(timing)) }
    }
}

impl Reconciler<WekaCluster> for WekaClusterController {
    type Error = ClusterError;

    fn name(&self) -> &'static str {
        NAME
    }

    fn max_workers(&self, config: &Config) -> u16 {
        config.workers.weka_cluster
    }

    async fn reconcile(
        &self,
        object: Arc<WekaCluster>,
        ctx: Arc<Context>,
    ) -> Result<Action, ClusterError> {
        // Decisions (containers to create, ports taken) must not be taken on empty caches.
        if !ctx.reflectors.get::<ContainerObject>().synced()
            || !ctx.reflectors.get::<CachedPod>().synced()
        {
            return Ok(Action::requeue(Duration::from_millis(500)));
        }
        let mut state = ClusterState::new(ctx, self.shared.clone(), (*object).clone());
        let flow = flows::select(&state);
        tracing::debug!(flow = flow.name, containers = state.containers.len(), "reconciling");
        let report = run_flow(flow.steps, &mut state, &self.shared.throttler, &SystemClock).await;
        tracing::trace!(flow = flow.name, ran = ?report.ran(), "flow ran");
        outcome::conclude(report, &mut state).await
    }

    fn error_policy(&self, object: &WekaCluster, error: &ClusterError, _ctx: &Context) -> Action {
        let delay = self.shared.failed(&object.uid().unwrap_or_default());
        tracing::debug!(%error, ?delay, "retrying after a failure");
        Action::requeue(delay)
    }

    fn configure(
        &self,
        controller: Controller<WekaCluster>,
        reflectors: &Reflectors,
    ) -> Controller<WekaCluster> {
        let containers = reflectors.get::<ContainerObject>();
        let pods = reflectors.get::<CachedPod>();
        let clusters = reflectors.get::<WekaCluster>().store();
        controller
            .watches_shared_stream(
                containers.subscribe(NAME),
                move |container: Arc<ContainerObject>| owning_cluster(&container, &clusters),
            )
            .watches_shared_stream(pods.subscribe(NAME), |pod: Arc<CachedPod>| cluster_of_pod(&pod))
    }
}

/// The WekaCluster that owns a WekaContainer (by owner reference kind and UID).
fn owning_cluster(
    container: &ContainerObject,
    clusters: &kube::runtime::reflector::Store<WekaCluster>,
) -> Option<ObjectRef<WekaCluster>> {
    let namespace = container.metadata.namespace.as_deref()?;
    let owner = container.owner_references().iter().find(|r| r.kind == "WekaCluster")?;
    let by_name = ObjectRef::new(&owner.name).within(namespace);
    match clusters.get(&by_name) {
        Some(cluster) if cluster.uid().as_deref() != Some(owner.uid.as_str()) => None,
        _ => Some(by_name),
    }
}

/// The WekaCluster of a WEKA pod (its `weka.io/cluster-name` label, set on every container
/// of a cluster and copied to its pod).
fn cluster_of_pod(pod: &CachedPod) -> Option<ObjectRef<WekaCluster>> {
    let labels = pod.labels();
    labels.get(labels::CLUSTER_ID)?;
    let name = labels.get(labels::CLUSTER_NAME)?;
    Some(ObjectRef::new(name).within(pod.namespace().as_deref()?))
}
