//! How a controller plugs in: implement [`Reconciler`] for a kind, register it, and the
//! runtime builds the kube `Controller` on the shared reflectors with the configured
//! concurrency, a span and metrics per reconcile, and the reconcile timeout.

use std::fmt::Debug;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use kube::runtime::controller::{self, Action, Controller};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::context::Context;
use super::reflectors::{ApiScope, Reflectors, Watched};
use crate::config::Config;
use crate::metrics::ReconcileResult;
use crate::telemetry;

/// A controller's logic for kind `K`: a reconcile function of the object and the context,
/// and what to do when it fails.
pub trait Reconciler<K: Watched>: Send + Sync + 'static {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Name in metrics and logs, e.g. `wekacluster`.
    fn name(&self) -> &'static str;

    /// Concurrent reconciles (from `MAX_WORKERS_*`).
    fn max_workers(&self, config: &Config) -> u16;

    fn reconcile(
        &self,
        object: Arc<K>,
        ctx: Arc<Context>,
    ) -> impl Future<Output = Result<Action, Self::Error>> + Send;

    /// What to do after a failed reconcile (default: retry in 10 s).
    fn error_policy(&self, _object: &K, _error: &Self::Error, _ctx: &Context) -> Action {
        Action::requeue(Duration::from_secs(10))
    }

    /// Whether a change of the object itself that the watch delivers needs no reconcile
    /// (default: every change gets one). A controller uses it to drop the echo of its own
    /// writes, which the pass that wrote them has already accounted for.
    fn ignores_change(&self, _object: &K) -> bool {
        false
    }

    /// Adds secondary triggers to the controller, from the shared reflectors, e.g.
    /// `controller.owns_shared_stream(reflectors.get::<CachedPod>().subscribe(self.name()))`.
    /// Called once at registration (so every reflector used exists, and syncs, before the
    /// controller first runs) and at every start.
    fn configure(&self, controller: Controller<K>, _reflectors: &Reflectors) -> Controller<K> {
        controller
    }
}

/// A failed reconcile as the runtime sees it.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Failed(E),
    #[error("reconcile did not finish within {0:?} (RECONCILE_TIMEOUT)")]
    TimedOut(Duration),
}

/// A registered controller, type-erased.
pub(crate) trait Runnable: Send + Sync {
    fn name(&self) -> &'static str;
    /// Runs until `graceful` is cancelled (then lets in-flight reconciles finish), or until
    /// the returned future is dropped (then abandons them at once).
    fn run(&self, ctx: Arc<Context>, graceful: CancellationToken) -> BoxFuture<'static, ()>;
}

pub(crate) struct Registered<K, R> {
    reconciler: Arc<R>,
    _kind: PhantomData<fn() -> K>,
}

impl<K, R> Registered<K, R>
where
    K: Watched,
    K::Scope: ApiScope,
    R: Reconciler<K>,
{
    /// Declares the reflectors the controller uses (a dry run of `configure`).
    pub(crate) fn new(reconciler: R, reflectors: &Reflectors) -> Self {
        let store = reflectors.get::<K>().store();
        let dry_run = Controller::for_shared_stream(futures::stream::empty(), store);
        drop(reconciler.configure(dry_run, reflectors));
        Registered { reconciler: Arc::new(reconciler), _kind: PhantomData }
    }
}

impl<K, R> Runnable for Registered<K, R>
where
    K: Watched,
    K::Scope: ApiScope,
    R: Reconciler<K>,
{
    fn name(&self) -> &'static str {
        self.reconciler.name()
    }

    fn run(&self, ctx: Arc<Context>, graceful: CancellationToken) -> BoxFuture<'static, ()> {
        let name = self.reconciler.name();
        let workers = self.reconciler.max_workers(&ctx.config);
        ctx.metrics.controllers.set_max_workers(name, workers);
        let reflector = ctx.reflectors.get::<K>();
        let store = reflector.store();
        let ready_store = store.clone();
        // Everything already cached, once, when the cache is ready: a controller that starts
        // on a takeover has missed the events of those objects.
        let everything_once = futures::stream::once(async move {
            let _ = ready_store.wait_until_ready().await;
        });
        let filter = self.reconciler.clone();
        let changes = reflector
            .subscribe(name)
            .filter(move |object| std::future::ready(!filter.ignores_change(object)));
        let controller = Controller::for_shared_stream(changes, store)
            .with_config(controller::Config::default().concurrency(workers))
            .reconcile_all_on(everything_once)
            .graceful_shutdown_on(graceful.cancelled_owned());
        let controller = self.reconciler.configure(controller, &ctx.reflectors);
        let reconciler = self.reconciler.clone();
        let policy = self.reconciler.clone();
        Box::pin(async move {
            controller
                .run(
                    move |object, ctx| reconcile_once(reconciler.clone(), object, ctx),
                    move |object, error, ctx| match error {
                        ReconcileError::Failed(e) => policy.error_policy(&object, e, &ctx),
                        ReconcileError::TimedOut(_) => Action::requeue(Duration::from_secs(10)),
                    },
                    ctx,
                )
                .for_each(|result| async move { log_outcome(name, result) })
                .await;
        })
    }
}

/// One reconcile: in its span, timed, counted, bounded by the reconcile timeout.
async fn reconcile_once<K, R>(
    reconciler: Arc<R>,
    object: Arc<K>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError<R::Error>>
where
    K: Watched,
    R: Reconciler<K>,
{
    let name = reconciler.name();
    let span = telemetry::reconcile_span(name, object.as_ref());
    let timer = ctx.metrics.controllers.reconcile_started(name);
    let limit = ctx.config.timeouts.reconcile;
    let outcome = tokio::time::timeout(limit, reconciler.reconcile(object, ctx.clone()))
        .instrument(span.clone())
        .await;
    let result = match outcome {
        Ok(Ok(action)) => Ok(action),
        Ok(Err(err)) => Err(ReconcileError::Failed(err)),
        Err(_) => Err(ReconcileError::TimedOut(limit)),
    };
    timer.finish(if result.is_ok() { ReconcileResult::Success } else { ReconcileResult::Error });
    if let Err(err) = &result {
        span.in_scope(|| tracing::warn!(error = %err, "reconcile failed"));
    }
    result
}

fn log_outcome<K, E, Q>(
    name: &str,
    result: Result<(kube::runtime::reflector::ObjectRef<K>, Action), controller::Error<E, Q>>,
) where
    K: Watched,
    E: std::error::Error,
    Q: std::error::Error,
{
    match result {
        Ok(_) | Err(controller::Error::ReconcilerFailed(..)) => {}
        // The object was deleted between the event and the reconcile: expected.
        Err(controller::Error::ObjectNotFound(object)) => {
            tracing::trace!(controller = name, %object, "object gone before its reconcile");
        }
        Err(err) => tracing::warn!(controller = name, error = %err, "controller error"),
    }
}

impl<K, R> Debug for Registered<K, R>
where
    K: Watched,
    K::Scope: ApiScope,
    R: Reconciler<K>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered").field("name", &self.name()).finish()
    }
}
