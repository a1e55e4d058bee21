//! One watch and one cache per resource type, shared by every controller that needs it.
//!
//! A [`Reflector`] runs a kube-runtime `watcher` into a kube `reflector::Store` and fans every
//! applied or deleted object out to the controllers subscribed to it (each subscription is a
//! stream for `Controller::for_shared_stream` / `owns_shared_stream` / `watches_shared_stream`).
//!
//! Why not kube's own `store_shared` + `reflect_shared`: its subscriptions can only be taken
//! from the `Writer` before the reflector stream consumes it, but our controllers start and
//! stop with leadership while the caches stay warm (a standby is ready to take over with its
//! caches synced). Here a subscription can be taken at any time; a new subscriber gets every
//! cached object once through `reconcile_all_on` (see `runtime::controller`). Delete events
//! are delivered too, so an owner is reconciled when a child disappears.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use prometheus_client::metrics::gauge::Gauge;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::metrics::ControllerMetrics;

/// Events buffered per subscriber before the watch waits for the controller (backpressure).
const SUBSCRIBER_BUFFER: usize = 1024;

/// What a shared resource type must be.
pub trait Watched:
    Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static
{
}
impl<K> Watched for K where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static
{
}

/// The shared reflectors of one operator process.
#[derive(Clone)]
pub struct Reflectors {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    namespace: Option<String>,
    metrics: ControllerMetrics,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    by_type: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    synced: Vec<Arc<AtomicBool>>,
    names: Vec<(String, Arc<AtomicBool>)>,
    /// Watches declared before `start`.
    pending: Vec<Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
    tasks: Option<JoinSet<()>>,
}

impl Reflectors {
    /// `namespace`: watch namespaced kinds in this namespace only (`None`: all).
    pub fn new(client: Client, namespace: Option<String>, metrics: ControllerMetrics) -> Self {
        let inner = Inner { client, namespace, metrics, state: Mutex::default() };
        Reflectors { inner: Arc::new(inner) }
    }

    /// The shared reflector of `K`, created (and, once started, watching) on first use.
    pub fn get<K: Watched>(&self) -> Reflector<K>
    where
        K::Scope: ApiScope,
    {
        let mut state = self.lock();
        if let Some(existing) = state.by_type.get(&TypeId::of::<K>())
            && let Ok(shared) = existing.clone().downcast::<Shared<K>>()
        {
            return Reflector { shared, metrics: self.inner.metrics.clone() };
        }
        let writer = reflector::store::Writer::<K>::default();
        let shared = Arc::new(Shared {
            store: writer.as_reader(),
            synced: Arc::new(AtomicBool::new(false)),
            subscribers: Mutex::new(Vec::new()),
        });
        let api = <K::Scope as ApiScope>::api::<K>(
            self.inner.client.clone(),
            self.inner.namespace.as_deref(),
        );
        let watch = Box::pin(reflect(api, writer, shared.clone()));
        state.by_type.insert(TypeId::of::<K>(), shared.clone());
        state.synced.push(shared.synced.clone());
        state.names.push((K::plural(&()).into_owned(), shared.synced.clone()));
        match state.tasks.as_mut() {
            Some(tasks) => {
                tasks.spawn(watch);
            }
            None => state.pending.push(watch),
        }
        Reflector { shared, metrics: self.inner.metrics.clone() }
    }

    /// Starts every declared watch (later ones start as they are declared).
    pub fn start(&self) {
        let mut state = self.lock();
        let mut tasks = state.tasks.take().unwrap_or_default();
        for watch in state.pending.drain(..) {
            tasks.spawn(watch);
        }
        state.tasks = Some(tasks);
    }

    /// Stops every watch (the caches stay as they are).
    pub fn stop(&self) {
        if let Some(mut tasks) = self.lock().tasks.take() {
            tasks.abort_all();
        }
    }

    /// Whether every watch has listed its objects at least once.
    pub fn synced(&self) -> bool {
        self.lock().synced.iter().all(|s| s.load(Ordering::SeqCst))
    }

