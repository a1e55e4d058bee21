//! The cluster's first steps: the finalizer and initial status (upstream `InitState`), and
//! the check that the spec names a usable template (ours: upstream fails later, in
//! `EnsureWekaContainers`, on every reconcile).

use serde_json::json;
use weka_api::WekaClusterStatus;
use weka_api::conditions::{Desired, Status};
use weka_api::constants::{conditions as cond, finalizers};

use crate::controllers::cluster::state::ClusterState;
use crate::engine::{StepError, StepFuture};

/// `InitState`: on first sight, status `Init` with `lastAppliedImage = spec.image`, then the
/// finalizer (so that nothing is created for a cluster that could vanish without teardown).
pub fn init_state(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let finalizers = s.cluster.metadata.finalizers.clone().unwrap_or_default();
        if finalizers.iter().any(|f| f == finalizers::WEKA) {
            return Ok(());
        }
        if s.cluster.status.as_ref().is_none_or(|st| st.status.is_empty()) {
            let image = s.cluster.spec.image.clone();
            let status = s.status_mut();
            status.status = WekaClusterStatus::INIT.to_string();
            status.last_applied_image = Some(image);
        } else if s.status().last_applied_image.is_none() {
            s.status_mut().last_applied_image = Some(s.cluster.spec.image.clone());
        }
        s.persist_status().await?;
        let mut list = finalizers;
        list.push(finalizers::WEKA.to_string());
        tracing::info!("adding the finalizer");
        s.patch_guarded("add the finalizer", json!({"metadata": {"finalizers": list}})).await
    })
}

/// `ValidateTemplate`: a spec naming no usable template (unknown name, `dynamic` without
/// `dynamicTemplate`, QLC-only drive ratio, bad pod configuration) is reported on
/// `PodsCreated` and in a Warning event, and the flow waits for the spec to change.
pub fn validate_template(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let Err(err) = &s.template else { return Ok(()) };
        let (reason, message) = (err.reason(), err.to_string());
        // Written with Ready and Progressing when the flow concludes on this wait: one write,
        // and a reader never sees PodsCreated without the matching Ready.
        s.set_condition_now(Desired::new(
            cond::PODS_CREATED,
            Status::False,
            reason,
            message.clone(),
        ));
        s.warn(reason, &message).await;
        Err(StepError::wait(reason, message))
    })
}
