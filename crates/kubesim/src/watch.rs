//! Watch streams: newline-delimited `{"type":...,"object":...}` events from a resourceVersion
//! (or the current state first), filtered by namespace and selectors, with BOOKMARKs,
//! `sendInitialEvents` streaming lists, timeouts, 410 Expired as an ERROR event, and the
//! fault hooks that cut or expire streams.
//!
//! Each stream is one task reading the resource's broadcast channel; events are shared
//! (`Arc`) and their wire encoding is computed once for all watchers of the stored version.
//! A watch that asks for `Table`s (`kubectl get -w`) gets each object as a one-row Table,
//! with the column definitions in the first event only, as the apiserver sends them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::conversion;
use crate::errors::{Error, Result};
use crate::faults::FaultAction;
use crate::handlers::Ctx;
use crate::handlers::read::{Filter, too_large};
use crate::registry::{Codec, Resource};
use crate::server::ApiServer;
use crate::store::{EventKind, StoreError, Subscription, WatchEvent, WatchFrom, encode_event};
use crate::table::{self, Include, Output};

/// How a Table watch encodes its objects.
struct TableMode {
    version: &'static str,
    include: Include,
    headers_sent: bool,
}

/// The annotation on the BOOKMARK that ends the initial events of a streaming list.
pub const INITIAL_EVENTS_END: &str = "k8s.io/initial-events-end";

type Chunk = std::result::Result<Bytes, std::io::Error>;

pub fn serve(ctx: &mut Ctx) -> Result<Response> {
    let table = match table::negotiate(&ctx.headers)? {
        Output::Table(version) => {
            Some(TableMode { version, include: table::include(&ctx.query)?, headers_sent: false })
        }
        _ => None,
    };
    let filter = Filter::from_ctx(ctx)?;
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let send_initial = ctx.query.non_empty("sendInitialEvents").map(|v| v == "true");
    let rv_param = ctx.query.non_empty("resourceVersion");
    let rv_match = ctx.query.non_empty("resourceVersionMatch");
    let timeout = match ctx.query.int("timeoutSeconds")? {
        Some(seconds) if seconds > 0 => Duration::from_secs(seconds as u64),
        _ => ctx.api.settings.default_watch_timeout,
    };
    if send_initial.is_some() && rv_match != Some("NotOlderThan") {
        return Err(Error::BadRequest(
            "sendInitialEvents requires resourceVersionMatch=NotOlderThan".into(),
        ));
    }
    let store = &ctx.api.store;
    let current = store.current_rv();
    let requested = match rv_param {
        None | Some("0") => None,
        Some(text) => Some(
            text.parse::<u64>()
                .map_err(|_| Error::BadRequest(format!("invalid resource version: {text:?}")))?,
        ),
    };
    let from = match (send_initial, requested) {
        (Some(true), Some(rv)) if rv > current => return Err(too_large(rv, current)),
        (Some(true), _) => WatchFrom::Now,
        (Some(false), None) => WatchFrom::After(current),
        (_, Some(rv)) => WatchFrom::After(rv),
        (None, None) => WatchFrom::Now,
    };
    let (tx, rx) = mpsc::channel::<Chunk>(64);
    let response = stream_response(rx);
    let expire = ctx.watch_faults.contains(&FaultAction::ExpireWatch);
    let subscription = if expire {
        Err(StoreError::Expired { requested: requested.unwrap_or(current), oldest: current })
    } else {
        store.watch(&ctx.resource.storage, from)
    };
    let subscription = match subscription {
        Ok(s) => s,
        Err(StoreError::Expired { requested, oldest }) => {
            let line = expired_event(requested, oldest);
            tokio::spawn(async move {
                let _ = tx.send(Ok(line)).await;
            });
            return Ok(response);
        }
        Err(e) => return Err(Error::Internal(e.to_string())),
    };
    let drop_after = ctx.watch_faults.iter().find_map(|f| match f {
        FaultAction::DropWatch { after_events } => Some(*after_events),
        _ => None,
    });
    let pump = Pump {
        api: ctx.api.clone(),
        resource: ctx.resource.clone(),
        filter,
        bookmarks,
        tx,
        last_rv: 0,
        sent: 0,
        drop_after,
        same_form: table.is_none()
            && ctx.resource.codec == Codec::Plain
            && ctx.resource.api_version() == ctx.resource.storage_api_version,
        table,
        batch: Vec::new(),
        batch_bytes: 0,
    };
    let deadline = Instant::now() + timeout;
    tokio::spawn(pump.run(subscription, send_initial == Some(true), deadline));
    Ok(response)
}

