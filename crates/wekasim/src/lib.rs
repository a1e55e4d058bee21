//! wekasim: a simulated WEKA cluster and the weka CLI it answers, for hermetic tests.
//!
//! The operator reaches WEKA only by running `weka ...` / `wekaauthcli ...` in its pods (and by
//! reading files the in-pod runtime writes). This crate simulates the WEKA side: the world and
//! the CLI as a plain library (no Kubernetes, no network, no async), and in [`runtime`] the
//! in-pod runtime as a kubesim pod behaviour that drives them from simulated WEKA pods.
//!
//! - [`WekaWorld`] holds every simulated cluster by GUID (members, processes, drives,
//!   filesystems, S3, NFS, users, settings) and, per pod, an *agent* with its local containers
//!   (what `weka local ps` lists), keyed by [`AgentKey`].
//! - [`execute`] runs one argv in a pod ([`ExecContext`]) and answers like the real CLI:
//!   stdout (JSON with `--json`/`-J`), stderr `error: ...` worded as the operator matches it,
//!   exit code 0, 1 (refused) or 2 (bad arguments). Commands are grouped by area under `cli/`;
//!   `cli/parser.rs` holds the grammar. `timeout <d> weka ...` is understood too.
//! - [`Faults`] (from [`WekaWorld::faults`]) switches faults: a member DOWN, a drive FAILED, a
//!   process crash, a slow join, a command that fails or hangs ([`CommandOutput::timed_out`]).
//! - Inspection: [`WekaWorld::settled`] then [`WekaWorld::cluster`] /
//!   [`WekaWorld::local_container`] read state directly; cluster operations are also callable
//!   without the CLI through [`WekaWorld::op`].
//!
//! # Time
//! Transitions (a join, a drive phasing in or out, a deactivation, io starting, a crashed
//! process restarting, a rebuild) take the [`Latencies`] configured on the world, measured on
//! an injected [`Clock`]. Nothing sleeps: a transition completes when the world is next
//! observed at or after its due time (every command and operation settles first; tests call
//! [`WekaWorld::settled`] after [`ManualClock::advance`]). [`WekaWorld::next_transition_at`]
//! tells a driver when the next one is due.
//!
//! # How the in-pod runtime drives local state
//! The runtime ([`runtime`], a kubesim pod behaviour chosen by the WEKA image) owns one
//! [`AgentKey`] per WekaContainer, `namespace/name`, so that a restarted pod finds its local
//! containers and their cluster identity as a real pod finds them in its persistent
//! `/opt/weka`. Per pod it does:
//! 1. start: [`WekaWorld::start_agent`]; for modes with a local container, build a
//!    [`LocalContainerSpec`] from the pod's env and `resources.json` (`NAME`, the mode via
//!    [`ContainerKind::from_mode`], node name as hostname, management IPs, `PORT`/`AGENT_PORT`,
//!    `CORES`, `JOIN_IPS`, failure domain, the allocated drives as [`BlockDevice`]s, the
//!    client join secret), then [`WekaWorld::setup_local_container`] and
//!    [`WekaWorld::start_local_container`]. A container with join IPs joins by itself
//!    (CLUSTERIZING, then READY after the join latency); the others stay STEM until the
//!    operator runs `weka cluster create`. It writes `management_ips` and (drive mode)
//!    `drives.json` from the same spec.
//! 2. exec: turn each `weka`/`wekaauthcli` argv into [`execute`] with
//!    `ExecContext { agent: Some(key), env }`; the wrapper's credentials (the mounted
//!    `operator-user/{username,password}` files) go into `WEKA_USERNAME`/`WEKA_PASSWORD`
//!    (without them the command runs as the pod's local root login). `bash -ce` scripts run
//!    in kubesim's shell (`||`, `|`, `grep`, `awk`, `cat`, `test -f`, `touch`, `timeout`),
//!    which calls the runtime's `weka` program, so [`execute`], for every weka word. A
//!    `timed_out` output becomes an exec that hangs until the caller's timeout.
//! 3. readiness and status: [`WekaWorld::display_status`] (STEM/CLUSTERIZING/READY) and the
//!    container's [`world::local::RunStatus`] are what `weka local ps` prints; the runtime
//!    needs no copy of its own.
//! 4. termination: on deletion, wait for `/tmp/.allow-stop` or `/tmp/.allow-force-stop`, then
//!    [`WekaWorld::stop_local_container`] (the member goes DOWN unless the operator
//!    deactivated it first) and [`WekaWorld::stop_agent`]. `weka local stop` from an exec
//!    lands in the same functions. [`WekaWorld::remove_local_container`] is `weka local rm`.
//! 5. stuck in STEM: the operator's `weka local resources join-ips`, `resources apply` and
//!    `local restart` reach [`WekaWorld::stage_join_ips`] and
//!    [`WekaWorld::apply_local_resources`] through the CLI.

pub mod cli;
pub mod clock;
pub mod error;
pub mod faults;
pub mod ids;
pub mod latency;
pub mod rng;
pub mod runtime;
pub mod world;

pub use cli::{CommandOutput, ExecContext, execute};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::WekaError;
pub use faults::{CommandFault, CommandRule, Faults};
pub use ids::{DiskId, FsGroupId, FsId, HostId, NodeId, TelemetrySinkId};
pub use latency::Latencies;
pub use world::local::{AgentKey, BlockDevice, ContainerKind, LocalContainerSpec};
pub use world::{CreateCluster, WekaWorld, WorldConfig};
