//! Scoring of the nodes that passed the filters, with the default profile's plugins and
//! weights: TaintToleration (3, PreferNoSchedule taints), NodeAffinity (2, preferred terms),
//! NodeResourcesFit (1, least allocated), NodeResourcesBalancedAllocation (1) and
//! InterPodAffinity (2, preferred terms). Each plugin's scores are normalised to 0..100 over the
//! candidate nodes as upstream does.

use k8s_openapi::api::core::v1::Pod;

use super::filter::Incoming;
use super::pod_affinity::AffinityState;
use super::view::NodeInfo;
use crate::nodes::selectors::node_selector_term_matches;
use crate::nodes::taints::tolerates;

const MAX: i64 = 100;

/// The weighted total score of each candidate, in the candidates' order.
pub fn score_nodes(
    incoming: &Incoming,
    candidates: &[&NodeInfo],
    affinity: &AffinityState,
) -> Vec<i64> {
    let taints: Vec<i64> = candidates.iter().map(|n| prefer_no_schedule(incoming, n)).collect();
    let preferred: Vec<i64> =
        candidates.iter().map(|n| preferred_node_affinity(incoming.pod, n)).collect();
    let inter_pod: Vec<i64> = candidates.iter().map(|n| affinity.score(n.labels())).collect();

    let taint_scores = reverse_normalise(&taints);
    let affinity_scores = normalise(&preferred);
    let inter_pod_scores = min_max_normalise(&inter_pod);
    candidates
        .iter()
        .enumerate()
        .map(|(i, node)| {
            3 * taint_scores[i]
                + 2 * affinity_scores[i]
                + least_allocated(incoming, node)
                + balanced(incoming, node)
                + 2 * inter_pod_scores[i]
        })
        .collect()
}

fn prefer_no_schedule(incoming: &Incoming, node: &NodeInfo) -> i64 {
    let taints = node
        .node
        .as_ref()
        .and_then(|n| n.spec.as_ref())
        .and_then(|s| s.taints.as_deref())
        .unwrap_or_default();
    taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule")
        .filter(|t| {
            !incoming.tolerations.iter().any(|tol| {
                matches!(tol.effect.as_deref(), None | Some("") | Some("PreferNoSchedule"))
                    && tolerates(tol, t)
            })
        })
        .count() as i64
}

fn preferred_node_affinity(pod: &Pod, node: &NodeInfo) -> i64 {
    let terms = pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref())
        .unwrap_or_default();
    terms
        .iter()
        .filter(|t| {
            t.weight != 0 && node_selector_term_matches(&t.preference, node.labels(), node.name())
        })
        .map(|t| t.weight as i64)
        .sum()
}

/// Fractions of cpu and memory in use once the pod is added, with scoring defaults for
/// containers that request nothing.
fn fractions(incoming: &Incoming, node: &NodeInfo) -> [(i128, i128); 2] {
    ["cpu", "memory"].map(|r| {
        let requested = node.nonzero_requested.get(r).copied().unwrap_or(0)
            + incoming.nonzero.get(r).copied().unwrap_or(0);
        (requested, node.allocatable.get(r).copied().unwrap_or(0))
    })
}

fn least_allocated(incoming: &Incoming, node: &NodeInfo) -> i64 {
    let scores = fractions(incoming, node).map(|(requested, capacity)| {
        if capacity == 0 || requested > capacity {
            0
        } else {
            ((capacity - requested) * MAX as i128 / capacity) as i64
        }
    });
    scores.iter().sum::<i64>() / scores.len() as i64
}

fn balanced(incoming: &Incoming, node: &NodeInfo) -> i64 {
    let [cpu, memory] = fractions(incoming, node).map(|(requested, capacity)| {
        if capacity == 0 { 1.0 } else { (requested as f64 / capacity as f64).min(1.0) }
    });
    let std = (cpu - memory).abs() / 2.0;
    ((1.0 - std) * MAX as f64) as i64
}

/// Highest raw score -> 100.
fn normalise(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().max().unwrap_or(0);
    raw.iter().map(|s| if max <= 0 { 0 } else { s * MAX / max }).collect()
}

/// Lowest raw score -> 100 (for counts of things to avoid).
fn reverse_normalise(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().max().unwrap_or(0);
    raw.iter().map(|s| if max <= 0 { MAX } else { MAX - s * MAX / max }).collect()
}

fn min_max_normalise(raw: &[i64]) -> Vec<i64> {
    let max = raw.iter().copied().max().unwrap_or(0);
    let min = raw.iter().copied().min().unwrap_or(0);
    raw.iter().map(|s| if max == min { 0 } else { (s - min) * MAX / (max - min) }).collect()
}
