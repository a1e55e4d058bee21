//! Cluster members (`weka cluster container`) and their processes (`weka cluster process`).

use std::time::SystemTime;

use crate::ids::{HostId, NodeId, node_id};
use crate::world::local::{ContainerKind, LocalContainerSpec, LocalRef, ProcessRole};

/// Where a member is in deactivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Active,
    Deactivating,
    Inactive,
}

/// The `status` column of `weka cluster container`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerStatus {
    Up,
    /// Connected with at least one process down.
    Degraded,
    Down,
    Deactivating,
    Inactive,
}

impl ContainerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerStatus::Up => "UP",
            ContainerStatus::Degraded => "DEGRADED",
            ContainerStatus::Down => "DOWN",
            ContainerStatus::Deactivating => "DEACTIVATING",
            ContainerStatus::Inactive => "INACTIVE",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Process {
    pub node: NodeId,
    pub slot: u32,
    pub roles: Vec<ProcessRole>,
    pub(crate) crashed: bool,
}

#[derive(Clone, Debug)]
pub struct ClusterContainer {
    pub host: HostId,
    pub name: String,
    pub kind: ContainerKind,
    pub hostname: String,
    pub ips: Vec<String>,
    pub port: u16,
    pub uid: String,
    pub failure_domain: Option<String>,
    pub version: String,
    /// The local container behind this member, if it still exists.
    pub local: Option<LocalRef>,
    pub added_at: SystemTime,
    pub processes: Vec<Process>,
    pub(crate) activation: Activation,
    /// The member's local container runs and has (re)connected.
    pub(crate) connected: bool,
    /// Bumped on every disconnect, so a reconnection scheduled before is void.
    pub(crate) connect_epoch: u64,
    /// Fault injection: reported DOWN whatever its local container does.
    pub(crate) forced_down: bool,
}

impl ClusterContainer {
    pub(crate) fn from_spec(
        host: HostId,
        spec: &LocalContainerSpec,
        local: LocalRef,
        uid: String,
        now: SystemTime,
    ) -> Self {
        let worker = spec.kind.worker_role().unwrap_or(ProcessRole::Frontend);
        let mut processes = vec![Process {
            node: node_id(host, 0),
            slot: 0,
            roles: vec![ProcessRole::Management],
            crashed: false,
        }];
        for slot in 1..=spec.cores.max(1) {
            processes.push(Process {
                node: node_id(host, slot),
                slot,
                roles: vec![worker],
                crashed: false,
            });
        }
        ClusterContainer {
            host,
            name: spec.name.clone(),
            kind: spec.kind,
            hostname: spec.hostname.clone(),
            ips: spec.management_ips.clone(),
            port: spec.port,
            uid,
            failure_domain: spec.failure_domain.clone(),
            version: spec.version.clone(),
            local: Some(local),
            added_at: now,
            processes,
            activation: Activation::Active,
            connected: false,
            connect_epoch: 0,
            forced_down: false,
        }
    }

    pub fn status(&self) -> ContainerStatus {
        match self.activation {
            Activation::Inactive => ContainerStatus::Inactive,
            Activation::Deactivating => ContainerStatus::Deactivating,
            Activation::Active if !self.connected || self.forced_down => ContainerStatus::Down,
            Activation::Active if self.processes.iter().any(|p| p.crashed) => {
                ContainerStatus::Degraded
            }
            Activation::Active => ContainerStatus::Up,
        }
    }

    /// The `state` column: whether the member is part of the active configuration.
    pub fn state(&self) -> &'static str {
        match self.activation {
            Activation::Inactive => "INACTIVE",
            _ => "ACTIVE",
        }
    }

    /// Connected and not forced down: its processes answer.
    pub fn is_reachable(&self) -> bool {
        self.connected && !self.forced_down && self.activation != Activation::Inactive
    }

    pub fn is_up(&self) -> bool {
        matches!(self.status(), ContainerStatus::Up | ContainerStatus::Degraded)
    }

    pub fn is_active(&self) -> bool {
        self.activation == Activation::Active
    }

    pub fn has_role(&self, role: ProcessRole) -> bool {
        self.processes.iter().any(|p| p.roles.contains(&role))
    }

    pub fn is_backend(&self) -> bool {
        !self.kind.is_client()
    }

    pub fn process_status(&self, process: &Process) -> &'static str {
        if self.activation == Activation::Inactive {
            "INACTIVE"
        } else if !self.connected || self.forced_down || process.crashed {
            "DOWN"
        } else {
            "UP"
        }
    }

    /// The process drives are attached to: the first DRIVES process.
    pub fn drive_process(&self) -> Option<NodeId> {
        self.processes.iter().find(|p| p.roles.contains(&ProcessRole::Drives)).map(|p| p.node)
    }

    /// The failure domain drives of this member count in (the member itself when unset).
    pub fn failure_domain_key(&self) -> String {
        self.failure_domain.clone().unwrap_or_else(|| self.host.to_string())
    }
}
