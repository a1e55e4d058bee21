//! Active wekafs mounts of client containers: what the node agent reads from the driver's
//! interface files (`/proc/wekafs/<container>/interface`, `/proc/wekafs/interface`). Nothing in
//! the simulation mounts filesystems, so the count is 0 until a test sets it; the operator
//! refuses to remove a client that still has mounts. The `umount` ad-hoc operation unmounts
//! them all from the node's host.

use crate::error::WekaError;
use crate::world::WekaWorld;
use crate::world::local::AgentKey;

impl WekaWorld {
    /// Sets the active mounts of a local container (tests, `simulate` scenarios).
    pub fn set_active_mounts(
        &mut self,
        agent: &AgentKey,
        name: &str,
        mounts: u64,
    ) -> Result<(), WekaError> {
        let container = self
            .agents
            .get_mut(agent)
            .and_then(|a| a.containers.get_mut(name))
            .ok_or_else(|| WekaError::LocalContainerNotFound(name.to_string()))?;
        container.active_mounts = mounts;
        Ok(())
    }

    /// The active mounts of one local container (its own driver interface).
    pub fn active_mounts(&self, agent: &AgentKey, name: &str) -> Option<u64> {
        self.local_container(agent, name).map(|c| c.active_mounts)
    }

    /// The active mounts of a node's driver: those of every local container on the node.
    pub fn node_active_mounts(&self, node: &str) -> u64 {
        self.agents
            .values()
            .flat_map(|a| a.containers.values())
            .filter(|c| c.spec.hostname == node)
            .map(|c| c.active_mounts)
            .sum()
    }

    /// Unmounts every wekafs mount on `node` (what `umount` of each of them from the host's
    /// mount namespace does): each local container on the node ends with none. Returns the
    /// mount points, one per mount: `/mnt/weka/<n>` numbered across the node (the simulation
    /// counts mounts but keeps no paths).
    pub fn unmount_node(&mut self, node: &str) -> Vec<String> {
        let mut unmounted = Vec::new();
        let on_node = self.agents.values_mut().flat_map(|a| a.containers.values_mut());
        for container in on_node.filter(|c| c.spec.hostname == node) {
            for _ in 0..std::mem::take(&mut container.active_mounts) {
                unmounted.push(format!("/mnt/weka/{}", unmounted.len()));
            }
        }
        unmounted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::world::local::{ContainerKind, LocalContainerSpec};

    fn world_with_clients() -> WekaWorld {
        let mut world = WekaWorld::new(ManualClock::new().shared());
        for (agent, node) in [("ns/c1", "node-1"), ("ns/c2", "node-1"), ("ns/c3", "node-2")] {
            let key = AgentKey::from(agent);
            world.start_agent(&key);
            let mut spec =
                LocalContainerSpec::new("client", ContainerKind::Client, "10.0.0.1", 14000);
            spec.hostname = node.to_string();
            world.setup_local_container(&key, spec).unwrap();
        }
        world
    }

    #[test]
    fn mounts_default_to_zero_and_add_up_per_node() {
        let mut world = world_with_clients();
        let c1 = AgentKey::from("ns/c1");
        assert_eq!(world.active_mounts(&c1, "client"), Some(0));
        assert_eq!(world.node_active_mounts("node-1"), 0);
        world.set_active_mounts(&c1, "client", 2).unwrap();
        world.set_active_mounts(&AgentKey::from("ns/c2"), "client", 3).unwrap();
        world.set_active_mounts(&AgentKey::from("ns/c3"), "client", 7).unwrap();
        assert_eq!(world.active_mounts(&c1, "client"), Some(2));
        assert_eq!(world.node_active_mounts("node-1"), 5);
        assert_eq!(world.node_active_mounts("node-2"), 7);
        assert_eq!(world.node_active_mounts("node-3"), 0);
    }

    #[test]
    fn unmounting_a_node_clears_its_containers_mounts_only() {
        let mut world = world_with_clients();
        world.set_active_mounts(&AgentKey::from("ns/c1"), "client", 2).unwrap();
        world.set_active_mounts(&AgentKey::from("ns/c2"), "client", 1).unwrap();
        world.set_active_mounts(&AgentKey::from("ns/c3"), "client", 4).unwrap();
        assert_eq!(world.unmount_node("node-1"), ["/mnt/weka/0", "/mnt/weka/1", "/mnt/weka/2"]);
        assert_eq!(world.node_active_mounts("node-1"), 0);
        assert_eq!(world.node_active_mounts("node-2"), 4);
        assert!(world.unmount_node("node-1").is_empty());
    }

    #[test]
    fn setting_mounts_of_an_unknown_container_fails() {
        let mut world = world_with_clients();
        let err = world.set_active_mounts(&AgentKey::from("ns/c1"), "nope", 1).unwrap_err();
        assert_eq!(err, WekaError::LocalContainerNotFound("nope".into()));
        assert_eq!(world.active_mounts(&AgentKey::from("ns/none"), "client"), None);
    }
}
