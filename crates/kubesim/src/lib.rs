//! kubesim: a Kubernetes API server simulated in one process, for hermetic tests and demos of
//! the WEKA operator. Real clients (kubectl, kube-rs, the Python client) talk to it over
//! HTTP/JSON as they would to a real kube-apiserver.
//!
//! Layout, from the bottom up:
//! - [`store`]: objects as JSON keyed by storage key and (namespace, name); one global
//!   resourceVersion; finalizers and deletion marks; bounded history for watches and
//!   consistent paginated lists; broadcast fan-out of `Arc`'d events. No HTTP.
//! - [`registry`]: served kinds (built-in table, CRD-defined kinds) with names, scope, verbs,
//!   subresources, validation; [`conversion`] between stored and served forms.
//! - [`admission`]: the write pipeline (typed decoding via k8s-openapi, unknown fields per
//!   `fieldValidation`, [`defaults`], [`validation`], custom resources via
//!   [`crd_validation`], the single seam to [`schema`]).
//! - [`routes`] parses Kubernetes paths; [`server`] is the one axum handler (auth, faults,
//!   request log); [`handlers`] serve get/list/create/update/patch/delete and subresources;
//!   [`watch`] streams events; [`discovery`] and [`openapi`] describe the API.
//! - Writes: [`patch`] (JSON, merge and strategic merge patches, the merge-key table of the
//!   built-ins), [`apply`] (managedFields on every write, server-side apply with conflicts),
//!   [`protobuf`] (request bodies of kubectl's generated clients). Reads: [`table`]
//!   (server-side printing as kubectl shows it).
//! - [`hooks`] (CRD establishment), [`lifecycle`] (namespace and CRD deletion) and [`gc`]
//!   (garbage collection by ownerReferences, propagation policies) play the built-in
//!   controllers; durable state (`--state FILE`) is [`store::persist`].
//! - [`faults`] and [`request_log`] are what tests use to break and observe the server;
//!   [`handle`] starts it in-process and [`kubeconfig`] describes how to reach it;
//!   [`bootstrap_nodes`] are the plain Node objects of `--nodes N` when nodes are not simulated.
//! - [`nodes`]: the scheduler, kubelets, container behaviours and the DaemonSet controller,
//!   clients of this API server; and the pod network (pods' HTTP servers reached by pod IP
//!   through a forward proxy on a second listener, or through `pods/NAME:PORT/proxy`).
//!
//! Extension points for later rounds: exec/log as pod subresources in
//! `handlers::subresources`; Table output of watches in [`watch`].

pub mod admission;
pub mod apply;
pub mod bootstrap_nodes;
pub mod conversion;
pub mod crd_validation;
pub mod defaults;
pub mod discovery;
pub mod errors;
pub mod faults;
pub mod gc;
pub mod handle;
pub mod handlers;
pub mod hooks;
pub mod kubeconfig;
pub mod lifecycle;
pub mod nodes;
pub mod openapi;
pub mod patch;
pub mod protobuf;
pub mod registry;
pub mod request_log;
pub mod routes;
pub mod schema;
pub mod selectors;
pub mod server;
pub mod store;
pub mod table;
pub mod unknown_fields;
pub mod validation;
pub mod watch;

pub use errors::Error;
pub use faults::{FaultAction, FaultId, FaultRule, Faults};
pub use handle::{Kubesim, KubesimConfig, KubesimHandle, StartError};
pub use request_log::{RequestLog, RequestRecord};
