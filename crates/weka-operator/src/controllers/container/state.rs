//! [`ContainerState`]: what the steps of one reconcile work on — the working copy of the
//! WekaContainer, its node and pod from the shared caches — and the writes they make through
//! it: the status (a merge patch of what changed, nothing when nothing did), guarded metadata
//! and spec patches, and events.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::EventType;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};
use weka_api::conditions::{self, Desired};
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};
use weka_api::{WekaClient, WekaCluster, WekaContainer, WekaContainerSpec};

use super::merge_patch;
use super::shared::Shared;
use crate::engine::{FlowState, StepError};
use crate::runtime::{CachedPod, Context};
use crate::weka::{ExecTarget, WekaCli};

/// The working state of one reconcile.
pub struct ContainerState {
    pub ctx: Arc<Context>,
    pub shared: Arc<Shared>,
    /// The object as this reconcile sees it (updated by every write).
    pub container: WekaContainer,
    /// The status as last read or written, serialized: what a status patch is computed from.
    status_baseline: Value,
    /// The node named by the node affinity, from the cache.
    pub node: Option<Arc<Node>>,
    /// The node affinity names a node that does not exist.
    pub node_missing: bool,
    /// The pod of the same name, from the cache (or as just created).
    pub pod: Option<Arc<Pod>>,
    /// Set once the object is gone (finalized, or deleted under us): nothing more to write.
    pub gone: bool,
    /// The flow waits for a change of the spec (an impossible spec): no safety requeue.
    pub needs_spec_change: bool,
    /// The frontend's active mounts as the node agent told this reconcile (upstream caches
    /// them per reconcile too); `None` until asked.
    pub active_mounts: Option<Result<i64, String>>,
    /// The owning WekaClient of a container that manages CSI (`GetWekaClient`): its CSI
    /// group names the driver whose topology labels the node carries.
    pub weka_client: Option<WekaClient>,
    /// The WekaClient's target cluster (`FetchTargetCluster`), whose CSI group wins.
    pub target_cluster: Option<WekaCluster>,
}

impl ContainerState {
    pub fn new(ctx: Arc<Context>, shared: Arc<Shared>, container: WekaContainer) -> Self {
        let status_baseline = serde_json::to_value(&container.status).unwrap_or(Value::Null);
        ContainerState {
            ctx,
            shared,
            container,
            status_baseline,
            node: None,
            node_missing: false,
            pod: None,
            gone: false,
            needs_spec_change: false,
            active_mounts: None,
            weka_client: None,
            target_cluster: None,
        }
    }

    // --- identity --------------------------------------------------------------------

    pub fn name(&self) -> &str {
        self.container.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.container.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub fn uid(&self) -> &str {
        self.container.metadata.uid.as_deref().unwrap_or_default()
    }

    pub fn spec(&self) -> &WekaContainerSpec {
        &self.container.spec
    }

    pub fn mode(&self) -> ContainerMode {
        self.container.spec.mode
    }

    pub fn is_marked_for_deletion(&self) -> bool {
        self.container.metadata.deletion_timestamp.is_some()
    }

    /// The node the container is pinned to: `spec.nodeAffinity`, else `status.nodeAffinity`.
    pub fn node_affinity(&self) -> Option<&str> {
        let spec = self.container.spec.node_affinity.as_deref();
        let status = self.container.status.as_ref().and_then(|s| s.node_affinity.as_deref());
        spec.into_iter().chain(status).find(|n| !n.is_empty())
    }

    /// Upstream's `IsStatusOverwritableByLocal`: these proxy a higher-level state.
    pub fn status_overwritable(&self) -> bool {
        ![
            WekaContainerStatus::COMPLETED,
            WekaContainerStatus::DELETING,
            WekaContainerStatus::DESTROYING,
        ]
        .contains(&self.status().status.as_str())
    }

    // --- status ------------------------------------------------------------------------

    /// The status (defaults when the object has none yet).
    pub fn status(&self) -> std::borrow::Cow<'_, WekaContainerStatus> {
        match &self.container.status {
            Some(status) => std::borrow::Cow::Borrowed(status),
            None => std::borrow::Cow::Owned(WekaContainerStatus::default()),
        }
    }

    /// The status to modify in memory (written by [`ContainerState::persist_status`]).
    pub fn status_mut(&mut self) -> &mut WekaContainerStatus {
        self.container.status.get_or_insert_with(WekaContainerStatus::default)
    }

    /// Sets `status.status` in memory; returns whether it changed.
    pub fn set_status(&mut self, value: &str) -> bool {
        let status = self.status_mut();
        if status.status == value {
            return false;
        }
        status.status = value.to_string();
        true
    }

    /// Upstream's `updateContainerStatusIfNotEquals`, which writes at once. Here the value is
    /// written with the conditions when the pass ends (every outcome writes the status), so a
    /// pass that changes `status.status` and then waits costs one write, not two; a step that
    /// must see it stored first calls [`Self::persist_status`] itself.
    pub async fn update_status(&mut self, value: &str) -> Result<(), StepError> {
        self.set_status(value);
        Ok(())
    }

