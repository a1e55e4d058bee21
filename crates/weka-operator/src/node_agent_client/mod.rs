//! The operator's side of the node agent: finding a node's agent pod, the shared token, and
//! the HTTP calls (`http://<agent pod IP>:8090/<path>`, `Authorization: Token <token>`) the
//! WekaContainer steps make — drives the kernel shows, active mounts of clients, JSON-RPC to
//! a local WEKA container (the SSD proxy's virtual drives), container registration and
//! metrics. The server side is [`crate::node_agent`].
//!
//! The calls go straight to the pod IP, as upstream's do; an operator outside the pod
//! network sets `--node-agent-proxy` (or the standard `HTTP_PROXY`), which is also how the
//! simulator's pod network is reached.

mod calls;
mod pod;
mod token;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

pub use pod::{AgentEndpoint, AgentPods, find_agent, locate};
pub use token::{TokenCache, ensure_secret, ensure_secret_until_done};

/// Where the agents run: the operator's own namespace (they are part of its install).
pub fn agent_namespace(config: &crate::config::Config) -> String {
    Some(config.identity.pod_namespace.as_str())
        .filter(|ns| !ns.is_empty())
        .unwrap_or(crate::config::DEFAULT_OPERATOR_NAMESPACE)
        .to_string()
}

/// What can go wrong talking to a node agent.
#[derive(Debug, Error)]
pub enum AgentError {
    #[error("no node-agent pod on node {node}")]
    PodNotFound { node: String },
    #[error("the node-agent pod on node {node} is not running")]
    PodNotRunning { node: String },
    #[error("node-agent pod {pod} runs image {agent}, the operator runs {operator}")]
    ImageMismatch { pod: String, agent: String, operator: String },
    #[error("node-agent token secret {secret} {reason}")]
    Token { secret: String, reason: String },
    #[error("node-agent HTTP client: {0}")]
    Client(String),
    #[error("node agent {pod}: {path}: {message}")]
    Transport { pod: String, path: String, message: String },
    #[error("node agent {pod}: {path} answered {status}: {body}")]
    Status { pod: String, path: String, status: u16, body: String },
    #[error("node agent {pod}: {path}: {message}")]
    Remote { pod: String, path: String, message: String },
    #[error("node agent {pod}: {path}: unreadable answer: {message}")]
    Decode { pod: String, path: String, message: String },
}

impl AgentError {
    /// The agent answered 404 (for active mounts: no wekafs driver on the node).
    pub fn is_not_found(&self) -> bool {
        matches!(self, AgentError::Status { status: 404, .. })
    }
}

/// One HTTP client for every agent call of a controller (connections are pooled), and the
/// token cache.
pub struct NodeAgentClient {
    http: reqwest::Client,
    pub token: TokenCache,
}

impl NodeAgentClient {
    /// `proxy`: every agent call goes through this HTTP proxy; empty: the environment's.
    pub fn new(proxy: &str) -> Result<Self, AgentError> {
        let mut builder = reqwest::Client::builder().pool_idle_timeout(Duration::from_secs(30));
        if !proxy.is_empty() {
            let proxy = reqwest::Proxy::http(proxy)
                .map_err(|e| AgentError::Client(format!("bad proxy {proxy}: {e}")))?;
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| AgentError::Client(e.to_string()))?;
        Ok(NodeAgentClient { http, token: TokenCache::default() })
    }

    /// `POST <path>` with a JSON body; the answer's JSON on 200.
    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<T, AgentError> {
        let request = self.http.post(format!("{}{path}", agent.base_url)).json(body);
        self.send(agent, token, path, request, timeout).await
    }

    /// `GET <path>` with a query; the answer's JSON on 200.
    async fn get<T: DeserializeOwned>(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        path: &str,
        query: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<T, AgentError> {
        let request = self.http.get(format!("{}{path}", agent.base_url)).query(query);
        self.send(agent, token, path, request, timeout).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        agent: &AgentEndpoint,
        token: &str,
        path: &str,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<T, AgentError> {
        let at = || (agent.pod.clone(), path.to_string());
        let response = request
            .header(http::header::AUTHORIZATION, format!("Token {token}"))
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                let (pod, path) = at();
                AgentError::Transport { pod, path, message: error_chain(&e) }
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            let (pod, path) = at();
            AgentError::Transport { pod, path, message: error_chain(&e) }
        })?;
        if !status.is_success() {
            let (pod, path) = at();
            let body = String::from_utf8_lossy(&body).trim().chars().take(500).collect();
            return Err(AgentError::Status { pod, path, status: status.as_u16(), body });
        }
        serde_json::from_slice(&body).map_err(|e| {
            let (pod, path) = at();
            AgentError::Decode { pod, path, message: e.to_string() }
        })
    }
}

/// reqwest's errors say "error sending request"; the cause (refused, timed out) is below.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
