//! Inter-pod affinity and anti-affinity by topology key: the required terms as a filter (the
//! incoming pod's affinity and anti-affinity, and existing pods' anti-affinity against it), the
//! preferred terms as a score. Computed once per pod to schedule, then asked per node.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Pod, PodAffinityTerm, WeightedPodAffinityTerm};

use super::view::ClusterView;
use crate::nodes::selectors::{Labels, label_selector_matches};

pub const AFFINITY_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
pub const ANTI_AFFINITY_NOT_MATCH: &str = "node(s) didn't match pod anti-affinity rules";
pub const EXISTING_ANTI_AFFINITY_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";

/// Upstream's `hardPodAffinityWeight`: what an existing pod's required affinity to the incoming
/// pod adds to the score.
const HARD_AFFINITY_WEIGHT: i64 = 1;

fn required_affinity(pod: &Pod) -> &[PodAffinityTerm] {
    pod.spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_deref())
        .unwrap_or_default()
}

fn required_anti_affinity(pod: &Pod) -> &[PodAffinityTerm] {
    pod.spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_deref())
        .unwrap_or_default()
}

fn preferred_affinity(pod: &Pod) -> &[WeightedPodAffinityTerm] {
    pod.spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref())
        .unwrap_or_default()
}

fn preferred_anti_affinity(pod: &Pod) -> &[WeightedPodAffinityTerm] {
    pod.spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref())
        .unwrap_or_default()
}

fn has_any_terms(pod: &Pod) -> bool {
    !required_affinity(pod).is_empty()
        || !required_anti_affinity(pod).is_empty()
        || !preferred_affinity(pod).is_empty()
        || !preferred_anti_affinity(pod).is_empty()
}

/// Whether `term`, written in a pod of namespace `owner_ns`, selects `target`.
fn term_selects(term: &PodAffinityTerm, owner_ns: &str, target: &Pod, view: &ClusterView) -> bool {
    let target_ns = target.metadata.namespace.as_deref().unwrap_or("");
    let namespaces = term.namespaces.as_deref().unwrap_or_default();
    let ns_ok = if namespaces.is_empty() && term.namespace_selector.is_none() {
        target_ns == owner_ns
    } else {
        namespaces.iter().any(|n| n == target_ns)
            || term
                .namespace_selector
                .as_ref()
                .is_some_and(|s| label_selector_matches(s, &view.namespace_labels(target_ns)))
    };
    static EMPTY: Labels = Labels::new();
    let labels = target.metadata.labels.as_ref().unwrap_or(&EMPTY);
    ns_ok && term.label_selector.as_ref().is_some_and(|s| label_selector_matches(s, labels))
}

fn namespace(pod: &Pod) -> &str {
    pod.metadata.namespace.as_deref().unwrap_or("")
}

/// The inter-pod constraints on one incoming pod.
#[derive(Debug, Default)]
pub struct AffinityState {
    /// Per required affinity term: its topology key and the domains holding a matching pod.
    affinity: Vec<(String, BTreeSet<String>)>,
    /// The pod may start a group: nothing matches its affinity yet and it matches itself.
    affinity_bootstrap: bool,
    anti_affinity: Vec<(String, BTreeSet<String>)>,
    /// Domains where an existing pod's required anti-affinity rejects the incoming pod.
    existing_anti: BTreeMap<String, BTreeSet<String>>,
    /// Preferred-term score per (topology key, value).
    domain_scores: BTreeMap<(String, String), i64>,
}

