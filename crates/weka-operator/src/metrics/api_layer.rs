//! A tower layer around the kube client's HTTP service that counts API requests by
//! Kubernetes verb and status code.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Method, Request, Response};
use tower::{Layer, Service};

use super::ApiMetrics;

#[derive(Clone, Debug)]
pub struct ApiMetricsLayer {
    metrics: ApiMetrics,
}

impl ApiMetricsLayer {
    pub fn new(metrics: ApiMetrics) -> Self {
        ApiMetricsLayer { metrics }
    }
}

impl<S> Layer<S> for ApiMetricsLayer {
    type Service = ApiMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ApiMetricsService { inner, metrics: self.metrics.clone() }
    }
}

#[derive(Clone, Debug)]
pub struct ApiMetricsService<S> {
    inner: S,
    metrics: ApiMetrics,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ApiMetricsService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let verb = verb_of(request.method(), request.uri().path(), request.uri().query());
        let metrics = self.metrics.clone();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(async move {
            let result = response.await;
            let code = match &result {
                Ok(response) => response.status().as_u16().to_string(),
                Err(_) => "error".to_string(),
            };
            metrics.observe(verb, &code, started.elapsed());
            result
        })
    }
}

/// The Kubernetes verb of a request, as RBAC names it: `get`, `list`, `watch`, `create`,
/// `update`, `patch`, `delete`, `deletecollection`.
pub fn verb_of(method: &Method, path: &str, query: Option<&str>) -> &'static str {
    let watch = query
        .map(|q| q.split('&').any(|kv| kv == "watch=true" || kv == "watch=1"))
        .unwrap_or(false);
    let named = names_an_object(path);
    match *method {
        Method::GET if watch => "watch",
        Method::GET if named => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "other",
    }
}

/// Whether a resource path names one object (`.../pods/p`, `.../pods/p/status`) rather than a
/// collection (`.../pods`). Discovery paths count as named.
fn names_an_object(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => return true,
    };
    let resource_part = match rest {
        ["namespaces", _ns, resource @ ..] if !resource.is_empty() => resource,
        other => other,
    };
    resource_part.len() != 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_follow_rbac_names() {
        let ns = "/api/v1/namespaces/a/pods";
        assert_eq!(verb_of(&Method::GET, ns, None), "list");
        assert_eq!(verb_of(&Method::GET, ns, Some("watch=true&resourceVersion=1")), "watch");
        assert_eq!(verb_of(&Method::GET, "/api/v1/namespaces/a/pods/p", None), "get");
        assert_eq!(verb_of(&Method::GET, "/api/v1/namespaces/a", None), "get");
        assert_eq!(verb_of(&Method::GET, "/api/v1/namespaces", None), "list");
        assert_eq!(verb_of(&Method::GET, "/api/v1/nodes", None), "list");
        assert_eq!(verb_of(&Method::POST, ns, None), "create");
        assert_eq!(
            verb_of(&Method::PUT, "/apis/coordination.k8s.io/v1/namespaces/a/leases/l", None),
            "update"
        );
        assert_eq!(
            verb_of(
                &Method::PATCH,
                "/apis/weka.weka.io/v1alpha1/namespaces/a/wekaclusters/c/status",
                None
            ),
            "patch"
        );
        assert_eq!(verb_of(&Method::DELETE, "/api/v1/namespaces/a/pods/p", None), "delete");
        assert_eq!(verb_of(&Method::DELETE, ns, None), "deletecollection");
        assert_eq!(verb_of(&Method::GET, "/apis", None), "get");
    }
}