    pub fn set_condition_now(&mut self, desired: Desired<'_>) -> bool {
        let conditions = self.status_mut().conditions.get_or_insert_with(Vec::new);
        conditions::set(conditions, desired, now())
    }

    /// Whether the status differs from what was last read or written, and only in the
    /// `Progressing` and `Ready` conditions (what a wait sets).
    pub fn only_wait_conditions_changed(&self) -> bool {
        let current = serde_json::to_value(&self.container.status).unwrap_or(Value::Null);
        current != self.status_baseline
            && without_wait_conditions(current)
                == without_wait_conditions(self.status_baseline.clone())
    }

    /// Writes the status if it differs from what was last read or written: a JSON merge patch
    /// of the status subresource carrying only the changed fields.
    pub async fn persist_status(&mut self) -> Result<(), StepError> {
        if self.gone {
            return Ok(());
        }
        let current = serde_json::to_value(&self.container.status).unwrap_or(Value::Null);
        let Some(patch) = merge_patch::diff(&self.status_baseline, &current) else {
            return Ok(());
        };
        // Guarded by the resourceVersion: a pass that ran on a stale cached copy would
        // otherwise replace the `conditions` list with its own, dropping conditions written
        // meanwhile (run-once ones whose step never runs again stay lost). It gets 409 and
        // the pass starts over on the fresh copy.
        if tracing::enabled!(tracing::Level::DEBUG) {
            let fields = changed_fields(&self.status_baseline, &patch);
            tracing::debug!(fields = %fields, "writing the status");
        }
        let rv = self.container.metadata.resource_version.clone();
        let api = self.api();
        let body = json!({ "metadata": {"resourceVersion": rv}, "status": patch });
        match api.patch_status(self.name(), &PatchParams::default(), &Patch::Merge(&body)).await {
            Ok(written) => {
                // A patch that changed nothing stored (the server normalised it away) keeps the
                // version and produces no watch event: there is no echo to wait for.
                let version = written.metadata.resource_version.as_deref();
                if version != self.container.metadata.resource_version.as_deref() {
                    self.shared.wrote_status(self.uid(), version);
                }
                self.container.metadata.resource_version = written.metadata.resource_version;
                self.status_baseline = current;
                Ok(())
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                self.gone = true;
                Ok(())
            }
            Err(err) => Err(api_error("StatusUpdateFailed", "write the status", err)),
        }
    }

    /// Empties the status (upstream `clearStatus`) and writes it.
    pub async fn clear_status(&mut self) -> Result<(), StepError> {
        self.container.status = Some(WekaContainerStatus::default());
        self.persist_status().await
    }

    // --- metadata and spec writes -------------------------------------------------------

    /// A merge patch of the object guarded by its resourceVersion (a stale view gets 409 and
    /// the reconcile starts over with fresh data).
    pub async fn patch_guarded(&mut self, what: &str, mut body: Value) -> Result<(), StepError> {
        let rv = self.container.metadata.resource_version.clone();
        body["metadata"]["resourceVersion"] = json!(rv);
        let api = self.api();
        match api.patch(self.name(), &PatchParams::default(), &Patch::Merge(&body)).await {
            Ok(written) => {
                self.container.metadata = written.metadata;
                self.container.spec = written.spec;
                Ok(())
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                self.gone = true;
                Err(StepError::wait("Deleted", "the WekaContainer is gone"))
            }
            Err(err) => Err(api_error("UpdateFailed", what, err)),
        }
    }

    /// Sets `spec.state=deleting` (upstream `SetContainerStateDeleting`); no-op if set.
    pub async fn set_state_deleting(&mut self) -> Result<(), StepError> {
        use weka_api::wekacontainer::ContainerState as State;
        if self.container.spec.state == Some(State::Deleting) {
            return Ok(());
        }
        self.patch_guarded("set spec.state=deleting", json!({"spec": {"state": "deleting"}})).await
    }

    pub fn api(&self) -> Api<WekaContainer> {
        Api::namespaced(self.ctx.client.clone(), self.namespace())
    }

