//! Fault injection: state faults (a member DOWN, a drive FAILED, a process crashed, a slow
//! join) change what WEKA reports; command faults make matching CLI commands fail or hang.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::WekaError;
use crate::ids::{HostId, NodeId};
use crate::world::WekaWorld;
use crate::world::local::AgentKey;
use crate::world::schedule::Event;

/// What a matching command does instead of running.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandFault {
    /// The command never returns: the caller turns this into a hanging exec.
    Timeout,
    /// The command fails with this exit code and stderr.
    Fail { exit_code: i32, stderr: String },
}

/// A command fault and the commands it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRule {
    /// Matches when the arguments after the program name, joined by spaces, contain it
    /// (`cluster start-io`, `local ps`).
    pub pattern: String,
    /// Only commands run in this pod; all pods when `None`.
    pub agent: Option<AgentKey>,
    pub fault: CommandFault,
    /// How many more commands it hits; forever when `None`.
    pub remaining: Option<u32>,
}

impl CommandRule {
    pub fn new(pattern: &str, fault: CommandFault) -> Self {
        CommandRule { pattern: pattern.to_string(), agent: None, fault, remaining: None }
    }

    pub fn in_agent(mut self, agent: AgentKey) -> Self {
        self.agent = Some(agent);
        self
    }

    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }
}

#[derive(Clone, Debug, Default)]
pub struct FaultState {
    rules: Vec<CommandRule>,
    slow_joins: BTreeMap<AgentKey, Duration>,
}

impl FaultState {
    /// Extra join time for containers of this pod.
    pub(crate) fn slow_join(&self, agent: &AgentKey) -> Duration {
        self.slow_joins.get(agent).copied().unwrap_or_default()
    }

    /// The fault for this command, if a rule matches (and counts the hit).
    pub(crate) fn command_fault(
        &mut self,
        agent: Option<&AgentKey>,
        args: &[String],
    ) -> Option<CommandFault> {
        let line = args.join(" ");
        let index = self.rules.iter().position(|rule| {
            rule.remaining != Some(0)
                && line.contains(&rule.pattern)
                && rule.agent.as_ref().is_none_or(|a| Some(a) == agent)
        })?;
        let rule = &mut self.rules[index];
        if let Some(n) = &mut rule.remaining {
            *n -= 1;
        }
        let fault = rule.fault.clone();
        self.rules.retain(|r| r.remaining != Some(0));
        Some(fault)
    }
}

/// Switches faults on and off; from [`WekaWorld::faults`].
pub struct Faults<'a> {
    world: &'a mut WekaWorld,
}

impl<'a> Faults<'a> {
    pub(crate) fn new(world: &'a mut WekaWorld) -> Self {
        world.settle();
        Faults { world }
    }

    /// The member reports DOWN (and its processes) whatever its pod does.
    pub fn container_down(
        &mut self,
        guid: &str,
        host: HostId,
        down: bool,
    ) -> Result<(), WekaError> {
        self.world.op(guid, |cluster, _| {
            cluster.containers.get_mut(&host).ok_or(WekaError::HostNotFound(host))?.forced_down =
                down;
            Ok(())
        })
    }

    /// The drive reports FAILED until `failed` is switched off again.
    pub fn drive_failed(&mut self, guid: &str, uuid: &str, failed: bool) -> Result<(), WekaError> {
        self.world.op(guid, |cluster, _| {
            cluster
                .drive_mut(uuid)
                .ok_or_else(|| WekaError::DriveNotFound(uuid.to_string()))?
                .failed = failed;
            Ok(())
        })
    }

    /// The process goes DOWN (its member DEGRADED); with `restart` it comes back after the
    /// `process_restart` latency, else when [`Faults::process_recover`] is called.
    pub fn process_crash(
        &mut self,
        guid: &str,
        node: NodeId,
        restart: bool,
    ) -> Result<(), WekaError> {
        self.set_crashed(guid, node, true)?;
        if restart {
            let now = self.world.now();
            let delay = self.world.latencies.process_restart;
            self.world.schedule.after(
                now,
                delay,
                Event::ProcessRestart { guid: guid.to_string(), node },
            );
        }
        Ok(())
    }

    pub fn process_recover(&mut self, guid: &str, node: NodeId) -> Result<(), WekaError> {
        self.set_crashed(guid, node, false)
    }

    /// Joins (and reconnections) of this pod's containers take `extra` longer.
    pub fn slow_join(&mut self, agent: &AgentKey, extra: Duration) {
        if extra.is_zero() {
            self.world.faults.slow_joins.remove(agent);
        } else {
            self.world.faults.slow_joins.insert(agent.clone(), extra);
        }
    }

    /// Matching commands hang (the caller's exec times out).
    pub fn command_timeout(&mut self, pattern: &str) {
        self.command_rule(CommandRule::new(pattern, CommandFault::Timeout));
    }

    /// Matching commands fail with this exit code and stderr.
    pub fn command_error(&mut self, pattern: &str, exit_code: i32, stderr: &str) {
        let fault = CommandFault::Fail { exit_code, stderr: stderr.to_string() };
        self.command_rule(CommandRule::new(pattern, fault));
    }

    pub fn command_rule(&mut self, rule: CommandRule) {
        self.world.faults.rules.push(rule);
    }

    pub fn clear_command_faults(&mut self) {
        self.world.faults.rules.clear();
    }

    /// An alert counted in `active_alerts_count`.
    pub fn raise_alert(&mut self, guid: &str, alert: &str) -> Result<(), WekaError> {
        self.world.op(guid, |cluster, _| {
            cluster.injected_alerts.push(alert.to_string());
            Ok(())
        })
    }

    /// Starts (or stops) a simulated workload: `weka status` shows a light, varying IO load
    /// once IO has started (an idle cluster shows none).
    pub fn run_workload(&mut self, guid: &str, on: bool) -> Result<(), WekaError> {
        self.world.op(guid, |cluster, _| {
            cluster.workload = on;
            Ok(())
        })
    }

    pub fn clear_alerts(&mut self, guid: &str) -> Result<(), WekaError> {
        self.world.op(guid, |cluster, _| {
            cluster.injected_alerts.clear();
            Ok(())
        })
    }

    fn set_crashed(&mut self, guid: &str, node: NodeId, crashed: bool) -> Result<(), WekaError> {
        self.world.op(guid, |cluster, _| {
            let process = cluster
                .containers
                .values_mut()
                .flat_map(|m| m.processes.iter_mut())
                .find(|p| p.node == node)
                .ok_or_else(|| WekaError::InvalidSetting(format!("process {node} not found")))?;
            process.crashed = crashed;
            Ok(())
        })
    }
}
