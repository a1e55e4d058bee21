//! [`WekaRuntime`]: what installing the runtime gives back. It holds the world all WEKA pods
//! of one kubesim instance share, the WEKA-side state of the simulated nodes (drivers loaded,
//! disks signed), and the switches tests and `simulate` use (faults, drivers).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use kubesim::nodes::behaviour::{BehaviourRegistry, Selector};

use super::WEKA_CONTAINER;
use super::behaviour::RuntimeBehaviour;
use super::disks::{KernelDrive, NodeDisk, node_disks};
use crate::faults::Faults;
use crate::world::WekaWorld;

/// 3.84 TB, a common NVMe size.
const DEFAULT_DISK_SIZE: u64 = 3_840_755_982_336;

/// How the simulated nodes look to the runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// NVMe disks per node ([`node_disks`]).
    pub disks_per_node: usize,
    pub disk_size_bytes: u64,
    /// Nodes start with the WEKA drivers loaded; else a drivers-loader pod loads them.
    pub drivers_preloaded: bool,
    /// Node disks start signed for WEKA; else a sign-drives operation signs them.
    pub disks_presigned: bool,
    /// What `feature_flags.json` (and feature-flags results) report.
    pub feature_flags: BTreeMap<String, bool>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            disks_per_node: 8,
            disk_size_bytes: DEFAULT_DISK_SIZE,
            drivers_preloaded: true,
            disks_presigned: true,
            feature_flags: default_feature_flags(),
        }
    }
}

