//! The per-node filters, in the order of the default scheduler profile (NodeUnschedulable,
//! TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, InterPodAffinity). Like upstream,
//! a node is rejected by the first filter that fails; NodeResourcesFit lists every resource
//! that is short.

use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};

use super::pod_affinity::AffinityState;
use super::requests::{HostPort, Resources, host_ports, pod_requests, ports_conflict};
use super::view::NodeInfo;
use crate::nodes::selectors::node_selector_terms_match;
use crate::nodes::taints::{UNSCHEDULABLE_TAINT, first_untolerated, tolerated};

pub const UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
pub const NODE_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
pub const TOO_MANY_PODS: &str = "Too many pods";

/// Why a node cannot take the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reasons: Vec<String>,
    /// Upstream's Unschedulable (true: preemption might help) versus
    /// UnschedulableAndUnresolvable (false).
    pub resolvable: bool,
}

impl Rejection {
    fn unresolvable(reason: impl Into<String>) -> Self {
        Rejection { reasons: vec![reason.into()], resolvable: false }
    }

    fn resolvable(reasons: Vec<String>) -> Self {
        Rejection { reasons, resolvable: true }
    }
}

/// The incoming pod, with what the filters ask of it computed once.
pub struct Incoming<'a> {
    pub pod: &'a Pod,
    pub requests: Resources,
    pub nonzero: Resources,
    pub ports: Vec<HostPort>,
    pub tolerations: &'a [Toleration],
}

impl<'a> Incoming<'a> {
    pub fn new(pod: &'a Pod) -> Self {
        let spec = pod.spec.clone().unwrap_or_default();
        Incoming {
            pod,
            requests: pod_requests(&spec, false),
            nonzero: pod_requests(&spec, true),
            ports: host_ports(&spec),
            tolerations: pod
                .spec
                .as_ref()
                .and_then(|s| s.tolerations.as_deref())
                .unwrap_or_default(),
        }
    }
}

/// Runs the filters on one node.
pub fn filter_node(
    incoming: &Incoming,
    info: &NodeInfo,
    affinity: &AffinityState,
) -> Option<Rejection> {
    let node = info.node.as_ref()?;
    let spec = node.spec.clone().unwrap_or_default();
    let taints: &[Taint] = spec.taints.as_deref().unwrap_or_default();

    if spec.unschedulable.unwrap_or(false) {
        let taint = Taint {
            key: UNSCHEDULABLE_TAINT.into(),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        if !tolerated(incoming.tolerations, &taint) {
            return Some(Rejection::unresolvable(UNSCHEDULABLE));
        }
    }
    if let Some(taint) = first_untolerated(taints, incoming.tolerations) {
        let value = taint.value.as_deref().unwrap_or("");
        return Some(Rejection::unresolvable(format!(
            "node(s) had untolerated taint {{{}: {value}}}",
            taint.key
        )));
    }
    if !matches_node_affinity(incoming.pod, info) {
        return Some(Rejection::unresolvable(NODE_AFFINITY));
    }
    let used = info.pods.values().flat_map(|p| p.ports.iter());
    let clash = used.clone().any(|u| incoming.ports.iter().any(|w| ports_conflict(w, u)));
    if clash {
        return Some(Rejection::resolvable(vec![NODE_PORTS.into()]));
    }
    let short = insufficient(incoming, info);
    if !short.is_empty() {
        return Some(Rejection::resolvable(short));
    }
    affinity
        .filter(info.labels())
        .map(|(reason, resolvable)| Rejection { reasons: vec![reason.into()], resolvable })
}

/// nodeSelector and required node affinity.
pub fn matches_node_affinity(pod: &Pod, info: &NodeInfo) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return true;
    };
    let labels = info.labels();
    let selector_ok = spec.node_selector.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref());
    selector_ok
        && required
            .is_none_or(|r| node_selector_terms_match(&r.node_selector_terms, labels, info.name()))
}

/// The NodeResourcesFit reasons: "Too many pods" and "Insufficient <resource>".
fn insufficient(incoming: &Incoming, info: &NodeInfo) -> Vec<String> {
    let mut out = Vec::new();
    let allowed = info.allocatable.get("pods").copied().unwrap_or(0) / 1000;
    if info.pods.len() as i128 + 1 > allowed {
        out.push(TOO_MANY_PODS.to_string());
    }
    let order = |name: &str| match name {
        "cpu" => 0,
        "memory" => 1,
        "ephemeral-storage" => 2,
        _ => 3,
    };
    let mut wanted: Vec<_> = incoming
        .requests
        .iter()
        .filter(|(name, amount)| **amount > 0 && name.as_str() != "pods")
        .collect();
    wanted.sort_by_key(|(name, _)| (order(name), name.as_str()));
    for (name, amount) in wanted {
        let free = info.allocatable.get(name).copied().unwrap_or(0)
            - info.requested.get(name).copied().unwrap_or(0);
        if *amount > free {
            out.push(format!("Insufficient {name}"));
        }
    }
    out
}
