//! The HTTP API against a fake host: authentication, and each endpoint's answers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::host::{HostError, LocalTarget, MountsInterface, NodeHost};
use super::protocol::*;
use super::server::{AgentError, NodeAgent, serve};

const TOKEN: &str = "s3cret-token";

/// One JSON-RPC call the host received: target, method, params.
type Call = (LocalTarget, String, Map<String, Value>);

/// A host whose answers the test sets.
#[derive(Default)]
struct FakeHost {
    /// `None`: the token file cannot be read.
    token: Mutex<Option<String>>,
    token_reads: AtomicUsize,
    drives: Mutex<Option<Vec<DriveInfo>>>,
    /// By interface: `""` is the node's, else the container name. Absent: no such file.
    mounts: Mutex<BTreeMap<String, Result<i64, String>>>,
    /// By `(container_id, method)`; `Err("socket")` is a missing socket.
    rpc: Mutex<BTreeMap<(String, String), Result<Value, String>>>,
    calls: Mutex<Vec<Call>>,
}

impl FakeHost {
    fn new() -> Arc<Self> {
        let host = FakeHost::default();
        *host.token.lock().unwrap() = Some(TOKEN.to_string());
        *host.drives.lock().unwrap() = Some(Vec::new());
        Arc::new(host)
    }

    fn answer(&self, container_id: &str, method: &str, answer: Result<Value, &str>) {
        self.rpc
            .lock()
            .unwrap()
            .insert((container_id.into(), method.into()), answer.map_err(String::from));
    }

    fn mounts(&self, interface: &str, answer: Result<i64, &str>) {
        self.mounts.lock().unwrap().insert(interface.into(), answer.map_err(String::from));
    }
}

#[async_trait]
impl NodeHost for FakeHost {
    async fn read_token(&self) -> Result<String, HostError> {
        self.token_reads.fetch_add(1, Ordering::SeqCst);
        self.token.lock().unwrap().clone().ok_or_else(|| {
            HostError::io("read token", std::io::Error::from(std::io::ErrorKind::NotFound))
        })
    }

    async fn find_drives(&self) -> Result<Vec<DriveInfo>, HostError> {
        self.drives.lock().unwrap().clone().ok_or_else(|| HostError::Parse("no /dev".into()))
    }

    async fn active_mounts(&self, interface: MountsInterface<'_>) -> Result<i64, HostError> {
        let key = match interface {
            MountsInterface::Global => String::new(),
            MountsInterface::Container { name, .. } => name.to_string(),
        };
        match self.mounts.lock().unwrap().get(&key) {
            None => Err(HostError::NotFound(format!("open {key}/interface: no such file"))),
            Some(Ok(n)) => Ok(*n),
            Some(Err(e)) => Err(HostError::Parse(e.clone())),
        }
    }

    async fn local_rpc(
        &self,
        target: &LocalTarget,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<Value, HostError> {
        self.calls.lock().unwrap().push((target.clone(), method.to_string(), params));
        let key = (target.container_id.clone(), method.to_string());
        match self.rpc.lock().unwrap().get(&key).cloned() {
            None => Err(HostError::Rpc { code: -32601, message: "Method not found".into() }),
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) if e == "socket" => Err(HostError::NotFound("socket not found".into())),
            Some(Err(e)) => Err(HostError::Transport(e)),
        }
    }
}

