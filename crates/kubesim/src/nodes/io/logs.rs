//! `pods/log`: a container's log as text/plain, with `container`, `previous`, `tailLines`,
//! `sinceSeconds`, `timestamps`, `limitBytes` and `follow` (streamed until the container exits).

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use k8s_openapi::api::core::v1::Pod;

use super::{QueryParams, bad_request, locate, pick_container};
use crate::nodes::Nodes;
use crate::nodes::behaviour::{LogBuffer, LogLine};

fn render(line: &LogLine, timestamps: bool) -> String {
    if timestamps {
        format!("{} {}\n", line.time.strftime("%Y-%m-%dT%H:%M:%S.%9fZ"), line.text)
    } else {
        format!("{}\n", line.text)
    }
}

pub async fn serve(nodes: Option<Arc<Nodes>>, pod: Pod, query: QueryParams) -> Response {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let container = match pick_container(&pod, query.get("container")) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let (_, slot) = match locate(nodes.as_deref(), &pod, &container) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let buffer: Arc<LogBuffer> = if query.flag("previous") {
        match slot.previous.clone() {
            Some(previous) => previous,
            None => {
                return bad_request(&format!(
                    "previous terminated container \"{container}\" in pod \"{name}\" not found"
                ));
            }
        }
    } else {
        if slot.ctx.is_none() && slot.logs.is_empty() {
            let reason = slot.waiting.clone().unwrap_or_else(|| "ContainerCreating".into());
            return bad_request(&format!(
                "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
            ));
        }
        slot.logs.clone()
    };
    let tail = query.get("tailLines").and_then(|t| t.parse::<usize>().ok());
    let since = query.get("sinceSeconds").and_then(|s| s.parse::<i64>().ok()).map(|s| {
        let clock_now = buffer.lines_from(0).last().map(|l| l.time);
        (s, clock_now)
    });
    let timestamps = query.flag("timestamps");
    let limit = query.get("limitBytes").and_then(|l| l.parse::<usize>().ok());
    let start = buffer.tail_start(tail);
    let mut text = String::new();
    for line in buffer.lines_from(start) {
        if let Some((seconds, Some(latest))) = since
            && latest.duration_since(line.time).as_secs() > seconds
        {
            continue;
        }
        text.push_str(&render(&line, timestamps));
    }
    let headers = [(http::header::CONTENT_TYPE, "text/plain")];
    if !query.flag("follow") {
        if let Some(limit) = limit {
            let mut cut = limit.min(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        return (StatusCode::OK, headers, text).into_response();
    }
    let seen = buffer.len();
    let first = futures::stream::once(async move { Ok::<_, std::io::Error>(text) });
    let rest = futures::stream::unfold((buffer, seen), move |(buffer, seen)| async move {
        buffer.wait_beyond(seen).await;
        let lines = buffer.lines_from(seen);
        if lines.is_empty() {
            return None;
        }
        let chunk: String = lines.iter().map(|l| render(l, timestamps)).collect();
        let next = seen + lines.len();
        Some((Ok(chunk), (buffer, next)))
    });
    let body = Body::from_stream(futures::StreamExt::chain(first, rest));
    (StatusCode::OK, headers, body).into_response()
}
