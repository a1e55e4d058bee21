//! The operator's API requests, from kubesim's request log: counted by verb and resource,
//! writes told apart from reads, and compared with the fewest writes a bring-up needs.
//!
//! The operator is whoever is not a simulated component (kubelet, scheduler, controller
//! manager: their user agents) and not simulate's own client.
//!
//! The minimum (the "write budget"), per WekaContainer: its creation, its finalizer, its
//! pod, one claim on its node (ports, drives), one status write once it runs, and for a
//! drive container one more when its drives are added; per WekaCluster: its finalizer, its
//! four login Secrets, the port allocation, and one status write per condition it shows at
//! Ready; per node the clusters use, two one-off containers (discovery and drivers loader),
//! each created, given a pod, its result written, the node annotated, and deleted. Events
//! and `pods/exec` (WEKA CLI calls) are counted apart, not as writes.

use std::collections::BTreeMap;

use kubesim::RequestRecord;
use serde::Serialize;

use crate::commands::simulate::environment::SIMULATE_AGENT;

const SYSTEM_AGENTS: [&str; 4] =
    ["kubelet/", "kube-scheduler/", "kube-controller-manager/", SIMULATE_AGENT];

pub fn is_operator(record: &RequestRecord) -> bool {
    let agent = record.user_agent.as_deref().unwrap_or_default();
    !record.verb.is_empty() && !SYSTEM_AGENTS.iter().any(|a| agent.starts_with(a))
}

/// A state-changing request (not an exec, not an Event).
pub fn is_write(record: &RequestRecord) -> bool {
    matches!(record.verb.as_str(), "create" | "update" | "patch" | "delete" | "deletecollection")
        && record.subresource.as_deref() != Some("exec")
        && record.resource != "events"
}

/// `resource` or `resource/subresource`.
fn resource_of(record: &RequestRecord) -> String {
    match &record.subresource {
        Some(sub) => format!("{}/{sub}", record.resource),
        None => record.resource.clone(),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub verb: String,
    pub resource: String,
    pub count: usize,
    pub per_container: f64,
}

impl Row {
    /// A state-changing row (not an exec, not an Event).
    pub fn is_write(&self) -> bool {
        let counted = self.resource != "events" && !self.resource.ends_with("/exec");
        counted
            && matches!(
                self.verb.as_str(),
                "create" | "update" | "patch" | "delete" | "deletecollection"
            )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestStats {
    pub total: usize,
    pub writes: usize,
    pub execs: usize,
    pub events: usize,
    pub rows: Vec<Row>,
}

impl RequestStats {
    pub fn of(records: &[RequestRecord], containers: usize) -> RequestStats {
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut stats = RequestStats::default();
        for record in records.iter().filter(|r| is_operator(r)) {
            stats.total += 1;
            stats.writes += usize::from(is_write(record));
            stats.execs += usize::from(record.subresource.as_deref() == Some("exec"));
            stats.events += usize::from(record.resource == "events" && record.verb != "get");
            *counts.entry((record.verb.clone(), resource_of(record))).or_default() += 1;
        }
        let per = |n: usize| n as f64 / containers.max(1) as f64;
        stats.rows = counts
            .into_iter()
            .map(|((verb, resource), count)| Row {
                verb,
                resource,
                count,
                per_container: per(count),
            })
            .collect();
        stats.rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.verb.cmp(&b.verb)));
        stats
    }
}

/// The write budget of the module docs.
pub fn minimum_writes(
    compute: usize,
    drive: usize,
    cluster_conditions: &[usize],
    nodes_used: usize,
) -> usize {
    let per_container = 5;
    let per_node = 2 * 5;
    let clusters: usize = cluster_conditions.iter().map(|conditions| 1 + 4 + 1 + conditions).sum();
    (compute + drive) * per_container + drive + clusters + nodes_used * per_node
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(verb: &str, resource: &str, sub: Option<&str>, agent: &str) -> RequestRecord {
        RequestRecord {
            verb: verb.into(),
            resource: resource.into(),
            subresource: sub.map(String::from),
            user_agent: Some(agent.into()),
            ..Default::default()
        }
    }

    #[test]
    fn only_the_operators_requests_count_and_execs_and_events_are_not_writes() {
        let op = "weka-operator/0.1.0";
        let records = vec![
            record("create", "wekacontainers", None, op),
            record("create", "wekacontainers", None, op),
            record("patch", "wekacontainers", Some("status"), op),
            record("create", "pods", Some("exec"), op),
            record("create", "events", None, op),
            record("list", "pods", None, op),
            record(
                "patch",
                "pods",
                Some("status"),
                "kubelet/v1.32.0 (linux/amd64) kubernetes/kubesim",
            ),
            record("create", "pods", None, SIMULATE_AGENT),
        ];
        let stats = RequestStats::of(&records, 2);
        assert_eq!((stats.total, stats.writes, stats.execs, stats.events), (6, 3, 1, 1));
        assert_eq!(
            stats.rows[0],
            Row {
                verb: "create".into(),
                resource: "wekacontainers".into(),
                count: 2,
                per_container: 1.0
            }
        );
        assert!(stats.rows.iter().any(|r| r.resource == "wekacontainers/status"));
    }

    #[test]
    fn the_write_budget_counts_containers_drives_and_cluster_conditions() {
        assert_eq!(minimum_writes(6, 6, &[20], 0), 12 * 5 + 6 + 26);
        assert_eq!(minimum_writes(10, 0, &[], 0), 50);
        assert_eq!(minimum_writes(6, 6, &[20], 6), 12 * 5 + 6 + 26 + 6 * 10);
    }
}
