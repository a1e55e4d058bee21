//! The in-pod WEKA runtime (upstream's `weka_runtime.py`) as a kubesim pod behaviour: what
//! runs in the `weka-container` container of a WEKA image's pod, towards the operator.
//!
//! - [`register`] installs it for `quay.io/weka.io/weka-in-container` images
//!   ([`WekaRuntime::install`] takes any prefix) and returns the [`WekaRuntime`] handle: the
//!   shared [`WekaWorld`] (one per kubesim instance, on kubesim's clock via
//!   [`KubeClock`] / [`world_on`]), fault switches, and the simulated nodes' WEKA state
//!   (drivers, disks).
//! - Start-up (`startup.rs`) follows `main()` per `MODE`: persistency marker, waiting for
//!   `resources.json` (polled on the pod's clock), `vars/port`, `vars/agent_port`,
//!   `management_ips`, `/tmp/weka-drivers.log`, the agent, then the local container (a
//!   cluster member, in STEM or joining `JOIN_IPS`), `feature_flags.json`, and `drives.json`
//!   for drive pods. One-off modes (`one_off.rs`) write `/weka-runtime/results.json`.
//! - Readiness: the pod is Ready once its agent runs and, for modes with a container of their
//!   own, once that container runs (`Instance::refresh_readiness`).
//! - Exec (`exec.rs`): `weka` / `wekaauthcli` run [`execute`](crate::execute) in the pod's
//!   agent with the operator's credentials from the mounted secret; everything else is
//!   kubesim's shell (`bash -ce`, pipes, `grep`, `awk`, `ip`, `timeout`, `kill 1`...).
//! - Termination (`lifecycle.rs`): on SIGTERM client, s3, nfs, drive and compute pods wait
//!   for `/tmp/.allow-stop` or `/tmp/.allow-force-stop`, then stop their container (members
//!   go DOWN unless the operator deactivated them first) and the agent; then
//!   `WEKA_OPERATOR_DEBUG_SLEEP` seconds pass unless `/tmp/.cancel-debug-sleep` appears.

mod behaviour;
mod clock;
mod containers;
pub mod disks;
pub mod env;
mod error;
mod exec;
mod handle;
mod instance;
mod lifecycle;
mod log;
pub mod mode;
mod one_off;
pub mod paths;
pub mod resources;
mod signing;
mod startup;

use std::sync::{Arc, Mutex};

use kubesim::nodes::behaviour::BehaviourRegistry;

use crate::world::WekaWorld;

pub use clock::{KubeClock, world_on};
pub use disks::{KernelDrive, NodeDisk, node_disks};
pub use error::RuntimeError;
pub use handle::{RuntimeConfig, WekaRuntime, default_feature_flags};
pub use instance::{ShutdownInstructions, agent_key, kubernetes_uids};

/// The image WEKA pods run.
pub const WEKA_IMAGE_PREFIX: &str = "quay.io/weka.io/weka-in-container";
/// The container of a WEKA pod the runtime runs in (the one the operator execs into).
pub const WEKA_CONTAINER: &str = "weka-container";

/// Installs the runtime for WEKA images in `registry`, over `world`.
pub fn register(
    registry: &BehaviourRegistry,
    world: Arc<Mutex<WekaWorld>>,
    config: RuntimeConfig,
) -> WekaRuntime {
    let runtime = WekaRuntime::new(world, config);
    runtime.install(registry, WEKA_IMAGE_PREFIX);
    runtime
}
