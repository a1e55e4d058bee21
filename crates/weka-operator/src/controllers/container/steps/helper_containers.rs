//! Helper WekaContainers: one-off containers a step creates to have something done on a node
//! (load drivers, read an image's feature flags, resign drives), then waits on their
//! `status.result` and deletes. They are found by name, so a restarted operator picks up the
//! helper an earlier one created instead of starting another.
//!
//! Helpers the operator runs for itself (drivers loader, feature flags, SSD proxy) live in
//! the operator's namespace: the watched namespace when the operator watches only one (a
//! helper elsewhere would never be reconciled), else the operator pod's namespace.

use std::time::Duration;

use kube::api::{DeleteParams, PostParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Resource, ResourceExt};
use serde_json::json;
use weka_api::WekaContainer;
use weka_api::constants::labels;
use weka_api::wekacontainer::ContainerMode;

use crate::config::DEFAULT_OPERATOR_NAMESPACE;
use crate::controllers::container::state::{ContainerState, api_error};
use crate::engine::StepError;

/// The namespace of the operator's own helper containers.
pub fn operator_namespace(s: &ContainerState) -> String {
    let config = &s.ctx.config;
    [config.scope.namespace.as_str(), config.identity.pod_namespace.as_str()]
        .into_iter()
        .find(|ns| !ns.is_empty())
        .unwrap_or(DEFAULT_OPERATOR_NAMESPACE)
        .to_string()
}

fn api(s: &ContainerState, namespace: &str) -> Api<WekaContainer> {
    Api::namespaced(s.ctx.client.clone(), namespace)
}

/// The helper `name` in `namespace`, read from the API (a helper just created is not in the
/// cache yet, and creating it twice must be avoided).
pub async fn get(
    s: &ContainerState,
    namespace: &str,
    name: &str,
) -> Result<Option<WekaContainer>, StepError> {
    api(s, namespace).get_opt(name).await.map_err(|e| {
        api_error("HelperReadFailed", &format!("read WekaContainer {namespace}/{name}"), e)
    })
}

/// Creates the helper; one that exists already (created by an earlier reconcile) is fine.
pub async fn create(s: &ContainerState, helper: &WekaContainer) -> Result<(), StepError> {
    let namespace = helper.namespace().unwrap_or_default();
    let name = helper.name_any();
    tracing::info!(helper = %name, namespace = %namespace, mode = %helper.spec.mode, "creating a helper container");
    match api(s, &namespace).create(&PostParams::default(), helper).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(err) => Err(api_error(
            "HelperCreateFailed",
            &format!("create WekaContainer {namespace}/{name}"),
            err,
        )),
    }
}

/// Deletes the helper (its own Deleting flow stops its pod); one already gone is fine.
pub async fn delete(s: &ContainerState, namespace: &str, name: &str) -> Result<(), StepError> {
    match api(s, namespace).delete(name, &DeleteParams::default()).await {
        Ok(_) => {
            tracing::info!(helper = %name, namespace = %namespace, "deleted a helper container");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(err) => Err(api_error(
            "HelperDeleteFailed",
            &format!("delete WekaContainer {namespace}/{name}"),
            err,
        )),
    }
}

/// The helper's result (`status.result`), once it has one.
pub fn result(helper: &WekaContainer) -> Option<&str> {
    helper.status.as_ref()?.result.as_deref().filter(|r| !r.trim().is_empty())
}

/// Registers the container for a reconcile as soon as the helper has its result (the
/// waiting step still polls, see `helper_waiters`).
pub fn wake_when_done(s: &ContainerState, namespace: &str, name: &str) {
    let helper = ObjectRef::new(name).within(namespace);
    let waiter = ObjectRef::new(s.name()).within(s.namespace());
    s.shared.helper_waiters.wait_for(helper, waiter);
}

/// How long to wait before looking at a helper's result again: `upstream`, or sooner when
/// the controller's timing asks for quicker rechecks (nothing announces another object's
/// status change to this container's reconcile).
pub fn recheck(s: &ContainerState, upstream: Duration) -> Duration {
    upstream.min(s.shared.timing.not_ready_recheck)
}

/// A helper the container owns (it goes with the container), in the container's namespace,
/// with the container's labels and the helper's mode label; `spec` is the helper's spec
/// without its mode.
pub fn owned_helper(
    s: &ContainerState,
    name: &str,
    mode: ContainerMode,
    mut spec: serde_json::Value,
) -> Result<WekaContainer, StepError> {
    let mut labels_map = s.container.metadata.labels.clone().unwrap_or_default();
    labels_map.insert(labels::MODE.to_string(), mode.as_str().to_string());
    let owner = s.container.controller_owner_ref(&());
    spec["mode"] = json!(mode.as_str());
    from_json(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {
            "name": name,
            "namespace": s.namespace(),
            "labels": labels_map,
            "ownerReferences": owner.into_iter().collect::<Vec<_>>(),
        },
        "spec": spec,
    }))
}

/// A WekaContainer from a JSON body (the typed spec has many optional fields; JSON keeps the
/// helpers' specs readable and lets the API server's defaults apply).
pub fn from_json(value: serde_json::Value) -> Result<WekaContainer, StepError> {
    serde_json::from_value(value).map_err(|e| {
        StepError::failed("HelperSpecInvalid", format!("helper spec does not decode: {e}"))
    })
}
