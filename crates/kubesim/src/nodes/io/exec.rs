//! `pods/exec` over WebSocket, as kubectl 1.32 and kube-rs speak it: the channel protocols
//! v5.channel.k8s.io (with the stdin close signal) and v4.channel.k8s.io; each binary frame
//! starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize, 255 close).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use http::request::Parts;
use k8s_openapi::api::core::v1::Pod;
use serde_json::json;

use super::{QueryParams, bad_request, locate, pick_container};
use crate::nodes::Nodes;
use crate::nodes::behaviour::{CommandOutput, ContainerBehaviour, ContainerCtx, shell};

pub const PROTOCOLS: [&str; 5] = [
    "v5.channel.k8s.io",
    "v4.channel.k8s.io",
    "v3.channel.k8s.io",
    "v2.channel.k8s.io",
    "channel.k8s.io",
];

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const CLOSE: u8 = 255;
/// Without v5's close signal, stdin is taken as complete after this long without data.
const STDIN_IDLE: Duration = Duration::from_millis(200);
/// client-go (kubectl) starts reading frames before it has registered its streams, and drops
/// a frame for a stream it does not know yet ("Unknown stream id 1, discarding message"),
/// then fails with "closed all streams". A real kubelet's exec takes tens of milliseconds to
/// start, which hides that race; kubesim answers at once, so for client-go it waits this
/// long before its first frame (seen under parallel load in CI otherwise).
const CLIENT_GO_SETTLE: Duration = Duration::from_millis(100);

/// Whether the client is kubectl (client-go's exec client; its agent is
/// `kubectl/v1.32.5 (linux/amd64) kubernetes/...`).
fn is_client_go(parts: &Parts) -> bool {
    let agent = parts.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    agent.is_some_and(|a| a.starts_with("kubectl/"))
}

pub async fn serve(
    nodes: Option<Arc<Nodes>>,
    pod: Pod,
    mut parts: Parts,
    query: QueryParams,
) -> Response {
    let name = pod.metadata.name.clone().unwrap_or_default();
    if let Some(phase @ ("Succeeded" | "Failed")) =
        pod.status.as_ref().and_then(|s| s.phase.as_deref())
    {
        return bad_request(&format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        ));
    }
    let container = match pick_container(&pod, query.get("container")) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let argv = query.all("command");
    if argv.is_empty() {
        return bad_request("you must specify at least 1 command");
    }
    let (_, slot) = match locate(nodes.as_deref(), &pod, &container) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(ctx) = slot.ctx.clone() else {
        return bad_request(&format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        ));
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(_) => {
            return bad_request(&format!(
                "unable to upgrade connection to pod {name}: kubesim serves exec over WebSocket \
                 (v5.channel.k8s.io, v4.channel.k8s.io) only"
            ));
        }
    };
    let want_stdin = query.flag("stdin");
    let settle = is_client_go(&parts).then_some(CLIENT_GO_SETTLE);
    let behaviour = slot.behaviour.clone();
    upgrade
        .protocols(PROTOCOLS)
        .on_upgrade(move |socket| session(socket, behaviour, ctx, argv, want_stdin, settle))
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::Binary(bytes.into())
}

/// Reads stdin frames until the client closes stdin (v5), the socket, or goes quiet (v4).
async fn read_stdin(socket: &mut WebSocket, v5: bool) -> Option<Vec<u8>> {
    let mut stdin = Vec::new();
    loop {
        let next = if v5 {
            socket.recv().await
        } else {
            match tokio::time::timeout(STDIN_IDLE, socket.recv()).await {
                Ok(next) => next,
                Err(_) => return Some(stdin),
            }
        };
        match next {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Some(stdin),
            Some(Ok(Message::Binary(data))) => match data.first() {
                Some(&STDIN) => stdin.extend_from_slice(&data[1..]),
                Some(&CLOSE) if data.get(1) == Some(&STDIN) => return Some(stdin),
                _ => {}
            },
            Some(Ok(_)) => {}
        }
    }
}

fn exit_status(
    argv: &[String],
    output: &Result<CommandOutput, shell::ExecError>,
) -> serde_json::Value {
    match output {
        Ok(out) if out.code == 0 => json!({"metadata": {}, "status": "Success"}),
        Ok(out) => json!({
            "metadata": {}, "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {}",
                argv.join(" "), out.code
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": out.code.to_string()}]},
        }),
        Err(error) => json!({
            "metadata": {}, "status": "Failure",
            "message": format!("failed to exec in container: failed to start exec: {error}"),
            "reason": "InternalError", "code": 500,
        }),
    }
}

async fn session(
    mut socket: WebSocket,
    behaviour: Arc<dyn ContainerBehaviour>,
    ctx: ContainerCtx,
    argv: Vec<String>,
    want_stdin: bool,
    settle: Option<Duration>,
) {
    let opened = tokio::time::Instant::now();
    let v5 =
        socket.protocol().and_then(|p| p.to_str().ok()).is_some_and(|p| p == "v5.channel.k8s.io");
    let stdin = if want_stdin {
        match read_stdin(&mut socket, v5).await {
            Some(data) => data,
            None => return,
        }
    } else {
        Vec::new()
    };
    let output = {
        let run = shell::exec(behaviour.as_ref(), &ctx, &argv, &stdin);
        tokio::pin!(run);
        loop {
            tokio::select! {
                output = &mut run => break output,
                message = socket.recv() => match message {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    };
    if let Some(settle) = settle {
        tokio::time::sleep_until(opened + settle).await;
    }
    if let Ok(out) = &output {
        for (channel, data) in [(STDOUT, &out.stdout), (STDERR, &out.stderr)] {
            for chunk in data.chunks(32 * 1024) {
                if socket.send(frame(channel, chunk)).await.is_err() {
                    return;
                }
            }
        }
    }
    let status = exit_status(&argv, &output);
    let _ = socket.send(frame(ERROR, status.to_string().as_bytes())).await;
    // A normal closure (1000): kubectl takes any other close as a broken stream.
    let close = CloseFrame { code: 1000, reason: "".into() };
    let _ = socket.send(Message::Close(Some(close))).await;
}
