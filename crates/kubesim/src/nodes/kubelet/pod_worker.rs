//! The life of one pod on its node: prepare (IP, volumes, environment, image pulls), init
//! containers one by one, then the containers; restarts per restartPolicy with CrashLoopBackOff;
//! readiness from the behaviours; graceful termination (preStop, SIGTERM, grace period, kill)
//! and the kubelet's final delete. Every change ends in a status write through the API.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::Kubelet;
use super::probes;
use super::runtime::{Command, PodRuntime, Slot};
use super::status::{ContainerRecord, PodRecord, State, pod_status};
use super::volumes::{self, PodVolumes, Sources};
use crate::nodes::behaviour::{
    ContainerBehaviour, ContainerCtx, ContainerInfo, Fs, LogBuffer, Signal, shell,
};
use crate::nodes::images::{PullError, fake_digest};

const MAX_BACKOFF: Duration = Duration::from_secs(300);
const FIRST_BACKOFF: Duration = Duration::from_secs(10);
/// How often missing volume sources are looked for again (the kubelet's volume manager
/// retries within seconds).
const VOLUME_RETRY: Duration = Duration::from_secs(2);
/// A container that ran this long has its crash back-off reset.
const BACKOFF_RESET: Duration = Duration::from_secs(600);
const KILLED_EXIT: i32 = 137;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Init,
    Sidecar,
    Main,
}

enum Event {
    Exited {
        idx: usize,
        generation: u64,
        code: i32,
    },
    Ready {
        idx: usize,
        generation: u64,
        ready: bool,
    },
    Probe {
        idx: usize,
        generation: u64,
        liveness: bool,
        ok: bool,
    },
    RestartDue {
        idx: usize,
        generation: u64,
    },
    Retry {
        idx: usize,
    },
    /// Set the volumes up again (a Secret or ConfigMap they need was missing).
    RetryVolumes,
    GraceExpired,
}

struct Instance {
    ctx: ContainerCtx,
    task: JoinHandle<()>,
    ready_task: JoinHandle<()>,
    probes: Vec<JoinHandle<()>>,
    started_at: Timestamp,
    /// What the behaviour says, and what the readiness probe says (None: no probe).
    behaviour_ready: bool,
    probe_ready: Option<bool>,
    liveness_failures: i32,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.task.abort();
        self.ready_task.abort();
        for probe in &self.probes {
            probe.abort();
        }
    }
}

struct ContainerSlot {
    kind: Kind,
    container: Container,
    record: ContainerRecord,
    behaviour: Arc<dyn ContainerBehaviour>,
    instance: Option<Instance>,
    generation: u64,
    /// Blocked by an image pull or configuration error.
    blocked: bool,
    failures: u32,
    backoff: Duration,
    pending_restart: bool,
    env: BTreeMap<String, String>,
    logs: Arc<LogBuffer>,
    previous: Option<Arc<LogBuffer>>,
}

pub struct Worker {
    kubelet: Arc<Kubelet>,
    pod: Arc<Pod>,
    updates: watch::Receiver<Arc<Pod>>,
    runtime: Arc<PodRuntime>,
    commands: mpsc::UnboundedReceiver<Command>,
    tx: mpsc::UnboundedSender<Event>,
    rx: mpsc::UnboundedReceiver<Event>,
    slots: Vec<ContainerSlot>,
    record: PodRecord,
    volumes: PodVolumes,
    restart_policy: String,
    terminating: bool,
    final_phase: Option<&'static str>,
    last_written: Option<Value>,
    /// Containers whose preparation is to be retried.
    pending_prepare: Vec<usize>,
    /// The volumes are to be set up again.
    pending_volumes: bool,
    /// Attempts so far at volumes that cannot be set up (a `FailedMount` event every 30).
    volume_attempts: u32,
    /// The pod was already finished when this worker met it: report nothing, only delete.
    observe_only: bool,
}

fn container_id() -> String {
    format!("containerd://{}", fake_digest(&uuid::Uuid::new_v4().to_string()))
}

