//! What the in-pod runtime (and `weka local ...`) does to local containers: start and stop the
//! agent, set up, start, stop and remove containers, change their join IPs; and which cluster
//! a pod's commands reach.

use crate::error::WekaError;
use crate::world::WekaWorld;
use crate::world::local::{
    AgentKey, BlockDevice, DisplayStatus, LocalAgent, LocalContainer, LocalContainerSpec, RunStatus,
};
use crate::world::schedule::Event;

impl WekaWorld {
    /// The pod's agent is up (created on first start, with no containers).
    pub fn start_agent(&mut self, agent: &AgentKey) {
        self.settle();
        self.agents.entry(agent.clone()).or_default().running = true;
    }

    /// The agent goes down with the pod: its containers stop (members go DOWN) but keep their
    /// setup and identity for the next pod.
    pub fn stop_agent(&mut self, agent: &AgentKey) {
        let names: Vec<String> = self
            .agents
            .get(agent)
            .map(|a| a.containers.keys().cloned().collect())
            .unwrap_or_default();
        for name in names {
            let _ = self.stop_local_container(agent, &name);
        }
        if let Some(a) = self.agents.get_mut(agent) {
            a.running = false;
        }
    }

    /// `weka local setup container`: creates the container stopped, or updates its spec.
    pub fn setup_local_container(
        &mut self,
        agent: &AgentKey,
        spec: LocalContainerSpec,
    ) -> Result<(), WekaError> {
        self.settle();
        let agent = self.running_agent_mut(agent)?;
        match agent.containers.get_mut(&spec.name) {
            Some(existing) => existing.spec = spec,
            None => {
                agent.containers.insert(spec.name.clone(), LocalContainer::new(spec));
            }
        }
        Ok(())
    }

    /// `weka local start`: a member reconnects, a container with join IPs starts joining, any
    /// other stays in STEM.
    pub fn start_local_container(&mut self, agent: &AgentKey, name: &str) -> Result<(), WekaError> {
        self.settle();
        let now = self.now();
        let delay = self.latencies.container_join + self.faults.slow_join(agent);
        let WekaWorld { agents, clusters, schedule, .. } = self;
        let lc = running_agent(agents, agent)?.local_mut(name)?;
        if lc.is_running() {
            return Ok(());
        }
        lc.run = RunStatus::Running;
        lc.epoch += 1;
        lc.started_at = Some(now);
        if let Some(identity) = &lc.identity {
            match clusters
                .get_mut(&identity.guid)
                .and_then(|c| c.containers.get_mut(&identity.host))
            {
                Some(member) => {
                    member.connect_epoch += 1;
                    let event = Event::Connect {
                        guid: identity.guid.clone(),
                        host: identity.host,
                        epoch: member.connect_epoch,
                    };
                    schedule.after(now, delay, event);
                }
                None => {
                    let message =
                        format!("{} was removed from cluster {}", identity.host, identity.guid);
                    lc.fail(&message, now);
                }
            }
        }
        self.settle();
        Ok(())
    }

    /// `weka local stop`: the member (if any) goes DOWN.
    pub fn stop_local_container(&mut self, agent: &AgentKey, name: &str) -> Result<(), WekaError> {
        self.settle();
        let WekaWorld { agents, clusters, .. } = self;
        let lc = agents.get_mut(agent).ok_or(WekaError::AgentNotRunning)?.local_mut(name)?;
        if !lc.is_running() {
            return Ok(());
        }
        lc.run = RunStatus::Stopped;
        lc.epoch += 1;
        lc.joining = false;
        lc.started_at = None;
        if let Some(identity) = &lc.identity
            && let Some(member) =
                clusters.get_mut(&identity.guid).and_then(|c| c.containers.get_mut(&identity.host))
        {
            member.connected = false;
            member.connect_epoch += 1;
        }
        self.settle();
        Ok(())
    }

    /// `weka local rm --force`: stops and forgets the container (its member, if any, stays in
    /// the cluster, DOWN, until removed there).
    pub fn remove_local_container(
        &mut self,
        agent: &AgentKey,
        name: &str,
    ) -> Result<(), WekaError> {
        self.stop_local_container(agent, name)?;
        let removed = self.agents.get_mut(agent).and_then(|a| a.containers.remove(name));
        if let Some(identity) = removed.and_then(|lc| lc.identity)
            && let Some(member) = self
                .clusters
                .get_mut(&identity.guid)
                .and_then(|c| c.containers.get_mut(&identity.host))
        {
            member.local = None;
        }
        Ok(())
    }

