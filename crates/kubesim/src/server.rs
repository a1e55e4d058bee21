//! The HTTP front: the shared server state, and the one axum fallback handler that routes
//! every request (see `routes`), applies authentication and fault rules, calls the handler and
//! writes the request log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header, request::Parts};
use serde_json::json;
use tokio::sync::{Notify, watch};

use crate::discovery;
use crate::errors::{Error, Result};
use crate::faults::{FaultAction, Faults, RequestFacts};
use crate::handlers::{self, Ctx, body, params::Query};
use crate::registry::Registry;
use crate::request_log::{RequestLog, RequestRecord};
use crate::routes::{self, Route};
use crate::store::Store;

/// Largest request body accepted (the apiserver's limit is 3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Settings {
    /// The bearer token clients must present (when they present one).
    pub token: String,
    /// How often a watch with allowWatchBookmarks gets a BOOKMARK.
    pub bookmark_interval: Duration,
    /// Watch duration when the client sets no timeoutSeconds.
    pub default_watch_timeout: Duration,
}

/// Everything the handlers share.
pub struct ApiServer {
    pub store: Store,
    pub registry: Registry,
    pub request_log: RequestLog,
    pub faults: Faults,
    pub settings: Settings,
    /// Flips to true when the server shuts down; watch streams end on it.
    pub shutdown: watch::Receiver<bool>,
    /// Wakes the lifecycle controller (namespace and CRD deletion).
    pub lifecycle: Notify,
    /// The simulated nodes (scheduler and kubelets), once started: `pods/exec` and `pods/log`
    /// are answered by them (see `crate::nodes::io`).
    pub nodes: std::sync::OnceLock<Arc<crate::nodes::Nodes>>,
}

pub fn router(api: Arc<ApiServer>) -> Router {
    Router::new().fallback(dispatch).with_state(api)
}

async fn dispatch(State(api): State<Arc<ApiServer>>, request: axum::extract::Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let query = Query::parse(parts.uri.query());
    let route = routes::parse(&parts.method, parts.uri.path(), query.flag("watch"));
    let mut record = RequestRecord {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        field_manager: query.field_manager().map(str::to_string),
        dry_run: query.get("dryRun") == Some("All"),
        ..Default::default()
    };
    if let Route::PodProxy(target) = &route {
        record.verb = target.verb.clone();
        record.version = "v1".into();
        record.resource = "pods".into();
        record.subresource = Some("proxy".into());
        record.namespace = Some(target.namespace.clone());
        record.name = Some(target.name.clone());
    }
    if let Route::Resource(path) = &route {
        record.verb = path.verb.as_str().to_string();
        record.group = path.group.clone();
        record.version = path.version.clone();
        record.resource = path.resource.clone();
        record.subresource = path.subresource.clone();
        record.namespace = path.namespace.clone();
        record.name = path.name.clone();
        // Patches always (the patch type); other writes when they carry a body's media type.
        if path.verb == routes::Verb::Patch
            || (path.verb.is_write() && parts.headers.contains_key(header::CONTENT_TYPE))
        {
            record.content_type = Some(body::content_type(&parts.headers));
        }
    }
    let response = match serve(&api, &parts, route, query, body, &mut record).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    record.code = response.status().as_u16();
    record.duration = started.elapsed();
    tracing::debug!(
        method = %record.method, path = %record.path, verb = %record.verb,
        code = record.code, "request"
    );
    api.request_log.record(record);
    response
}

fn authenticate(api: &ApiServer, parts: &Parts) -> Result<()> {
    match parts.headers.get(header::AUTHORIZATION) {
        None => Ok(()),
        Some(value) => {
            let expected = format!("Bearer {}", api.settings.token);
            if value.as_bytes() == expected.as_bytes() { Ok(()) } else { Err(Error::Unauthorized) }
        }
    }
}

