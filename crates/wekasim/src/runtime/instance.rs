//! One run of the runtime's main process: the pod it runs in, its parsed environment, what it
//! has set up so far, and the helpers every phase uses (files, the world, `weka`, stop flags,
//! readiness).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kubesim::nodes::behaviour::{ContainerCtx, Fs};
use serde::Deserialize;

use super::env::RuntimeEnv;
use super::error::RuntimeError;
use super::handle::WekaRuntime;
use super::log::Log;
use super::mode::Mode;
use super::paths::{ALLOW_FORCE_STOP, ALLOW_STOP, BOOT_ID, INSTRUCTIONS_DIR};
use super::resources::Resources;
use crate::cli::{CommandOutput, ExecContext, execute};
use crate::world::WekaWorld;
use crate::world::local::AgentKey;

/// The agent of a pod: `namespace/name`, which the WekaContainer keeps across pod restarts.
pub fn agent_key(pod: &Pod) -> AgentKey {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    AgentKey(format!("{namespace}/{}", pod.metadata.name.as_deref().unwrap_or_default()))
}

/// The Kubernetes UIDs that name this pod's agent: the pod's and its WekaContainer's (the
/// node agent addresses a container by the latter).
pub fn kubernetes_uids(pod: &Pod) -> Vec<String> {
    let owners = pod.metadata.owner_references.iter().flatten();
    let owner_uids = owners.filter(|o| o.kind == "WekaContainer").map(|o| o.uid.clone());
    pod.metadata.uid.clone().into_iter().chain(owner_uids).filter(|u| !u.is_empty()).collect()
}

/// What the runtime has done so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Progress {
    pub agent_started: bool,
    /// The local container this pod runs (member, STEM or special), once set up.
    pub local: Option<String>,
    pub results_written: bool,
    pub resources: Resources,
    pub port: u16,
    pub agent_port: u16,
    pub management_ips: Vec<String>,
    pub failure_domain: Option<String>,
}

/// Permission to stop, from the flag files or the node agent's instruction file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ShutdownInstructions {
    pub allow_stop: bool,
    pub allow_force_stop: bool,
}

impl ShutdownInstructions {
    pub fn any(self) -> bool {
        self.allow_stop || self.allow_force_stop
    }
}

pub(crate) struct Instance<'a> {
    pub rt: &'a WekaRuntime,
    pub ctx: &'a ContainerCtx,
    pub env: RuntimeEnv,
    pub agent: AgentKey,
    pub log: Log<'a>,
    progress: Mutex<Progress>,
}

impl<'a> Instance<'a> {
    pub fn new(rt: &'a WekaRuntime, ctx: &'a ContainerCtx, env: RuntimeEnv) -> Self {
        let mut progress =
            Progress { port: env.port, agent_port: env.agent_port, ..Progress::default() };
        progress.failure_domain = env.failure_domain.clone();
        Instance {
            rt,
            ctx,
            agent: agent_key(ctx.pod()),
            env,
            log: Log(ctx),
            progress: Mutex::new(progress),
        }
    }

    pub fn mode(&self) -> Mode {
        self.env.mode
    }

    pub fn node(&self) -> &str {
        &self.ctx.info().node_name
    }

    pub fn fs(&self) -> &Fs {
        self.ctx.fs()
    }