    pub fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.ctx.client.clone(), self.namespace())
    }

    // --- caches --------------------------------------------------------------------------

    /// The pod of the same name from the shared cache (which keeps pods compact: decoded
    /// here). A pod that does not decode (it cannot: the cache encoded it) counts as not
    /// cached: creating it then finds it exists and reads it from the API.
    pub fn cached_pod(&self) -> Option<Arc<Pod>> {
        let store = self.ctx.reflectors.get::<CachedPod>().store();
        let cached = store.get(&ObjectRef::new(self.name()).within(self.namespace()))?;
        match cached.pod() {
            Ok(pod) => Some(Arc::new(pod)),
            Err(err) => {
                tracing::error!(error = %err, "the cached pod does not decode");
                None
            }
        }
    }

    /// A node from the shared cache.
    pub fn cached_node(&self, name: &str) -> Option<Arc<Node>> {
        self.ctx.reflectors.get::<Node>().store().get(&ObjectRef::new(name))
    }

    pub fn node_ready(&self) -> bool {
        self.node.as_deref().is_some_and(node_is_ready)
    }

    pub fn node_unschedulable(&self) -> bool {
        self.node.as_deref().and_then(|n| n.spec.as_ref()?.unschedulable).unwrap_or(false)
    }

    // --- WEKA ------------------------------------------------------------------------------

    /// The WEKA CLI in this container's pod.
    pub fn cli(&self) -> WekaCli {
        self.cli_in(self.name())
    }

    /// The WEKA CLI in the pod of another WekaContainer of the same namespace.
    pub fn cli_in(&self, pod: &str) -> WekaCli {
        let exec = self.shared.exec(&self.ctx);
        WekaCli::new(
            exec,
            ExecTarget::weka(self.namespace(), pod),
            self.ctx.config.timeouts.kube_exec,
        )
    }

    // --- events --------------------------------------------------------------------------

    pub async fn event(&self, type_: EventType, reason: &str, message: &str) {
        let reference = self.container.object_ref(&());
        self.shared.publish(&self.ctx, &reference, type_, reason, message).await;
    }

    /// At most one event of this reason per `interval` for this object.
    pub async fn event_throttled(
        &self,
        type_: EventType,
        reason: &str,
        message: &str,
        interval: Duration,
    ) {
        if self.shared.event_due(self.uid(), reason, interval) {
            self.event(type_, reason, message).await;
        }
    }

    pub async fn warn(&self, reason: &str, message: &str) {
        self.event_throttled(EventType::Warning, reason, message, Duration::from_secs(60)).await;
    }

    /// Upstream's `setErrorStatus`: status `Error` unless a higher-level or worse status holds.
    pub async fn set_error_status(&mut self) -> Result<(), StepError> {
        let current = self.status().status.clone();
        if !self.status_overwritable()
            || current == WekaContainerStatus::ERROR
            || current == WekaContainerStatus::UNHEALTHY
        {
            return Ok(());
        }
        self.update_status(WekaContainerStatus::ERROR).await
    }
}

impl FlowState for ContainerState {
    fn conditions(&self) -> &[Condition] {
        self.container.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default()
    }

    fn set_condition(&mut self, desired: Desired<'_>) {
        self.set_condition_now(desired);
    }

    fn throttle_key(&self) -> String {
        self.container.uid().unwrap_or_default()
    }
}

/// The node's `Ready` condition is True.
pub fn node_is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Now, to the second (conditions and timestamps are written with second precision, so a
/// value read back compares equal to the one written).
pub fn now() -> Time {
    let now = k8s_openapi::jiff::Timestamp::now();
    Time(k8s_openapi::jiff::Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// The top-level status fields a patch changes, changed conditions spelled out with their
/// new reasons (`conditions[Ready=PodNotRunning]`), for the debug log.
fn changed_fields(baseline: &Value, patch: &Value) -> String {
    let Some(fields) = patch.as_object() else { return String::new() };
    let before = baseline["conditions"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut names = Vec::new();
    for (key, value) in fields {
        let Some(list) = value.as_array().filter(|_| key == "conditions") else {
            names.push(key.clone());
            continue;
        };
        for condition in list {
            let unchanged = before.iter().any(|old| {
                ["type", "status", "reason", "message"].iter().all(|k| old[k] == condition[k])
            });
            if !unchanged {
                let (type_, reason) = (&condition["type"], &condition["reason"]);
                names.push(format!(
                    "conditions[{}={}]",
                    type_.as_str().unwrap_or("?"),
                    reason.as_str().unwrap_or("?")
                ));
            }
        }
    }
    names.join(",")
}

/// A failed API call as a step error; a conflict means our view was stale, which the next
/// reconcile (triggered by the change that caused it) resolves: a short poll, not a failure.
pub fn api_error(reason: &'static str, what: &str, err: kube::Error) -> StepError {
    match &err {
        kube::Error::Api(status) if status.code == 409 => StepError::poll(
            CONFLICT,
            format!("cannot {what}: the object changed meanwhile"),
            Duration::from_secs(1),
        ),
        _ => StepError::failed(reason, format!("cannot {what}: {err}")),
    }
}

/// The wait reason of a write that lost an optimistic-concurrency race.
pub const CONFLICT: &str = "Conflict";

fn without_wait_conditions(mut status: Value) -> Value {
    if let Some(list) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        list.retain(|c| {
            let type_ = c.get("type").and_then(Value::as_str);
            !matches!(type_, Some(cond::PROGRESSING | cond::READY))
        });
    }
    status
}
