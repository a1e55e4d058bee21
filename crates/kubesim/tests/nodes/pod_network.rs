//! The pod network from the host: a behaviour serving HTTP on port 8090 is reached by pod IP
//! through kubesim's forward proxy (real curl with `-x`) and through the API server's pod proxy
//! subresource (real `kubectl get --raw`); unknown IPs, closed ports and injected faults.

use std::sync::Arc;

use crate::support::*;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use kubesim::nodes::NodesConfig;
use kubesim::nodes::behaviour::{ContainerBehaviour, ContainerCtx, Selector, Signal};
use kubesim::{FaultAction, FaultRule, KubesimHandle};
use serde_json::json;

const ECHO_IMAGE: &str = "example.com/echo";

/// Ready at once; on port 8090 answers `METHOD PATH?QUERY host=HOST pod=POD` and the body.
struct Echo;

impl ContainerBehaviour for Echo {
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32> {
        async move {
            ctx.set_ready(true);
            while ctx.next_signal().await != Signal::Terminate {}
            0
        }
        .boxed()
    }

    fn http<'a>(
        &'a self,
        ctx: &'a ContainerCtx,
        port: u16,
        request: http::Request<Bytes>,
    ) -> Option<BoxFuture<'a, http::Response<Bytes>>> {
        if port != 8090 {
            return None;
        }
        Some(
            async move {
                let host = request
                    .headers()
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let pod = ctx.pod().metadata.name.clone().unwrap_or_default();
                let head =
                    format!("{} {} host={host} pod={pod}\n", request.method(), request.uri());
                let mut body = head.into_bytes();
                body.extend_from_slice(request.body());
                http::Response::builder()
                    .header(http::header::CONTENT_TYPE, "text/plain")
                    .body(Bytes::from(body))
                    .expect("a valid response")
            }
            .boxed(),
        )
    }
}

async fn start_echo_cluster() -> KubesimHandle {
    let config = NodesConfig::default();
    config.behaviours.register(Selector::ImagePrefix(ECHO_IMAGE.into()), Arc::new(Echo));
    start_with(2, "", config).await
}

/// Creates an echo pod and returns its IP once it is Running and Ready.
async fn echo_pod(handle: &KubesimHandle, name: &str, extra: serde_json::Value) -> String {
    let mut spec = json!({"containers": [{"name": "echo", "image": format!("{ECHO_IMAGE}:1"),
                                          "ports": [{"name": "api", "containerPort": 8090}]}]});
    if let (Some(base), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    create(handle, &pod(name, spec)).await;
    let pod = wait_running_ready(handle, name).await;
    pod.status.and_then(|s| s.pod_ip).expect("a pod IP")
}

/// How curl is told about the proxy.
#[derive(Clone, Copy)]
enum Via {
    /// `-x URL`
    Flag,
    /// The `http_proxy` environment variable.
    Env,
}

/// Runs curl through the pod network proxy; returns its output.
async fn run_curl(handle: &KubesimHandle, via: Via, args: &[&str]) -> std::process::Output {
    let proxy = handle.pod_network_url().to_string();
    let mut argv: Vec<String> = vec!["-sS".into(), "-w".into(), "\n%{http_code}".into()];
    if let Via::Flag = via {
        argv.extend(["-x".into(), proxy.clone()]);
    }
    argv.extend(args.iter().map(|a| a.to_string()));
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new("curl");
        command.args(&argv);
        for name in ["NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            command.env_remove(name);
        }
        if let Via::Env = via {
            command.env("http_proxy", &proxy);
        }
        command.output().expect("curl runs")
    })
    .await
    .expect("curl thread")
}

/// curl with `-x`; returns (HTTP code, body).
async fn curl(handle: &KubesimHandle, args: &[&str]) -> (u16, String) {
    curl_via(handle, Via::Flag, args).await
}

