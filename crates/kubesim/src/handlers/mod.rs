//! Resource request handlers, one module per kind of operation. Each takes a [`Ctx`] (the
//! parsed request and the shared server) and returns a response or an [`Error`].

mod apply;
pub mod body;
mod delete;
pub mod params;
pub(crate) mod read;
mod subresources;
mod write;

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::conversion;
use crate::errors::{Error, Result};
use crate::faults::FaultAction;
use crate::registry::Resource;
use crate::routes::{ResourcePath, Verb};
use crate::server::ApiServer;
use crate::store::ObjectKey;

pub(crate) use delete::{DeleteRequest, delete_object};
pub(crate) use write::create_internal;

/// What the request log keeps of a delete's options (they may come in the body).
#[derive(Clone, Debug, Default)]
pub struct DeleteRecord {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    pub dry_run: bool,
}

pub struct Ctx {
    pub api: Arc<ApiServer>,
    pub path: ResourcePath,
    pub resource: Arc<Resource>,
    pub query: params::Query,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Sent back as `Warning` headers.
    pub warnings: Vec<String>,
    /// Fault actions for a watch (drop, expire).
    pub watch_faults: Vec<FaultAction>,
    /// Delete options for the request log.
    pub record_delete: Option<DeleteRecord>,
    /// The name a create stored the object under (the URL has none), for the request log, as
    /// an audit log's `objectRef` carries it.
    pub created_name: Option<String>,
}

impl Ctx {
    pub fn namespace(&self) -> &str {
        self.path.namespace.as_deref().unwrap_or("")
    }

    /// The name from the URL (handlers that need one are only routed with one).
    pub fn name(&self) -> Result<&str> {
        self.path.name.as_deref().ok_or(Error::UnknownPath)
    }

    pub fn key(&self) -> Result<ObjectKey> {
        Ok(ObjectKey::new(self.namespace(), self.name()?))
    }

    pub fn not_found(&self, name: &str) -> Error {
        Error::NotFound { resource: self.resource.name(), name: name.to_string() }
    }

    /// The stored object the URL names.
    pub fn current(&self) -> Result<Arc<Value>> {
        let key = self.key()?;
        self.api.store.get(&self.resource.storage, &key).ok_or_else(|| self.not_found(&key.name))
    }

    pub fn served(&self, stored: &Arc<Value>) -> Arc<Value> {
        conversion::to_served(&self.resource, stored)
    }

    pub fn respond(&self, code: StatusCode, stored: &Arc<Value>) -> Response {
        body::json(code, &self.served(stored))
    }
}

pub async fn handle(ctx: &mut Ctx) -> Result<Response> {
    // Scope must fit the resource: a namespaced object is addressed within a namespace, a
    // cluster-scoped one never is.
    let needs_namespace = ctx.resource.namespaced
        && !matches!(ctx.path.verb, Verb::List | Verb::Watch | Verb::DeleteCollection);
    if (needs_namespace && ctx.path.namespace.is_none())
        || (!ctx.resource.namespaced && ctx.path.namespace.is_some())
    {
        return Err(Error::UnknownPath);
    }
    if !ctx.resource.has_verb(ctx.path.verb.as_str()) {
        return Err(Error::MethodNotAllowed(
            "the server does not allow this method on the requested resource".into(),
        ));
    }
    // Verbs that do not fit the path: writes to a collection, creates on a named object.
    let named = ctx.path.name.is_some();
    let misplaced = match ctx.path.verb {
        Verb::Update | Verb::Patch => !named,
        Verb::Create => named && ctx.path.subresource.is_none(),
        _ => false,
    };
    if misplaced {
        return Err(Error::MethodNotAllowed(
            "the server does not allow this method on the requested resource".into(),
        ));
    }
    if let Some(sub) = ctx.path.subresource.clone() {
        return subresources::handle(ctx, &sub).await;
    }
    match ctx.path.verb {
        Verb::Get => read::get(ctx),
        Verb::List => read::list(ctx),
        Verb::Watch => crate::watch::serve(ctx),
        Verb::Create => write::create(ctx),
        Verb::Update => write::update(ctx),
        Verb::Patch => write::patch(ctx),
        Verb::Delete => delete::delete(ctx),
        Verb::DeleteCollection => delete::delete_collection(ctx),
    }
}
