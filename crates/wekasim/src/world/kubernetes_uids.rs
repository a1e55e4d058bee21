//! Which pod agent a Kubernetes UID names. The node agent addresses a local container by the
//! UID of its WekaContainer (upstream names the container's socket directory after it); the
//! runtime binds that UID, and the pod's own, to the pod's [`AgentKey`] when the agent starts.

use crate::world::WekaWorld;
use crate::world::local::AgentKey;

impl WekaWorld {
    /// Records that `uid` (a pod's or its WekaContainer's) names `agent`; a later binding of
    /// the same UID replaces it.
    pub fn bind_kubernetes_uid(&mut self, uid: &str, agent: &AgentKey) {
        if !uid.is_empty() {
            self.kubernetes_uids.insert(uid.to_string(), agent.clone());
        }
    }

    /// The agent `uid` was bound to.
    pub fn agent_of_kubernetes_uid(&self, uid: &str) -> Option<&AgentKey> {
        self.kubernetes_uids.get(uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn uids_resolve_to_the_latest_agent_bound() {
        let mut world = WekaWorld::new(ManualClock::new().shared());
        world.bind_kubernetes_uid("", &AgentKey::from("ns/ignored"));
        assert!(world.agent_of_kubernetes_uid("").is_none());
        world.bind_kubernetes_uid("u1", &AgentKey::from("ns/a"));
        world.bind_kubernetes_uid("u1", &AgentKey::from("ns/b"));
        assert_eq!(world.agent_of_kubernetes_uid("u1"), Some(&AgentKey::from("ns/b")));
        assert!(world.agent_of_kubernetes_uid("u2").is_none());
    }
}
