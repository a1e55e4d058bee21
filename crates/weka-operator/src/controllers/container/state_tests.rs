//! Status writes against kubesim: a pass that read an older copy of the object must not
//! overwrite conditions another pass stored since; a young wait is written only with other
//! changes.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use kubesim::{Kubesim, KubesimConfig};
use serde_json::json;
use weka_api::conditions::{self, Desired, Status};
use weka_api::wekacontainer::WekaContainer;

use super::outcome;
use super::shared::{Shared, Timing};
use super::state::{CONFLICT, ContainerState};
use crate::config::Config;
use crate::engine::{FlowOutcome, FlowReport, StepError, Wait};
use crate::metrics::Metrics;
use crate::runtime::Context;

const NS: &str = "default";

async fn stored_container(client: &Client) -> WekaContainer {
    let container: WekaContainer = serde_json::from_value(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {"name": "compute-a", "namespace": NS},
        "spec": {"name": "compute-a", "mode": "compute", "image": "quay.io/weka.io/weka-in-container:4.4.1",
                 "numCores": 1, "nodeSelector": {}},
    }))
    .expect("a container");
    Api::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &container)
        .await
        .expect("created")
}

fn state_of(client: &Client, container: WekaContainer) -> ContainerState {
    state_sharing(client, container, Arc::new(Shared::new(Timing::default())))
}

fn state_sharing(client: &Client, container: WekaContainer, shared: Arc<Shared>) -> ContainerState {
    let config = Config::try_parse_from(["weka-operator"]).expect("default config");
    let context =
        Context::new(client.clone(), Arc::new(config), Arc::new(Metrics::new()), "test".into());
    ContainerState::new(Arc::new(context), shared, container)
}

fn has_condition(container: &WekaContainer, type_: &str) -> bool {
    let list = container.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or_default();
    conditions::is_true(list, type_)
}

#[tokio::test]
async fn a_status_write_from_a_stale_copy_is_refused_and_the_newer_conditions_stay() {
    let sim =
        Kubesim::start(KubesimConfig { nodes: 0, ..Default::default() }).await.expect("kubesim");
    let client = sim.client();
    crate::commands::simulate::prerequisites::install_crds(&client).await.expect("CRDs");
    let api: Api<WekaContainer> = Api::namespaced(client.clone(), NS);
    let stale = stored_container(&client).await;

    // Another pass, on the current copy, stores a condition.
    let mut current = state_of(&client, stale.clone());
    current.set_condition_now(Desired::new("MigratedOutFromPVC", Status::True, "Done", ""));
    current.persist_status().await.expect("the current copy writes");

    // The pass that still holds the older copy writes its own condition: refused.
    let mut late = state_of(&client, stale);
    late.set_condition_now(Desired::new("ContainerDeactivated", Status::True, "Done", ""));
    match late.persist_status().await {
        Err(StepError::Wait(wait)) => assert_eq!(wait.reason, CONFLICT),
        other => panic!("a stale status write must meet a conflict, got {other:?}"),
    }
    let stored = api.get("compute-a").await.expect("read");
    assert!(has_condition(&stored, "MigratedOutFromPVC"), "the newer condition stays");
    assert!(!has_condition(&stored, "ContainerDeactivated"), "the stale write did not land");

    // Started over on the fresh copy, the same pass keeps both.
    let mut again = state_of(&client, stored);
    again.set_condition_now(Desired::new("ContainerDeactivated", Status::True, "Done", ""));
    again.persist_status().await.expect("the fresh copy writes");
    let stored = api.get("compute-a").await.expect("read");
    assert!(
        has_condition(&stored, "MigratedOutFromPVC")
            && has_condition(&stored, "ContainerDeactivated")
    );

    // A spec change by someone else makes the copy stale too.
    let mut before_spec_change = state_of(&client, stored);
    let spec = json!({"spec": {"image": "quay.io/weka.io/weka-in-container:4.4.2"}});
    api.patch("compute-a", &PatchParams::default(), &Patch::Merge(&spec))
        .await
        .expect("spec patched");
    before_spec_change.set_condition_now(Desired::new("Other", Status::True, "Done", ""));
    assert!(before_spec_change.persist_status().await.is_err(), "older than the spec change");
}