/// The flags upstream's runtime knows, as a 4.4 release sets them.
pub fn default_feature_flags() -> BTreeMap<String, bool> {
    [
        ("agent_validate_60_ports_per_container", true),
        ("allow_per_container_driver_interfaces", true),
        ("driver_supports_auto_drain", true),
        ("ssd_proxy_iommu_support", false),
        ("supports_binding_to_not_all_interfaces", true),
        ("traces_override_in_slash_traces", true),
        ("traces_override_partial_support", true),
        ("weka_get_copy_local_driver_files", true),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[derive(Clone, Debug, Default)]
struct NodeState {
    /// `None`: as configured.
    drivers_loaded: Option<bool>,
    signed: BTreeSet<String>,
    /// UUIDs of WEKA drives whose signature on this node's disks was erased by a forced
    /// re-sign: the disks no longer name those drives' cluster.
    erased: BTreeSet<String>,
}

/// The installed runtime: cheap to clone, shared by every WEKA pod it runs.
#[derive(Clone)]
pub struct WekaRuntime(Arc<Inner>);

struct Inner {
    world: Arc<Mutex<WekaWorld>>,
    config: RuntimeConfig,
    nodes: Mutex<BTreeMap<String, NodeState>>,
}

impl WekaRuntime {
    pub fn new(world: Arc<Mutex<WekaWorld>>, config: RuntimeConfig) -> Self {
        WekaRuntime(Arc::new(Inner { world, config, nodes: Mutex::new(BTreeMap::new()) }))
    }

    /// Runs the `weka-container` container of pods whose image starts with `image_prefix`.
    pub fn install(&self, registry: &BehaviourRegistry, image_prefix: &str) {
        let prefix = image_prefix.to_string();
        let selector = Selector::Custom(Arc::new(move |_, container| {
            container.name == WEKA_CONTAINER
                && container.image.as_deref().is_some_and(|i| i.starts_with(prefix.as_str()))
        }));
        registry.register(selector, Arc::new(RuntimeBehaviour::new(self.clone())));
    }

    pub fn world(&self) -> &Arc<Mutex<WekaWorld>> {
        &self.0.world
    }

    /// The world, locked (a poisoned lock is taken over: the world has no invariants a
    /// panicking reader could break).
    pub fn lock_world(&self) -> MutexGuard<'_, WekaWorld> {
        self.0.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the settled world: inspection and direct operations.
    pub fn with_world<R>(&self, f: impl FnOnce(&mut WekaWorld) -> R) -> R {
        let mut world = self.lock_world();
        world.settle();
        f(&mut world)
    }

    /// Switches faults: `runtime.with_faults(|f| f.drive_failed(&guid, &uuid, true))`.
    pub fn with_faults<R>(&self, f: impl FnOnce(&mut Faults<'_>) -> R) -> R {
        let mut world = self.lock_world();
        f(&mut world.faults())
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.0.config
    }

    /// The disks of a node (see [`node_disks`]).
    pub fn node_disks(&self, node: &str) -> Vec<NodeDisk> {
        node_disks(node, self.0.config.disks_per_node, self.0.config.disk_size_bytes)
    }

    pub fn drivers_loaded(&self, node: &str) -> bool {
        let nodes = self.nodes();
        nodes.get(node).and_then(|n| n.drivers_loaded).unwrap_or(self.0.config.drivers_preloaded)
    }

    /// Loads (or, as a fault, unloads) the WEKA drivers of a node.
    pub fn set_drivers_loaded(&self, node: &str, loaded: bool) {
        self.nodes().entry(node.to_string()).or_default().drivers_loaded = Some(loaded);
    }

    /// Serials of the node's disks signed for WEKA.
    pub fn signed_disks(&self, node: &str) -> BTreeSet<String> {
        let disks = self.node_disks(node);
        if self.0.config.disks_presigned {
            return disks.into_iter().map(|d| d.serial).collect();
        }
        self.nodes().get(node).map(|n| n.signed.clone()).unwrap_or_default()
    }

    /// Signs disks of a node (what a sign-drives operation does).
    pub fn sign_disks(&self, node: &str, serials: impl IntoIterator<Item = String>) {
        self.nodes().entry(node.to_string()).or_default().signed.extend(serials);
    }

    /// Re-signs disks of a node even if they carry a cluster's signature (what a
    /// force-resign-drives operation does): the WEKA drives the world knows on those disks
    /// stop showing in the kernel's view of them.
    pub fn resign_disks(&self, node: &str, serials: &[String]) {
        let uuids: Vec<String> = {
            let world = self.lock_world();
            world
                .clusters()
                .flat_map(|c| c.drives.values())
                .filter(|d| serials.iter().any(|s| s == d.serial.trim()))
                .map(|d| d.uuid.clone())
                .collect()
        };
        let mut nodes = self.nodes();
        let state = nodes.entry(node.to_string()).or_default();
        state.signed.extend(serials.iter().cloned());
        state.erased.extend(uuids);
    }

    /// The node's WEKA-signed disks as its kernel shows them (`drives.json`, discovery).
    pub fn kernel_drives(&self, node: &str) -> Vec<KernelDrive> {
        let signed = self.signed_disks(node);
        let erased = self.erased_drives(node);
        let world = self.lock_world();
        self.node_disks(node)
            .iter()
            .filter(|d| signed.contains(&d.serial))
            .map(|d| KernelDrive::of(d, &world, &erased))
            .collect()
    }

    /// UUIDs of the WEKA drives whose signature was erased from the node's disks.
    pub fn erased_drives(&self, node: &str) -> BTreeSet<String> {
        self.nodes().get(node).map(|n| n.erased.clone()).unwrap_or_default()
    }

    fn nodes(&self) -> MutexGuard<'_, BTreeMap<String, NodeState>> {
        self.0.nodes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn runtime(config: RuntimeConfig) -> WekaRuntime {
        let world = WekaWorld::new(ManualClock::new().shared());
        WekaRuntime::new(Arc::new(Mutex::new(world)), config)
    }

    #[test]
    fn node_state_starts_as_configured_and_can_be_switched() {
        let rt = runtime(RuntimeConfig {
            drivers_preloaded: false,
            disks_presigned: false,
            ..RuntimeConfig::default()
        });
        assert!(!rt.drivers_loaded("node-1"));
        rt.set_drivers_loaded("node-1", true);
        assert!(rt.drivers_loaded("node-1") && !rt.drivers_loaded("node-2"));
        assert!(rt.signed_disks("node-1").is_empty());
        let serial = rt.node_disks("node-1")[0].serial.clone();
        rt.sign_disks("node-1", [serial.clone()]);
        assert_eq!(rt.signed_disks("node-1").into_iter().collect::<Vec<_>>(), [serial]);
        assert_eq!(runtime(RuntimeConfig::default()).signed_disks("n").len(), 8);
    }

    #[test]
    fn resigning_signs_a_disk_and_erases_no_drive_the_world_does_not_know() {
        let rt = runtime(RuntimeConfig { disks_presigned: false, ..RuntimeConfig::default() });
        let serial = rt.node_disks("node-1")[3].serial.clone();
        rt.resign_disks("node-1", std::slice::from_ref(&serial));
        assert!(rt.signed_disks("node-1").into_iter().eq([serial.clone()]));
        assert!(rt.erased_drives("node-1").is_empty());
        let kernel = rt.kernel_drives("node-1");
        assert_eq!(kernel.len(), 1);
        assert_eq!(kernel[0].serial_id, serial);
        assert_eq!(kernel[0].block_device, "/dev/nvme3n1");
        assert!(!kernel[0].is_signed && kernel[0].weka_guid.is_empty());
    }
}
