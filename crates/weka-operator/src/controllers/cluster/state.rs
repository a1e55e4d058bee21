//! [`ClusterState`]: what the steps of one reconcile work on — the working copy of the
//! WekaCluster, its resolved template, its WekaContainers from the shared cache — and the
//! writes they make through it: the status (a merge patch of what changed, guarded by the
//! resourceVersion so that a stale view never overwrites newer state), guarded metadata
//! patches, events, and the WEKA CLI of a member.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};
use weka_api::conditions::{self, Desired};
use weka_api::wekacontainer::ContainerMode;
use weka_api::{WekaCluster, WekaClusterStatus, WekaContainer};

use super::selection;
use super::shared::Shared;
use super::status_patch::merge_patch;
use crate::cluster::{ClusterSettings, ClusterSpecError, ClusterTemplate, resolve_template};
use crate::controllers::container::ContainerObject;
use crate::engine::{FlowState, StepError};
use crate::runtime::Context;
use crate::weka::{ExecTarget, WekaCli};

/// The wait reason of a write that lost an optimistic-concurrency race.
pub const CONFLICT: &str = "Conflict";

/// The working state of one reconcile.
pub struct ClusterState {
    pub ctx: Arc<Context>,
    pub shared: Arc<Shared>,
    /// The object as this reconcile sees it (updated by every write).
    pub cluster: WekaCluster,
    /// The status as last read or written, serialized: what a status patch is computed from.
    status_baseline: Value,
    /// The cluster's WekaContainers (owned by its UID), by name.
    pub containers: Vec<WekaContainer>,
    /// The resolved template, or why the spec names none.
    pub template: Result<ClusterTemplate, ClusterSpecError>,
    /// The object is gone (finalized, or deleted under us): nothing more to write.
    pub gone: bool,
    /// Set by the upgrade step while an image change is rolled out (for `Progressing`).
    pub upgrading: Option<String>,
    /// A status write that would only have changed the containers' counters was put off
    /// (they are written at most every [`COUNTERS_EVERY`]); due in this long.
    pub counters_deferred: Option<Duration>,
}

/// How often a change of the containers' counters alone is written (each container's every
/// step would otherwise be a write of its cluster's status, at scale thousands).
pub const COUNTERS_EVERY: Duration = Duration::from_secs(5);
/// The throttler's name for writes of the counters.
const COUNTERS_WRITE: &str = "WriteContainersCounters";

impl ClusterState {
    pub fn new(ctx: Arc<Context>, shared: Arc<Shared>, cluster: WekaCluster) -> Self {
        let status_baseline = serde_json::to_value(&cluster.status).unwrap_or(Value::Null);
        let template = resolve_template(&cluster.spec, shared.settings(&ctx));
        let mut state = ClusterState {
            ctx,
            shared,
            cluster,
            status_baseline,
            containers: Vec::new(),
            template,
            gone: false,
            upgrading: None,
            counters_deferred: None,
        };
        state.refresh_containers();
        state
    }

    // --- identity ----------------------------------------------------------------------

    pub fn name(&self) -> &str {
        self.cluster.metadata.name.as_deref().unwrap_or_default()
    }

    pub fn namespace(&self) -> &str {
        self.cluster.metadata.namespace.as_deref().unwrap_or_default()
    }

    pub fn uid(&self) -> &str {
        self.cluster.metadata.uid.as_deref().unwrap_or_default()
    }

    pub fn settings(&self) -> &ClusterSettings {
        self.shared.settings(&self.ctx)
    }

    pub fn is_marked_for_deletion(&self) -> bool {
        self.cluster.metadata.deletion_timestamp.is_some()
    }

    /// `spec.expandEndpoints` is set: the containers join an existing WEKA cluster.
    pub fn is_expand(&self) -> bool {
        self.cluster.spec.expand_endpoints.as_ref().is_some_and(|e| !e.is_empty())
    }

    pub fn device_subnets(&self) -> Vec<String> {
        let network = self.cluster.spec.network.as_ref();
        network.and_then(|n| n.device_subnets.clone()).unwrap_or_default()
    }

    // --- containers --------------------------------------------------------------------

    /// Re-reads the cluster's WekaContainers from the shared cache.
    pub fn refresh_containers(&mut self) {
        let store = self.ctx.reflectors.get::<ContainerObject>().store();
        let (namespace, uid) = (self.namespace().to_string(), self.uid().to_string());
        let mut containers: Vec<WekaContainer> = store
            .state()
            .iter()
            .filter(|o| o.metadata.namespace.as_deref() == Some(namespace.as_str()))
            .filter(|o| o.owner_references().iter().any(|r| r.uid == uid))
            .filter_map(|o| o.decode().ok())
            .collect();
        containers.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        self.containers = containers;
    }

