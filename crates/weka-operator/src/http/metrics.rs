//! `/metrics`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

use crate::metrics::{self, Metrics};

pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new().route("/metrics", get(render)).with_state(metrics)
}

async fn render(
    State(metrics): State<Arc<Metrics>>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(CONTENT_TYPE, metrics::CONTENT_TYPE)], metrics.encode())
}
