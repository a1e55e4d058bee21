//! Fault profiles: what goes wrong while the simulated system runs, so that the operator's
//! recovery can be watched (`--faults`). Request faults hit every client of the API server
//! (the operator, the kubelets, kubectl) as a flaky real one would.

use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use kubesim::nodes::Nodes;
use kubesim::{FaultAction, FaultRule, Faults};
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FaultProfile {
    /// Nothing fails.
    None,
    /// 5% of `pods/exec` requests (every WEKA CLI call of the operator) fail with 500.
    FlakyExec,
    /// 2% of writes fail (500, or 409 Conflict on updates and patches) and every watch is
    /// cut every 45 s.
    FlakyApi,
    /// Once every applied cluster is Ready, every 2 minutes one backend node stops
    /// reporting (NotReady, as if partitioned) for 60 s, then comes back.
    NodeFailure,
}

/// Exec failure rate of `flaky-exec`.
const EXEC_FAILURE: f64 = 0.05;
/// Write failure rates of `flaky-api` (each kind).
const WRITE_FAILURE: f64 = 0.01;
const WATCH_CUT_EVERY: Duration = Duration::from_secs(45);
const NODE_FAILURE_EVERY: Duration = Duration::from_secs(120);
const NODE_FAILURE_FOR: Duration = Duration::from_secs(60);

impl FaultProfile {
    pub fn name(self) -> &'static str {
        match self {
            FaultProfile::None => "none",
            FaultProfile::FlakyExec => "flaky-exec",
            FaultProfile::FlakyApi => "flaky-api",
            FaultProfile::NodeFailure => "node-failure",
        }
    }

    /// The request rules of this profile.
    pub fn rules(self) -> Vec<FaultRule> {
        match self {
            FaultProfile::None | FaultProfile::NodeFailure => Vec::new(),
            FaultProfile::FlakyExec => vec![
                FaultRule::new(FaultAction::internal_error())
                    .resource("pods")
                    .subresource("exec")
                    .probability(EXEC_FAILURE),
            ],
            FaultProfile::FlakyApi => ["create", "update", "patch", "delete"]
                .into_iter()
                .flat_map(|verb| {
                    let error = FaultRule::new(FaultAction::internal_error())
                        .verb(verb)
                        .probability(WRITE_FAILURE);
                    let conflict = matches!(verb, "update" | "patch").then(|| {
                        FaultRule::new(FaultAction::conflict())
                            .verb(verb)
                            .probability(WRITE_FAILURE)
                    });
                    std::iter::once(error).chain(conflict)
                })
                .collect(),
        }
    }

    /// Starts what the profile does from the start (request rules, watch cuts).
    pub fn install(self, faults: &Faults) {
        for rule in self.rules() {
            faults.add(rule);
        }
    }

    /// What runs in the background while the simulation serves; node failures start once
    /// `ready` turns true (every applied cluster has been Ready).
    pub async fn run(
        self,
        faults: &Faults,
        nodes: Option<Arc<Nodes>>,
        backends: Vec<String>,
        mut ready: watch::Receiver<bool>,
    ) {
        match self {
            FaultProfile::None | FaultProfile::FlakyExec => std::future::pending().await,
            FaultProfile::FlakyApi => loop {
                tokio::time::sleep(WATCH_CUT_EVERY).await;
                tracing::info!("fault: cutting every watch");
                faults.cut_watches();
            },
            FaultProfile::NodeFailure => {
                let Some(nodes) = nodes.filter(|_| !backends.is_empty()) else {
                    return std::future::pending().await;
                };
                if ready.wait_for(|ready| *ready).await.is_err() {
                    return;
                }
                for node in backends.iter().cycle() {
                    tokio::time::sleep(NODE_FAILURE_EVERY - NODE_FAILURE_FOR).await;
                    tracing::info!(%node, "fault: node stops reporting");
                    let _ = nodes.set_node_ready(node, false);
                    tokio::time::sleep(NODE_FAILURE_FOR).await;
                    tracing::info!(%node, "fault: node reports again");
                    let _ = nodes.set_node_ready(node, true);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_profile_has_the_rules_its_help_promises() {
        assert!(FaultProfile::None.rules().is_empty());
        let exec = FaultProfile::FlakyExec.rules();
        assert_eq!(exec.len(), 1);
        assert_eq!(exec[0].subresource.as_deref(), Some("exec"));
        let api = FaultProfile::FlakyApi.rules();
        let verbs: Vec<_> = api.iter().filter_map(|r| r.verb.as_deref()).collect();
        assert_eq!(verbs, ["create", "update", "update", "patch", "patch", "delete"]);
    }
}