    /// Records a container this reconcile created or changed (the cache follows later).
    pub fn remember_container(&mut self, container: WekaContainer) {
        let name = container.metadata.name.clone();
        match self.containers.iter_mut().find(|c| c.metadata.name == name) {
            Some(existing) => *existing = container,
            None => {
                self.containers.push(container);
                self.containers.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            }
        }
    }

    pub fn containers_of(&self, role: ContainerMode) -> impl Iterator<Item = &WekaContainer> {
        self.containers.iter().filter(move |c| c.spec.mode == role)
    }

    pub fn has_containers_of(&self, role: ContainerMode) -> bool {
        self.containers_of(role).next().is_some()
    }

    pub fn container_api(&self) -> Api<WekaContainer> {
        Api::namespaced(self.ctx.client.clone(), self.namespace())
    }

    // --- status ------------------------------------------------------------------------

    /// The status (defaults when the object has none yet).
    pub fn status(&self) -> std::borrow::Cow<'_, WekaClusterStatus> {
        match &self.cluster.status {
            Some(status) => std::borrow::Cow::Borrowed(status),
            None => std::borrow::Cow::Owned(WekaClusterStatus::default()),
        }
    }

    /// The status to modify in memory (written by [`ClusterState::persist_status`]).
    pub fn status_mut(&mut self) -> &mut WekaClusterStatus {
        self.cluster.status.get_or_insert_with(WekaClusterStatus::default)
    }

    /// Upstream's `updateClusterStatusIfNotEquals`: sets `status.status` and writes it.
    pub async fn update_status(&mut self, value: &str) -> Result<(), StepError> {
        if self.status().status == value {
            return Ok(());
        }
        tracing::info!(status = value, "cluster status");
        self.status_mut().status = value.to_string();
        self.persist_status().await
    }

    pub fn condition_true(&self, type_: &str) -> bool {
        conditions::is_true(self.conditions(), type_)
    }

    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        conditions::find(self.conditions(), type_)
    }

    /// Sets a condition in memory (written with the status); returns whether it changed.
    pub fn set_condition_now(&mut self, desired: Desired<'_>) -> bool {
        let generation = self.cluster.metadata.generation;
        let conditions = self.status_mut().conditions.get_or_insert_with(Vec::new);
        conditions::set(conditions, desired.observed(generation), now())
    }

    /// Writes the status if it differs from what was last read or written: a JSON merge
    /// patch of the status subresource with the changed fields, guarded by the
    /// resourceVersion (a 409 means our view was stale: the reconcile starts over).
    pub async fn persist_status(&mut self) -> Result<(), StepError> {
        if self.gone {
            return Ok(());
        }
        let current = serde_json::to_value(&self.cluster.status).unwrap_or(Value::Null);
        let Some(patch) = merge_patch(&self.status_baseline, &current) else {
            return Ok(());
        };
        let since_counters = self.shared.throttler.last_run(self.uid(), COUNTERS_WRITE);
        if only_counters(&patch)
            && let Some(waited) =
                since_counters.map(|t| t.elapsed()).filter(|w| *w < COUNTERS_EVERY)
        {
            self.counters_deferred = Some(COUNTERS_EVERY - waited);
            return Ok(());
        }
        let rv = self.cluster.metadata.resource_version.clone();
        let body = json!({"metadata": {"resourceVersion": rv}, "status": patch});
        let api = self.api();
        match api.patch_status(self.name(), &PatchParams::default(), &Patch::Merge(&body)).await {
            Ok(written) => {
                self.cluster.metadata.resource_version = written.metadata.resource_version;
                self.status_baseline = current;
                // The counters are in every write (they are computed first in a pass).
                self.shared.throttler.ran(self.uid(), COUNTERS_WRITE, Instant::now());
                self.counters_deferred = None;
                Ok(())
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                self.gone = true;
                Ok(())
            }
            Err(err) => Err(api_error("StatusUpdateFailed", "write the status", err)),
        }
    }

    /// A merge patch of the object guarded by its resourceVersion.
    pub async fn patch_guarded(&mut self, what: &str, mut body: Value) -> Result<(), StepError> {
        body["metadata"]["resourceVersion"] = json!(self.cluster.metadata.resource_version);
        let api = self.api();
        match api.patch(self.name(), &PatchParams::default(), &Patch::Merge(&body)).await {
            Ok(written) => {
                self.cluster.metadata = written.metadata;
                self.cluster.spec = written.spec;
                Ok(())
            }
            Err(kube::Error::Api(status)) if status.code == 404 => {
                self.gone = true;
                Err(StepError::wait("Deleted", "the WekaCluster is gone"))
            }
            Err(err) => Err(api_error("UpdateFailed", what, err)),
        }
    }

    pub fn api(&self) -> Api<WekaCluster> {
        Api::namespaced(self.ctx.client.clone(), self.namespace())
    }

    // --- WEKA --------------------------------------------------------------------------

    /// The WEKA CLI in the pod of a WekaContainer of this cluster.
    pub fn cli_in(&self, container: &str) -> WekaCli {
        let exec = self.shared.exec(&self.ctx);
        let target = ExecTarget::weka(self.namespace(), container);
        WekaCli::new(exec, target, self.ctx.config.timeouts.kube_exec)
            .with_observer(Arc::new(self.ctx.metrics.weka_cli.clone()))
    }

    /// The CLI of the active container (upstream `SelectActiveContainer`), or a wait.
    pub fn active_cli(&self) -> Result<WekaCli, StepError> {
        match selection::active(&self.containers) {
            Some(container) => Ok(self.cli_in(&container.name_any())),
            None => Err(StepError::poll(
                "NoActiveContainer",
                "no container of the cluster can run WEKA commands yet",
                self.shared.timing.weka_poll,
            )),
        }
    }

    /// The CLI of an active container of `role`, or a wait.
    pub fn active_cli_with_role(&self, role: ContainerMode) -> Result<WekaCli, StepError> {
        match selection::active_with_role(&self.containers, role) {
            Some(container) => Ok(self.cli_in(&container.name_any())),
            None => Err(StepError::poll(
                "NoActiveContainer",
                format!("no {role} container of the cluster can run WEKA commands yet"),
                self.shared.timing.weka_poll,
            )),
        }
    }

    // --- events --------------------------------------------------------------------------

    pub async fn event(&self, type_: EventType, reason: &str, message: &str) {
        let reference = self.cluster.object_ref(&());
        self.shared.publish(&self.ctx, &reference, type_, reason, message).await;
    }

    /// At most one event of this reason per `interval` for this cluster.
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

    /// A Normal event, at most once a minute per reason.
    pub async fn note(&self, reason: &str, message: &str) {
        self.event_throttled(EventType::Normal, reason, message, Duration::from_secs(60)).await;
    }

    /// A Warning event, at most once every 30 s per reason.
    pub async fn warn(&self, reason: &str, message: &str) {
        self.event_throttled(EventType::Warning, reason, message, Duration::from_secs(30)).await;
    }
}

