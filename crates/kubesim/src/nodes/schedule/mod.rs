//! Placement: which node a pending pod goes to, or why none fits, decided as the default
//! kube-scheduler decides it (filters, then scores), as a pure function of a [`ClusterView`].
//!
//! Where upstream picks at random among equally scored nodes, this picks the first by name, so
//! tests are deterministic.

mod filter;
mod pod_affinity;
mod preemption;
pub mod requests;
mod score;
#[cfg(test)]
mod tests;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Pod;

pub use filter::{Rejection, matches_node_affinity};
pub use preemption::Preemption;
pub use view::{ClusterView, NodeInfo, PodKey, pod_key};

use filter::{Incoming, filter_node};
use pod_affinity::AffinityState;

/// Why a pod fits nowhere, worded as the scheduler's FailedScheduling message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FitError {
    pub message: String,
    /// Lower-priority pods whose eviction would let the pod in.
    pub preemption: Option<Preemption>,
}

/// Upstream's message when the cluster has no nodes at all.
pub const NO_NODES: &str = "no nodes available to schedule pods";

/// Picks the node for `pod`.
pub fn schedule(pod: &Pod, view: &ClusterView) -> Result<String, FitError> {
    let nodes: Vec<&NodeInfo> = view.existing_nodes().collect();
    if nodes.is_empty() {
        return Err(FitError { message: NO_NODES.into(), preemption: None });
    }
    let total = nodes.len();
    let incoming = Incoming::new(pod);

    // NodeAffinity's PreFilter: terms naming nodes by metadata.name narrow the candidates.
    let mut statuses: BTreeMap<String, Rejection> = BTreeMap::new();
    let mut candidates = nodes;
    match name_restriction(pod) {
        NameRestriction::All => {}
        NameRestriction::Conflict => {
            let message = format!(
                "0/{total} nodes are available: pod affinity terms conflict. {}",
                preemption::not_helpful(total)
            );
            return Err(FitError { message, preemption: None });
        }
        NameRestriction::Only(names) => {
            let absent = Rejection {
                reasons: vec!["node(s) didn't satisfy plugin(s) [NodeAffinity]".into()],
                resolvable: false,
            };
            for info in candidates.iter().filter(|n| !names.contains(n.name())) {
                statuses.insert(info.name().to_string(), absent.clone());
            }
            candidates.retain(|n| names.contains(n.name()));
        }
    }

    let affinity = AffinityState::compute(pod, view);
    let mut feasible = Vec::new();
    for info in candidates {
        match filter_node(&incoming, info, &affinity) {
            None => feasible.push(info),
            Some(rejection) => {
                statuses.insert(info.name().to_string(), rejection);
            }
        }
    }
    if feasible.is_empty() {
        let mut message = histogram(total, statuses.values().flat_map(|r| r.reasons.iter()));
        let (post, preemption) = preemption::dry_run(pod, view, &statuses);
        if !post.is_empty() {
            message.push(' ');
            message.push_str(&post);
        }
        return Err(FitError { message, preemption });
    }
    let scores = score::score_nodes(&incoming, &feasible, &affinity);
    let mut best = 0;
    for (i, score) in scores.iter().enumerate() {
        if *score > scores[best] {
            best = i;
        }
    }
    Ok(feasible[best].name().to_string())
}

/// "0/N nodes are available: <count> <reason>, ... ." with the entries sorted as strings, as
/// upstream's FitError prints them.
pub fn histogram<'a>(total: usize, reasons: impl Iterator<Item = &'a String>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in reasons {
        *counts.entry(reason.as_str()).or_default() += 1;
    }
    let mut entries: Vec<String> =
        counts.into_iter().map(|(reason, count)| format!("{count} {reason}")).collect();
    entries.sort();
    format!("0/{total} nodes are available: {}.", entries.join(", "))
}

enum NameRestriction {
    All,
    Only(BTreeSet<String>),
    Conflict,
}

/// Upstream's NodeAffinity PreFilter: if every required term names nodes with
/// `metadata.name In`, only those nodes are looked at.
fn name_restriction(pod: &Pod) -> NameRestriction {
    let terms = pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref())
        .map(|r| r.node_selector_terms.as_slice())
        .unwrap_or_default();
    if terms.is_empty() {
        return NameRestriction::All;
    }
    let mut names = BTreeSet::new();
    for term in terms {
        let mut term_names: Option<BTreeSet<String>> = None;
        for field in term.match_fields.iter().flatten() {
            if field.key == "metadata.name" && field.operator == "In" {
                let set: BTreeSet<String> = field.values.iter().flatten().cloned().collect();
                term_names = Some(match term_names {
                    None => set,
                    Some(prev) => prev.intersection(&set).cloned().collect(),
                });
            }
        }
        match term_names {
            None => return NameRestriction::All,
            Some(set) => names.extend(set),
        }
    }
    if names.is_empty() { NameRestriction::Conflict } else { NameRestriction::Only(names) }
}
