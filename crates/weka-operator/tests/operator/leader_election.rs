//! Two operator instances against kubesim: one leads, the other stands by; the standby takes
//! over when the leader dies (within the lease duration) or shuts down (at once), and the
//! controllers keep reconciling.

use std::time::{Duration, Instant};

use crate::common::*;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use weka_operator::leader_election::Leadership;
use weka_operator::runtime::OperatorHandle;

const LEASE: Duration = Duration::from_secs(2);
const RETRY: Duration = Duration::from_millis(200);
const LEASE_NAME: &str = "ad0b5146.weka.io";

/// Starts two instances; returns (leader, standby) once both know their role.
async fn elected_pair(
    sim: &kubesim::KubesimHandle,
    seen: &Reconciled,
) -> (OperatorHandle, OperatorHandle) {
    let config = test_config(&["--enable-leader-election"]);
    let a = start_operator(sim, config.clone(), seen).await;
    let b = start_operator(sim, config, seen).await;
    eventually("one leader and one standby", Duration::from_secs(10), || async {
        let (la, lb) = (a.leadership().borrow().clone(), b.leadership().borrow().clone());
        match (la, lb) {
            (Leadership::Leader { .. }, Leadership::Standby { .. }) => Some(()),
            (Leadership::Standby { .. }, Leadership::Leader { .. }) => Some(()),
            _ => None,
        }
    })
    .await;
    if a.leadership().borrow().is_leader() { (a, b) } else { (b, a) }
}

async fn lease(sim: &kubesim::KubesimHandle) -> (Option<String>, Option<i32>) {
    let lease =
        Api::<Lease>::namespaced(sim.client(), "default").get(LEASE_NAME).await.expect("lease");
    let spec = lease.spec.unwrap_or_default();
    (spec.holder_identity, spec.lease_transitions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_instance_leads_and_a_standby_takes_over_when_it_dies() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    create_config_map(&client, "before").await;
    let seen = Reconciled::default();
    let (leader, standby) = elected_pair(&sim, &seen).await;
    let (leader_id, standby_id) = (leader.identity().to_string(), standby.identity().to_string());
    assert_eq!(lease(&sim).await.0.as_deref(), Some(leader_id.as_str()));

    eventually("the leader reconciles", Duration::from_secs(10), || async {
        reconciled_by(&seen, &leader_id, "before").then_some(())
    })
    .await;
    // Only the leader reconciles, though both caches are synced.
    eventually("the standby is ready too", Duration::from_secs(10), || async {
        let addr = standby.health_addr()?;
        (http_get(addr, "/readyz").await.0 == 200).then_some(())
    })
    .await;
    assert!(
        !seen.lock().unwrap().iter().any(|(who, _)| *who == standby_id),
        "the standby reconciled"
    );

    drop(leader); // a crash: no release
    let died = Instant::now();
    let mut state = standby.leadership();
    tokio::time::timeout(
        LEASE + RETRY * 2 + Duration::from_secs(1),
        state.wait_for(Leadership::is_leader),
    )
    .await
    .expect("the standby takes over within the lease duration")
    .expect("election running");
    let took = died.elapsed();
    assert!(took <= LEASE + RETRY * 2 + Duration::from_secs(1), "took {took:?}");
    assert_eq!(lease(&sim).await, (Some(standby_id.clone()), Some(1)));

    // The new leader reconciles what it missed and what comes next.
    create_config_map(&client, "after").await;
    eventually("the new leader reconciles", Duration::from_secs(10), || async {
        (reconciled_by(&seen, &standby_id, "before") && reconciled_by(&seen, &standby_id, "after"))
            .then_some(())
    })
    .await;
    standby.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_shutting_down_releases_the_lease_so_the_standby_takes_over_at_once() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    let seen = Reconciled::default();
    let (leader, standby) = elected_pair(&sim, &seen).await;
    let standby_id = standby.identity().to_string();

    leader.shutdown().await;
    let released = Instant::now();
    let (holder, _) = lease(&sim).await;
    assert!(holder.as_deref().is_none_or(|h| h.is_empty() || h == standby_id), "holder {holder:?}");
    let mut state = standby.leadership();
    tokio::time::timeout(LEASE, state.wait_for(Leadership::is_leader))
        .await
        .expect("the standby takes over before the lease would have expired")
        .expect("election running");
    assert!(released.elapsed() < LEASE, "took {:?}", released.elapsed());

    create_config_map(&client, "after").await;
    eventually("the new leader reconciles", Duration::from_secs(10), || async {
        reconciled_by(&seen, &standby_id, "after").then_some(())
    })
    .await;
    standby.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_cannot_renew_stops_reconciling() {
    let sim = kubesim().await;
    let client = sim.client();
    install_crds(&client, None).await;
    create_namespace(&client, TEST_NAMESPACE).await;
    let seen = Reconciled::default();
    let config = test_config(&["--enable-leader-election"]);
    let only = start_operator(&sim, config, &seen).await;
    let mut state = only.leadership();
    tokio::time::timeout(Duration::from_secs(10), state.wait_for(Leadership::is_leader))
        .await
        .expect("leads")
        .expect("election running");

    // Every Lease write fails from now on.
    let fault = sim.faults().add(
        kubesim::FaultRule::new(kubesim::FaultAction::internal_error())
            .resource("leases")
            .verb("update"),
    );
    tokio::time::timeout(Duration::from_secs(3), state.wait_for(|l| !l.is_leader()))
        .await
        .expect("steps down within the renew deadline")
        .expect("election running");
    create_config_map(&client, "while-standby").await;
    // Not leading: nothing is reconciled while the Lease cannot be renewed...
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!reconciled_by(&seen, only.identity(), "while-standby"));
    // ...and once the API server recovers, it leads and reconciles again.
    sim.faults().remove(fault);
    eventually("leads and reconciles again", Duration::from_secs(10), || async {
        reconciled_by(&seen, only.identity(), "while-standby").then_some(())
    })
    .await;
    only.shutdown().await;
}
