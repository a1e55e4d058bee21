//! The pod network's door for host processes: an HTTP/1.1 forward proxy. Clients send requests
//! in absolute form (`GET http://10.244.1.5:8090/findDrives HTTP/1.1`), as any HTTP client
//! configured with a proxy does; the request goes, URI rewritten to origin form, to the pod
//! holding that IP (see [`dial`](super::dial)). What a real network would refuse comes back as
//! 502 Bad Gateway with the dialer's words as a text body, as a real forward proxy answers.
//!
//! Fault rules for `pods` / `proxy` (the API server's pod proxy subresource) apply here too, with
//! the verb of the method and the name of the pod: latency delays the request, an error status
//! answers it.
//!
//! These requests are not API requests: they are not in the request log (which counts what
//! clients ask of the API server), and, as on a pod network, nobody is authenticated.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, Uri, header};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::dial::{DialError, PodRequest, PodTarget, address, pods_with_ip, send_to_pod};
use super::headers;
use crate::faults::{FaultAction, RequestFacts};
use crate::routes::proxy_verb;
use crate::server::ApiServer;

/// Largest request body passed on to a pod.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Serves the proxy on `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    api: Arc<ApiServer>,
    mut shutdown: watch::Receiver<bool>,
) {
    let app = Router::new().fallback(forward).with_state(api);
    let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = shutdown.wait_for(|stopped| *stopped).await;
    });
    if let Err(error) = serving.await {
        tracing::error!(%error, "kubesim pod network proxy failed");
    }
}

/// The proxy's URL for clients: `http://IP:PORT`.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

fn text(code: StatusCode, body: impl Into<String>) -> Response {
    let mut body = body.into();
    body.push('\n');
    (code, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn bad_gateway(error: &DialError) -> Response {
    text(StatusCode::BAD_GATEWAY, error.to_string())
}

async fn forward(State(api): State<Arc<ApiServer>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::CONNECT {
        return text(
            StatusCode::METHOD_NOT_ALLOWED,
            "kubesim pod network: CONNECT (tunnels, https) is not supported; send plain http:// requests",
        );
    }
    let Some(authority) = parts.uri.authority().cloned() else {
        return text(
            StatusCode::BAD_REQUEST,
            "kubesim pod network: this is a forward proxy; send requests in absolute form (http://POD_IP:PORT/PATH)",
        );
    };
    if parts.uri.scheme_str().is_some_and(|s| s != "http") {
        return text(StatusCode::BAD_REQUEST, "kubesim pod network: only http:// URLs are proxied");
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = host.parse::<IpAddr>() else {
        return text(StatusCode::BAD_GATEWAY, format!("dial tcp: lookup {host}: no such host"));
    };
    let ip = ip.to_string();
    let port = authority.port_u16().unwrap_or(80);
    let addr = address(&ip, port);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(error) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("reading the request body: {error}"),
            );
        }
    };
    let origin = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let request = PodRequest {
        method: parts.method.clone(),
        uri: origin.parse().unwrap_or_else(|_| Uri::from_static("/")),
        headers: headers::to_pod(&parts.headers, authority.as_str(), false),
        body,
    };
    let pods = pods_with_ip(&api, &ip);
    let Some(first) = pods.first() else {
        tracing::debug!(%addr, "pod network: no pod holds the address");
        return bad_gateway(&DialError::NoRoute { addr });
    };
    if let Some(refused) = faults(&api, &parts.method, first).await {
        return refused;
    }
    let nodes = api.nodes.get().cloned();
    for pod in &pods {
        if let Some(answer) = send_to_pod(nodes.as_deref(), pod, port, &request).await {
            let (mut head, body) = answer.into_parts();
            headers::strip_hop_by_hop(&mut head.headers);
            return Response::from_parts(head, axum::body::Body::from(body));
        }
    }
    tracing::debug!(%addr, "pod network: nothing listens on the port");
    bad_gateway(&DialError::Refused { addr })
}

/// The fault rules for the pod's proxy subresource: latency waits here, an error answers.
async fn faults(api: &ApiServer, method: &Method, pod: &PodTarget) -> Option<Response> {
    let verb = proxy_verb(method);
    let facts = RequestFacts {
        verb: &verb,
        resource: "pods",
        subresource: Some("proxy"),
        namespace: Some(pod.namespace.as_str()),
        name: Some(pod.name.as_str()),
    };
    for action in api.faults.take(&facts) {
        match action {
            FaultAction::Latency(delay) => tokio::time::sleep(delay).await,
            FaultAction::Error { code, message, .. } => {
                let code = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
                return Some(text(code, message));
            }
            FaultAction::DropWatch { .. } | FaultAction::ExpireWatch => {}
        }
    }
    None
}
