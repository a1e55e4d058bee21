//! Reaching a port of a pod: which pods hold an IP, and which container of a pod answers.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use serde_json::Value;

use crate::nodes::Nodes;
use crate::server::ApiServer;

/// An HTTP request on its way into a pod: the URI in origin form (`/path?query`), the headers
/// with `Host` naming the pod's address. Kept apart from `http::Request` so it can be handed to
/// one container after another.
#[derive(Clone, Debug)]
pub struct PodRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl PodRequest {
    fn to_http(&self) -> http::Request<Bytes> {
        let mut request = http::Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// Why a pod's port could not be reached, worded as Go's dialer reports it (what the real
/// operator's HTTP client would log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// No pod holds the address.
    #[error("dial tcp {addr}: connect: no route to host")]
    NoRoute { addr: String },
    /// A pod holds the address but nothing in it listens on the port: not running (yet, or
    /// any more), or no container's behaviour serves that port.
    #[error("dial tcp {addr}: connect: connection refused")]
    Refused { addr: String },
}

/// `IP:PORT`, with an IPv6 address in brackets.
pub fn address(ip: &str, port: u16) -> String {
    if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") }
}

fn holds_ip(pod: &Value, ip: &str) -> bool {
    let status = pod.get("status");
    let primary = status.and_then(|s| s.get("podIP")).and_then(Value::as_str) == Some(ip);
    primary
        || status
            .and_then(|s| s.get("podIPs"))
            .and_then(Value::as_array)
            .is_some_and(|ips| ips.iter().any(|i| i.get("ip").and_then(Value::as_str) == Some(ip)))
}

fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("")
}

/// What routing a request into a pod needs of it, read from the stored object without
/// decoding the whole pod (the forward proxy looks at every hostNetwork pod on a node).
#[derive(Clone, Debug, Default)]
pub struct PodTarget {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub node: String,
    /// Its containers in spec order, then its init containers (running sidecars).
    pub containers: Vec<String>,
}

impl PodTarget {
    pub fn of(pod: &Value) -> Self {
        let text = |pointer: &str| pod.pointer(pointer).and_then(Value::as_str).unwrap_or("");
        let names = |list: &str| {
            pod.pointer(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let mut containers = names("/spec/containers");
        containers.extend(names("/spec/initContainers"));
        PodTarget {
            name: text("/metadata/name").to_string(),
            namespace: text("/metadata/namespace").to_string(),
            uid: text("/metadata/uid").to_string(),
            node: text("/spec/nodeName").to_string(),
            containers,
        }
    }
}

/// The unfinished pods whose status names `ip` as theirs, Running ones first. hostNetwork pods
/// report their node's InternalIP, so a node address finds every hostNetwork pod on it.
pub fn pods_with_ip(api: &ApiServer, ip: &str) -> Vec<PodTarget> {
    let Some(resource) = api.registry.lookup("", "v1", "pods") else {
        return Vec::new();
    };
    let mut found: Vec<Arc<Value>> = api
        .store
        .list(&resource.storage, None)
        .items
        .into_iter()
        .filter(|pod| holds_ip(pod, ip) && !matches!(phase(pod), "Succeeded" | "Failed"))
        .collect();
    found.sort_by_key(|pod| phase(pod) != "Running");
    found.iter().map(|pod| PodTarget::of(pod)).collect()
}

/// Hands `request` to the running containers of `pod` (its containers in spec order, then
/// running sidecars) until one's behaviour serves `port`; `None` when none does or the pod does
/// not run on a simulated node.
pub async fn send_to_pod(
    nodes: Option<&Nodes>,
    pod: &PodTarget,
    port: u16,
    request: &PodRequest,
) -> Option<http::Response<Bytes>> {
    if pod.node.is_empty() || pod.uid.is_empty() {
        return None;
    }
    let runtime = nodes?.kubelet(&pod.node)?.pod(&pod.uid)?;
    for container in &pod.containers {
        let Some(slot) = runtime.slot(container) else {
            continue;
        };
        let Some(ctx) = slot.ctx.as_ref() else {
            continue;
        };
        if let Some(answer) = slot.behaviour.http(ctx, port, request.to_http()) {
            tracing::debug!(
                pod = %pod.name, %container, port, method = %request.method, uri = %request.uri,
                "pod network request served"
            );
            return Some(answer.await);
        }
    }
    None
}