async fn serve(
    api: &Arc<ApiServer>,
    parts: &Parts,
    route: Route,
    query: Query,
    body: axum::body::Body,
    record: &mut RequestRecord,
) -> Result<Response> {
    if route == Route::Health {
        return Ok((StatusCode::OK, "ok").into_response());
    }
    authenticate(api, parts)?;
    let accept = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    match route {
        Route::Health => Ok((StatusCode::OK, "ok").into_response()),
        Route::Version => Ok(body::json(StatusCode::OK, &discovery::version())),
        Route::CoreVersions
        | Route::Groups
        | Route::Group(_)
        | Route::Resources { .. }
        | Route::OpenApiV3Index
        | Route::OpenApiV3 { .. }
        | Route::OpenApiV2 => {
            if parts.method != Method::GET && parts.method != Method::HEAD {
                return Err(Error::MethodNotAllowed(
                    "the server does not allow this method on the requested resource".into(),
                ));
            }
            discovery::serve(api, &route, accept)
        }
        Route::Unknown => Err(Error::UnknownPath),
        Route::PodProxy(target) => {
            let facts = RequestFacts {
                verb: &target.verb,
                resource: "pods",
                subresource: Some("proxy"),
                namespace: Some(&target.namespace),
                name: Some(&target.name),
            };
            request_faults(api, &facts).await?;
            let bytes = read_body(body).await?;
            crate::nodes::network::pod_proxy::serve(api, parts, &target, bytes).await
        }
        Route::Resource(path) => {
            let resource = api
                .registry
                .lookup(&path.group, &path.version, &path.resource)
                .ok_or(Error::UnknownPath)?;
            let facts = RequestFacts {
                verb: path.verb.as_str(),
                resource: &path.resource,
                subresource: path.subresource.as_deref(),
                namespace: path.namespace.as_deref(),
                name: path.name.as_deref(),
            };
            let watch_faults = request_faults(api, &facts).await?;
            // Nodes hook: the kubelets answer pods/exec and pods/log (crate::nodes::io).
            if let Some(response) =
                crate::nodes::io::api_hook(api, parts, &path, &resource.storage).await
            {
                return Ok(response);
            }
            let bytes = read_body(body).await?;
            let mut ctx = Ctx {
                api: api.clone(),
                path,
                resource,
                query,
                headers: parts.headers.clone(),
                body: bytes,
                warnings: Vec::new(),
                watch_faults,
                record_delete: None,
                created_name: None,
            };
            let response = handlers::handle(&mut ctx).await;
            if let Some(delete) = ctx.record_delete.take() {
                record.grace_period_seconds = delete.grace_period_seconds;
                record.propagation_policy = delete.propagation_policy;
                record.dry_run |= delete.dry_run;
            }
            if record.name.is_none() {
                record.name = ctx.created_name.take();
            }
            let response = response?;
            Ok(body::with_warnings(response, &ctx.warnings))
        }
    }
}

/// Applies the fault rules matching a request: waits out latency, fails with an injected
/// error, and returns what only a watch can act on (drops, expiry).
async fn request_faults(api: &ApiServer, facts: &RequestFacts<'_>) -> Result<Vec<FaultAction>> {
    let mut watch_faults = Vec::new();
    for action in api.faults.take(facts) {
        match action {
            FaultAction::Latency(delay) => tokio::time::sleep(delay).await,
            FaultAction::Error { code, reason, message, retry_after_seconds } => {
                return Err(Error::Injected {
                    code,
                    reason,
                    message,
                    retry_after: retry_after_seconds,
                });
            }
            other => watch_faults.push(other),
        }
    }
    Ok(watch_faults)
}

async fn read_body(body: axum::body::Body) -> Result<bytes::Bytes> {
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| Error::BadRequest(format!("unable to read the request body: {e}")))
}

/// A `Status` object reporting success (some deletes answer with it).
pub fn success_status(details: serde_json::Value) -> Response {
    body::json(
        StatusCode::OK,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": details}),
    )
}