    pub fn world(&self) -> MutexGuard<'_, WekaWorld> {
        self.rt.lock_world()
    }

    pub fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn sleep(&self, duration: Duration) {
        self.ctx.clock().sleep(duration).await;
    }

    /// Writes a file as upstream does: to `<path>.tmp`, then renamed over `path`.
    pub fn write(&self, path: &str, data: impl AsRef<[u8]>) -> Result<(), RuntimeError> {
        let fail = |source| RuntimeError::Write { path: path.to_string(), source };
        if let Some((dir, _)) = path.rsplit_once('/').filter(|(d, _)| !d.is_empty()) {
            self.fs().mkdir_p(dir).map_err(fail)?;
        }
        let tmp = format!("{path}.tmp");
        self.fs().write(&tmp, data).map_err(fail)?;
        self.fs().rename(&tmp, path).map_err(fail)
    }

    /// The pod's management IP: `MANAGEMENT_IP`, else the pod IP.
    pub fn management_ip(&self) -> String {
        self.env.management_ip.clone().unwrap_or_else(|| self.ctx.info().pod_ip.clone())
    }

    /// Runs a `weka` command as the runtime does (as the pod's local root, no credentials).
    pub fn weka(&self, args: &[&str]) -> CommandOutput {
        let argv: Vec<String> =
            std::iter::once("weka").chain(args.iter().copied()).map(String::from).collect();
        let ctx = ExecContext { agent: Some(self.agent.clone()), env: BTreeMap::new() };
        execute(&mut self.world(), &ctx, &argv)
    }

    /// Runs a `weka` command that must succeed (a hanging one counts as failed).
    pub fn weka_ok(&self, args: &[&str]) -> Result<String, RuntimeError> {
        let out = self.weka(args);
        if out.success() {
            return Ok(out.stdout);
        }
        Err(RuntimeError::Command {
            command: format!("weka {}", args.join(" ")),
            code: if out.timed_out { 124 } else { out.exit_code },
            stderr: out.stderr.trim_end().to_string(),
        })
    }

    /// Stop permission now: the node agent's instruction file for this pod and boot, then the
    /// flag files the operator touches.
    pub fn instructions(&self) -> ShutdownInstructions {
        let mut found = self.agent_instructions().unwrap_or_default();
        if self.fs().exists(ALLOW_FORCE_STOP) {
            found.allow_force_stop = true;
        }
        if self.fs().exists(ALLOW_STOP) {
            found.allow_stop = true;
        }
        found
    }

    /// `<instructions>/<POD_ID>/<boot id>/shutdown_instructions.json`; without a boot id file
    /// in the pod, any boot's directory counts.
    fn agent_instructions(&self) -> Option<ShutdownInstructions> {
        if self.env.pod_id.is_empty() {
            return None;
        }
        let dir = format!("{INSTRUCTIONS_DIR}/{}", self.env.pod_id);
        let boots = match self.fs().read_string(BOOT_ID) {
            Ok(boot) => vec![boot.trim().to_string()],
            Err(_) => self.fs().list(&dir).ok()?,
        };
        boots.iter().find_map(|boot| {
            let text = self.fs().read(&format!("{dir}/{boot}/shutdown_instructions.json")).ok()?;
            serde_json::from_slice(&text).ok()
        })
    }

    pub fn agent_running(&self) -> bool {
        self.world().agent(&self.agent).is_some_and(|a| a.running)
    }

    /// Whether this pod's local container runs (false when there is none).
    pub fn local_running(&self) -> bool {
        let Some(name) = self.progress().local.clone() else {
            return false;
        };
        let mut world = self.world();
        world.settle();
        world.local_container(&self.agent, &name).is_some_and(|lc| lc.is_running())
    }

    /// Ready as upstream's pods look to the operator: once the agent runs, and for modes with
    /// a container of their own once it runs; driverless one-offs once their results exist.
    pub fn refresh_readiness(&self) {
        let progress = self.progress().clone();
        let ready = match self.mode() {
            Mode::Discovery | Mode::DriversLoader | Mode::AdhocOp => progress.results_written,
            Mode::Dist | Mode::DriversDist | Mode::DriversBuilder | Mode::AdhocOpWithContainer => {
                progress.agent_started && self.agent_running()
            }
            _ => self.agent_running() && self.local_running(),
        };
        if ready != self.ctx.is_ready() {
            self.ctx.set_ready(ready);
        }
    }
}

/// Stops the pod's agent (and so its containers) when the main process ends in any way:
/// returning, crashing, or killed by the kubelet.
pub(crate) struct AgentGuard<'a> {
    pub rt: &'a WekaRuntime,
    pub agent: AgentKey,
}

impl Drop for AgentGuard<'_> {
    fn drop(&mut self) {
        self.rt.lock_world().stop_agent(&self.agent);
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    use super::*;

    #[test]
    fn a_pod_is_named_by_its_uid_and_its_weka_containers() {
        let owner = |kind: &str, uid: &str| OwnerReference {
            kind: kind.into(),
            uid: uid.into(),
            ..Default::default()
        };
        let mut pod = Pod::default();
        pod.metadata.uid = Some("pod-uid".into());
        pod.metadata.owner_references =
            Some(vec![owner("WekaContainer", "wc-uid"), owner("ReplicaSet", "rs-uid")]);
        assert_eq!(kubernetes_uids(&pod), ["pod-uid", "wc-uid"]);
        assert!(kubernetes_uids(&Pod::default()).is_empty());
    }
}
