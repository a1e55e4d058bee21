//! The agent's HTTP API (spec §5, upstream `node_agent.go`): the router, its handlers and
//! [`serve`]. Every endpoint but `/metrics` checks the token first, then the method, then
//! the body, in upstream's order, and answers errors as Go's `http.Error` does (plain text
//! with a trailing newline), so an upstream operator reads the same statuses and bodies.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use super::container_info;
use super::host::{HostError, MountsInterface, NodeHost};
use super::metrics;
use super::protocol::*;
use super::registry::Registry;
use super::token::{TokenCache, authorized};

/// Why the agent stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Upstream exits when the token cannot be read; so does this agent, after answering.
    #[error("cannot read the node agent token: {0}")]
    Token(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("the node agent server failed: {0}")]
    Serve(std::io::Error),
}

struct AgentState {
    host: Arc<dyn NodeHost>,
    token: TokenCache,
    registry: Registry,
    node_name: Option<String>,
    /// Set once the token could not be read: the agent must exit.
    fatal: watch::Sender<Option<String>>,
}

/// One agent: its registry of containers, the token cache and the host it runs on. Cheap to
/// clone; clones share everything.
#[derive(Clone)]
pub struct NodeAgent(Arc<AgentState>);

impl NodeAgent {
    pub fn new(host: Arc<dyn NodeHost>) -> Self {
        Self::with_node_name(host, None)
    }

    /// `node_name` is added as the `node_name` label of every metric (upstream `NODE_NAME`).
    pub fn with_node_name(host: Arc<dyn NodeHost>, node_name: Option<String>) -> Self {
        NodeAgent(Arc::new(AgentState {
            host,
            token: TokenCache::default(),
            registry: Registry::default(),
            node_name: node_name.filter(|n| !n.is_empty()),
            fatal: watch::channel(None).0,
        }))
    }

    /// The HTTP API; serve it with [`serve`] or call it in-process (the simulator does).
    pub fn router(&self) -> Router {
        Router::new()
            .route(PATH_REGISTER, any(register))
            .route(PATH_DEREGISTER, any(deregister))
            .route(PATH_GET_CONTAINER_INFO, any(get_container_info))
            .route(PATH_GET_ACTIVE_MOUNTS, any(get_active_mounts))
            .route(PATH_FIND_DRIVES, any(find_drives))
            .route(PATH_JSONRPC, any(jsonrpc))
            .route(PATH_METRICS, any(metrics_text))
            .with_state(self.0.clone())
    }

    /// How many containers are registered.
    pub async fn registered(&self) -> usize {
        self.0.registry.len().await
    }

