//! The pod status a kubelet reports, computed from what it knows of its containers: phase,
//! conditions (PodScheduled kept, PodReadyToStartContainers, Initialized, ContainersReady,
//! Ready), container statuses, IPs. A pure function, so it is tested without a server.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

/// RFC 3339 with whole seconds, as metav1.Time is written.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started_at: Timestamp,
    },
    Terminated {
        exit_code: i32,
        reason: String,
        message: Option<String>,
        started_at: Option<Timestamp>,
        finished_at: Timestamp,
        container_id: Option<String>,
    },
}

impl State {
    pub fn waiting(reason: &str, message: Option<String>) -> Self {
        State::Waiting { reason: reason.into(), message }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, State::Running { .. })
    }

    pub fn exit_code(&self) -> Option<i32> {
        match self {
            State::Terminated { exit_code, .. } => Some(*exit_code),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            State::Waiting { reason, message } => {
                let mut w = json!({"reason": reason});
                if let Some(m) = message {
                    w["message"] = json!(m);
                }
                json!({"waiting": w})
            }
            State::Running { started_at } => {
                json!({"running": {"startedAt": rfc3339(*started_at)}})
            }
            State::Terminated {
                exit_code,
                reason,
                message,
                started_at,
                finished_at,
                container_id,
            } => {
                let mut t = json!({"exitCode": exit_code, "reason": reason,
                                   "finishedAt": rfc3339(*finished_at)});
                if let Some(s) = started_at {
                    t["startedAt"] = json!(rfc3339(*s));
                }
                if let Some(m) = message {
                    t["message"] = json!(m);
                }
                if let Some(id) = container_id {
                    t["containerID"] = json!(id);
                }
                json!({"terminated": t})
            }
        }
    }
}

/// What the kubelet knows of one container.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRecord {
    pub name: String,
    pub image: String,
    /// Empty until the image is pulled.
    pub image_id: String,
    pub container_id: Option<String>,
    pub state: State,
    pub last_state: Option<State>,
    pub ready: bool,
    pub restart_count: i32,
    /// An init container with restartPolicy Always.
    pub sidecar: bool,
}

impl ContainerRecord {
    pub fn new(name: &str, image: &str, sidecar: bool) -> Self {
        ContainerRecord {
            name: name.into(),
            image: image.into(),
            image_id: String::new(),
            container_id: None,
            state: State::waiting("ContainerCreating", None),
            last_state: None,
            ready: false,
            restart_count: 0,
            sidecar,
        }
    }

    fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "image": self.image,
            "imageID": self.image_id,
            "state": self.state.to_json(),
            "lastState": self.last_state.as_ref().map_or(json!({}), State::to_json),
            "ready": self.ready,
            "restartCount": self.restart_count,
            "started": self.state.is_running(),
        });
        if let Some(id) = &self.container_id {
            v["containerID"] = json!(id);
        }
        v
    }

    fn succeeded(&self) -> bool {
        self.state.exit_code() == Some(0)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodRecord {
    pub init: Vec<ContainerRecord>,
    pub containers: Vec<ContainerRecord>,
    pub host_ip: String,
    pub pod_ip: String,
    pub start_time: Option<Timestamp>,
    /// Set when the pod failed as a whole (e.g. an init container failed under Never).
    pub failed: bool,
}

impl PodRecord {
    /// All init containers done (sidecars running).
    pub fn initialized(&self) -> bool {
        self.init.iter().all(|c| if c.sidecar { c.state.is_running() } else { c.succeeded() })
    }

    pub fn phase(&self, restart_policy: &str) -> &'static str {
        if self.failed {
            return "Failed";
        }
        if !self.initialized() {
            let init_failed = self
                .init
                .iter()
                .any(|c| !c.sidecar && matches!(c.state.exit_code(), Some(code) if code != 0));
            return if init_failed && restart_policy == "Never" { "Failed" } else { "Pending" };
        }
        let running = self.containers.iter().filter(|c| c.state.is_running()).count();
        let waiting: Vec<_> =
            self.containers.iter().filter(|c| matches!(c.state, State::Waiting { .. })).collect();
        if running > 0 {
            return "Running";
        }
        if !waiting.is_empty() {
            let restarting = waiting.iter().any(|c| c.last_state.is_some())
                || self.containers.iter().any(|c| c.state.exit_code().is_some());
            return if restarting { "Running" } else { "Pending" };
        }
        if self.containers.iter().any(|c| !c.succeeded()) { "Failed" } else { "Succeeded" }
    }
}

