//! `weka cluster create`: STEM containers, found by their management IPs, become the first
//! members of a new cluster.

use crate::error::WekaError;
use crate::ids::HostId;
use crate::world::WekaWorld;
use crate::world::cluster::Cluster;
use crate::world::container::ClusterContainer;
use crate::world::local::{AgentKey, Identity, LocalRef, split_ip_port};
use crate::world::schedule::Event;
use crate::world::users::{INITIAL_ADMIN, Role};

/// The arguments of `weka cluster create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateCluster {
    /// Positional hostnames (the operator passes management IPs).
    pub hostnames: Vec<String>,
    /// `--host-ips`: `ip[:port]` per host, same order; members get ids 0, 1, ... in this order.
    pub host_ips: Vec<String>,
    pub join_secret: Option<String>,
    pub admin_password: Option<String>,
    pub leadership_size: Option<u32>,
}

impl WekaWorld {
    /// Forms a cluster; run from `from`, which must not be a member already. The members
    /// become READY/UP after the `cluster_form` latency. Returns the new GUID.
    pub fn create_cluster(
        &mut self,
        from: &AgentKey,
        request: CreateCluster,
    ) -> Result<String, WekaError> {
        self.settle();
        if request.hostnames.len() != request.host_ips.len() {
            return Err(WekaError::HostCountMismatch {
                hostnames: request.hostnames.len(),
                ips: request.host_ips.len(),
            });
        }
        if let Some(agent) = self.agents.get(from)
            && let Some((lc, identity)) =
                agent.containers.values().find_map(|lc| lc.identity.as_ref().map(|i| (lc, i)))
        {
            let ip = lc.spec.management_ips.first().cloned().unwrap_or_default();
            return Err(WekaError::AlreadyInCluster { ip, guid: identity.guid.clone() });
        }
        let mut locals: Vec<LocalRef> = Vec::new();
        for endpoint in &request.host_ips {
            let local = self.find_stem_container(endpoint)?;
            if locals.contains(&local) {
                return Err(WekaError::InvalidSetting(format!("host {endpoint} is listed twice")));
            }
            locals.push(local);
        }

        let now = self.now();
        let guid = self.rng.uuid();
        let mut cluster = Cluster::new(guid.clone(), &self.release, now);
        cluster.join_secret = request.join_secret;
        cluster.settings.leadership_size = request.leadership_size;
        let admin_uid = self.rng.uuid();
        cluster.add_user(
            INITIAL_ADMIN,
            Role::ClusterAdmin,
            request.admin_password.as_deref().unwrap_or("admin"),
            admin_uid,
        );
        for local in locals {
            let host = HostId(cluster.next_host);
            cluster.next_host += 1;
            let lc = self
                .agents
                .get_mut(&local.agent)
                .and_then(|a| a.containers.get_mut(&local.name))
                .ok_or_else(|| WekaError::LocalContainerNotFound(local.name.clone()))?;
            lc.identity = Some(Identity { guid: guid.clone(), host });
            lc.joining = false;
            let member = ClusterContainer::from_spec(host, &lc.spec, local, self.rng.uuid(), now);
            cluster.containers.insert(host, member);
            let event = Event::Connect { guid: guid.clone(), host, epoch: 0 };
            self.schedule.after(now, self.latencies.cluster_form, event);
        }
        self.clusters.insert(guid.clone(), cluster);
        self.settle();
        Ok(guid)
    }

    /// The running, unjoined container that joins clusters and listens at `ip[:port]`.
    fn find_stem_container(&self, endpoint: &str) -> Result<LocalRef, WekaError> {
        let (ip, port) = split_ip_port(endpoint);
        let unreachable = || WekaError::CreateHostUnreachable(endpoint.to_string());
        let (agent, lc) = self
            .agents
            .iter()
            .filter(|(_, a)| a.running)
            .flat_map(|(key, a)| a.containers.values().map(move |lc| (key, lc)))
            .find(|(_, lc)| {
                lc.spec.kind.joins_cluster()
                    && lc.spec.management_ips.iter().any(|i| i == ip)
                    && port.is_none_or(|p| p == lc.spec.port)
            })
            .ok_or_else(unreachable)?;
        if !lc.is_running() {
            return Err(unreachable());
        }
        if let Some(identity) = &lc.identity {
            return Err(WekaError::AlreadyInCluster {
                ip: ip.to_string(),
                guid: identity.guid.clone(),
            });
        }
        Ok(LocalRef { agent: agent.clone(), name: lc.spec.name.clone() })
    }
}