fn stream_response(rx: mpsc::Receiver<Chunk>) -> Response {
    let stream =
        futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) },
        );
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn expired_event(requested: u64, oldest: u64) -> Bytes {
    let status =
        Error::Expired(format!("too old resource version: {requested} ({oldest})")).status();
    encode_event("ERROR", &status)
}

/// Why a stream stops.
enum Stop {
    /// The client went away.
    Gone,
    /// The stream is cut on purpose (fault): end without a clean close.
    Cut,
    /// The watcher cannot continue (history lost); an ERROR was sent.
    Expired,
}

struct Pump {
    api: Arc<ApiServer>,
    resource: Arc<Resource>,
    filter: Filter,
    bookmarks: bool,
    tx: mpsc::Sender<Chunk>,
    last_rv: u64,
    sent: usize,
    drop_after: Option<usize>,
    /// Whether events go out in their stored form (shared wire encoding).
    same_form: bool,
    table: Option<TableMode>,
    /// Lines not yet handed to the response body: a watcher that wakes up to several events
    /// sends them as one chunk.
    batch: Vec<Bytes>,
    batch_bytes: usize,
}

/// Events drained per wake-up before they are flushed.
const MAX_BATCH_EVENTS: usize = 512;
/// Bytes buffered before a flush.
const MAX_BATCH_BYTES: usize = 256 * 1024;

impl Pump {
    async fn run(mut self, subscription: Subscription, initial_end: bool, deadline: Instant) {
        let Subscription { initial, backlog, resource_version, mut receiver } = subscription;
        let result = async {
            for obj in &initial {
                if !self.filter.matches(obj) {
                    continue;
                }
                let line = self.encode("ADDED", obj);
                self.send(line).await?;
            }
            for event in &backlog {
                self.forward(event).await?;
            }
            self.last_rv = self.last_rv.max(resource_version);
            if initial_end && self.bookmarks {
                self.bookmark(true).await?;
            }
            self.flush().await?;
            self.follow(&mut receiver, deadline).await
        }
        .await;
        if let Err(Stop::Cut | Stop::Expired) = result {
            let _ = self.flush().await;
        }
        if let Err(Stop::Cut) = result {
            let _ =
                self.tx.send(Err(std::io::Error::other("watch stream cut by a fault rule"))).await;
        }
    }