impl AffinityState {
    pub fn compute(pod: &Pod, view: &ClusterView) -> Self {
        let mut state = AffinityState::default();
        let ns = namespace(pod);
        let incoming_has_terms = has_any_terms(pod);
        let required = required_affinity(pod);
        let anti = required_anti_affinity(pod);
        state.affinity =
            required.iter().map(|t| (t.topology_key.clone(), BTreeSet::new())).collect();
        state.anti_affinity =
            anti.iter().map(|t| (t.topology_key.clone(), BTreeSet::new())).collect();

        for (bound, info) in view.bound_pods() {
            let other = &*bound.pod;
            let labels = info.labels();
            let domain = |key: &str| labels.get(key).cloned();
            if incoming_has_terms {
                for (i, term) in required.iter().enumerate() {
                    if term_selects(term, ns, other, view)
                        && let Some(value) = domain(&term.topology_key)
                    {
                        state.affinity[i].1.insert(value);
                    }
                }
                for (i, term) in anti.iter().enumerate() {
                    if term_selects(term, ns, other, view)
                        && let Some(value) = domain(&term.topology_key)
                    {
                        state.anti_affinity[i].1.insert(value);
                    }
                }
                for w in preferred_affinity(pod) {
                    let term = &w.pod_affinity_term;
                    if term_selects(term, ns, other, view) {
                        state.add_score(
                            &term.topology_key,
                            domain(&term.topology_key),
                            w.weight as i64,
                        );
                    }
                }
                for w in preferred_anti_affinity(pod) {
                    let term = &w.pod_affinity_term;
                    if term_selects(term, ns, other, view) {
                        state.add_score(
                            &term.topology_key,
                            domain(&term.topology_key),
                            -(w.weight as i64),
                        );
                    }
                }
            }
            if !has_any_terms(other) {
                continue;
            }
            let other_ns = namespace(other);
            for term in required_anti_affinity(other) {
                if term_selects(term, other_ns, pod, view)
                    && let Some(value) = domain(&term.topology_key)
                {
                    state.existing_anti.entry(term.topology_key.clone()).or_default().insert(value);
                }
            }
            for term in required_affinity(other) {
                if term_selects(term, other_ns, pod, view) {
                    state.add_score(
                        &term.topology_key,
                        domain(&term.topology_key),
                        HARD_AFFINITY_WEIGHT,
                    );
                }
            }
            for w in preferred_affinity(other) {
                let term = &w.pod_affinity_term;
                if term_selects(term, other_ns, pod, view) {
                    state.add_score(
                        &term.topology_key,
                        domain(&term.topology_key),
                        w.weight as i64,
                    );
                }
            }
            for w in preferred_anti_affinity(other) {
                let term = &w.pod_affinity_term;
                if term_selects(term, other_ns, pod, view) {
                    state.add_score(
                        &term.topology_key,
                        domain(&term.topology_key),
                        -(w.weight as i64),
                    );
                }
            }
        }
        let nothing_matches = state.affinity.iter().all(|(_, domains)| domains.is_empty());
        state.affinity_bootstrap = !required.is_empty()
            && nothing_matches
            && required.iter().all(|t| term_selects(t, ns, pod, view));
        state
    }

    fn add_score(&mut self, key: &str, value: Option<String>, weight: i64) {
        if let Some(value) = value {
            *self.domain_scores.entry((key.to_string(), value)).or_default() += weight;
        }
    }

    /// The filter: None if the node passes, else (reason, resolvable by preemption).
    pub fn filter(&self, node_labels: &Labels) -> Option<(&'static str, bool)> {
        let satisfied = self
            .affinity
            .iter()
            .all(|(key, domains)| node_labels.get(key).is_some_and(|v| domains.contains(v)));
        if !satisfied {
            let bootstrap = self.affinity_bootstrap
                && self.affinity.iter().all(|(key, _)| node_labels.contains_key(key));
            if !bootstrap {
                return Some((AFFINITY_NOT_MATCH, false));
            }
        }
        let anti_hit = self
            .anti_affinity
            .iter()
            .any(|(key, domains)| node_labels.get(key).is_some_and(|v| domains.contains(v)));
        if anti_hit {
            return Some((ANTI_AFFINITY_NOT_MATCH, true));
        }
        let existing_hit = self
            .existing_anti
            .iter()
            .any(|(key, domains)| node_labels.get(key).is_some_and(|v| domains.contains(v)));
        if existing_hit {
            return Some((EXISTING_ANTI_AFFINITY_NOT_MATCH, true));
        }
        None
    }

    /// The raw preferred-terms score of a node (normalised by the caller).
    pub fn score(&self, node_labels: &Labels) -> i64 {
        self.domain_scores
            .iter()
            .filter(|((key, value), _)| node_labels.get(key) == Some(value))
            .map(|(_, score)| score)
            .sum()
    }
}
