//! The API server with kube-rs, kubectl and raw HTTP: CRUD, watch, apply, patch, tables,
//! OpenAPI, durable state, garbage collection, and the schema engine, in one test binary.

mod common;
mod kubectl_support;

mod apply_server_side;
mod binary;
mod custom_resources;
mod durable_state;
mod garbage_collection;
mod kube_api;
mod kube_watch;
mod kubectl;
mod openapi_kubectl;
mod patch_strategic;
mod protobuf_kubectl;
mod schema_cel;
mod schema_keywords;
mod schema_weka_crds;
mod table_output;
