//! Transitions due at a later simulated time, and `settle`, which completes those that are due,
//! starts joins that have become possible, and keeps the degradation clocks in step.

use std::time::{Duration, SystemTime};

use crate::ids::{HostId, NodeId};
use crate::world::WekaWorld;
use crate::world::cluster::IoStatus;
use crate::world::container::{Activation, ClusterContainer};
use crate::world::drive::DrivePhase;
use crate::world::local::{Identity, LocalRef};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A member's local container (re)connects; void if the member disconnected since.
    Connect {
        guid: String,
        host: HostId,
        epoch: u64,
    },
    /// A local container with join IPs becomes a member; void if it stopped since.
    Join {
        local: LocalRef,
        guid: String,
        epoch: u64,
    },
    DriveActive {
        guid: String,
        uuid: String,
    },
    DriveInactive {
        guid: String,
        uuid: String,
    },
    ContainerInactive {
        guid: String,
        host: HostId,
    },
    IoStarted {
        guid: String,
    },
    ProcessRestart {
        guid: String,
        node: NodeId,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Schedule {
    items: Vec<(SystemTime, u64, Event)>,
    seq: u64,
}

impl Schedule {
    pub(crate) fn after(&mut self, now: SystemTime, delay: Duration, event: Event) {
        self.seq += 1;
        self.items.push((now + delay, self.seq, event));
    }

    /// The earliest due event, in the order scheduled among equals.
    fn pop_due(&mut self, now: SystemTime) -> Option<(SystemTime, Event)> {
        let index = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, (at, _, _))| *at <= now)
            .min_by_key(|(_, (at, seq, _))| (*at, *seq))
            .map(|(i, _)| i)?;
        let (at, _, event) = self.items.swap_remove(index);
        Some((at, event))
    }

    /// When the next transition is due, if any is pending.
    pub(crate) fn next_due(&self) -> Option<SystemTime> {
        self.items.iter().map(|(at, _, _)| *at).min()
    }
}

impl WekaWorld {
    /// Completes every transition due by now, in time order. Called before and after every
    /// command and operation; call it (or [`WekaWorld::settled`]) after advancing the clock.
    pub fn settle(&mut self) {
        let now = self.now();
        loop {
            if let Some((at, event)) = self.schedule.pop_due(now) {
                self.apply(event, at);
                self.start_joins(at);
                self.track_degradation(at);
                continue;
            }
            if self.start_joins(now) {
                continue;
            }
            break;
        }
        self.track_degradation(now);
    }

    /// When the next pending transition is due: lets a driver advance its clock straight there.
    pub fn next_transition_at(&self) -> Option<SystemTime> {
        self.schedule.next_due()
    }

    fn track_degradation(&mut self, at: SystemTime) {
        for cluster in self.clusters.values_mut() {
            cluster.track_degradation(at);
        }
    }

    fn apply(&mut self, event: Event, at: SystemTime) {
        match event {
            Event::Connect { guid, host, epoch } => {
                if let Some(c) =
                    self.clusters.get_mut(&guid).and_then(|c| c.containers.get_mut(&host))
                    && c.connect_epoch == epoch
                {
                    c.connected = true;
                }
            }
            Event::Join { local, guid, epoch } => self.complete_join(local, guid, epoch, at),
            Event::DriveActive { guid, uuid } => {
                if let Some(d) = self.clusters.get_mut(&guid).and_then(|c| c.drive_mut(&uuid))
                    && d.phase == DrivePhase::PhasingIn
                {
                    d.phase = DrivePhase::Active;
                }
            }
            Event::DriveInactive { guid, uuid } => {
                if let Some(d) = self.clusters.get_mut(&guid).and_then(|c| c.drive_mut(&uuid))
                    && d.phase == DrivePhase::PhasingOut
                {
                    d.phase = DrivePhase::Inactive;
                }
            }
            Event::ContainerInactive { guid, host } => {
                if let Some(c) =
                    self.clusters.get_mut(&guid).and_then(|c| c.containers.get_mut(&host))
                    && c.activation == Activation::Deactivating
                {
                    c.activation = Activation::Inactive;
                }
            }
            Event::IoStarted { guid } => {
                if let Some(c) = self.clusters.get_mut(&guid)
                    && c.io_status == IoStatus::Starting
                {
                    c.io_status = IoStatus::Started;
                    c.io_status_changed_at = at;
                }
            }
            Event::ProcessRestart { guid, node } => {
                if let Some(c) = self.clusters.get_mut(&guid) {
                    for p in c.containers.values_mut().flat_map(|m| m.processes.iter_mut()) {
                        if p.node == node {
                            p.crashed = false;
                        }
                    }
                }
            }
        }
    }

    fn complete_join(&mut self, local: LocalRef, guid: String, epoch: u64, at: SystemTime) {
        let WekaWorld { clusters, agents, rng, .. } = self;
        let Some(lc) = agents.get_mut(&local.agent).and_then(|a| a.containers.get_mut(&local.name))
        else {
            return;
        };
        if lc.epoch != epoch || !lc.is_running() || lc.identity.is_some() {
            return;
        }
        lc.joining = false;
        let Some(cluster) = clusters.get_mut(&guid) else {
            return;
        };
        let host = HostId(cluster.next_host);
        cluster.next_host += 1;
        let mut member = ClusterContainer::from_spec(host, &lc.spec, local.clone(), rng.uuid(), at);
        member.connected = true;
        cluster.containers.insert(host, member);
        lc.identity = Some(Identity { guid, host });
        lc.last_failure = None;
    }

    /// Schedules joins for running, unjoined containers whose join IPs reach a member.
    /// Returns whether any was scheduled.
    fn start_joins(&mut self, at: SystemTime) -> bool {
        let mut scheduled = false;
        let WekaWorld { clusters, agents, schedule, latencies, faults, .. } = self;
        for (agent_key, agent) in agents.iter_mut() {
            for (name, lc) in agent.containers.iter_mut() {
                if !lc.is_running()
                    || lc.identity.is_some()
                    || lc.joining
                    || lc.spec.join_ips.is_empty()
                {
                    continue;
                }
                if !lc.spec.kind.joins_cluster() {
                    continue;
                }
                let Some(cluster) = lc.spec.join_ips.iter().find_map(|endpoint| {
                    clusters
                        .values()
                        .find(|c| c.members().any(|m| m.is_reachable() && answers_at(m, endpoint)))
                }) else {
                    lc.fail("Could not reach a cluster member at any of the join IPs", at);
                    continue;
                };
                if lc.spec.kind.is_client()
                    && !cluster.admits_client(lc.spec.join_secret.as_deref())
                {
                    lc.fail("Client join rejected: the join secret does not match", at);
                    continue;
                }
                lc.joining = true;
                let delay = latencies.container_join + faults.slow_join(agent_key);
                let local = LocalRef { agent: agent_key.clone(), name: name.clone() };
                schedule.after(
                    at,
                    delay,
                    Event::Join { local, guid: cluster.guid.clone(), epoch: lc.epoch },
                );
                scheduled = true;
            }
        }
        scheduled
    }
}

/// Whether member `m` listens at `ip[:port]`.
pub(crate) fn answers_at(m: &ClusterContainer, endpoint: &str) -> bool {
    let (ip, port) = crate::world::local::split_ip_port(endpoint);
    m.ips.iter().any(|i| i == ip) && port.is_none_or(|p| p == m.port)
}
