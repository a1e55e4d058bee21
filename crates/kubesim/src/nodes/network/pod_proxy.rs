//! The API server's pod proxy subresource, `pods/NAME[:PORT]/proxy[/PATH]` with any method,
//! answered like the real one: the request (URI rewritten to PATH and the query, the caller's
//! API credentials dropped) goes to the named pod's IP and port through the same routing as the
//! pod network's forward proxy, and the pod's response comes back as it is.
//!
//! Like upstream's `ResourceLocation`, a missing port means the first declared container port
//! (else 80), a pod without an IP is "address not allowed" (400), and an unreachable port is
//! 503 ServiceUnavailable ("error trying to reach service: dial tcp ..."). A port may also name
//! a container port (upstream would dial the name and fail).

use axum::response::Response;
use bytes::Bytes;
use http::Uri;
use http::request::Parts;
use k8s_openapi::api::core::v1::Pod;

use super::dial::{DialError, PodRequest, PodTarget, address, send_to_pod};
use super::headers;
use crate::errors::{Error, ResourceName, Result};
use crate::routes::PodProxyPath;
use crate::server::ApiServer;
use crate::store::ObjectKey;

pub async fn serve(
    api: &ApiServer,
    parts: &Parts,
    target: &PodProxyPath,
    body: Bytes,
) -> Result<Response> {
    let resource = api.registry.lookup("", "v1", "pods").ok_or(Error::UnknownPath)?;
    let key = ObjectKey::new(target.namespace.clone(), target.name.clone());
    let not_found =
        || Error::NotFound { resource: ResourceName::new("", "pods"), name: target.name.clone() };
    let stored = api.store.get(&resource.storage, &key).ok_or_else(not_found)?;
    let pod: Pod = serde_json::from_value((*stored).clone())
        .map_err(|e| Error::Internal(format!("decoding the stored pod: {e}")))?;
    let port = resolve_port(&pod, target.port.as_deref())?;
    let ip = pod
        .status
        .as_ref()
        .and_then(|s| s.pod_ip.clone())
        .filter(|ip| !ip.is_empty())
        .ok_or_else(|| Error::BadRequest("address not allowed".into()))?;
    let addr = address(&ip, port);
    let uri = match parts.uri.query() {
        Some(query) => format!("{}?{query}", target.target_path()),
        None => target.target_path().to_string(),
    };
    let request = PodRequest {
        method: parts.method.clone(),
        uri: uri
            .parse::<Uri>()
            .map_err(|e| Error::BadRequest(format!("invalid proxy path: {e}")))?,
        headers: headers::to_pod(&parts.headers, &addr, true),
        body,
    };
    let nodes = api.nodes.get().cloned();
    match send_to_pod(nodes.as_deref(), &PodTarget::of(&stored), port, &request).await {
        Some(answer) => {
            let (mut head, body) = answer.into_parts();
            headers::strip_hop_by_hop(&mut head.headers);
            Ok(Response::from_parts(head, axum::body::Body::from(body)))
        }
        None => Err(Error::ServiceUnavailable(format!(
            "error trying to reach service: {}",
            DialError::Refused { addr }
        ))),
    }
}

/// The port to dial: the one asked for (a number, or the name of a container port), else the
/// first container port declared, else 80.
fn resolve_port(pod: &Pod, asked: Option<&str>) -> Result<u16> {
    let ports =
        || pod.spec.iter().flat_map(|s| s.containers.iter()).flat_map(|c| c.ports.iter().flatten());
    let Some(asked) = asked else {
        let first = ports().next().map(|p| p.container_port);
        return Ok(first.and_then(|p| u16::try_from(p).ok()).unwrap_or(80));
    };
    if let Ok(number) = asked.parse::<u16>() {
        return Ok(number);
    }
    ports()
        .find(|p| p.name.as_deref() == Some(asked))
        .and_then(|p| u16::try_from(p.container_port).ok())
        .ok_or_else(|| Error::BadRequest(format!("invalid port {asked:?}: no such container port")))
}
