//! One sync of one DaemonSet: decide with [`plan`](super::plan), then write: create and delete
//! pods (recording what is awaited in the expectations, and the events upstream records:
//! SuccessfulCreate, SuccessfulDelete, FailedCreate, FailedDaemonPod), then the status.

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::Controller;
use super::backoff::Backoff;
use super::cache::DsKey;
use super::expectations::Expect;
use super::placement::new_pod;
use super::plan::{Actions, View, is_rolling_update, manage, rolling_update};
use super::status::{Counts, is_current};

/// Pod creates and deletes in flight at once.
const PARALLEL_WRITES: usize = 16;

fn reference(ds: &DaemonSet) -> ObjectReference {
    ObjectReference {
        api_version: Some("apps/v1".into()),
        kind: Some("DaemonSet".into()),
        name: ds.metadata.name.clone(),
        namespace: ds.metadata.namespace.clone(),
        uid: ds.metadata.uid.clone(),
        resource_version: ds.metadata.resource_version.clone(),
        field_path: None,
    }
}

fn pod_name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

impl Controller {
    pub(super) async fn sync_dirty(&mut self) {
        for key in std::mem::take(&mut self.dirty) {
            self.sync(&key).await;
        }
    }

    async fn sync(&mut self, key: &DsKey) {
        let Some(ds) = self.cache.daemonsets.get(key).cloned() else {
            return;
        };
        // Being deleted: the garbage collector takes its pods.
        if ds.metadata.deletion_timestamp.is_some() {
            return;
        }
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let now = self.clock.now();
        let nodes = self.cache.nodes.clone();
        let view = View::new(&ds, &nodes, self.cache.pods_of(&uid), now);
        let managed = self.expectations.satisfied(&uid);
        let counts = Counts::of(&view);
        let min_ready = view.min_ready_seconds();
        if managed {
            let mut actions = manage(&view);
            self.hold_back_failed(&uid, key, &mut actions, &view);
            let acted = self.execute(&view, actions).await;
            if !acted && is_rolling_update(&ds) {
                let outdated = rolling_update(&view);
                if !outdated.is_empty() {
                    tracing::debug!(daemonset = %key.1, pods = outdated.len(), "rolling update");
                }
                self.execute(&view, Actions { delete: outdated, ..Default::default() }).await;
            }
        }
        drop(view);
        self.write_status(&ds, counts, managed).await;
        if min_ready > 0 && counts.ready != counts.available {
            self.requeue_after(key, Duration::from_secs(min_ready.unsigned_abs()));
        }
    }

    /// Failed pods are replaced at most as often as the back-off allows; the others wait for
    /// a timer.
    fn hold_back_failed(&mut self, uid: &str, key: &DsKey, actions: &mut Actions, view: &View) {
        let mut earliest: Option<Duration> = None;
        for (node, pod) in std::mem::take(&mut actions.failed) {
            let backoff_key = Backoff::key(uid, &node);
            if let Some(left) = self.backoff.remaining(&backoff_key, view.now) {
                earliest = Some(earliest.map_or(left, |e| e.min(left)));
                continue;
            }
            self.backoff.step(&backoff_key, view.now);
            let (namespace, name) =
                (pod.metadata.namespace.clone().unwrap_or_default(), pod_name(&pod));
            self.recorder.event(
                reference(view.ds),
                "Warning",
                "FailedDaemonPod",
                format!(
                    "Found failed daemon pod {namespace}/{name} on node {node}, will try to kill it"
                ),
            );
            actions.delete.push(pod);
        }
        if let Some(delay) = earliest {
            self.requeue_after(key, delay);
        }
    }

    /// Creates and deletes; true if any write was made.
    async fn execute(&mut self, view: &View<'_>, actions: Actions) -> bool {
        if actions.create_on.is_empty() && actions.delete.is_empty() {
            return false;
        }
        let ds = view.ds;
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let namespace = ds.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let creates: Vec<Pod> = actions
            .create_on
            .iter()
            .map(|node| new_pod(ds, node, &view.hash, view.generation))
            .collect();
        let created: Vec<Result<Pod, kube::Error>> = stream::iter(creates)
            .map(|pod| {
                let api = api.clone();
                async move { api.create(&PostParams::default(), &pod).await }
            })
            .buffer_unordered(PARALLEL_WRITES)
            .collect()
            .await;
        for (node, result) in actions.create_on.iter().zip(created) {
            match result {
                Ok(pod) => {
                    let name = pod_name(&pod);
                    tracing::debug!(daemonset = ?ds.metadata.name, pod = %name, %node, "created daemon pod");
                    self.expectations.expect(&uid, &name, Expect::Create);
                    let message = format!("Created pod: {name}");
                    self.recorder.event(reference(ds), "Normal", "SuccessfulCreate", message);
                }
                Err(error) => {
                    tracing::debug!(daemonset = ?ds.metadata.name, %node, %error, "creating daemon pod failed");
                    let message = format!("Error creating: {}", api_message(&error));
                    self.recorder.event(reference(ds), "Warning", "FailedCreate", message);
                }
            }
        }
        let deleted: Vec<(Arc<Pod>, Result<(), kube::Error>)> = stream::iter(actions.delete)
            .map(|pod| {
                let api = api.clone();
                async move {
                    let result = api.delete(&pod_name(&pod), &DeleteParams::default()).await;
                    (pod, result.map(|_| ()))
                }
            })
            .buffer_unordered(PARALLEL_WRITES)
            .collect()
            .await;
        for (pod, result) in deleted {
            let name = pod_name(&pod);
            match result {
                Ok(()) => {
                    tracing::debug!(daemonset = ?ds.metadata.name, pod = %name, "deleted daemon pod");
                    self.expectations.expect(&uid, &name, Expect::Delete);
                    let message = format!("Deleted pod: {name}");
                    self.recorder.event(reference(ds), "Normal", "SuccessfulDelete", message);
                }
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => {
                    tracing::debug!(pod = %name, %error, "deleting daemon pod failed");
                    let message = format!("Error deleting: {}", api_message(&error));
                    self.recorder.event(reference(ds), "Warning", "FailedDelete", message);
                }
            }
        }
        true
    }

    /// Writes the counts (and observedGeneration once the DaemonSet's spec was acted on) when
    /// they differ from the stored status.
    async fn write_status(&mut self, ds: &DaemonSet, counts: Counts, observed: bool) {
        let generation = observed.then_some(ds.metadata.generation).flatten();
        let patch = counts.to_status(generation);
        let stored = ds.status.as_ref().and_then(|s| serde_json::to_value(s).ok());
        if is_current(stored.as_ref(), &patch) {
            return;
        }
        let namespace = ds.metadata.namespace.clone().unwrap_or_default();
        let name = ds.metadata.name.clone().unwrap_or_default();
        let api: Api<DaemonSet> = Api::namespaced(self.client.clone(), &namespace);
        let patch = Patch::Merge(json!({"status": patch}));
        if let Err(error) = api.patch_status(&name, &PatchParams::default(), &patch).await {
            tracing::debug!(daemonset = %name, %error, "daemonset status update failed");
        }
    }
}

fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}