async fn curl_via(handle: &KubesimHandle, via: Via, args: &[&str]) -> (u16, String) {
    let out = run_curl(handle, via, args).await;
    assert!(out.status.success(), "curl failed: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (body, code) = stdout.rsplit_once('\n').expect("the status code line");
    (code.parse().expect("a status code"), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_reaches_a_pod_by_ip_through_the_pod_network_proxy() {
    let handle = start_echo_cluster().await;
    assert!(handle.pod_network_url().starts_with("http://127.0.0.1:"));
    let ip = echo_pod(&handle, "echo", json!({})).await;

    let (code, body) = curl(&handle, &[&format!("http://{ip}:8090/hello?x=1")]).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, format!("GET /hello?x=1 host={ip}:8090 pod=echo\n"));

    let url = format!("http://{ip}:8090/findDrives");
    let (code, body) = curl(
        &handle,
        &["-X", "POST", "-H", "content-type: application/json", "-d", r#"{"a":1}"#, &url],
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, format!("POST /findDrives host={ip}:8090 pod=echo\n{{\"a\":1}}"));
    let (code, body) = curl(&handle, &["-X", "DELETE", &url]).await;
    assert_eq!(
        (code, body.lines().next()),
        (200, Some(format!("DELETE /findDrives host={ip}:8090 pod=echo").as_str()))
    );

    // The standard proxy variable works the same; tunnels (https) are refused.
    let (code, body) = curl_via(&handle, Via::Env, &[&format!("http://{ip}:8090/env")]).await;
    assert_eq!((code, body), (200, format!("GET /env host={ip}:8090 pod=echo\n")));
    let tunnel = run_curl(&handle, Via::Flag, &[&format!("https://{ip}:8090/")]).await;
    assert!(!tunnel.status.success());
    assert!(text(&tunnel.stderr).contains("405"), "{}", text(&tunnel.stderr));

    let (code, body) = curl(&handle, &[&format!("http://{ip}:8091/hello")]).await;
    assert_eq!(code, 502);
    assert_eq!(body, format!("dial tcp {ip}:8091: connect: connection refused\n"));
    let (code, body) = curl(&handle, &["http://10.244.200.200:8090/hello"]).await;
    assert_eq!(code, 502);
    assert_eq!(body, "dial tcp 10.244.200.200:8090: connect: no route to host\n");

    // A pod of another image runs, but nothing in it listens.
    create(&handle, &pod("quiet", json!({}))).await;
    let quiet = wait_running_ready(&handle, "quiet").await;
    let quiet_ip = quiet.status.and_then(|s| s.pod_ip).unwrap();
    let (code, body) = curl(&handle, &[&format!("http://{quiet_ip}:8090/")]).await;
    assert_eq!((code, body.contains("connection refused")), (502, true), "{body}");

    // A deleted pod is unreachable once gone.
    pods(&handle).delete("echo", &Default::default()).await.expect("deleted");
    wait_for("echo is gone", || async { get(&handle, "echo").await.is_none().then_some(()) }).await;
    let (code, _) = curl(&handle, &[&format!("http://{ip}:8090/hello")]).await;
    assert_eq!(code, 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_network_pods_answer_on_their_node_ip_and_faults_apply() {
    let handle = start_echo_cluster().await;
    let ip = echo_pod(&handle, "hostnet", json!({"hostNetwork": true})).await;
    assert!(ip.starts_with("172.18.0."), "a node address: {ip}");
    let (code, body) = curl(&handle, &[&format!("http://{ip}:8090/node")]).await;
    assert_eq!(
        (code, body.as_str()),
        (200, format!("GET /node host={ip}:8090 pod=hostnet\n").as_str())
    );

    let rule = FaultRule::new(FaultAction::Error {
        code: 503,
        reason: "ServiceUnavailable".into(),
        message: "injected: agent overloaded".into(),
        retry_after_seconds: None,
    })
    .resource("pods")
    .subresource("proxy")
    .name("hostnet")
    .times(1);
    handle.faults().add(rule);
    let (code, body) = curl(&handle, &[&format!("http://{ip}:8090/node")]).await;
    assert_eq!((code, body.as_str()), (503, "injected: agent overloaded\n"));
    let (code, _) = curl(&handle, &[&format!("http://{ip}:8090/node")]).await;
    assert_eq!(code, 200, "the fault was used up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_raw_goes_through_the_pod_proxy_subresource() {
    let handle = start_echo_cluster().await;
    let ip = echo_pod(&handle, "echo", json!({})).await;

    let raw = "/api/v1/namespaces/default/pods/echo:8090/proxy/hello?name=x";
    let out = kubectl(&handle, &["get", "--raw", raw]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("GET /hello?name=x host={ip}:8090 pod=echo\n"));
    // No port: the first declared container port; a named port resolves too.
    for raw in [
        "/api/v1/namespaces/default/pods/echo/proxy/",
        "/api/v1/namespaces/default/pods/echo:api/proxy",
    ] {
        let out = kubectl(&handle, &["get", "--raw", raw]).await;
        assert!(out.status.success(), "{raw}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), format!("GET / host={ip}:8090 pod=echo\n"));
    }

    let closed =
        kubectl(&handle, &["get", "--raw", "/api/v1/namespaces/default/pods/echo:9999/proxy/x"])
            .await;
    assert!(!closed.status.success());
    assert!(
        text(&closed.stderr).contains(&format!(
            "error trying to reach service: dial tcp {ip}:9999: connect: connection refused"
        )),
        "{}",
        text(&closed.stderr)
    );
    let missing =
        kubectl(&handle, &["get", "--raw", "/api/v1/namespaces/default/pods/nope:8090/proxy/"])
            .await;
    assert!(text(&missing.stderr).contains("NotFound"), "{}", text(&missing.stderr));

    let logged = handle
        .request_log()
        .find(|r| r.subresource.as_deref() == Some("proxy") && r.name.as_deref() == Some("echo"));
    assert_eq!(logged.len(), 4, "{logged:?}");
    assert!(logged.iter().all(|r| r.verb == "get" && r.resource == "pods"));
    assert_eq!(logged.iter().map(|r| r.code).collect::<Vec<_>>(), [200, 200, 200, 503]);
}
