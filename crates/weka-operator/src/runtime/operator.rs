//! Starting, leading, and stopping: the supervisor of one operator process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::RunError;
use super::context::Context;
use super::controller::{Reconciler, Registered, Runnable};
use super::reflectors::{ApiScope, Watched};
use crate::config::Config;
use crate::http::{self, Readiness};
use crate::leader_election::{
    ElectionConfig, Elector, KubeLeaseStore, Leadership, holder_identity,
};
use crate::metrics::Metrics;

/// How long a leader gets to release its Lease on shutdown.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// An operator being assembled: register controllers, then [`Operator::start`].
pub struct Operator {
    ctx: Arc<Context>,
    controllers: Vec<Arc<dyn Runnable>>,
}

impl Operator {
    pub fn new(client: Client, config: Config, metrics: Arc<Metrics>) -> Operator {
        let identity = holder_identity(&config.identity_stem());
        let ctx = Context::new(client, Arc::new(config), metrics, identity);
        Operator { ctx: Arc::new(ctx), controllers: Vec::new() }
    }

    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Adds a controller; the reflectors it uses are declared now and sync from the start.
    pub fn register<K, R>(&mut self, reconciler: R) -> &mut Self
    where
        K: Watched,
        K::Scope: ApiScope,
        R: Reconciler<K>,
    {
        let registered = Registered::<K, R>::new(reconciler, &self.ctx.reflectors);
        self.controllers.push(Arc::new(registered));
        self
    }

    /// Binds the HTTP endpoints and starts everything in the background. Must run inside a
    /// tokio runtime.
    pub async fn start(self) -> Result<OperatorHandle, RunError> {
        let ctx = self.ctx;
        let config = ctx.config.clone();
        let le = &config.leader_election;
        let lease_name = le.lease_name.clone();
        let (election, leadership) = if le.enabled {
            let namespace = le.lease_namespace(&config.identity);
            let store = KubeLeaseStore::new(ctx.client.clone(), &namespace, &lease_name);
            let (elector, leadership) = Elector::new(
                store,
                ElectionConfig {
                    identity: ctx.identity.clone(),
                    lease_duration: le.lease_duration,
                    renew_deadline: le.renew_deadline,
                    retry_period: le.retry_period,
                },
            );
            tracing::info!(lease = %lease_name, %namespace, identity = %ctx.identity, "leader election enabled");
            (Election::Lease(Box::new(elector)), leadership)
        } else {
            let (sender, leadership) = watch::channel(Leadership::Leader { term: 1 });
            (Election::Disabled(sender), leadership)
        };

        let mut servers = Vec::new();
        let mut health_addr = None;
        if let Some(addr) = config.http.health.socket_addr() {
            let listener =
                http::bind("the health probes (HEALTH_PROBE_BIND_ADDRESS)", addr).await?;
            health_addr = listener.local_addr().ok();
            let readiness =
                Readiness { reflectors: ctx.reflectors.clone(), leadership: leadership.clone() };
            servers.push((listener, http::health_router(readiness)));
        }
        let mut metrics_addr = None;
        if let Some(addr) = config.http.metrics.socket_addr() {
            let listener = http::bind("the metrics (OPERATOR_METRICS_BIND_ADDRESS)", addr).await?;
            metrics_addr = listener.local_addr().ok();
            servers.push((listener, http::metrics_router(ctx.metrics.clone())));
        }

        let shutdown = CancellationToken::new();
        let supervisor = Supervisor {
            ctx: ctx.clone(),
            controllers: self.controllers,
            lease_name,
            leadership: leadership.clone(),
        };
        let root = tokio::spawn(supervisor.run(election, servers, shutdown.clone()));
        Ok(OperatorHandle {
            ctx,
            shutdown,
            root: Some(root),
            leadership,
            health_addr,
            metrics_addr,
        })
    }
}

enum Election {
    Lease(Box<Elector<KubeLeaseStore>>),
    /// Leader from the start; the sender keeps the channel open.
    Disabled(watch::Sender<Leadership>),
}

/// A running operator. [`OperatorHandle::shutdown`] stops it gracefully; dropping the handle
/// stops everything at once, like a crash (the Lease is not released).
pub struct OperatorHandle {
    ctx: Arc<Context>,
    shutdown: CancellationToken,
    root: Option<JoinHandle<()>>,
    leadership: watch::Receiver<Leadership>,
    health_addr: Option<SocketAddr>,
    metrics_addr: Option<SocketAddr>,
}

impl OperatorHandle {
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    pub fn identity(&self) -> &str {
        &self.ctx.identity
    }

    pub fn leadership(&self) -> watch::Receiver<Leadership> {
        self.leadership.clone()
    }