impl Worker {
    pub fn new(
        kubelet: Arc<Kubelet>,
        pod: Arc<Pod>,
        updates: watch::Receiver<Arc<Pod>>,
        runtime: Arc<PodRuntime>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let spec = pod.spec.clone().unwrap_or_default();
        let has_init = spec.init_containers.as_ref().is_some_and(|c| !c.is_empty());
        let mut slots = Vec::new();
        let behaviours = kubelet.shared.behaviours.clone();
        let mut add = |kind: Kind, container: &Container| {
            let image = container.image.clone().unwrap_or_default();
            let mut record = ContainerRecord::new(&container.name, &image, kind == Kind::Sidecar);
            if kind == Kind::Main && has_init {
                record.state = State::waiting("PodInitializing", None);
            }
            slots.push(ContainerSlot {
                kind,
                container: container.clone(),
                record,
                behaviour: behaviours.pick(&pod, container),
                instance: None,
                generation: 0,
                blocked: false,
                failures: 0,
                backoff: Duration::ZERO,
                pending_restart: false,
                env: BTreeMap::new(),
                logs: Arc::new(LogBuffer::default()),
                previous: None,
            });
        };
        for c in spec.init_containers.iter().flatten() {
            let kind = if c.restart_policy.as_deref() == Some("Always") {
                Kind::Sidecar
            } else {
                Kind::Init
            };
            add(kind, c);
        }
        for c in &spec.containers {
            add(Kind::Main, c);
        }
        Worker {
            restart_policy: spec.restart_policy.clone().unwrap_or_else(|| "Always".into()),
            kubelet,
            pod,
            updates,
            runtime,
            commands,
            tx,
            rx,
            slots,
            record: PodRecord::default(),
            volumes: PodVolumes::default(),
            terminating: false,
            final_phase: None,
            last_written: None,
            pending_prepare: Vec::new(),
            pending_volumes: false,
            volume_attempts: 0,
            observe_only: false,
        }
    }

    fn publish(&self, idx: usize) {
        let slot = &self.slots[idx];
        let waiting = match &slot.record.state {
            State::Waiting { reason, .. } => Some(reason.clone()),
            _ => None,
        };
        self.runtime.set(
            &slot.container.name,
            Slot {
                behaviour: slot.behaviour.clone(),
                ctx: slot.instance.as_ref().map(|i| i.ctx.clone()),
                logs: slot.logs.clone(),
                previous: slot.previous.clone(),
                waiting,
                init: slot.kind != Kind::Main,
            },
        );
    }