fn condition(
    pod: &Pod,
    type_: &str,
    ok: bool,
    reason: Option<&str>,
    message: Option<String>,
    now: Timestamp,
) -> Value {
    let status = if ok { "True" } else { "False" };
    let previous = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == type_));
    let since = match previous {
        Some(p) if p.status == status => {
            p.last_transition_time.as_ref().map(|t| rfc3339(t.0)).unwrap_or_else(|| rfc3339(now))
        }
        _ => rfc3339(now),
    };
    let mut c = json!({"type": type_, "status": status, "lastProbeTime": null,
                       "lastTransitionTime": since});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
    c
}

/// The status object to write (a full replacement of the kubelet-owned fields).
pub fn pod_status(pod: &Pod, record: &PodRecord, now: Timestamp) -> Value {
    let restart_policy =
        pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always");
    let phase = record.phase(restart_policy);
    let terminal = matches!(phase, "Succeeded" | "Failed");

    let unready: Vec<&str> = record
        .containers
        .iter()
        .chain(record.init.iter().filter(|c| c.sidecar))
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let incomplete: Vec<&str> = record
        .init
        .iter()
        .filter(|c| if c.sidecar { !c.state.is_running() } else { !c.succeeded() })
        .map(|c| c.name.as_str())
        .collect();
    let initialized = incomplete.is_empty();
    let ready = unready.is_empty() && !terminal;
    let (ready_reason, ready_message) = if terminal {
        (Some("PodCompleted"), None)
    } else if ready {
        (None, None)
    } else {
        (
            Some("ContainersNotReady"),
            Some(format!("containers with unready status: [{}]", unready.join(" "))),
        )
    };

    let mut conditions =
        vec![condition(pod, "PodReadyToStartContainers", !terminal, None, None, now)];
    conditions.push(if initialized {
        let reason = terminal.then_some("PodCompleted");
        condition(pod, "Initialized", true, reason, None, now)
    } else {
        condition(
            pod,
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(format!("containers with incomplete status: [{}]", incomplete.join(" "))),
            now,
        )
    });
    conditions.push(condition(pod, "Ready", ready, ready_reason, ready_message.clone(), now));
    conditions.push(condition(pod, "ContainersReady", ready, ready_reason, ready_message, now));
    let scheduled = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
        .and_then(|c| serde_json::to_value(c).ok());
    conditions
        .push(scheduled.unwrap_or_else(|| condition(pod, "PodScheduled", true, None, None, now)));

    let mut status = Map::new();
    status.insert("phase".into(), json!(phase));
    status.insert("conditions".into(), Value::Array(conditions));
    status.insert("hostIP".into(), json!(record.host_ip));
    status.insert("hostIPs".into(), json!([{"ip": record.host_ip}]));
    if !record.pod_ip.is_empty() {
        status.insert("podIP".into(), json!(record.pod_ip));
        status.insert("podIPs".into(), json!([{"ip": record.pod_ip}]));
    }
    if let Some(start) = record.start_time {
        status.insert("startTime".into(), json!(rfc3339(start)));
    }
    if !record.init.is_empty() {
        status.insert(
            "initContainerStatuses".into(),
            Value::Array(record.init.iter().map(ContainerRecord::to_json).collect()),
        );
    }
    status.insert(
        "containerStatuses".into(),
        Value::Array(record.containers.iter().map(ContainerRecord::to_json).collect()),
    );
    if let Some(qos) = pod.status.as_ref().and_then(|s| s.qos_class.clone()) {
        status.insert("qosClass".into(), json!(qos));
    }
    Value::Object(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(name: &str, ready: bool) -> ContainerRecord {
        let mut c = ContainerRecord::new(name, "busybox", false);
        c.state = State::Running { started_at: Timestamp::UNIX_EPOCH };
        c.ready = ready;
        c
    }

    fn terminated(name: &str, code: i32) -> ContainerRecord {
        let mut c = ContainerRecord::new(name, "busybox", false);
        c.state = State::Terminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            message: None,
            started_at: None,
            finished_at: Timestamp::UNIX_EPOCH,
            container_id: None,
        };
        c
    }

    fn find<'a>(status: &'a Value, type_: &str) -> &'a Value {
        status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == type_).unwrap()
    }

    #[test]
    fn phases_follow_container_states() {
        let mut rec = PodRecord {
            containers: vec![ContainerRecord::new("a", "x", false)],
            ..Default::default()
        };
        assert_eq!(rec.phase("Always"), "Pending");
        rec.containers[0] = running("a", true);
        assert_eq!(rec.phase("Always"), "Running");
        rec.containers[0] = terminated("a", 0);
        assert_eq!(rec.phase("Never"), "Succeeded");
        rec.containers[0] = terminated("a", 2);
        assert_eq!(rec.phase("Never"), "Failed");
        let mut backoff = ContainerRecord::new("a", "x", false);
        backoff.state = State::waiting("CrashLoopBackOff", None);
        backoff.last_state = Some(terminated("a", 1).state);
        rec.containers[0] = backoff;
        assert_eq!(rec.phase("Always"), "Running");
    }

    #[test]
    fn init_containers_gate_initialized() {
        let rec = PodRecord {
            init: vec![ContainerRecord::new("setup", "x", false)],
            containers: vec![ContainerRecord::new("a", "x", false)],
            host_ip: "172.18.0.2".into(),
            ..Default::default()
        };
        let status = pod_status(&Pod::default(), &rec, Timestamp::UNIX_EPOCH);
        assert_eq!(status["phase"], "Pending");
        let init = find(&status, "Initialized");
        assert_eq!(init["status"], "False");
        assert_eq!(init["message"], "containers with incomplete status: [setup]");
        assert_eq!(
            status["initContainerStatuses"][0]["state"]["waiting"]["reason"],
            "ContainerCreating"
        );
    }

    #[test]
    fn ready_needs_every_container_ready() {
        let rec = PodRecord {
            containers: vec![running("a", true), running("b", false)],
            host_ip: "172.18.0.2".into(),
            pod_ip: "10.244.0.2".into(),
            ..Default::default()
        };
        let status = pod_status(&Pod::default(), &rec, Timestamp::UNIX_EPOCH);
        assert_eq!(status["phase"], "Running");
        let ready = find(&status, "Ready");
        assert_eq!(ready["status"], "False");
        assert_eq!(ready["message"], "containers with unready status: [b]");
        assert_eq!(find(&status, "PodScheduled")["status"], "True");
        assert_eq!(status["podIP"], "10.244.0.2");
        assert_eq!(status["containerStatuses"][0]["started"], true);
    }

    #[test]
    fn completed_pods_are_not_ready_with_reason_pod_completed() {
        let rec = PodRecord { containers: vec![terminated("a", 0)], ..Default::default() };
        let status = pod_status(&Pod::default(), &rec, Timestamp::UNIX_EPOCH);
        assert_eq!(status["phase"], "Succeeded");
        assert_eq!(find(&status, "Ready")["reason"], "PodCompleted");
        assert_eq!(status["containerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
    }
}
