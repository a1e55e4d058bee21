//! The operator's HTTP endpoints: probes on the health address, `/metrics` on the metrics
//! address (axum).

mod health;
mod metrics;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

pub use health::{Readiness, router as health_router};
pub use metrics::router as metrics_router;

/// A listen address that could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr} for {what}: {source}")]
pub struct BindError {
    pub what: &'static str,
    pub addr: SocketAddr,
    pub source: std::io::Error,
}

/// Binds now (so a taken port fails the start, with the setting's name), serves later.
pub async fn bind(what: &'static str, addr: SocketAddr) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr).await.map_err(|source| BindError { what, addr, source })
}

/// Serves `router` until the task is dropped.
pub async fn serve(listener: TcpListener, router: Router) {
    let addr = listener.local_addr().ok();
    if let Err(err) = axum::serve(listener, router).await {
        tracing::error!(?addr, error = %err, "HTTP server stopped");
    }
}
