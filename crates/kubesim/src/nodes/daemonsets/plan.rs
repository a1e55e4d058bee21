//! What one sync of a DaemonSet should do, decided as a pure function of what the controller
//! sees (the DaemonSet, the nodes, the pods it controls), after upstream's `manage`,
//! `podsShouldBeOnNode` and `rollingUpdate` (the no-surge path).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::placement::{should_run, target_node, template_pod};
use super::revision::{is_updated, template_generation, template_hash};

/// Everything a sync decides from.
pub struct View<'a> {
    pub ds: &'a DaemonSet,
    pub nodes: &'a BTreeMap<String, Arc<Node>>,
    /// The pods the DaemonSet controls.
    pub pods: Vec<Arc<Pod>>,
    pub now: Timestamp,
    pub hash: String,
    pub generation: i64,
    /// Per existing node: (should run a daemon pod, may keep one running).
    pub placement: BTreeMap<String, (bool, bool)>,
}

impl<'a> View<'a> {
    pub fn new(
        ds: &'a DaemonSet,
        nodes: &'a BTreeMap<String, Arc<Node>>,
        pods: Vec<Arc<Pod>>,
        now: Timestamp,
    ) -> Self {
        let template = template_pod(ds);
        let placement =
            nodes.iter().map(|(name, node)| (name.clone(), should_run(&template, node))).collect();
        View {
            ds,
            nodes,
            pods,
            now,
            hash: template_hash(ds),
            generation: template_generation(ds),
            placement,
        }
    }

    pub fn min_ready_seconds(&self) -> i64 {
        self.ds.spec.as_ref().and_then(|s| s.min_ready_seconds).unwrap_or(0).into()
    }

    /// The daemon pods per node they are for (upstream's `getNodesToDaemonPods` without the
    /// finished pods already being deleted), oldest scheduled first.
    pub fn pods_by_node(&self) -> BTreeMap<String, Vec<Arc<Pod>>> {
        let mut by_node: BTreeMap<String, Vec<Arc<Pod>>> = BTreeMap::new();
        for pod in &self.pods {
            if is_terminal(pod) && pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            if let Some(node) = target_node(pod) {
                by_node.entry(node).or_default().push(pod.clone());
            }
        }
        for pods in by_node.values_mut() {
            pods.sort_by(|a, b| oldest_scheduled_first(a, b));
        }
        by_node
    }

    pub fn is_available(&self, pod: &Pod) -> bool {
        is_available(pod, self.min_ready_seconds(), self.now)
    }
}

/// What to do to converge.
#[derive(Debug, Default)]
pub struct Actions {
    /// Nodes that need a daemon pod.
    pub create_on: Vec<String>,
    /// Pods to delete.
    pub delete: Vec<Arc<Pod>>,
    /// Failed daemon pods (with their node), deleted subject to back-off.
    pub failed: Vec<(String, Arc<Pod>)>,
}