    /// Where the probes are served (the bound address, also when the port was 0).
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health_addr
    }

    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Resolves if the operator stops by itself (it should not: the leader election or the
    /// supervisor failed); then the process should exit and be restarted.
    pub async fn stopped(&mut self) {
        if let Some(root) = self.root.as_mut() {
            let _ = root.await;
            self.root = None;
        }
    }

    /// Stops taking new work, lets in-flight reconciles finish (up to `SHUTDOWN_TIMEOUT`),
    /// releases the Lease, and stops.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(root) = self.root.take()
            && let Err(err) = root.await
        {
            tracing::error!(error = %err, "operator supervisor failed");
        }
    }
}

impl Drop for OperatorHandle {
    fn drop(&mut self) {
        if let Some(root) = self.root.take() {
            root.abort();
            self.ctx.reflectors.stop();
        }
    }
}

struct Supervisor {
    ctx: Arc<Context>,
    controllers: Vec<Arc<dyn Runnable>>,
    lease_name: String,
    leadership: watch::Receiver<Leadership>,
}

/// The controllers of one leadership term.
struct Term {
    number: u64,
    tasks: JoinSet<&'static str>,
    graceful: CancellationToken,
}

impl Supervisor {
    async fn run(
        mut self,
        election: Election,
        servers: Vec<(tokio::net::TcpListener, axum::Router)>,
        shutdown: CancellationToken,
    ) {
        // Owned here: aborting this task (dropping the handle) aborts all of them.
        let mut background = JoinSet::new();
        for (listener, router) in servers {
            background.spawn(http::serve(listener, router));
        }
        self.ctx.reflectors.start();
        // The node agents authenticate the operator with this token; they cannot start
        // before it exists (upstream's background one-shot of the manager).
        let config = &self.ctx.config;
        background.spawn(crate::node_agent_client::ensure_secret_until_done(
            self.ctx.client.clone(),
            crate::node_agent_client::agent_namespace(config),
            config.metrics_collection.node_agent_token_secret.clone(),
        ));
        let elector_stop = CancellationToken::new();
        let mut elector_task = None;
        let _leader_forever = match election {
            Election::Lease(elector) => {
                elector_task = Some(AbortOnDrop(tokio::spawn(elector.run(elector_stop.clone()))));
                None
            }
            Election::Disabled(sender) => Some(sender),
        };

        let mut term: Option<Term> = None;
        loop {
            let leading = self.leadership.borrow_and_update().term();
            self.ctx.metrics.leader.set_leader(&self.lease_name, leading.is_some());
            // A changed term also stops the old term's controllers: the Lease was lost and
            // taken again in between, and someone else may have reconciled meanwhile.
            if term.as_ref().is_some_and(|t| Some(t.number) != leading)
                && let Some(mut stopped) = term.take()
            {
                stopped.tasks.abort_all();
                tracing::warn!(
                    "leadership lost: controllers stopped, in-flight reconciles abandoned"
                );
            }
            if let Some(number) = leading
                && term.is_none()
            {
                tracing::info!(
                    controllers = self.controllers.len(),
                    term = number,
                    "leading: starting the controllers"
                );
                term = Some(self.start_term(number));
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                changed = self.leadership.changed() => {
                    if changed.is_err() {
                        tracing::error!("leader election stopped unexpectedly");
                        break;
                    }
                }
                Some(ended) = next_ended(&mut term) => {
                    tracing::error!(controller = ?ended.ok(), "a controller stopped unexpectedly");
                }
            }
        }

        tracing::info!("shutting down");
        if let Some(term) = term.take() {
            self.drain(term).await;
        }
        elector_stop.cancel();
        if let Some(AbortOnDrop(task)) = elector_task.as_mut()
            && tokio::time::timeout(RELEASE_TIMEOUT, task).await.is_err()
        {
            tracing::warn!("the leader Lease was not released in time");
        }
        self.ctx.metrics.leader.set_leader(&self.lease_name, false);
        self.ctx.reflectors.stop();
        background.abort_all();
        tracing::info!("stopped");
    }

    fn start_term(&self, number: u64) -> Term {
        let graceful = CancellationToken::new();
        let mut tasks = JoinSet::new();
        for controller in &self.controllers {
            let name = controller.name();
            let run = controller.run(self.ctx.clone(), graceful.clone());
            tasks.spawn(async move {
                run.await;
                name
            });
        }
        Term { number, tasks, graceful }
    }

    /// No new reconciles; in-flight ones get until the shutdown timeout.
    async fn drain(&self, mut term: Term) {
        term.graceful.cancel();
        let limit = self.ctx.config.timeouts.shutdown;
        let finished =
            tokio::time::timeout(limit, async { while term.tasks.join_next().await.is_some() {} })
                .await;
        if finished.is_err() {
            tracing::warn!(timeout = ?limit, "in-flight reconciles did not finish in time: abandoning them");
            term.tasks.abort_all();
        }
    }
}

async fn next_ended(
    term: &mut Option<Term>,
) -> Option<Result<&'static str, tokio::task::JoinError>> {
    match term {
        Some(term) if !term.tasks.is_empty() => term.tasks.join_next().await,
        _ => std::future::pending().await,
    }
}

/// A task aborted when its handle is dropped (the elector must not outlive the supervisor).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
