//! A WekaContainer this operator cannot read (an unknown mode, a field of the wrong shape —
//! possible when the CRD is newer than the operator or the schema was bypassed): it gets a
//! condition that says why and a Warning event, and is left alone until it changes. No flow
//! runs for it — not even deletion, so a finalizer it carries stays (WEKA may still hold the
//! container); the condition says so.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::EventType;
use kube::{Resource, ResourceExt};
use serde_json::json;
use weka_api::conditions::{self, Desired, Status};
use weka_api::constants::conditions as cond;

use super::object::{ContainerObject, DecodeError};
use super::shared::Shared;
use super::state::now;
use crate::runtime::Context;

pub async fn report(
    object: &ContainerObject,
    err: &DecodeError,
    ctx: &Context,
    shared: &Shared,
) -> Action {
    let (condition, reason) = match err.is_unknown_mode() {
        true => (cond::UNSUPPORTED_MODE, "UnknownMode"),
        false => (cond::DEGRADED, "InvalidSpec"),
    };
    let mut message = format!("this operator cannot read the WekaContainer: {err}");
    if object.metadata.deletion_timestamp.is_some() {
        message.push_str("; its deletion cannot proceed (remove the finalizer by hand once WEKA no longer holds the container)");
    }
    tracing::warn!(%err, "cannot decode the WekaContainer");

    let generation = object.metadata.generation;
    let mut list: Vec<Condition> = object
        .status_value()
        .and_then(|mut s| s.get_mut("conditions").map(serde_json::Value::take))
        .and_then(|c| serde_json::from_value(c).ok())
        .unwrap_or_default();
    let mut changed = false;
    for (type_, status) in [(condition, Status::True), (cond::READY, Status::False)] {
        let desired = Desired::new(type_, status, reason, &message).observed(generation);
        changed |= conditions::set(&mut list, desired, now());
    }
    if changed {
        let api: Api<ContainerObject> =
            Api::namespaced(ctx.client.clone(), &object.namespace().unwrap_or_default());
        let body = json!({"status": {"conditions": list}});
        if let Err(err) = api
            .patch_status(&object.name_any(), &PatchParams::default(), &Patch::Merge(&body))
            .await
        {
            tracing::warn!(error = %err, "cannot record the condition");
        }
    }
    // Once per change of the problem (the condition records it across restarts).
    if changed {
        shared.publish(ctx, &object.object_ref(&()), EventType::Warning, reason, &message).await;
    }
    Action::await_change()
}
