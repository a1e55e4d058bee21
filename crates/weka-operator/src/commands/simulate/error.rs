//! Why a simulation (or a benchmark on it) failed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot listen for termination signals: {0}")]
    Signals(std::io::Error),
    #[error("--node-spec: {0}")]
    NodeSpec(#[from] kubesim::nodes::node_spec::NodeSpecError),
    #[error("cannot start the simulated cluster: {0}")]
    Kubesim(#[from] kubesim::StartError),
    #[error("cannot build a client for the simulated API server")]
    Client,
    #[error("cannot {what}: {source}")]
    Api { what: &'static str, source: kube::Error },
    #[error("a manifest built into the binary is broken: {0}")]
    Embedded(serde_yaml::Error),
    #[error("the API server does not serve the CRDs of {0}")]
    CrdsNotServed(String),
    #[error("{origin}: {reason}")]
    Manifest { origin: String, reason: String },
    #[error("cannot apply {origin}: {reason}")]
    Apply { origin: String, reason: String },
    #[error("cannot install the node agents: {0}")]
    NodeAgent(#[from] crate::node_agent::sim::DeployError),
    #[error("cannot start the operator process: {0}")]
    OperatorSpawn(std::io::Error),
    #[error("the operator process is gone")]
    OperatorGone,
    #[error("waiting for the operator process: {0}")]
    OperatorWait(std::io::Error),
    #[error("the operator exited unexpectedly ({status}); the end of its log:\n{tail}")]
    OperatorExited { status: String, tail: String },
    #[error("not Ready after {waited}:\n{reason}")]
    NotReady { waited: String, reason: String },
    #[error("interrupted ({signal}) before every applied cluster was Ready")]
    Interrupted { signal: &'static str },
}
