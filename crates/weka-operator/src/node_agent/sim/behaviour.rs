//! The `node-agent` container of the simulator: a kubesim [`ContainerBehaviour`] whose main
//! process starts a [`NodeAgent`] over a [`SimHost`] of its node, is ready at once, and serves
//! the real router on its port (`NODE_AGENT_BIND_ADDRESS`, default 8090) to requests kubesim's
//! pod network delivers, until SIGTERM. Like the real agent it exits 1 when its token cannot
//! be read (the kubelet restarts it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use futures::FutureExt;
use futures::future::BoxFuture;
use kubesim::nodes::behaviour::{ContainerBehaviour, ContainerCtx, Signal};
use tower::ServiceExt;
use wekasim::runtime::WekaRuntime;

use super::host::SimHost;
use crate::config::parse::bind_address;
use crate::node_agent::protocol::{DEFAULT_BIND_ADDRESS, DEFAULT_PORT};
use crate::node_agent::server::NodeAgent;

/// The running agent of one container.
struct Running {
    restart: i32,
    port: u16,
    agent: NodeAgent,
}

/// Runs node-agent containers; one instance serves every such container of a kubesim.
pub struct NodeAgentBehaviour {
    runtime: WekaRuntime,
    /// By `(pod UID, container name)`.
    running: Mutex<BTreeMap<(String, String), Running>>,
}

fn key(ctx: &ContainerCtx) -> (String, String) {
    let uid = ctx.pod().metadata.uid.clone().unwrap_or_default();
    (uid, ctx.container().name.clone())
}

impl NodeAgentBehaviour {
    pub fn new(runtime: WekaRuntime) -> Self {
        NodeAgentBehaviour { runtime, running: Mutex::new(BTreeMap::new()) }
    }

    fn running(&self) -> MutexGuard<'_, BTreeMap<(String, String), Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The agent serving `ctx`'s container, if its main process runs.
    pub fn agent_of(&self, ctx: &ContainerCtx) -> Option<NodeAgent> {
        self.running().get(&key(ctx)).map(|r| r.agent.clone())
    }

    async fn main(&self, ctx: &ContainerCtx) -> i32 {
        let bind = ctx.env("NODE_AGENT_BIND_ADDRESS").unwrap_or(DEFAULT_BIND_ADDRESS);
        let port = match bind_address(bind).map(|b| b.port()) {
            Ok(Some(port)) => port,
            Ok(None) => DEFAULT_PORT,
            Err(e) => {
                ctx.log(format!("invalid NODE_AGENT_BIND_ADDRESS: {e}"));
                return 1;
            }
        };
        let node = ctx.info().node_name.clone();
        let host = SimHost::new(self.runtime.clone(), node.clone(), ctx.fs().clone());
        let agent = NodeAgent::with_node_name(Arc::new(host), Some(node.clone()));
        let restart = ctx.info().restart_count;
        let running = Running { restart, port, agent: agent.clone() };
        self.running().insert(key(ctx), running);
        ctx.log(format!("Server is binding to :{port}"));
        tracing::info!(node = %node, port, pod = ?ctx.pod().metadata.name, "node agent started");
        ctx.set_ready(true);
        let failed = agent.failed().fuse();
        futures::pin_mut!(failed);
        let code = loop {
            futures::select! {
                signal = ctx.next_signal().fuse() => if signal == Signal::Terminate {
                    ctx.log("node agent stopping");
                    break 0;
                },
                err = failed => {
                    ctx.log(format!("{err}"));
                    break 1;
                }
            }
        };
        ctx.set_ready(false);
        let mut running = self.running();
        if running.get(&key(ctx)).is_some_and(|r| r.restart == restart) {
            running.remove(&key(ctx));
        }
        code
    }
}

impl ContainerBehaviour for NodeAgentBehaviour {
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32> {
        async move { self.main(&ctx).await }.boxed()
    }

    fn http<'a>(
        &'a self,
        ctx: &'a ContainerCtx,
        port: u16,
        request: http::Request<axum::body::Bytes>,
    ) -> Option<BoxFuture<'a, http::Response<axum::body::Bytes>>> {
        let router = {
            let running = self.running();
            let entry = running.get(&key(ctx)).filter(|r| r.port == port)?;
            entry.agent.router()
        };
        Some(
            async move {
                let response = match router.oneshot(request.map(Body::from)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                let (parts, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                http::Response::from_parts(parts, bytes)
            }
            .boxed(),
        )
    }
}
