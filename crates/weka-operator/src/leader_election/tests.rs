//! The election state machine against an in-memory Lease, on tokio's paused clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::coordination::v1::Lease;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;

use super::*;

/// One Lease in memory with resourceVersion checks; each peer has its own failure switch.
#[derive(Clone)]
struct MemoryLease {
    lease: Arc<Mutex<(Option<Lease>, u64)>>,
    failing: Arc<AtomicBool>,
}

impl MemoryLease {
    fn new() -> Self {
        MemoryLease { lease: Arc::default(), failing: Arc::default() }
    }

    fn peer(&self) -> Self {
        MemoryLease { lease: self.lease.clone(), failing: Arc::default() }
    }

    fn current(&self) -> Lease {
        self.lease.lock().unwrap().0.clone().expect("lease exists")
    }

    fn write(&self, mut lease: Lease) -> Lease {
        let mut guard = self.lease.lock().unwrap();
        guard.1 += 1;
        lease.metadata.resource_version = Some(guard.1.to_string());
        guard.0 = Some(lease.clone());
        lease
    }

    fn check(&self) -> Result<(), LeaseError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(LeaseError::Api("injected failure".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl LeaseStore for MemoryLease {
    async fn get(&self) -> Result<Option<Lease>, LeaseError> {
        self.check()?;
        Ok(self.lease.lock().unwrap().0.clone())
    }

    async fn create(&self, lease: Lease) -> Result<Lease, LeaseError> {
        self.check()?;
        if self.lease.lock().unwrap().0.is_some() {
            return Err(LeaseError::Conflict);
        }
        Ok(self.write(lease))
    }

    async fn replace(&self, lease: Lease) -> Result<Lease, LeaseError> {
        self.check()?;
        let current_rv =
            self.lease.lock().unwrap().0.as_ref().and_then(|l| l.metadata.resource_version.clone());
        if lease.metadata.resource_version != current_rv {
            return Err(LeaseError::Conflict);
        }
        Ok(self.write(lease))
    }

    fn name(&self) -> &str {
        "ad0b5146.weka.io"
    }
}

const LEASE: Duration = Duration::from_secs(15);
const RENEW: Duration = Duration::from_secs(10);
const RETRY: Duration = Duration::from_secs(2);

struct Candidate {
    identity: String,
    store: MemoryLease,
    state: watch::Receiver<Leadership>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

fn candidate(name: &str, store: MemoryLease) -> Candidate {
    let identity = holder_identity(name);
    let config = ElectionConfig {
        identity: identity.clone(),
        lease_duration: LEASE,
        renew_deadline: RENEW,
        retry_period: RETRY,
    };
    let (elector, state) = Elector::new(store.clone(), config);
    let stop = CancellationToken::new();
    let task = tokio::spawn(elector.run(stop.clone()));
    Candidate { identity, store, state, stop, task }
}

async fn wait_until(c: &mut Candidate, within: Duration, pred: impl Fn(&Leadership) -> bool) {
    timeout(within, c.state.wait_for(|l| pred(l)))
        .await
        .unwrap_or_else(|_| panic!("{} did not reach the state within {within:?}", c.identity))
        .expect("elector alive");
}

fn holder(store: &MemoryLease) -> Option<String> {
    store.current().spec.and_then(|s| s.holder_identity).filter(|h| !h.is_empty())
}

fn transitions(store: &MemoryLease) -> i32 {
    store.current().spec.and_then(|s| s.lease_transitions).unwrap_or(-1)
}

/// Starts two candidates; returns (leader, standby).
async fn elected_pair() -> (Candidate, Candidate) {
    let store = MemoryLease::new();
    let mut a = candidate("a", store.clone());
    let mut b = candidate("b", store.peer());
    wait_until(&mut a, RETRY * 2, Leadership::is_known).await;
    wait_until(&mut b, RETRY * 2, Leadership::is_known).await;
    if a.state.borrow().is_leader() { (a, b) } else { (b, a) }
}

#[tokio::test(start_paused = true)]
async fn exactly_one_of_two_candidates_leads_and_keeps_leading() {
    let (leader, standby) = elected_pair().await;
    assert!(leader.state.borrow().is_leader());
    assert_eq!(
        *standby.state.borrow(),
        Leadership::Standby { holder: Some(leader.identity.clone()) }
    );
    tokio::time::sleep(LEASE * 4).await;
    assert!(leader.state.borrow().is_leader());
    assert!(!standby.state.borrow().is_leader());
    assert_eq!(holder(&leader.store), Some(leader.identity.clone()));
    assert_eq!(transitions(&leader.store), 0, "no flapping while the leader renews");
}

#[tokio::test(start_paused = true)]
async fn a_standby_takes_over_within_the_lease_duration_after_the_leader_dies() {
    let (leader, mut standby) = elected_pair().await;
    tokio::time::sleep(LEASE).await;
    leader.task.abort(); // a crash: no release
    let died = Instant::now();
    wait_until(&mut standby, LEASE + RETRY * 2, Leadership::is_leader).await;
    let took = died.elapsed();
    // The standby counts the lease duration from when it saw the last renewal, which it sees
    // at most one retry period late, and notices expiry at its next retry.
    assert!(took <= LEASE + RETRY * 2, "took {took:?}");
    assert!(took >= LEASE - RETRY, "took over too early: {took:?}");
    assert_eq!(holder(&standby.store), Some(standby.identity.clone()));
    assert_eq!(transitions(&standby.store), 1);
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_cannot_renew_steps_down_before_anyone_else_can_lead() {
    let (mut leader, mut standby) = elected_pair().await;
    leader.store.failing.store(true, Ordering::SeqCst);
    let cut = Instant::now();
    wait_until(&mut leader, RENEW + RETRY, |l| !l.is_leader()).await;
    let stepped_down = cut.elapsed();
    assert!(stepped_down <= RENEW, "stepped down after {stepped_down:?}");
    assert!(!standby.state.borrow().is_leader(), "two leaders at once");
    wait_until(&mut standby, LEASE + RETRY * 2, Leadership::is_leader).await;
    assert!(cut.elapsed() > stepped_down);
    // Back online, the former leader is a standby of the new one.
    leader.store.failing.store(false, Ordering::SeqCst);
    let new_holder = standby.identity.clone();
    wait_until(&mut leader, RETRY * 2, |l| {
        *l == Leadership::Standby { holder: Some(new_holder.clone()) }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_leader_whose_lease_was_taken_steps_down_at_its_next_renewal() {
    let (mut leader, _standby) = elected_pair().await;
    let mut lease = leader.store.current();
    if let Some(spec) = lease.spec.as_mut() {
        spec.holder_identity = Some("intruder".into());
    }
    leader.store.write(lease);
    wait_until(&mut leader, RETRY * 2, |l| {
        *l == Leadership::Standby { holder: Some("intruder".into()) }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn stopping_the_leader_releases_the_lease_for_an_immediate_takeover() {
    let (leader, mut standby) = elected_pair().await;
    leader.stop.cancel();
    leader.task.await.expect("elector ends");
    let spec = leader.store.current().spec.expect("spec");
    assert_eq!(spec.holder_identity.as_deref(), Some(""));
    assert_eq!(spec.lease_duration_seconds, Some(1));
    let released = Instant::now();
    wait_until(&mut standby, RETRY * 2, Leadership::is_leader).await;
    assert!(released.elapsed() <= RETRY, "took {:?}", released.elapsed());
    assert_eq!(transitions(&standby.store), 1);
}

#[tokio::test(start_paused = true)]
async fn stopping_a_standby_leaves_the_lease_alone() {
    let (leader, standby) = elected_pair().await;
    let before = leader.store.current();
    standby.stop.cancel();
    standby.task.await.expect("elector ends");
    assert_eq!(holder(&leader.store), Some(leader.identity.clone()));
    assert_eq!(before.spec.and_then(|s| s.lease_transitions), Some(0));
}

#[test]
fn holder_identities_are_unique_per_process() {
    let a = holder_identity("weka-operator-7d9f");
    let b = holder_identity("weka-operator-7d9f");
    assert!(a.starts_with("weka-operator-7d9f_"));
    assert_ne!(a, b);
}
