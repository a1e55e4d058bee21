//! The candidate / leader loop.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

use super::{ElectionConfig, Leadership, LeaseError, LeaseStore};

/// The last Lease record this candidate saw, and when (monotonic) it first saw it.
struct Observed {
    resource_version: Option<String>,
    duration: std::time::Duration,
    at: Instant,
}

/// Outcome of one acquire-or-renew attempt (losing a write race is `Err(Conflict)`).
enum Attempt {
    /// We hold the Lease now.
    Held,
    /// Someone else holds it (or won the race).
    Other(Option<String>),
}

/// One candidate for leadership. [`Elector::run`] loops until `stop` is cancelled, publishing
/// [`Leadership`] on a watch channel.
pub struct Elector<S: LeaseStore> {
    store: S,
    config: ElectionConfig,
    state: watch::Sender<Leadership>,
    observed: Option<Observed>,
}

impl<S: LeaseStore> Elector<S> {
    pub fn new(store: S, config: ElectionConfig) -> (Self, watch::Receiver<Leadership>) {
        let (state, receiver) = watch::channel(Leadership::Unknown);
        (Elector { store, config, state, observed: None }, receiver)
    }

    /// Another receiver of the published leadership.
    pub fn subscribe(&self) -> watch::Receiver<Leadership> {
        self.state.subscribe()
    }

    /// Campaigns, leads, and on `stop` releases the Lease if held.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut term = 0;
        loop {
            if !self.campaign(&stop).await {
                return;
            }
            term += 1;
            tracing::info!(identity = %self.config.identity, lease = self.store.name(), term, "became leader");
            self.publish(Leadership::Leader { term });
            if !self.lead(&stop).await {
                self.release().await;
                return;
            }
        }
    }

    /// Tries every retry period until the Lease is ours (true) or `stop` (false).
    async fn campaign(&mut self, stop: &CancellationToken) -> bool {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Held) => return true,
                Ok(Attempt::Other(holder)) => self.publish(Leadership::Standby { holder }),
                Err(LeaseError::Conflict) => {
                    tracing::debug!("another candidate wrote the Lease first")
                }
                Err(err) => {
                    tracing::warn!(error = %err, lease = self.store.name(), "cannot acquire the leader Lease")
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return false,
                _ = sleep(self.config.retry_period) => {}
            }
        }
    }

    /// Renews every retry period. Returns false on `stop`, true when leadership was lost
    /// (deadline passed without a renewal, or another holder); in that case standby has
    /// already been published.
    async fn lead(&mut self, stop: &CancellationToken) -> bool {
        let mut last_renew = Instant::now();
        loop {
            let deadline = last_renew + self.config.renew_deadline;
            let retry = self.config.retry_period;
            let attempt = async {
                sleep(retry).await;
                self.try_acquire_or_renew().await
            };
            tokio::select! {
                _ = stop.cancelled() => return false,
                _ = sleep_until(deadline) => {
                    tracing::error!(lease = self.store.name(), "could not renew the leader Lease within the renew deadline: stepping down");
                    self.publish(Leadership::Standby { holder: None });
                    return true;
                }
                result = attempt => match result {
                    Ok(Attempt::Held) => last_renew = Instant::now(),
                    Ok(Attempt::Other(holder)) => {
                        tracing::error!(lease = self.store.name(), holder = ?holder, "lost the leader Lease to another holder: stepping down");
                        self.publish(Leadership::Standby { holder });
                        return true;
                    }
                    Err(err) => tracing::warn!(error = %err, lease = self.store.name(), "renewing the leader Lease failed; retrying"),
                }
            }
        }
    }

    async fn try_acquire_or_renew(&mut self) -> Result<Attempt, LeaseError> {
        let me = self.config.identity.clone();
        let now = MicroTime(Timestamp::now());
        let duration_secs = i32::try_from(self.config.lease_duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.store.get().await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.store.name().to_string()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(duration_secs),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.store.create(lease).await {
                Ok(created) => {
                    self.observe(&created);
                    Ok(Attempt::Held)
                }
                Err(err) => Err(err),
            };
        };
        self.observe(&lease);
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = holder_of(&spec);
        if let (Some(other), Some(observed)) = (&holder, &self.observed)
            && *other != me
            && observed.at + observed.duration > Instant::now()
        {
            return Ok(Attempt::Other(Some(other.clone())));
        }
        let renewing = holder.as_deref() == Some(me.as_str());
        let transitions = spec.lease_transitions.unwrap_or(0);
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(me),
            lease_duration_seconds: Some(duration_secs),
            acquire_time: if renewing { spec.acquire_time.clone() } else { Some(now.clone()) },
            renew_time: Some(now),
            lease_transitions: Some(if renewing {
                transitions
            } else {
                transitions.saturating_add(1)
            }),
            ..spec
        });
        match self.store.replace(lease).await {
            Ok(written) => {
                self.observe(&written);
                Ok(Attempt::Held)
            }
            Err(err) => Err(err),
        }
    }

    /// Records the Lease as seen now if it changed since the last look.
    fn observe(&mut self, lease: &Lease) {
        let resource_version = lease.metadata.resource_version.clone();
        if self
            .observed
            .as_ref()
            .is_some_and(|o| o.resource_version == resource_version && resource_version.is_some())
        {
            return;
        }
        let spec = lease.spec.clone().unwrap_or_default();
        let seconds = spec.lease_duration_seconds.filter(|s| *s > 0).map(|s| s as u64);
        self.observed = Some(Observed {
            resource_version,
            duration: seconds
                .map(std::time::Duration::from_secs)
                .unwrap_or(self.config.lease_duration),
            at: Instant::now(),
        });
    }

    /// Gives the Lease up if we hold it: empty holder and a 1 s duration, so a standby takes
    /// over at its next retry.
    async fn release(&mut self) {
        self.publish(Leadership::Standby { holder: None });
        let me = self.config.identity.as_str();
        let lease = match self.store.get().await {
            Ok(Some(lease)) => lease,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "cannot release the leader Lease");
                return;
            }
        };
        let Some(spec) = lease.spec.clone() else { return };
        if holder_of(&spec).as_deref() != Some(me) {
            return;
        }
        let now = MicroTime(Timestamp::now());
        let released = Lease {
            spec: Some(LeaseSpec {
                holder_identity: Some(String::new()),
                lease_duration_seconds: Some(1),
                acquire_time: Some(now.clone()),
                renew_time: Some(now),
                ..spec
            }),
            ..lease
        };
        match self.store.replace(released).await {
            Ok(_) => tracing::info!(lease = self.store.name(), "released the leader Lease"),
            Err(err) => tracing::warn!(error = %err, "cannot release the leader Lease"),
        }
    }

    fn publish(&self, leadership: Leadership) {
        self.state.send_if_modified(|current| {
            if *current == leadership {
                return false;
            }
            *current = leadership;
            true
        });
    }
}

/// The holder of a Lease record; an empty identity means nobody.
fn holder_of(spec: &LeaseSpec) -> Option<String> {
    spec.holder_identity.clone().filter(|h| !h.is_empty())
}