fn waiting(reason: &'static str) -> FlowReport {
    let wait = Wait { reason, message: format!("waiting: {reason}"), recheck_after: None };
    FlowReport { outcome: FlowOutcome::Waiting { step: "someStep", wait }, trace: Vec::new() }
}

fn ready_reason(container: &WekaContainer) -> Option<String> {
    let list = container.status.as_ref()?.conditions.as_deref()?;
    conditions::find(list, "Ready").map(|c| c.reason.clone())
}

#[tokio::test]
async fn a_wait_that_changes_nothing_else_is_written_only_once_it_lasts() {
    let sim =
        Kubesim::start(KubesimConfig { nodes: 0, ..Default::default() }).await.expect("kubesim");
    let client = sim.client();
    crate::commands::simulate::prerequisites::install_crds(&client).await.expect("CRDs");
    let api: Api<WekaContainer> = Api::namespaced(client.clone(), NS);
    stored_container(&client).await;
    let lasting = Duration::from_secs(3600);
    let shared = Arc::new(Shared::new(Timing { record_waits_after: lasting, ..Timing::default() }));
    let conclude_on_stored = async |report: FlowReport, change: fn(&mut ContainerState)| {
        let mut state =
            state_sharing(&client, api.get("compute-a").await.expect("read"), shared.clone());
        change(&mut state);
        outcome::conclude(report, &mut state).await.expect("concluded");
        api.get("compute-a").await.expect("read")
    };

    // The first status a container gets is written at once.
    let stored = conclude_on_stored(waiting("PodNotScheduled"), |_| {}).await;
    assert_eq!(ready_reason(&stored).as_deref(), Some("PodNotScheduled"));
    // A new wait alone is not written while it is young...
    let stored = conclude_on_stored(waiting("WaitForDrivers"), |_| {}).await;
    assert_eq!(ready_reason(&stored).as_deref(), Some("PodNotScheduled"));
    // ...but rides along with any other change of the status.
    let affinity = |s: &mut ContainerState| {
        s.set_condition_now(Desired::new("ContainerAffinitySet", Status::True, "Set", ""));
    };
    let stored = conclude_on_stored(waiting("WaitForDrivers"), affinity).await;
    assert_eq!(ready_reason(&stored).as_deref(), Some("WaitForDrivers"));
    assert!(has_condition(&stored, "ContainerAffinitySet"));

    // A wait that lasted is written on the pass that finds it still there.
    let quick =
        Arc::new(Shared::new(Timing { record_waits_after: Duration::ZERO, ..Timing::default() }));
    let mut state = state_sharing(&client, stored, quick);
    outcome::conclude(waiting("FeatureFlagsPending"), &mut state).await.expect("concluded");
    let stored = api.get("compute-a").await.expect("read");
    assert_eq!(ready_reason(&stored).as_deref(), Some("FeatureFlagsPending"));
}

#[test]
fn own_status_writes_are_recognised_and_a_cache_behind_them_waits() {
    let shared = Shared::new(Timing::default());
    let within = std::time::Duration::from_secs(2);
    shared.wrote_status("u1", Some("11"));
    shared.wrote_status("u1", Some("12"));
    // A cache still at 10 is behind the pass's writes.
    assert!(shared.awaits_own_echo("u1", Some("10"), within));
    // The echo of 11 starts no pass; another writer's version does.
    assert!(shared.is_own_status_write("u1", Some("11")));
    assert!(!shared.is_own_status_write("u1", Some("13")));
    assert!(!shared.is_own_status_write("u2", Some("12")));
    // At 11 the cache is still behind the write of 12.
    assert!(shared.awaits_own_echo("u1", Some("11"), within));
    // Caught up (even if the echo raced ahead of the write's answer): nothing to wait for.
    assert!(!shared.awaits_own_echo("u1", Some("12"), within));
    assert!(!shared.awaits_own_echo("u1", Some("10"), within), "forgotten once caught up");
    // Versions that are not numbers are trusted; old writes expire.
    shared.wrote_status("u3", Some("5"));
    assert!(!shared.awaits_own_echo("u3", Some("opaque"), within));
    assert!(!shared.awaits_own_echo("u3", Some("4"), std::time::Duration::ZERO));
}
