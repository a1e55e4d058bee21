//! The WekaContainer controller: one WEKA container, run as exactly one pod of the same name.
//!
//! Each reconcile decodes the object ([`object`]), picks the flow from `spec.state`
//! ([`flows`]), runs its steps ([`steps`]) against a [`state::ContainerState`] built from the
//! object and the shared caches, and turns the outcome into conditions, events and the next
//! requeue ([`outcome`]). Triggers: the WekaContainer, its pod, its node ([`node_triggers`]:
//! only when something the flows read about the node changed), and a helper container it
//! waits on getting its result ([`helper_waiters`]).
//!
//! Spec: `wekacontainer-flows.md` (flows, pod ensure and termination, status values, events).

mod flows;
mod helper_waiters;
mod invalid;
mod merge_patch;
mod node_info;
mod node_triggers;
mod object;
mod outcome;
mod pod_notes;
mod readiness;
mod settings;
mod shared;
mod state;
#[cfg(test)]
mod state_tests;
mod steps;
mod wait_records;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;

pub use object::ContainerObject;
pub use shared::Timing;

use crate::config::Config;
use crate::engine::{SystemClock, run_flow};
use crate::runtime::{CachedPod, Context, Reconciler, Reflectors};
use node_triggers::NodeTriggers;
use shared::Shared;
use state::ContainerState;

/// The controller's name in metrics and logs.
pub const NAME: &str = "wekacontainer";

/// How long a status write of this controller may take to come back from the watch before
/// the cache is trusted again anyway (a re-listed watch may never deliver that version).
const ECHO_WAIT: Duration = Duration::from_secs(2);
/// How soon a pass put off for a pending echo runs.
const ECHO_RECHECK: Duration = Duration::from_millis(50);

/// A reconcile that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("step {step} failed ({reason}): {message}")]
    StepFailed { step: &'static str, reason: &'static str, message: String },
    #[error("cannot write the status: {0}")]
    Status(String),
}

/// The WekaContainer controller (register with
/// `operator.register::<ContainerObject, _>(WekaContainerController::new())`).
pub struct WekaContainerController {
    shared: Arc<Shared>,
}

impl Default for WekaContainerController {
    fn default() -> Self {
        Self::new()
    }
}

impl WekaContainerController {
    pub fn new() -> Self {
        Self::with_timing(Timing::default())
    }

    /// With other requeue timing (tests use a short refresh).
    pub fn with_timing(timing: Timing) -> Self {
        WekaContainerController { shared: Arc::new(Shared::new(timing)) }
    }
}

impl Reconciler<ContainerObject> for WekaContainerController {
    type Error = ContainerError;

    fn name(&self) -> &'static str {
        NAME
    }

    fn max_workers(&self, config: &Config) -> u16 {
        config.workers.weka_container
    }

    async fn reconcile(
        &self,
        object: Arc<ContainerObject>,
        ctx: Arc<Context>,
    ) -> Result<Action, ContainerError> {
        // Decisions (a pod to create, a node that is gone) must not be taken on empty caches.
        if !ctx.reflectors.get::<CachedPod>().synced() || !ctx.reflectors.get::<Node>().synced() {
            return Ok(Action::requeue(Duration::from_secs(1)));
        }
        // The cache lags behind this controller's own last status write: the pass that made
        // it is done with this version. The echo arrives within milliseconds.
        let uid = object.metadata.uid.as_deref().unwrap_or_default();
        let version = object.metadata.resource_version.as_deref();
        if self.shared.awaits_own_echo(uid, version, ECHO_WAIT) {
            return Ok(Action::requeue(ECHO_RECHECK));
        }
        let container = match object.decode() {
            Ok(container) => container,
            Err(err) => return Ok(invalid::report(&object, &err, &ctx, &self.shared).await),
        };
        if container.status.as_ref().is_some_and(|st| st.result.is_some()) {
            self.shared.helper_waiters.helper_done(&ObjectRef::from_obj(object.as_ref()));
        }
        let flow = flows::select(container.spec.state);
        let mut state = ContainerState::new(ctx, self.shared.clone(), container);
        tracing::debug!(flow = flow.name, "reconciling");
        let report = run_flow(flow.steps, &mut state, &self.shared.throttler, &SystemClock).await;
        tracing::trace!(flow = flow.name, ran = ?report.ran(), "flow ran");
        let action = outcome::conclude(report, &mut state).await;
        if state.gone {
            self.shared.forget(state.uid());
        }
        action
    }

    /// The echo of this controller's own status write: the pass that wrote it decided what
    /// comes next (a requeue, or the watches it waits on).
    fn ignores_change(&self, object: &ContainerObject) -> bool {
        let uid = object.metadata.uid.as_deref().unwrap_or_default();
        self.shared.is_own_status_write(uid, object.metadata.resource_version.as_deref())
    }

    fn error_policy(
        &self,
        object: &ContainerObject,
        error: &ContainerError,
        _ctx: &Context,
    ) -> Action {
        let delay = self.shared.failed(&object.uid().unwrap_or_default());
        tracing::debug!(%error, ?delay, "retrying after a failure");
        Action::requeue(delay)
    }

    fn configure(
        &self,
        controller: Controller<ContainerObject>,
        reflectors: &Reflectors,
    ) -> Controller<ContainerObject> {
        let pods = reflectors.get::<CachedPod>();
        let nodes = reflectors.get::<Node>();
        let triggers =
            NodeTriggers::new(nodes.store(), reflectors.get::<ContainerObject>().store());
        controller
            .owns_shared_stream(pods.subscribe(NAME))
            .reconcile_on(self.shared.helper_waiters.triggers())
            .watches_shared_stream(nodes.subscribe(NAME), move |node: Arc<Node>| {
                triggers.containers_to_wake(&node)
            })
    }
}