impl FlowState for ClusterState {
    fn conditions(&self) -> &[Condition] {
        self.cluster.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default()
    }

    fn set_condition(&mut self, desired: Desired<'_>) {
        self.set_condition_now(desired);
    }

    fn throttle_key(&self) -> String {
        self.cluster.uid().unwrap_or_default()
    }
}

/// Now, to the second (conditions are written with second precision, so a value read back
/// compares equal to the one written).
pub fn now() -> Time {
    let now = k8s_openapi::jiff::Timestamp::now();
    Time(k8s_openapi::jiff::Timestamp::from_second(now.as_second()).unwrap_or(now))
}

/// Whether a status patch changes nothing but the containers' counters (`stats.containers`,
/// `stats.drives.counters` and their printer columns).
fn only_counters(patch: &Value) -> bool {
    let keys_within = |value: &Value, allowed: &[&str]| {
        value.as_object().is_some_and(|o| o.keys().all(|k| allowed.contains(&k.as_str())))
    };
    patch.as_object().is_some_and(|fields| {
        fields.iter().all(|(key, value)| match key.as_str() {
            "stats" => {
                keys_within(value, &["containers", "drives"])
                    && value.get("drives").is_none_or(|d| keys_within(d, &["counters"]))
            }
            "printer" => keys_within(value, &["computeContainers", "driveContainers", "drives"]),
            _ => false,
        })
    })
}

/// A failed API call as a step error; a conflict means our view was stale, which a fresh
/// reconcile resolves: a short poll, not a failure.
pub fn api_error(reason: &'static str, what: &str, err: kube::Error) -> StepError {
    match &err {
        kube::Error::Api(status) if status.code == 409 => StepError::poll(
            CONFLICT,
            format!("cannot {what}: the object changed meanwhile"),
            Duration::from_millis(500),
        ),
        _ => StepError::failed(reason, format!("cannot {what}: {err}")),
    }
}

/// A WEKA CLI failure as a step error.
pub fn weka_failed(reason: &'static str, err: impl std::fmt::Display) -> StepError {
    StepError::failed(reason, err)
}
