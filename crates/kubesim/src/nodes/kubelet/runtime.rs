//! What a kubelet exposes of a running pod to exec, logs and faults: per container, its
//! behaviour, its current instance (context) and its logs (current and previous instance).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::nodes::behaviour::{ContainerBehaviour, ContainerCtx, LogBuffer};

#[derive(Clone)]
pub struct Slot {
    pub behaviour: Arc<dyn ContainerBehaviour>,
    /// The running instance, if any.
    pub ctx: Option<ContainerCtx>,
    pub logs: Arc<LogBuffer>,
    pub previous: Option<Arc<LogBuffer>>,
    /// Why the container is not running (e.g. `ContainerCreating`), when it is not.
    pub waiting: Option<String>,
    pub init: bool,
}

/// Requests from outside the pod worker.
#[derive(Debug)]
pub enum Command {
    /// Kill a container's main process as a crash would, with this exit code.
    Crash { container: String, exit_code: i32 },
}

pub struct PodRuntime {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    slots: Mutex<BTreeMap<String, Slot>>,
    order: Mutex<Vec<String>>,
    commands: mpsc::UnboundedSender<Command>,
}

impl PodRuntime {
    pub fn new(
        uid: &str,
        namespace: &str,
        name: &str,
        commands: mpsc::UnboundedSender<Command>,
    ) -> Self {
        PodRuntime {
            uid: uid.into(),
            namespace: namespace.into(),
            name: name.into(),
            slots: Mutex::new(BTreeMap::new()),
            order: Mutex::new(Vec::new()),
            commands,
        }
    }

    pub fn set(&self, container: &str, slot: Slot) {
        let mut order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        if !order.iter().any(|c| c == container) {
            order.push(container.to_string());
        }
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).insert(container.to_string(), slot);
    }

    pub fn slot(&self, container: &str) -> Option<Slot> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).get(container).cloned()
    }

    /// Container names, init containers first, in spec order.
    pub fn containers(&self) -> Vec<String> {
        self.order.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn crash(&self, container: &str, exit_code: i32) -> bool {
        let running = self.slot(container).is_some_and(|s| s.ctx.is_some());
        running
            && self.commands.send(Command::Crash { container: container.into(), exit_code }).is_ok()
    }
}