impl Actions {
    pub fn is_empty(&self) -> bool {
        self.create_on.is_empty() && self.delete.is_empty() && self.failed.is_empty()
    }
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn deleting(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

fn bound(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty())
}

/// Upstream's `podByCreationTimestampAndPhase`: bound pods first, then the oldest, then by name.
fn oldest_scheduled_first(a: &Pod, b: &Pod) -> Ordering {
    bound(b).cmp(&bound(a)).then_with(|| {
        let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
        created(a).cmp(&created(b)).then_with(|| a.metadata.name.cmp(&b.metadata.name))
    })
}

/// When the pod turned Ready, if it is.
fn ready_since(pod: &Pod) -> Option<Option<Timestamp>> {
    let condition = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?;
    Some(condition.last_transition_time.as_ref().map(|t| t.0))
}

pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// Upstream's `IsPodAvailable`: Ready for at least `min_ready_seconds`.
pub fn is_available(pod: &Pod, min_ready_seconds: i64, now: Timestamp) -> bool {
    match ready_since(pod) {
        None => false,
        Some(_) if min_ready_seconds <= 0 => true,
        Some(None) => false,
        Some(Some(since)) => now.duration_since(since).as_secs() >= min_ready_seconds,
    }
}

/// Creates and deletes that put one daemon pod on each node that should run one and none
/// elsewhere (upstream's `manage`).
pub fn manage(view: &View) -> Actions {
    let by_node = view.pods_by_node();
    let mut actions = Actions::default();
    for (node, (run, keep)) in &view.placement {
        let pods = by_node.get(node);
        match (run, keep, pods) {
            (true, _, None) => actions.create_on.push(node.clone()),
            (_, true, Some(pods)) => {
                let mut running = Vec::new();
                for pod in pods.iter().filter(|p| !deleting(p)) {
                    match phase(pod) {
                        "Failed" => actions.failed.push((node.clone(), pod.clone())),
                        "Succeeded" => actions.delete.push(pod.clone()),
                        _ => running.push(pod.clone()),
                    }
                }
                // One per node: all but the oldest go (pods_by_node sorted them).
                actions.delete.extend(running.into_iter().skip(1));
            }
            (_, false, Some(pods)) => {
                actions.delete.extend(pods.iter().filter(|p| !deleting(p)).cloned());
            }
            _ => {}
        }
    }
    // Pods waiting for a node that no longer exists would never be scheduled, nor collected
    // by the pod GC (which only looks at bound pods).
    for (node, pods) in &by_node {
        if !view.nodes.contains_key(node) {
            actions.delete.extend(pods.iter().filter(|p| !bound(p) && !deleting(p)).cloned());
        }
    }
    actions
}

/// `maxUnavailable` of the rolling update strategy scaled to `desired` nodes (percentages
/// round up), at least 1 when maxSurge is 0 too, as upstream's `updatedDesiredNodeCounts`.
pub fn max_unavailable(ds: &DaemonSet, desired: i32) -> i32 {
    let rolling = ds
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|u| u.rolling_update.as_ref());
    let scaled = |value: Option<&IntOrString>, default: i32| match value {
        None => default,
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(text)) => {
            let percent: i64 =
                text.trim_end_matches('%').trim().parse().unwrap_or(i64::from(default));
            ((percent * i64::from(desired) + 99) / 100) as i32
        }
    };
    let unavailable = scaled(rolling.and_then(|r| r.max_unavailable.as_ref()), 1);
    let surge = scaled(rolling.and_then(|r| r.max_surge.as_ref()), 0);
    if desired > 0 && unavailable <= 0 && surge <= 0 { 1 } else { unavailable.max(0) }
}

pub fn is_rolling_update(ds: &DaemonSet) -> bool {
    let kind =
        ds.spec.as_ref().and_then(|s| s.update_strategy.as_ref()).and_then(|u| u.type_.as_deref());
    kind.is_none_or(|k| k == "RollingUpdate")
}

/// Old pods to delete now so that at most `maxUnavailable` nodes are without an available
/// up-to-date pod (upstream's `rollingUpdate` without surge: the deleted pods are replaced by
/// [`manage`] on the next sync). maxSurge is not honoured: pods are replaced, never doubled.
pub fn rolling_update(view: &View) -> Vec<Arc<Pod>> {
    let mut by_node = view.pods_by_node();
    let mut desired = 0;
    for (node, (run, _)) in &view.placement {
        if *run {
            desired += 1;
            by_node.entry(node.clone()).or_default();
        }
    }
    let max_unavailable = max_unavailable(view.ds, desired);
    let mut unavailable = 0;
    let mut replace_now = Vec::new();
    let mut candidates = Vec::new();
    for pods in by_node.values() {
        let live: Vec<&Arc<Pod>> = pods.iter().filter(|p| !deleting(p)).collect();
        let (new, old): (Vec<&Arc<Pod>>, Vec<&Arc<Pod>>) =
            live.into_iter().partition(|p| is_updated(p, &view.hash, view.generation));
        match (new.as_slice(), old.as_slice()) {
            // More than one of a kind: manage cleans up first; counts as unavailable.
            (new, old) if new.len() > 1 || old.len() > 1 => unavailable += 1,
            ([], []) | ([_], [_]) => unavailable += 1,
            ([new], []) => {
                if !view.is_available(new) {
                    unavailable += 1;
                }
            }
            (_, [old]) => {
                if !view.is_available(old) {
                    replace_now.push((*old).clone());
                    unavailable += 1;
                } else if unavailable < max_unavailable {
                    candidates.push((*old).clone());
                }
            }
            _ => unavailable += 1,
        }
    }
    let room = (max_unavailable - unavailable).max(0) as usize;
    replace_now.extend(candidates.into_iter().take(room));
    replace_now
}