    /// Resolves when the agent must stop because its token could not be read.
    pub async fn failed(&self) -> AgentError {
        let mut rx = self.0.fatal.subscribe();
        loop {
            if let Some(reason) = rx.borrow_and_update().clone() {
                return AgentError::Token(reason);
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Serves `agent` on `listener` until `shutdown` resolves (then drains in-flight requests)
/// or the token becomes unreadable (an error: the process exits 1 as upstream's does).
pub async fn serve(
    listener: tokio::net::TcpListener,
    agent: NodeAgent,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AgentError> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, agent.router()).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    let server = tokio::spawn(async move { server.await });
    let failure = tokio::select! {
        () = shutdown => None,
        err = agent.failed() => Some(err),
    };
    let _ = stop_tx.send(());
    let served = server.await;
    if let Some(err) = failure {
        return Err(err);
    }
    match served {
        Ok(result) => result.map_err(AgentError::Serve),
        Err(join) => Err(AgentError::Serve(std::io::Error::other(join.to_string()))),
    }
}

type Shared = State<Arc<AgentState>>;

/// An error answer as Go's `http.Error` writes it.
fn text_error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut body = message.into();
    body.push('\n');
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

/// A JSON answer as Go's `json.Encoder` writes it (one line).
fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let mut text = serde_json::to_string(body).unwrap_or_else(|_| "null".into());
    text.push('\n');
    let mut response = (status, text).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An early answer (error) of a handler, boxed: responses are large.
type Rejected = Box<Response>;

fn reject(status: StatusCode, message: impl Into<String>) -> Rejected {
    Box::new(text_error(status, message))
}

fn message(text: &str) -> Response {
    json_response(StatusCode::OK, &MessageResponse { message: text.to_string() })
}

/// The token check every endpoint but `/metrics` starts with.
async fn authorize(state: &AgentState, headers: &HeaderMap) -> Result<(), Rejected> {
    let token = match state.token.current(state.host.as_ref()).await {
        Ok(token) => token,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the node agent token; stopping");
            state.fatal.send_replace(Some(e.to_string()));
            return Err(reject(StatusCode::INTERNAL_SERVER_ERROR, "failed to read token"));
        }
    };
    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    if authorized(header, &token) {
        Ok(())
    } else {
        tracing::warn!("unauthorized request");
        Err(reject(StatusCode::UNAUTHORIZED, UNAUTHORIZED_BODY))
    }
}

fn require(method: &Method, allowed: &[Method], message: String) -> Result<(), Rejected> {
    if allowed.contains(method) {
        Ok(())
    } else {
        Err(reject(StatusCode::METHOD_NOT_ALLOWED, message))
    }
}

fn require_post(method: &Method) -> Result<(), Rejected> {
    require(method, &[Method::POST], ERR_METHOD_NOT_ALLOWED.to_string())
}

fn decode<T: DeserializeOwned>(body: &Bytes) -> Result<T, Rejected> {
    serde_json::from_slice(body).map_err(|_| reject(StatusCode::BAD_REQUEST, ERR_INVALID_JSON))
}

fn either(result: Result<Response, Rejected>) -> Response {
    result.unwrap_or_else(|e| *e)
}

async fn register(State(s): Shared, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    either(
        async {
            authorize(&s, &headers).await?;
            require_post(&method)?;
            let request: RegisterRequest = decode(&body)?;
            let (name, status) = (request.container_name.clone(), request.pod_status.clone());
            let id = request.container_id.clone();
            match s.registry.register(request).await {
                Some(old) if old != status => tracing::info!(
                    container_name = %name, container_id = %id, old_status = %old,
                    new_status = %status, "pod status changed"
                ),
                Some(_) => {
                    tracing::debug!(container_name = %name, container_id = %id, "re-registered")
                }
                None => tracing::info!(container_name = %name, container_id = %id, "registered"),
            }
            Ok(message(MSG_REGISTERED))
        }
        .await,
    )
}

async fn deregister(State(s): Shared, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    either(
        async {
            authorize(&s, &headers).await?;
            require_post(&method)?;
            let request: DeregisterRequest = decode(&body)?;
            if s.registry.deregister(&request.container_id).await {
                tracing::info!(container_id = %request.container_id, "deregistered");
            }
            Ok(message(MSG_DEREGISTERED))
        }
        .await,
    )
}

async fn get_container_info(
    State(s): Shared,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    either(
        async {
            authorize(&s, &headers).await?;
            require(
                &method,
                &[Method::POST],
                format!("Method not allowed, current method: {method}"),
            )?;
            let request: GetContainerInfoRequest = decode(&body)?;
            let Some(mut entry) = s.registry.get(&request.container_id).await else {
                return Err(reject(StatusCode::NOT_FOUND, ERR_CONTAINER_NOT_FOUND));
            };
            let poll = container_info::poll(s.host.as_ref(), &entry).await;
            s.registry
                .store_polled(&request.container_id, entry.generation, poll.polled.clone())
                .await;
            entry.polled = poll.polled;
            match poll.error {
                Some(e) if e.is_not_found() => {
                    return Err(reject(StatusCode::NOT_FOUND, ERR_CONTAINER_SOCKET_NOT_FOUND));
                }
                Some(_) => {
                    let msg = "failed to fetch container info";
                    return Err(reject(StatusCode::INTERNAL_SERVER_ERROR, msg));
                }
                None => {}
            }
            let response =
                GetContainerInfoResponse { container_metrics: container_info::metrics(&entry) };
            Ok(json_response(StatusCode::OK, &response))
        }
        .await,
    )
}

/// A container name that cannot leave `/proc/wekafs/`.
fn safe_container_name(name: &str) -> bool {
    !(name.contains("..") || name.contains('/') || name.contains('\\'))
}

fn mounts_error(e: HostError) -> Rejected {
    let status = match e {
        HostError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    reject(status, e.to_string())
}

async fn get_active_mounts(State(s): Shared, headers: HeaderMap, uri: Uri) -> Response {
    either(async {
        authorize(&s, &headers).await?;
        let query = Query::<ActiveMountsQuery>::try_from_uri(&uri)
            .map_err(|e| reject(StatusCode::BAD_REQUEST, e.body_text()))?
            .0;
        let name = query.container_name.unwrap_or_default();
        let uuid = query.container_uuid.unwrap_or_default();
        if !name.is_empty() && uuid.is_empty() {
            let msg = "container_uuid is required when container_name is specified";
            return Err(reject(StatusCode::BAD_REQUEST, msg));
        }
        if !safe_container_name(&name) {
            return Err(reject(StatusCode::BAD_REQUEST, "invalid container name"));
        }
        let per_container = !name.is_empty()
            && s.registry.get(&uuid).await.is_some_and(|e| e.per_container_interface());
        let host = s.host.as_ref();
        let mounts = if per_container {
            match host.active_mounts(MountsInterface::Container { name: &name, uuid: &uuid }).await
            {
                Err(e) if e.is_not_found() => {
                    tracing::debug!(container = %name, "no per-container interface, using the node's");
                    host.active_mounts(MountsInterface::Global).await
                }
                other => other,
            }
        } else {
            host.active_mounts(MountsInterface::Global).await
        };
        let active_mounts = mounts.map_err(mounts_error)?;
        Ok(json_response(StatusCode::OK, &ActiveMountsResponse { active_mounts }))
    }
    .await)
}

async fn find_drives(State(s): Shared, method: Method, headers: HeaderMap) -> Response {
    either(
        async {
            authorize(&s, &headers).await?;
            require(&method, &[Method::GET, Method::POST], ERR_METHOD_NOT_ALLOWED.to_string())?;
            match s.host.find_drives().await {
                Ok(drives) => {
                    tracing::info!(count = drives.len(), "discovered drives");
                    Ok(json_response(StatusCode::OK, &FindDrivesResponse { drives, error: None }))
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot discover drives");
                    let body =
                        FindDrivesResponse { drives: Vec::new(), error: Some(e.to_string()) };
                    Err(Box::new(json_response(StatusCode::INTERNAL_SERVER_ERROR, &body)))
                }
            }
        }
        .await,
    )
}

async fn jsonrpc(State(s): Shared, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    either(async {
        authorize(&s, &headers).await?;
        require_post(&method)?;
        let request: JsonRpcProxyRequest = decode(&body)?;
        let Some(entry) = s.registry.get(&request.container_id).await else {
            tracing::warn!(container_id = %request.container_id, "JSONRPC to an unregistered container");
            return Err(reject(StatusCode::NOT_FOUND, ERR_CONTAINER_NOT_REGISTERED));
        };
        let name = entry.request.container_name.as_str();
        match s.host.local_rpc(&entry.target(), &request.method, request.params).await {
            Ok(result) => {
                tracing::info!(container_name = name, method = %request.method, "JSONRPC call succeeded");
                let body = JsonRpcProxyResponse { message: MSG_JSONRPC_OK.to_string(), result };
                Ok(json_response(StatusCode::OK, &body))
            }
            Err(e) => {
                tracing::warn!(container_name = name, method = %request.method, error = %e, "JSONRPC call failed");
                let msg = format!("JSONRPC call failed: {e}");
                Err(reject(StatusCode::INTERNAL_SERVER_ERROR, msg))
            }
        }
    }
    .await)
}

/// Polls every registered container (concurrently, 5 s each at most), then renders.
async fn metrics_text(State(s): Shared) -> Response {
    let entries = s.registry.all().await;
    let polls = entries.into_iter().map(|mut entry| {
        let s = s.clone();
        async move {
            let limit = std::time::Duration::from_secs(5);
            if let Ok(poll) =
                tokio::time::timeout(limit, container_info::poll(s.host.as_ref(), &entry)).await
            {
                let id = entry.request.container_id.clone();
                s.registry.store_polled(&id, entry.generation, poll.polled.clone()).await;
                entry.polled = poll.polled;
            }
            entry
        }
    });
    let entries = futures::future::join_all(polls).await;
    let text = metrics::render(&entries, s.node_name.as_deref(), tokio::time::Instant::now());
    let mut response = (StatusCode::OK, text).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(crate::metrics::CONTENT_TYPE));
    response
}