    /// The plural names of the watched kinds that have not synced yet (for `/readyz`).
    pub fn unsynced(&self) -> Vec<String> {
        let state = self.lock();
        state
            .names
            .iter()
            .filter(|(_, s)| !s.load(Ordering::SeqCst))
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A handle on the shared reflector of `K`: its cache, and subscriptions to its events.
pub struct Reflector<K: Watched> {
    shared: Arc<Shared<K>>,
    metrics: ControllerMetrics,
}

impl<K: Watched> Clone for Reflector<K> {
    fn clone(&self) -> Self {
        Reflector { shared: self.shared.clone(), metrics: self.metrics.clone() }
    }
}

impl<K: Watched> Reflector<K> {
    /// The cache (a kube `Store`): readable by every controller.
    pub fn store(&self) -> Store<K> {
        self.shared.store.clone()
    }

    /// A stream of the objects applied or deleted from now on, for `controller` (its
    /// `workqueue_depth` counts what was delivered and not yet taken). Dropping it unsubscribes.
    pub fn subscribe(&self, controller: &str) -> Subscription<K> {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_BUFFER);
        let depth = self.metrics.queue_depth(controller);
        self.shared.lock_subscribers().push(Subscriber { tx, depth: depth.clone() });
        Subscription { rx, depth }
    }

    pub fn synced(&self) -> bool {
        self.shared.synced.load(Ordering::SeqCst)
    }
}

struct Shared<K: Watched> {
    store: Store<K>,
    synced: Arc<AtomicBool>,
    subscribers: Mutex<Vec<Subscriber<K>>>,
}

struct Subscriber<K> {
    tx: mpsc::Sender<Arc<K>>,
    depth: Gauge,
}

impl<K> Clone for Subscriber<K> {
    fn clone(&self) -> Self {
        Subscriber { tx: self.tx.clone(), depth: self.depth.clone() }
    }
}

impl<K: Watched> Shared<K> {
    fn lock_subscribers(&self) -> std::sync::MutexGuard<'_, Vec<Subscriber<K>>> {
        self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Delivers `object` to every subscriber, waiting while one is full; forgets closed ones.
    async fn dispatch(&self, object: Arc<K>) {
        let subscribers: Vec<Subscriber<K>> = self.lock_subscribers().clone();
        let mut closed = false;
        for subscriber in subscribers {
            subscriber.depth.inc();
            if subscriber.tx.send(object.clone()).await.is_err() {
                subscriber.depth.dec();
                closed = true;
            }
        }
        if closed {
            self.lock_subscribers().retain(|s| !s.tx.is_closed());
        }
    }
}

/// The watch loop of one type: apply to the cache, then fan out.
async fn reflect<K: Watched>(
    api: Api<K>,
    mut writer: reflector::store::Writer<K>,
    shared: Arc<Shared<K>>,
) {
    let kind = K::kind(&()).into_owned();
    let mut events = watcher(api, watcher::Config::default()).default_backoff().boxed();
    while let Some(event) = events.next().await {
        let event = match event {
            // No controller reads managedFields; dropping them roughly halves what the caches
            // hold (server-side apply records every field of a pod there).
            Ok(event) => event.modify(|object| object.meta_mut().managed_fields = None),
            Err(err) => {
                tracing::warn!(kind, error = %err, "watch failed; retrying with backoff");
                continue;
            }
        };
        writer.apply_watcher_event(&event);
        match event {
            watcher::Event::Apply(object) => {
                let cached = shared.store.get(&ObjectRef::from_obj(&object));
                shared.dispatch(cached.unwrap_or_else(|| Arc::new(object))).await;
            }
            watcher::Event::Delete(object) => shared.dispatch(Arc::new(object)).await,
            watcher::Event::InitDone => {
                if !shared.synced.swap(true, Ordering::SeqCst) {
                    tracing::debug!(kind, objects = shared.store.len(), "cache synced");
                }
                for object in shared.store.state() {
                    shared.dispatch(object).await;
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }
}

/// The events of one subscription, as a stream of objects.
pub struct Subscription<K> {
    rx: mpsc::Receiver<Arc<K>>,
    depth: Gauge,
}

impl<K> Stream for Subscription<K> {
    type Item = Arc<K>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Arc<K>>> {
        let polled = self.rx.poll_recv(cx);
        if let Poll::Ready(Some(_)) = &polled {
            self.depth.dec();
        }
        polled
    }
}

impl<K> Drop for Subscription<K> {
    fn drop(&mut self) {
        self.rx.close();
        let left = i64::try_from(self.rx.len()).unwrap_or(i64::MAX);
        self.depth.dec_by(left);
    }
}

/// `Api::all` for cluster-scoped kinds, `Api::namespaced` or `Api::all` for namespaced ones.
pub trait ApiScope {
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(
        client: Client,
        namespace: Option<&str>,
    ) -> Api<K>
    where
        Self: Sized;
}

impl ApiScope for k8s_openapi::NamespaceResourceScope {
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(
        client: Client,
        namespace: Option<&str>,
    ) -> Api<K> {
        match namespace {
            Some(ns) => Api::namespaced(client, ns),
            None => Api::all(client),
        }
    }
}

impl ApiScope for k8s_openapi::ClusterResourceScope {
    fn api<K: Resource<Scope = Self, DynamicType = ()>>(
        client: Client,
        _namespace: Option<&str>,
    ) -> Api<K> {
        Api::all(client)
    }
}