    fn terminal_from_api(&self) -> bool {
        matches!(
            self.pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
    }

    fn deleting(&self) -> bool {
        self.pod.metadata.deletion_timestamp.is_some()
    }

    pub async fn run(mut self) {
        for idx in 0..self.slots.len() {
            self.publish(idx);
        }
        let already_over = self.terminal_from_api();
        if already_over {
            self.observe_only = true;
            self.final_phase = Some(
                if self.pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded") {
                    "Succeeded"
                } else {
                    "Failed"
                },
            );
        } else if !self.deleting() {
            self.prepare().await;
            self.advance();
            self.settle().await;
            self.sync().await;
        }
        let mut partitioned = self.kubelet.partitioned.subscribe();
        loop {
            if self.deleting() && !self.terminating && !*partitioned.borrow() {
                self.begin_termination();
            }
            if self.terminating && self.slots.iter().all(|s| s.instance.is_none()) {
                self.finish().await;
                break;
            }
            tokio::select! {
                changed = self.updates.changed() => {
                    if changed.is_err() {
                        // The pod is gone from the API server: stop without a word.
                        break;
                    }
                    self.pod = self.updates.borrow_and_update().clone();
                    continue;
                }
                Some(event) = self.rx.recv() => self.handle(event),
                Some(command) = self.commands.recv() => self.command(command),
                changed = partitioned.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    self.last_written = None;
                }
            }
            while let Ok(event) = self.rx.try_recv() {
                self.handle(event);
            }
            self.retry_volumes().await;
            self.retry_preparations().await;
            self.advance();
            self.settle().await;
            if !*partitioned.borrow() {
                self.sync().await;
            }
        }
        self.cleanup();
    }

    /// Lets freshly started behaviours take their first steps (e.g. report ready) so one status
    /// write covers them.
    async fn settle(&mut self) {
        for _ in 0..8 {
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            let mut handled = false;
            while let Ok(event) = self.rx.try_recv() {
                self.handle(event);
                handled = true;
            }
            if !handled {
                return;
            }
            self.advance();
        }
    }

    fn cleanup(&mut self) {
        for slot in &mut self.slots {
            slot.instance = None;
            slot.logs.close();
        }
        if !self.record.pod_ip.is_empty() && self.record.pod_ip != self.record.host_ip {
            self.kubelet.release_ip(&self.record.pod_ip);
        }
        self.kubelet.finished(&self.runtime.uid);
    }

    async fn prepare(&mut self) {
        let host_ip = self.kubelet.config.internal_ip.clone();
        let host_network = self.pod.spec.as_ref().and_then(|s| s.host_network).unwrap_or(false);
        self.record.host_ip = host_ip.clone();
        self.record.pod_ip =
            if host_network { host_ip.clone() } else { self.kubelet.allocate_ip() };
        self.record.start_time = Some(self.kubelet.shared.clock.now());
        let namespace = self.pod.metadata.namespace.clone().unwrap_or_default();
        let client = self.kubelet.client.clone();
        let mut sources = Sources::new(&client, &namespace);
        self.volumes = volumes::prepare(
            &self.pod,
            &self.kubelet.host,
            &mut sources,
            &self.record.pod_ip,
            &host_ip,
        )
        .await;
        if self.wait_for_volumes() {
            return;
        }
        for idx in 0..self.slots.len() {
            self.prepare_container(idx, &mut sources).await;
        }
    }

    /// While a volume cannot be set up, no container starts: each waits in
    /// `ContainerCreating`, a `FailedMount` event says why, and the volumes are tried again
    /// shortly. Returns whether the pod waits.
    fn wait_for_volumes(&mut self) -> bool {
        if self.volumes.1.is_empty() {
            return false;
        }
        for slot in &mut self.slots {
            slot.blocked = true;
            slot.record.state = State::waiting("ContainerCreating", None);
        }
        if self.volume_attempts.is_multiple_of(30) {
            let recorder = self.kubelet.recorder.clone();
            for message in &self.volumes.1 {
                recorder.pod_event_in(&self.pod, None, "Warning", "FailedMount", message.clone());
            }
        }
        self.volume_attempts += 1;
        let tx = self.tx.clone();
        let clock = self.kubelet.shared.clock.clone();
        tokio::spawn(async move {
            clock.sleep(VOLUME_RETRY).await;
            let _ = tx.send(Event::RetryVolumes);
        });
        true
    }

    /// Sets the volumes up again; once they are, the containers are prepared.
    async fn retry_volumes(&mut self) {
        if !std::mem::take(&mut self.pending_volumes) || self.terminating {
            return;
        }
        let client = self.kubelet.client.clone();
        let namespace = self.pod.metadata.namespace.clone().unwrap_or_default();
        let mut sources = Sources::new(&client, &namespace);
        let (pod_ip, host_ip) = (self.record.pod_ip.clone(), self.record.host_ip.clone());
        self.volumes =
            volumes::prepare(&self.pod, &self.kubelet.host, &mut sources, &pod_ip, &host_ip).await;
        if self.wait_for_volumes() {
            return;
        }
        for idx in 0..self.slots.len() {
            self.prepare_container(idx, &mut sources).await;
        }
    }

    /// Environment and image of one container; a failure blocks it and schedules a retry.
    async fn prepare_container(&mut self, idx: usize, sources: &mut Sources<'_>) {
        let pod = self.pod.clone();
        let (pod_ip, host_ip) = (self.record.pod_ip.clone(), self.record.host_ip.clone());
        let slot = &mut self.slots[idx];
        let image = slot.record.image.clone();
        let field = Some(format!("spec.containers{{{}}}", slot.container.name));
        let recorder = self.kubelet.recorder.clone();
        match self.kubelet.shared.images.pull(&image) {
            Ok(image_id) => {
                if slot.record.image_id.is_empty() {
                    recorder.pod_event_in(
                        &pod,
                        field.clone(),
                        "Normal",
                        "Pulled",
                        format!("Container image \"{image}\" already present on machine"),
                    );
                }
                slot.record.image_id = image_id;
            }
            Err(error @ PullError::InvalidName(_)) => {
                slot.blocked = true;
                slot.record.state = State::waiting("InvalidImageName", Some(error.to_string()));
                recorder.pod_event_in(&pod, field, "Warning", "InspectFailed", error.to_string());
                return;
            }
            Err(error @ PullError::NotFound(_)) => {
                slot.blocked = true;
                slot.failures += 1;
                let reason = if slot.failures == 1 { "ErrImagePull" } else { "ImagePullBackOff" };
                let message = if slot.failures == 1 {
                    error.to_string()
                } else {
                    format!("Back-off pulling image \"{image}\"")
                };
                slot.record.state = State::waiting(reason, Some(message));
                recorder.pod_event_in(
                    &pod,
                    field,
                    "Warning",
                    "Failed",
                    format!("Failed to pull image \"{image}\": {error}"),
                );
                let delay =
                    FIRST_BACKOFF * 2u32.saturating_pow(slot.failures.saturating_sub(1).min(5));
                self.retry_after(idx, delay.min(MAX_BACKOFF));
                return;
            }
        }
        match volumes::environment(&pod, &slot.container, sources, &pod_ip, &host_ip).await {
            Ok(env) => {
                slot.env = env;
                slot.blocked = false;
                slot.failures = 0;
            }
            Err(message) => {
                slot.blocked = true;
                slot.record.state =
                    State::waiting("CreateContainerConfigError", Some(message.clone()));
                recorder.pod_event_in(
                    &pod,
                    field,
                    "Warning",
                    "Failed",
                    format!("Error: {message}"),
                );
                self.retry_after(idx, FIRST_BACKOFF);
            }
        }
    }

    async fn retry_preparations(&mut self) {
        let pending = std::mem::take(&mut self.pending_prepare);
        if pending.is_empty() {
            return;
        }
        let client = self.kubelet.client.clone();
        let namespace = self.pod.metadata.namespace.clone().unwrap_or_default();
        let mut sources = Sources::new(&client, &namespace);
        for idx in pending {
            self.prepare_container(idx, &mut sources).await;
        }
    }

    fn retry_after(&self, idx: usize, delay: Duration) {
        let tx = self.tx.clone();
        let clock = self.kubelet.shared.clock.clone();
        tokio::spawn(async move {
            clock.sleep(delay).await;
            let _ = tx.send(Event::Retry { idx });
        });
    }

    /// Starts whatever may start now.
    fn advance(&mut self) {
        if self.terminating || self.final_phase.is_some() || self.record.failed {
            return;
        }
        for idx in 0..self.slots.len() {
            let slot = &self.slots[idx];
            let can_start = slot.instance.is_none()
                && !slot.pending_restart
                && !slot.blocked
                && matches!(slot.record.state, State::Waiting { .. });
            match slot.kind {
                Kind::Sidecar => {
                    if can_start {
                        self.start(idx);
                    }
                    if self.slots[idx].instance.is_none() {
                        return;
                    }
                }
                Kind::Init => {
                    if slot.record.state.exit_code() == Some(0) {
                        continue;
                    }
                    if can_start {
                        self.start(idx);
                    }
                    return;
                }
                Kind::Main => {
                    if can_start {
                        self.start(idx);
                    }
                }
            }
        }
        let mains_over = self.slots.iter().filter(|s| s.kind == Kind::Main).all(|s| {
            s.instance.is_none() && !s.pending_restart && s.record.state.exit_code().is_some()
        });
        if mains_over {
            // Sidecars stop once the containers are done.
            for slot in self.slots.iter_mut().filter(|s| s.kind == Kind::Sidecar) {
                if let Some(instance) = &slot.instance {
                    instance.ctx.signal(Signal::Terminate);
                }
            }
        }
    }

    fn start(&mut self, idx: usize) {
        let now = self.kubelet.shared.clock.now();
        let pod = self.pod.clone();
        let mounts = self.volumes.mounts(&self.slots[idx].container);
        let slot = &mut self.slots[idx];
        slot.generation += 1;
        let generation = slot.generation;
        if slot.record.container_id.is_some() {
            slot.previous = Some(std::mem::replace(&mut slot.logs, Arc::new(LogBuffer::default())));
        }
        let info = ContainerInfo {
            pod: pod.clone(),
            container: slot.container.clone(),
            node_name: self.kubelet.name.clone(),
            pod_ip: self.record.pod_ip.clone(),
            host_ip: self.record.host_ip.clone(),
            env: slot.env.clone(),
            restart_count: slot.record.restart_count,
        };
        let fs = Fs::new(mounts);
        if let Some(hostname) = pod.metadata.name.as_deref() {
            let _ = fs.write("/etc/hostname", format!("{hostname}\n"));
        }
        let ctx = ContainerCtx::new(info, fs, self.kubelet.shared.clock.clone(), slot.logs.clone());
        let behaviour = slot.behaviour.clone();
        let tx = self.tx.clone();
        let run_ctx = ctx.clone();
        let task = tokio::spawn(async move {
            let code = behaviour.run(run_ctx).await;
            let _ = tx.send(Event::Exited { idx, generation, code });
        });
        let mut ready = ctx.watch_ready();
        let tx = self.tx.clone();
        let ready_task = tokio::spawn(async move {
            loop {
                let value = *ready.borrow_and_update();
                if tx.send(Event::Ready { idx, generation, ready: value }).is_err() {
                    return;
                }
                if ready.changed().await.is_err() {
                    return;
                }
            }
        });
        let readiness = slot.container.readiness_probe.clone();
        let liveness = slot.container.liveness_probe.clone();
        let mut probes = Vec::new();
        for (probe, is_liveness) in [(readiness.clone(), false), (liveness, true)] {
            let Some(probe) = probe else { continue };
            let Some(check) = probes::Check::of(&probe, &slot.container) else {
                continue;
            };
            let (tx, clock, ctx) =
                (self.tx.clone(), self.kubelet.shared.clock.clone(), ctx.clone());
            let behaviour = slot.behaviour.clone();
            let delay = Duration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
            let period = Duration::from_secs(probe.period_seconds.unwrap_or(10).max(1) as u64);
            probes.push(tokio::spawn(async move {
                clock.sleep(delay).await;
                loop {
                    let ok = check.run(behaviour.as_ref(), &ctx).await;
                    let event = Event::Probe { idx, generation, liveness: is_liveness, ok };
                    if tx.send(event).is_err() {
                        return;
                    }
                    clock.sleep(period).await;
                }
            }));
        }
        slot.instance = Some(Instance {
            ctx,
            task,
            ready_task,
            probes,
            started_at: now,
            behaviour_ready: false,
            probe_ready: readiness.as_ref().map(|_| false),
            liveness_failures: 0,
        });
        slot.record.container_id = Some(container_id());
        slot.record.state = State::Running { started_at: now };
        slot.record.ready = false;
        let field = Some(format!("spec.containers{{{}}}", slot.container.name));
        let name = slot.container.name.clone();
        let recorder = self.kubelet.recorder.clone();
        recorder.pod_event_in(
            &pod,
            field.clone(),
            "Normal",
            "Created",
            format!("Created container {name}"),
        );
        recorder.pod_event_in(
            &pod,
            field,
            "Normal",
            "Started",
            format!("Started container {name}"),
        );
        self.publish(idx);
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Exited { idx, generation, code } => {
                if self.slots[idx].generation == generation && self.slots[idx].instance.is_some() {
                    self.exited(idx, code);
                }
            }
            Event::Ready { idx, generation, ready } => {
                let slot = &mut self.slots[idx];
                if slot.generation == generation
                    && let Some(instance) = slot.instance.as_mut()
                {
                    instance.behaviour_ready = ready;
                    slot.record.ready = ready && instance.probe_ready.unwrap_or(true);
                }
            }
            Event::Probe { idx, generation, liveness, ok } => {
                self.probed(idx, generation, liveness, ok)
            }
            Event::RestartDue { idx, generation } => {
                let slot = &mut self.slots[idx];
                if slot.generation == generation && slot.pending_restart && !self.terminating {
                    slot.pending_restart = false;
                    slot.record.restart_count += 1;
                    self.start(idx);
                }
            }
            Event::Retry { idx } => {
                if !self.terminating && self.slots[idx].blocked {
                    self.pending_prepare.push(idx);
                }
            }
            Event::RetryVolumes => self.pending_volumes = true,
            Event::GraceExpired => {
                for idx in 0..self.slots.len() {
                    if self.slots[idx].instance.is_some() {
                        self.exited(idx, KILLED_EXIT);
                    }
                }
            }
        }
    }

    fn probed(&mut self, idx: usize, generation: u64, liveness: bool, ok: bool) {
        let pod = self.pod.clone();
        let slot = &mut self.slots[idx];
        if slot.generation != generation {
            return;
        }
        let Some(instance) = slot.instance.as_mut() else {
            return;
        };
        if !ok {
            let kind = if liveness { "Liveness" } else { "Readiness" };
            self.kubelet.recorder.pod_event_in(
                &pod,
                Some(format!("spec.containers{{{}}}", slot.container.name)),
                "Warning",
                "Unhealthy",
                format!("{kind} probe failed"),
            );
        }
        if !liveness {
            instance.probe_ready = Some(ok);
            slot.record.ready = ok && instance.behaviour_ready;
            return;
        }
        instance.liveness_failures = if ok { 0 } else { instance.liveness_failures + 1 };
        let threshold =
            slot.container.liveness_probe.as_ref().and_then(|p| p.failure_threshold).unwrap_or(3);
        if instance.liveness_failures >= threshold && !self.terminating {
            self.exited(idx, KILLED_EXIT);
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Crash { container, exit_code } => {
                if let Some(idx) = self.slots.iter().position(|s| s.container.name == container)
                    && self.slots[idx].instance.is_some()
                {
                    self.exited(idx, exit_code);
                }
            }
        }
    }

    /// A container's process ended with `code`.
    fn exited(&mut self, idx: usize, code: i32) {
        let now = self.kubelet.shared.clock.now();
        let terminating = self.terminating;
        let policy = self.restart_policy.clone();
        let slot = &mut self.slots[idx];
        let Some(instance) = slot.instance.take() else {
            return;
        };
        slot.logs.close();
        slot.record.ready = false;
        slot.record.state = State::Terminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            message: None,
            started_at: Some(instance.started_at),
            finished_at: now,
            container_id: slot.record.container_id.clone(),
        };
        let ran = now.duration_since(instance.started_at).unsigned_abs();
        drop(instance);
        if terminating {
            self.publish(idx);
            return;
        }
        let restart = match slot.kind {
            Kind::Sidecar => true,
            Kind::Init => code != 0 && policy != "Never",
            Kind::Main => policy == "Always" || (policy == "OnFailure" && code != 0),
        };
        if slot.kind == Kind::Init && code != 0 && policy == "Never" {
            self.record.failed = true;
        }
        if restart {
            if ran >= BACKOFF_RESET {
                slot.backoff = Duration::ZERO;
            }
            let delay = slot.backoff;
            slot.backoff =
                if delay.is_zero() { FIRST_BACKOFF } else { (delay * 2).min(MAX_BACKOFF) };
            slot.record.last_state = Some(slot.record.state.clone());
            if delay.is_zero() {
                slot.record.restart_count += 1;
                self.start(idx);
                return;
            }
            let pod = &self.pod;
            let (name, namespace, uid) = (
                pod.metadata.name.clone().unwrap_or_default(),
                pod.metadata.namespace.clone().unwrap_or_default(),
                pod.metadata.uid.clone().unwrap_or_default(),
            );
            let container = slot.container.name.clone();
            slot.record.state = State::waiting(
                "CrashLoopBackOff",
                Some(format!(
                    "back-off {}s restarting failed container={container} pod={name}_{namespace}({uid})",
                    delay.as_secs()
                )),
            );
            slot.pending_restart = true;
            self.kubelet.recorder.pod_event_in(
                pod,
                Some(format!("spec.containers{{{container}}}")),
                "Warning",
                "BackOff",
                format!("Back-off restarting failed container {container} in pod {name}_{namespace}({uid})"),
            );
            let generation = slot.generation;
            let tx = self.tx.clone();
            let clock = self.kubelet.shared.clock.clone();
            tokio::spawn(async move {
                clock.sleep(delay).await;
                let _ = tx.send(Event::RestartDue { idx, generation });
            });
        }
        self.publish(idx);
    }

    fn begin_termination(&mut self) {
        self.terminating = true;
        let grace = self
            .pod
            .metadata
            .deletion_grace_period_seconds
            .or_else(|| self.pod.spec.as_ref().and_then(|s| s.termination_grace_period_seconds))
            .unwrap_or(30)
            .max(0) as u64;
        for slot in &mut self.slots {
            slot.pending_restart = false;
            let Some(instance) = &slot.instance else {
                continue;
            };
            let ctx = instance.ctx.clone();
            let behaviour = slot.behaviour.clone();
            let pre_stop = slot
                .container
                .lifecycle
                .as_ref()
                .and_then(|l| l.pre_stop.as_ref())
                .and_then(|h| h.exec.as_ref())
                .and_then(|e| e.command.clone());
            let name = slot.container.name.clone();
            self.kubelet.recorder.pod_event_in(
                &self.pod,
                Some(format!("spec.containers{{{name}}}")),
                "Normal",
                "Killing",
                format!("Stopping container {name}"),
            );
            tokio::spawn(async move {
                if let Some(argv) = pre_stop {
                    let _ = shell::exec(behaviour.as_ref(), &ctx, &argv, b"").await;
                }
                ctx.signal(Signal::Terminate);
            });
        }
        let tx = self.tx.clone();
        let clock = self.kubelet.shared.clock.clone();
        tokio::spawn(async move {
            clock.sleep(Duration::from_secs(grace)).await;
            let _ = tx.send(Event::GraceExpired);
        });
    }

    /// All containers stopped: report the final status and remove the pod, as the kubelet does
    /// (delete with gracePeriodSeconds=0 and the pod's uid as precondition).
    async fn finish(&mut self) {
        if self.final_phase.is_none() {
            let all_ok = self
                .slots
                .iter()
                .filter(|s| s.kind == Kind::Main)
                .all(|s| s.record.state.exit_code() == Some(0));
            self.final_phase = Some(if all_ok { "Succeeded" } else { "Failed" });
            self.sync().await;
        }
        let mut partitioned = self.kubelet.partitioned.subscribe();
        while *partitioned.borrow_and_update() {
            if partitioned.changed().await.is_err() {
                return;
            }
        }
        let namespace = self.pod.metadata.namespace.clone().unwrap_or_default();
        let name = self.pod.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.kubelet.client.clone(), &namespace);
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(self.runtime.uid.clone()),
                resource_version: None,
            }),
            ..Default::default()
        };
        if let Err(error) = api.delete(&name, &params).await {
            tracing::debug!(pod = %name, %error, "final pod delete failed");
        }
    }

    fn pod_record(&self) -> PodRecord {
        let mut record = self.record.clone();
        record.init =
            self.slots.iter().filter(|s| s.kind != Kind::Main).map(|s| s.record.clone()).collect();
        record.containers =
            self.slots.iter().filter(|s| s.kind == Kind::Main).map(|s| s.record.clone()).collect();
        record
    }

    async fn sync(&mut self) {
        if self.observe_only {
            return;
        }
        let mut status = pod_status(&self.pod, &self.pod_record(), self.kubelet.shared.clock.now());
        if let Some(phase) = self.final_phase {
            status["phase"] = json!(phase);
        }
        if self.last_written.as_ref() == Some(&status) {
            return;
        }
        let namespace = self.pod.metadata.namespace.clone().unwrap_or_default();
        let name = self.pod.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.kubelet.client.clone(), &namespace);
        let patch = Patch::Merge(json!({"status": status}));
        match api.patch_status(&name, &PatchParams::default(), &patch).await {
            Ok(_) => self.last_written = Some(status),
            Err(error) => tracing::debug!(pod = %name, %error, "pod status update failed"),
        }
    }
}
