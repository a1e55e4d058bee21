//! Running one command in a container of a pod: the [`PodExec`] seam between the WEKA service
//! and Kubernetes. The real implementation is [`super::kube_exec::KubePodExec`]; tests use one
//! backed by an in-process `wekasim` world.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use weka_api::WekaContainer;

/// The container every WEKA pod runs WEKA in.
pub const WEKA_CONTAINER: &str = "weka-container";
/// The container of the node-agent pods.
pub const NODE_AGENT_CONTAINER: &str = "node-agent";

/// Where a command runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExecTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

impl ExecTarget {
    /// The `weka-container` of a WEKA pod (the pod is named after its WekaContainer).
    pub fn weka(namespace: impl Into<String>, pod: impl Into<String>) -> Self {
        Self::in_container(namespace, pod, WEKA_CONTAINER)
    }

    /// The `weka-container` of a WekaContainer's pod; `None` without a name or namespace.
    pub fn for_container(container: &WekaContainer) -> Option<Self> {
        let metadata = &container.metadata;
        Some(Self::weka(metadata.namespace.as_deref()?, metadata.name.as_deref()?))
    }

    /// A named container, e.g. [`NODE_AGENT_CONTAINER`] of a node-agent pod.
    pub fn in_container(
        namespace: impl Into<String>,
        pod: impl Into<String>,
        container: impl Into<String>,
    ) -> Self {
        ExecTarget { namespace: namespace.into(), pod: pod.into(), container: container.into() }
    }
}

impl fmt::Display for ExecTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.pod, self.container)
    }
}

/// What a command that ran to completion printed, and its exit code (any, including non-zero).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// The command did not run to completion: nothing to learn from its output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("exec timed out after {0:?}")]
    Timeout(Duration),
    /// The pod does not exist (any more).
    #[error("pod not found: {0}")]
    PodNotFound(String),
    /// The container does not exist or is not running (Kubernetes says `container not found`).
    #[error("container not found: {0}")]
    ContainerNotFound(String),
    /// Any other failure to open or stream the exec.
    #[error("exec failed to stream: {0}")]
    Stream(String),
}

impl ExecError {
    /// The pod or its container is gone: nothing runs there to talk to.
    pub fn is_gone(&self) -> bool {
        matches!(self, ExecError::PodNotFound(_) | ExecError::ContainerNotFound(_))
    }
}

/// Runs `argv` (no shell unless argv says so, no stdin, no tty) in `target`, bounded by
/// `timeout`.
#[async_trait]
pub trait PodExec: Send + Sync {
    async fn exec(
        &self,
        target: &ExecTarget,
        argv: &[String],
        timeout: Duration,
    ) -> Result<ExecOutput, ExecError>;
}