async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: &str,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", authorization_value(token));
    }
    let response =
        router.clone().oneshot(request.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn ok_json(router: &Router, method: &str, uri: &str, body: &str) -> Value {
    let (status, text) = send(router, method, uri, Some(TOKEN), body).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn register_body(id: &str, name: &str, mode: &str, per_container: bool) -> String {
    let mut body = json!({
        "container_name": name,
        "container_id": id,
        "weka_container_name": format!("{mode}x0"),
        "labels": {"weka.io/cluster-name": "demo", "app-kind": "weka"},
        "mode": mode,
        "scrape_targets": [],
        "pod_status": "Running",
        "pod_status_start_time": "2024-01-01T00:00:00Z"
    });
    if per_container {
        body["feature_flags"] = json!({"allow_per_container_driver_interface": true});
    }
    body.to_string()
}

async fn registered(router: &Router, id: &str, mode: &str, per_container: bool) {
    let body = register_body(id, &format!("demo-{mode}-0"), mode, per_container);
    let v = ok_json(router, "POST", PATH_REGISTER, &body).await;
    assert_eq!(v, json!({"message": MSG_REGISTERED}));
}

fn setup() -> (Arc<FakeHost>, NodeAgent, Router) {
    let host = FakeHost::new();
    let agent = NodeAgent::with_node_name(host.clone(), Some("node-1".into()));
    let router = agent.router();
    (host, agent, router)
}

#[tokio::test]
async fn every_endpoint_but_metrics_wants_the_token() {
    let (_, _, router) = setup();
    for (method, path) in [
        ("POST", PATH_REGISTER),
        ("POST", PATH_DEREGISTER),
        ("POST", PATH_GET_CONTAINER_INFO),
        ("GET", PATH_GET_ACTIVE_MOUNTS),
        ("GET", PATH_FIND_DRIVES),
        ("POST", PATH_JSONRPC),
    ] {
        for token in [None, Some("wrong"), Some("")] {
            let (status, body) = send(&router, method, path, token, "{}").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} with {token:?}");
            assert_eq!(body, "Unauthorized\n");
        }
    }
    let (status, _) = send(&router, "GET", PATH_METRICS, None, "").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_token_is_checked_before_the_method() {
    let (_, _, router) = setup();
    let (status, _) = send(&router, "GET", PATH_REGISTER, None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(start_paused = true)]
async fn the_token_is_read_again_after_a_minute() {
    let (host, _, router) = setup();
    registered(&router, "u1", "drive", false).await;
    *host.token.lock().unwrap() = Some("rotated".into());
    let (status, _) = send(&router, "POST", PATH_DEREGISTER, Some("rotated"), "{}").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old token is still cached");
    assert_eq!(host.token_reads.load(Ordering::SeqCst), 1);
    tokio::time::advance(Duration::from_secs(61)).await;
    let (status, _) = send(&router, "POST", PATH_DEREGISTER, Some("rotated"), "{}").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(host.token_reads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreadable_token_fails_the_request_and_stops_the_agent() {
    let (host, agent, router) = setup();
    *host.token.lock().unwrap() = None;
    let (status, _) = send(&router, "POST", PATH_REGISTER, Some(TOKEN), "{}").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let failed = tokio::time::timeout(Duration::from_secs(1), agent.failed()).await;
    assert!(matches!(failed, Ok(AgentError::Token(_))));
}

#[tokio::test]
async fn register_and_deregister_check_method_and_json() {
    let (_, agent, router) = setup();
    let (status, body) = send(&router, "GET", PATH_REGISTER, Some(TOKEN), "").await;
    assert_eq!((status, body.as_str()), (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed\n"));
    let (status, body) = send(&router, "POST", PATH_REGISTER, Some(TOKEN), "{not json").await;
    assert_eq!((status, body.as_str()), (StatusCode::BAD_REQUEST, "Invalid JSON payload\n"));
    let (status, _) = send(&router, "POST", PATH_REGISTER, Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    registered(&router, "u1", "drive", false).await;
    registered(&router, "u1", "drive", false).await;
    assert_eq!(agent.registered().await, 1);
    let (status, _) = send(&router, "PUT", PATH_DEREGISTER, Some(TOKEN), "{}").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let v = ok_json(&router, "POST", PATH_DEREGISTER, r#"{"container_id":"u1"}"#).await;
    assert_eq!(v, json!({"message": MSG_DEREGISTERED}));
    assert_eq!(agent.registered().await, 0);
    let v = ok_json(&router, "POST", PATH_DEREGISTER, r#"{"container_id":"u1"}"#).await;
    assert_eq!(v["message"], MSG_DEREGISTERED, "deregistering twice is fine");
}

fn summary() -> Value {
    json!({
        "has_lease": true,
        "filesystems_summary": [],
        "disks_summary": [
            {"disk_id": "DiskId<1>", "uid": "d1", "serial_number": "S1", "dev_uuid": "x",
             "status": "ACTIVE", "isFailed": false, "name": "/dev/nvme0n1"},
            {"disk_id": "DiskId<2>", "uid": "d2", "serial_number": "S2", "dev_uuid": "y",
             "status": "INACTIVE", "isFailed": false, "name": "/dev/nvme1n1"}
        ],
        "host_name": "node-1", "host_id": "HostId<3>",
        "processes_summary": {"drive": {"up": 1, "total": 2}, "management": {"up": 1, "total": 1},
                              "total": {"up": 2, "total": 3}}
    })
}

#[tokio::test]
async fn container_info_reports_processes_cpu_and_drives() {
    let (host, _, router) = setup();
    registered(&router, "u1", "drive", false).await;
    host.answer("u1", methods::GET_LOCAL_CONFIG_SUMMARY, Ok(summary()));
    host.answer(
        "u1",
        methods::FETCH_LOCAL_REALTIME_CPU_USAGE,
        Ok(json!({"NodeId<41>": {"value": 43.861, "err": null}, "NodeId<42>": {"value": null, "err": "x"}})),
    );
    let v = ok_json(&router, "POST", PATH_GET_CONTAINER_INFO, r#"{"container_id":"u1"}"#).await;
    assert_eq!(
        v,
        json!({"container_metrics": {
            "processes": {"active": 2, "created": 3},
            "cpuUtilization": "43.86",
            "drives": {"counters": {"active": 1, "created": 2},
                       "failures": [{"serialId": "S2", "wekaDriveId": "d2"}]}
        }})
    );
    let calls = host.calls.lock().unwrap();
    assert_eq!(calls[0].0.weka_container_name, "drivex0");
    assert_eq!(calls[0].0.container_name, "demo-drive-0");
}

#[tokio::test]
async fn container_info_of_a_compute_container_has_no_drives_and_survives_a_cpu_failure() {
    let (host, _, router) = setup();
    registered(&router, "u2", "compute", false).await;
    host.answer("u2", methods::GET_LOCAL_CONFIG_SUMMARY, Ok(summary()));
    let v = ok_json(&router, "POST", PATH_GET_CONTAINER_INFO, r#"{"container_id":"u2"}"#).await;
    assert_eq!(v["container_metrics"]["processes"], json!({"active": 2, "created": 3}));
    assert_eq!(v["container_metrics"]["cpuUtilization"], "0.00");
    assert!(v["container_metrics"].get("drives").is_none());
}

#[tokio::test]
async fn container_info_errors() {
    let (host, _, router) = setup();
    let (status, body) = send(&router, "GET", PATH_GET_CONTAINER_INFO, Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body, "Method not allowed, current method: GET\n");
    let (status, _) = send(&router, "POST", PATH_GET_CONTAINER_INFO, Some(TOKEN), "[").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) =
        send(&router, "POST", PATH_GET_CONTAINER_INFO, Some(TOKEN), r#"{"container_id":"nope"}"#)
            .await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, "container not found\n"));
    registered(&router, "u1", "drive", false).await;
    host.answer("u1", methods::GET_LOCAL_CONFIG_SUMMARY, Err("socket"));
    let (status, body) =
        send(&router, "POST", PATH_GET_CONTAINER_INFO, Some(TOKEN), r#"{"container_id":"u1"}"#)
            .await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, "container socket not found\n"));
    host.answer("u1", methods::GET_LOCAL_CONFIG_SUMMARY, Err("connection reset"));
    let (status, body) =
        send(&router, "POST", PATH_GET_CONTAINER_INFO, Some(TOKEN), r#"{"container_id":"u1"}"#)
            .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, "failed to fetch container info\n");
}

#[tokio::test]
async fn a_summary_without_the_lease_keeps_the_previous_one() {
    let (host, _, router) = setup();
    registered(&router, "u1", "drive", false).await;
    host.answer("u1", methods::GET_LOCAL_CONFIG_SUMMARY, Ok(summary()));
    ok_json(&router, "POST", PATH_GET_CONTAINER_INFO, r#"{"container_id":"u1"}"#).await;
    let mut stale = summary();
    stale["has_lease"] = json!(false);
    stale["processes_summary"]["total"] = json!({"up": 0, "total": 3});
    host.answer("u1", methods::GET_LOCAL_CONFIG_SUMMARY, Ok(stale));
    let v = ok_json(&router, "POST", PATH_GET_CONTAINER_INFO, r#"{"container_id":"u1"}"#).await;
    assert_eq!(v["container_metrics"]["processes"]["active"], 2);
}

#[tokio::test]
async fn active_mounts_validates_the_query() {
    let (host, _, router) = setup();
    host.mounts("", Ok(3));
    let (status, body) = send(
        &router,
        "GET",
        &format!("{PATH_GET_ACTIVE_MOUNTS}?container_name=client0"),
        Some(TOKEN),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "container_uuid is required when container_name is specified\n");
    for bad in ["..", "a%2Fb", "a%5Cb"] {
        let uri = format!("{PATH_GET_ACTIVE_MOUNTS}?container_name={bad}&container_uuid=u");
        let (status, body) = send(&router, "GET", &uri, Some(TOKEN), "").await;
        assert_eq!((status, body.as_str()), (StatusCode::BAD_REQUEST, "invalid container name\n"));
    }
}

#[tokio::test]
async fn active_mounts_reads_the_node_or_the_container_interface() {
    let (host, _, router) = setup();
    host.mounts("", Ok(3));
    host.mounts("clientx0", Ok(7));
    let v = ok_json(&router, "GET", PATH_GET_ACTIVE_MOUNTS, "").await;
    assert_eq!(v, json!({"active_mounts": 3}));
    let per = format!("{PATH_GET_ACTIVE_MOUNTS}?container_name=clientx0&container_uuid=c1");
    // Not registered, or registered without the flag: the node's interface.
    assert_eq!(ok_json(&router, "GET", &per, "").await["active_mounts"], 3);
    registered(&router, "c1", "client", false).await;
    assert_eq!(ok_json(&router, "GET", &per, "").await["active_mounts"], 3);
    registered(&router, "c1", "client", true).await;
    assert_eq!(ok_json(&router, "GET", &per, "").await["active_mounts"], 7);
    // No per-container interface: falls back to the node's.
    let other = format!("{PATH_GET_ACTIVE_MOUNTS}?container_name=gone&container_uuid=c1");
    assert_eq!(ok_json(&router, "GET", &other, "").await["active_mounts"], 3);
}

#[tokio::test]
async fn active_mounts_without_a_driver_is_not_found() {
    let (host, _, router) = setup();
    let (status, _) = send(&router, "GET", PATH_GET_ACTIVE_MOUNTS, Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    host.mounts("", Err("failed to parse active mounts"));
    let (status, body) = send(&router, "GET", PATH_GET_ACTIVE_MOUNTS, Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("failed to parse"), "{body}");
}

#[tokio::test]
async fn find_drives_answers_get_and_post() {
    let (host, _, router) = setup();
    let drive = DriveInfo {
        serial_id: "S1".into(),
        device_path: "/dev/nvme0n1".into(),
        partition: "/dev/nvme0n1p1".into(),
        is_signed: true,
        weka_guid: "0c4d7a4e-0000-4000-8000-000000000001".into(),
    };
    *host.drives.lock().unwrap() = Some(vec![drive.clone()]);
    for method in ["GET", "POST"] {
        let v = ok_json(&router, method, PATH_FIND_DRIVES, "").await;
        assert_eq!(v, json!({"drives": [serde_json::to_value(&drive).unwrap()]}));
    }
    let (status, _) = send(&router, "DELETE", PATH_FIND_DRIVES, Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    *host.drives.lock().unwrap() = None;
    let (status, body) = send(&router, "GET", PATH_FIND_DRIVES, Some(TOKEN), "").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v, json!({"drives": [], "error": "no /dev"}));
}

#[tokio::test]
async fn jsonrpc_forwards_to_registered_containers() {
    let (host, _, router) = setup();
    let call = json!({"container_id": "p1", "method": methods::SSD_PROXY_LIST_PHYSICAL_DRIVES,
                      "params": {"a": 1}})
    .to_string();
    let (status, body) = send(&router, "POST", PATH_JSONRPC, Some(TOKEN), &call).await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_FOUND, "Container not registered\n"));
    registered(&router, "p1", "ssdproxy", false).await;
    host.answer("p1", methods::SSD_PROXY_LIST_PHYSICAL_DRIVES, Ok(json!([{"physicalUuid": "x"}])));
    let v = ok_json(&router, "POST", PATH_JSONRPC, &call).await;
    assert_eq!(v, json!({"message": MSG_JSONRPC_OK, "result": [{"physicalUuid": "x"}]}));
    assert_eq!(host.calls.lock().unwrap()[0].2, json!({"a": 1}).as_object().unwrap().clone());
    let unknown = json!({"container_id": "p1", "method": "nope"}).to_string();
    let (status, body) = send(&router, "POST", PATH_JSONRPC, Some(TOKEN), &unknown).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, "JSONRPC call failed: JSONRPC error -32601: Method not found\n");
    let (status, _) = send(&router, "GET", PATH_JSONRPC, Some(TOKEN), &call).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _) = send(&router, "POST", PATH_JSONRPC, Some(TOKEN), "nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metrics_export_the_polled_state() {
    let (host, _, router) = setup();
    registered(&router, "u1", "drive", false).await;
    host.answer("u1", methods::GET_LOCAL_CONFIG_SUMMARY, Ok(summary()));
    host.answer(
        "u1",
        methods::FETCH_LOCAL_REALTIME_CPU_USAGE,
        Ok(json!({"NodeId<41>": {"value": 12.5, "err": null}})),
    );
    let (status, text) = send(&router, "GET", PATH_METRICS, None, "").await;
    assert_eq!(status, StatusCode::OK);
    let up = text
        .lines()
        .find(|l| l.starts_with("weka_processes_count{") && l.contains("status=\"up\""));
    let up = up.unwrap_or_else(|| panic!("{text}"));
    assert!(up.contains("container_name=\"demo-drive-0\""), "{up}");
    assert!(up.contains("weka_io_cluster_name=\"demo\""), "{up}");
    assert!(up.contains("cluster_name=\"demo\""), "{up}");
    assert!(up.contains("node_name=\"node-1\""), "{up}");
    assert!(up.ends_with(" 2.0"), "{up}");
    assert!(text.contains("process_id=\"41\""), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("weka_inactive_drives{") && l.contains("serial=\"S2\""))
    );
    assert!(text.contains("weka_pod_in_status_duration_seconds{"), "{text}");
}

#[tokio::test]
async fn serve_stops_gracefully_or_when_the_token_goes() {
    let (host, agent, _) = setup();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, agent, async move {
        let _ = stop_rx.await;
    }));
    stop_tx.send(()).unwrap();
    assert!(server.await.unwrap().is_ok());

    let agent = NodeAgent::new(host.clone());
    *host.token.lock().unwrap() = None;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(serve(listener, agent, std::future::pending()));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"POST /register HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    let result = tokio::time::timeout(Duration::from_secs(5), server).await.unwrap().unwrap();
    assert!(matches!(result, Err(AgentError::Token(_))));
}
