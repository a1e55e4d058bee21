//! JSON-RPC 2.0 to a local WEKA container: `POST http://localhost/api/v1` over the unix socket
//! `<containers>/<WekaContainer UID>/local-sockets/<weka container name>/container.sock`.
//! One connection per call: calls are rare (the operator's polling cadence) and a container
//! restart replaces its socket.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::UnixStream;

use super::LinuxPaths;
use crate::node_agent::host::{HostError, LocalTarget};
use crate::node_agent::protocol::{JsonRpcRequest, JsonRpcResponse, LOCAL_RPC_PATH};

/// Longest socket path `connect` takes directly (`sun_path` holds 108 bytes with the NUL);
/// longer ones are reached through a link in the temporary directory, as upstream does.
const MAX_SOCKET_PATH: usize = 100;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The socket of a local container.
pub fn socket_path(paths: &LinuxPaths, target: &LocalTarget) -> PathBuf {
    paths
        .containers
        .join(&target.container_id)
        .join("local-sockets")
        .join(&target.weka_container_name)
        .join("container.sock")
}

/// A path to `socket` short enough to connect to.
fn connectable(
    paths: &LinuxPaths,
    target: &LocalTarget,
    socket: &Path,
) -> Result<PathBuf, HostError> {
    if socket.as_os_str().len() <= MAX_SOCKET_PATH {
        return Ok(socket.to_path_buf());
    }
    let link = paths.tmp.join(format!("{}.sock", target.container_id));
    if std::fs::read_link(&link).ok().as_deref() != Some(socket) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(socket, &link)
            .map_err(|e| HostError::io(format!("link {}", link.display()), e))?;
    }
    Ok(link)
}

/// Calls `method` on the container and returns its `result` (`null` when absent).
pub async fn call(
    paths: &LinuxPaths,
    target: &LocalTarget,
    method: &str,
    params: Map<String, Value>,
    timeout: Duration,
) -> Result<Value, HostError> {
    let socket = socket_path(paths, target);
    if !socket.exists() {
        return Err(HostError::NotFound(format!("socket not found at path: {}", socket.display())));
    }
    let path = connectable(paths, target, &socket)?;
    let request = JsonRpcRequest {
        id: Value::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
        jsonrpc: "2.0".into(),
        method: method.into(),
        params,
    };
    let body = serde_json::to_vec(&request).map_err(|e| HostError::Parse(e.to_string()))?;
    let exchange = exchange(&path, body);
    let answer = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| HostError::Timeout(timeout))??;
    let response: JsonRpcResponse = serde_json::from_slice(&answer)
        .map_err(|e| HostError::Parse(format!("invalid JSON-RPC response: {e}")))?;
    if let Some(error) = response.error {
        return Err(HostError::Rpc { code: error.code, message: error.message });
    }
    Ok(response.result.unwrap_or(Value::Null))
}

/// One HTTP/1.1 POST over the socket; the body of a 200 answer.
async fn exchange(path: &Path, body: Vec<u8>) -> Result<Bytes, HostError> {
    let transport = |e: &dyn std::fmt::Display| HostError::Transport(e.to_string());
    let stream = UnixStream::connect(path)
        .await
        .map_err(|e| HostError::io(format!("connect {}", path.display()), e))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| transport(&e))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = hyper::Request::post(LOCAL_RPC_PATH)
        .header(hyper::header::HOST, "localhost")
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| transport(&e))?;
    let result = async {
        let response = sender.send_request(request).await.map_err(|e| transport(&e))?;
        let status = response.status();
        let bytes = response.into_body().collect().await.map_err(|e| transport(&e))?.to_bytes();
        if status != hyper::StatusCode::OK {
            return Err(HostError::Status(status.to_string()));
        }
        Ok(bytes)
    }
    .await;
    driver.abort();
    result
}