    async fn follow(
        &mut self,
        receiver: &mut broadcast::Receiver<Arc<WatchEvent>>,
        deadline: Instant,
    ) -> std::result::Result<(), Stop> {
        let mut shutdown = self.api.shutdown.clone();
        let mut cut = self.api.faults.cut_signal();
        cut.mark_unchanged();
        let interval = self.api.settings.bookmark_interval;
        let mut ticks = tokio::time::interval_at(Instant::now() + interval, interval);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return Ok(()),
                _ = shutdown.changed() => return Ok(()),
                _ = cut.changed() => return Err(Stop::Cut),
                received = receiver.recv() => {
                    match received {
                        Ok(event) => self.forward(&event).await?,
                        Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await?,
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    }
                    for _ in 0..MAX_BATCH_EVENTS {
                        match receiver.try_recv() {
                            Ok(event) => self.forward(&event).await?,
                            Err(broadcast::error::TryRecvError::Lagged(_)) => self.catch_up().await?,
                            Err(_) => break,
                        }
                    }
                    self.flush().await?;
                },
                _ = ticks.tick(), if self.bookmarks => {
                    // Everything up to the current version is in the channel already (the store
                    // publishes before it advances the version), so drain it first.
                    let rv = self.api.store.current_rv();
                    loop {
                        match receiver.try_recv() {
                            Ok(event) => self.forward(&event).await?,
                            Err(broadcast::error::TryRecvError::Lagged(_)) => self.catch_up().await?,
                            Err(_) => break,
                        }
                    }
                    self.last_rv = self.last_rv.max(rv);
                    self.bookmark(false).await?;
                    self.flush().await?;
                }
            }
        }
    }

    /// After falling behind the channel: the missed changes from the history window.
    async fn catch_up(&mut self) -> std::result::Result<(), Stop> {
        match self.api.store.events_after(&self.resource.storage, self.last_rv) {
            Ok(events) => {
                for event in &events {
                    self.forward(event).await?;
                }
                Ok(())
            }
            Err(StoreError::Expired { requested, oldest }) => {
                let _ = self.send(expired_event(requested, oldest)).await;
                Err(Stop::Expired)
            }
            Err(_) => Err(Stop::Expired),
        }
    }

    /// Sends one change as this watcher sees it through its filter: a change into the
    /// selection is ADDED, out of it DELETED.
    async fn forward(&mut self, event: &WatchEvent) -> std::result::Result<(), Stop> {
        if event.rv <= self.last_rv {
            return Ok(());
        }
        self.last_rv = event.rv;
        let now = self.filter.matches(&event.object);
        let before = event.previous.as_ref().is_some_and(|p| self.filter.matches(p));
        let kind = match event.kind {
            EventKind::Added if now => EventKind::Added,
            EventKind::Modified if now && before => EventKind::Modified,
            EventKind::Modified if now => EventKind::Added,
            EventKind::Modified if before => EventKind::Deleted,
            EventKind::Deleted if now || before => EventKind::Deleted,
            _ => return Ok(()),
        };
        let line = if self.same_form && kind == event.kind {
            event.wire().clone()
        } else {
            self.encode(kind.as_str(), &event.object)
        };
        self.send(line).await?;
        if self.drop_after.is_some_and(|n| self.sent >= n) {
            return Err(Stop::Cut);
        }
        Ok(())
    }

    /// One event line with the object (stored form) as this watcher sees it.
    fn encode(&mut self, kind: &str, stored: &Arc<Value>) -> Bytes {
        let served = conversion::to_served(&self.resource, stored);
        let Some(mode) = &mut self.table else { return encode_event(kind, &served) };
        let rv = served.pointer("/metadata/resourceVersion").cloned().unwrap_or(Value::Null);
        let mut one = table::table(
            &self.resource,
            &[served],
            json!({"resourceVersion": rv}),
            mode.version,
            mode.include,
        );
        if mode.headers_sent {
            one["columnDefinitions"] = Value::Null;
        }
        mode.headers_sent = true;
        encode_event(kind, &one)
    }

    async fn bookmark(&mut self, initial_end: bool) -> std::result::Result<(), Stop> {
        let mut metadata = json!({"resourceVersion": self.last_rv.to_string(),
                                  "creationTimestamp": null});
        if initial_end {
            metadata["annotations"] = json!({INITIAL_EVENTS_END: "true"});
        }
        let object: Value = json!({"kind": self.resource.kind,
                                   "apiVersion": self.resource.api_version(),
                                   "metadata": metadata});
        self.send(encode_event("BOOKMARK", &object)).await
    }

    async fn send(&mut self, line: Bytes) -> std::result::Result<(), Stop> {
        self.sent += 1;
        self.batch_bytes += line.len();
        self.batch.push(line);
        if self.batch_bytes >= MAX_BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands the buffered lines to the response body as one chunk.
    async fn flush(&mut self) -> std::result::Result<(), Stop> {
        let chunk = match self.batch.len() {
            0 => return Ok(()),
            1 => self.batch.pop().unwrap_or_default(),
            _ => {
                let mut joined = Vec::with_capacity(self.batch_bytes);
                for line in self.batch.drain(..) {
                    joined.extend_from_slice(&line);
                }
                Bytes::from(joined)
            }
        };
        self.batch_bytes = 0;
        self.tx.send(Ok(chunk)).await.map_err(|_| Stop::Gone)
    }
}