    /// `weka local resources join-ips ...`: staged until [`WekaWorld::apply_local_resources`].
    pub fn stage_join_ips(
        &mut self,
        agent: &AgentKey,
        name: &str,
        join_ips: Vec<String>,
    ) -> Result<(), WekaError> {
        running_agent(&mut self.agents, agent)?.local_mut(name)?.staged_join_ips = Some(join_ips);
        Ok(())
    }

    /// `weka local resources apply`: staged changes take effect at the next start.
    pub fn apply_local_resources(&mut self, agent: &AgentKey, name: &str) -> Result<(), WekaError> {
        let lc = running_agent(&mut self.agents, agent)?.local_mut(name)?;
        if let Some(join_ips) = lc.staged_join_ips.take() {
            lc.spec.join_ips = join_ips;
        }
        Ok(())
    }

    /// The block devices the pod sees (drive containers), for `cluster drive add`.
    pub fn set_block_devices(
        &mut self,
        agent: &AgentKey,
        name: &str,
        devices: Vec<BlockDevice>,
    ) -> Result<(), WekaError> {
        running_agent(&mut self.agents, agent)?.local_mut(name)?.spec.block_devices = devices;
        Ok(())
    }

    /// What `weka local ps` shows as `internalStatus.display_status`.
    pub fn display_status(&self, lc: &LocalContainer) -> DisplayStatus {
        match &lc.identity {
            Some(identity) => {
                let connected = self
                    .clusters
                    .get(&identity.guid)
                    .and_then(|c| c.container(identity.host))
                    .is_some_and(|m| m.connected);
                if connected && lc.is_running() {
                    DisplayStatus::Ready
                } else {
                    DisplayStatus::Clusterizing
                }
            }
            None if lc.joining || !lc.spec.join_ips.is_empty() => DisplayStatus::Clusterizing,
            None => DisplayStatus::Stem,
        }
    }

    /// The cluster a command run in this pod reaches: that of its joined, running, connected
    /// container.
    pub fn cluster_for_agent(&self, agent: &AgentKey) -> Result<String, WekaError> {
        let a = self.agents.get(agent).filter(|a| a.running).ok_or(WekaError::AgentNotRunning)?;
        let first = a.containers.values().next().ok_or(WekaError::NoLocalContainer)?;
        let Some(lc) = a.containers.values().find(|lc| lc.identity.is_some()) else {
            return Err(if a.containers.values().any(|lc| lc.is_running()) {
                WekaError::NotInCluster
            } else {
                WekaError::LocalNotRunning(first.spec.name.clone())
            });
        };
        if !lc.is_running() {
            return Err(WekaError::LocalNotRunning(lc.spec.name.clone()));
        }
        let identity = lc.identity.as_ref().ok_or(WekaError::NotInCluster)?;
        match self.clusters.get(&identity.guid).and_then(|c| c.container(identity.host)) {
            Some(member) if member.is_reachable() => Ok(identity.guid.clone()),
            _ => Err(WekaError::NotConnected(lc.spec.name.clone())),
        }
    }

    /// The agent of the local container listening at `ip` (for `weka -H <ip> ...`).
    pub fn agent_by_ip(&self, ip: &str) -> Option<&AgentKey> {
        self.agents
            .iter()
            .find(|(_, a)| {
                a.containers.values().any(|lc| lc.spec.management_ips.iter().any(|i| i == ip))
            })
            .map(|(key, _)| key)
    }

    fn running_agent_mut(&mut self, agent: &AgentKey) -> Result<&mut LocalAgent, WekaError> {
        running_agent(&mut self.agents, agent)
    }
}

fn running_agent<'a>(
    agents: &'a mut std::collections::BTreeMap<AgentKey, LocalAgent>,
    agent: &AgentKey,
) -> Result<&'a mut LocalAgent, WekaError> {
    agents.get_mut(agent).filter(|a| a.running).ok_or(WekaError::AgentNotRunning)
}

impl LocalAgent {
    fn local_mut(&mut self, name: &str) -> Result<&mut LocalContainer, WekaError> {
        self.containers
            .get_mut(name)
            .ok_or_else(|| WekaError::LocalContainerNotFound(name.to_string()))
    }
}
