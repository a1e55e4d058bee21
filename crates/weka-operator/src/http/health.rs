//! `/healthz`: the process serves. `/readyz`: the caches are synced and leadership is known
//! (leader, or a standby that has read the Lease), so a standby replica is ready too.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::sync::watch;

use crate::leader_election::Leadership;
use crate::runtime::Reflectors;

/// What `/readyz` checks.
#[derive(Clone)]
pub struct Readiness {
    pub reflectors: Reflectors,
    pub leadership: watch::Receiver<Leadership>,
}

impl Readiness {
    /// `Ok`, or why not ready.
    pub fn check(&self) -> Result<(), String> {
        let unsynced = self.reflectors.unsynced();
        if !unsynced.is_empty() {
            return Err(format!("caches not synced: {}", unsynced.join(", ")));
        }
        if !self.leadership.borrow().is_known() {
            return Err("leadership not known yet".to_string());
        }
        Ok(())
    }
}

pub fn router(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(readiness)
}

async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, String) {
    match readiness.check() {
        Ok(()) => (StatusCode::OK, "ok".to_string()),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason),
    }
}
