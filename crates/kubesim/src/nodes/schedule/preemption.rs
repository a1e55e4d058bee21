//! The PostFilter step (DefaultPreemption) as far as the FailedScheduling message needs it, and
//! the victims it would evict: per node, preemption is "not helpful" where a filter failed that
//! evictions cannot fix, finds "no victims" where no lower-priority pod runs, and otherwise
//! tries the node without its lower-priority pods.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;

use super::filter::{Incoming, Rejection, filter_node};
use super::histogram;
use super::pod_affinity::AffinityState;
use super::requests::priority;
use super::view::{ClusterView, PodKey, pod_key};

pub const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
pub const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// Evicting `victims` from `node` would make room for the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preemption {
    pub node: String,
    pub victims: Vec<PodKey>,
}

pub fn not_helpful(total: usize) -> String {
    let reasons = vec![NOT_HELPFUL.to_string(); total];
    format!("preemption: {}", histogram(total, reasons.iter()))
}

/// The "preemption: ..." message and, if some node would fit after evictions, the evictions.
pub fn dry_run(
    pod: &Pod,
    view: &ClusterView,
    statuses: &BTreeMap<String, Rejection>,
) -> (String, Option<Preemption>) {
    let policy = pod.spec.as_ref().and_then(|s| s.preemption_policy.as_deref());
    if policy == Some("Never") {
        return ("preemption: not eligible due to preemptionPolicy=Never.".into(), None);
    }
    let total = statuses.len();
    let own = priority(pod);
    let mut reasons: Vec<String> = Vec::new();
    let mut best: Option<Preemption> = None;
    for (name, rejection) in statuses {
        if !rejection.resolvable {
            reasons.push(NOT_HELPFUL.into());
            continue;
        }
        let Some(info) = view.nodes.get(name) else {
            reasons.push(NOT_HELPFUL.into());
            continue;
        };
        let mut victims: Vec<&Pod> =
            info.pods.values().map(|b| &*b.pod).filter(|p| priority(p) < own).collect();
        if victims.is_empty() {
            reasons.push(NO_VICTIMS.into());
            continue;
        }
        let mut trial = view.clone();
        for victim in &victims {
            trial.remove_pod(&pod_key(victim));
        }
        if let Some(still) = check(pod, &trial, name) {
            reasons.extend(still.reasons);
            continue;
        }
        // Reprieve the most important victims that can stay.
        victims.sort_by_key(|p| std::cmp::Reverse(priority(p)));
        let mut evicted = Vec::new();
        for victim in victims {
            let mut with_it = trial.clone();
            with_it.set_pod(std::sync::Arc::new(victim.clone()));
            if check(pod, &with_it, name).is_none() {
                trial = with_it;
            } else {
                evicted.push(pod_key(victim));
            }
        }
        let better = best.as_ref().is_none_or(|b| evicted.len() < b.victims.len());
        if better {
            best = Some(Preemption { node: name.clone(), victims: evicted });
        }
    }
    match best {
        Some(preemption) => (String::new(), Some(preemption)),
        None => (format!("preemption: {}", histogram(total, reasons.iter())), None),
    }
}

fn check(pod: &Pod, view: &ClusterView, node: &str) -> Option<Rejection> {
    let info = view.nodes.get(node)?;
    let affinity = AffinityState::compute(pod, view);
    filter_node(&Incoming::new(pod), info, &affinity)
}
