//! The kubelet's side of `pods/exec` and `pods/log`: the API server hands these requests over
//! (with the stored pod), and they are answered by the behaviour instances of the kubelet the
//! pod runs on.

mod exec;
mod logs;

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use super::Nodes;
use super::kubelet::{PodRuntime, Slot};

/// The API server's hook: answers `pods/exec` and `pods/log` requests (`None` for any other
/// request), looking the pod up in the server's store.
pub async fn api_hook(
    api: &crate::server::ApiServer,
    parts: &Parts,
    path: &crate::routes::ResourcePath,
    storage: &str,
) -> Option<Response> {
    let sub = path.subresource.as_deref()?;
    if !path.group.is_empty() || path.resource != "pods" || !matches!(sub, "exec" | "log") {
        return None;
    }
    let namespace = path.namespace.clone().unwrap_or_default();
    let name = path.name.clone().unwrap_or_default();
    let key = crate::store::ObjectKey::new(namespace, name.clone());
    let Some(pod) = api.store.get(storage, &key) else {
        return Some(status_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("pods \"{name}\" not found"),
        ));
    };
    let mut owned = http::Request::new(()).into_parts().0;
    owned.method = parts.method.clone();
    owned.uri = parts.uri.clone();
    owned.version = parts.version;
    owned.headers = parts.headers.clone();
    owned.extensions = parts.extensions.clone();
    serve(api.nodes.get().cloned(), (*pod).clone(), sub, owned).await
}

/// Serves `sub` (`exec` or `log`) for `pod`; `None` if `sub` is not one of those.
pub async fn serve(
    nodes: Option<Arc<Nodes>>,
    pod: serde_json::Value,
    sub: &str,
    parts: Parts,
) -> Option<Response> {
    if !matches!(sub, "exec" | "log") {
        return None;
    }
    let pod: Pod = match serde_json::from_value(pod) {
        Ok(p) => p,
        Err(e) => {
            return Some(status_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &e.to_string(),
            ));
        }
    };
    let query = QueryParams::parse(parts.uri.query());
    Some(match sub {
        "exec" => exec::serve(nodes, pod, parts, query).await,
        _ => logs::serve(nodes, pod, query).await,
    })
}

/// A query string with repeated parameters kept (`command=sh&command=-c`).
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    fn parse(raw: Option<&str>) -> Self {
        QueryParams(
            raw.map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1" | "True"))
    }
}

/// An error as a `Status` object.
pub fn status_error(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code.as_u16()});
    (code, [(http::header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn bad_request(message: &str) -> Response {
    status_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The container a request means: the named one, or the only one.
#[allow(clippy::result_large_err)] // the error is the HTTP response itself
fn pick_container(pod: &Pod, asked: Option<&str>) -> Result<String, Response> {
    let spec = pod.spec.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    let mains: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    let inits: Vec<String> =
        spec.init_containers.iter().flatten().map(|c| c.name.clone()).collect();
    match asked.filter(|a| !a.is_empty()) {
        Some(c) if mains.iter().chain(inits.iter()).any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(bad_request(&format!("container {c} is not valid for pod {name}"))),
        None if mains.len() == 1 => Ok(mains[0].clone()),
        None => {
            let mut message = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                mains.join(" ")
            );
            if !inits.is_empty() {
                message.push_str(&format!(" or one of the init containers: [{}]", inits.join(" ")));
            }
            Err(bad_request(&message))
        }
    }
}

/// The kubelet-side runtime of the pod and the slot of a container.
#[allow(clippy::result_large_err)] // the error is the HTTP response itself
fn locate(
    nodes: Option<&Nodes>,
    pod: &Pod,
    container: &str,
) -> Result<(Arc<PodRuntime>, Slot), Response> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty());
    let Some(node) = node else {
        return Err(bad_request(&format!("pod {name} does not have a host assigned")));
    };
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let runtime =
        nodes.and_then(|n| n.kubelet(&node)).and_then(|k| k.pod(&uid)).ok_or_else(|| {
            bad_request(&format!(
                "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
            ))
        })?;
    let slot = runtime.slot(container).ok_or_else(|| {
        bad_request(&format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
        ))
    })?;
    Ok((runtime, slot))
}
