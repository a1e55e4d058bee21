//! kubectl's pod columns (NAME, READY, STATUS, RESTARTS, AGE; wide: IP, NODE, NOMINATED NODE,
//! READINESS GATES) computed as upstream's `printPod` does, for the API server's Table output.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

/// The Table columnDefinitions of pods.
pub fn pod_column_definitions() -> Value {
    let column = |name: &str, priority: i32, description: &str| {
        json!({"name": name, "type": "string", "format": if name == "Name" { "name" } else { "" },
               "description": description, "priority": priority})
    };
    json!([
        column("Name", 0, "Name must be unique within a namespace."),
        column("Ready", 0, "The aggregate readiness state of this pod for accepting traffic."),
        column("Status", 0, "The aggregate status of the containers in this pod."),
        column(
            "Restarts",
            0,
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."
        ),
        column(
            "Age",
            0,
            "CreationTimestamp is a timestamp representing the server time when this object was created."
        ),
        column("IP", 1, "podIP is the IP address allocated to the pod."),
        column("Node", 1, "NodeName indicates in which node this pod is scheduled."),
        column(
            "Nominated Node",
            1,
            "nominatedNodeName is set when this pod preempts other pods on the node."
        ),
        column(
            "Readiness Gates",
            1,
            "If specified, all readiness gates will be evaluated for pod readiness."
        ),
    ])
}

/// kubectl's short durations: 45s, 2m30s, 10m, 5h3m, 3d4h, 400d, 2y30d.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    let s = seconds.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 { format!("{m}m") } else { format!("{m}m{}s", s % 60) }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 { format!("{h}h") } else { format!("{h}h{}m", m % 60) }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 { format!("{d}d") } else { format!("{d}d{}h", h % 24) }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        let y = d / 365;
        if d % 365 == 0 { format!("{y}y") } else { format!("{y}y{}d", d % 365) }
    } else {
        format!("{}y", d / 365)
    }
}

fn last_termination(c: &ContainerStatus) -> Option<Timestamp> {
    c.last_state.as_ref()?.terminated.as_ref()?.finished_at.as_ref().map(|t| t.0)
}

/// The cells of a pod's row.
pub fn pod_cells(pod: &Pod, now: Timestamp) -> Vec<Value> {
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut total = spec.containers.len();
    let mut ready = 0;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_sidecar_restart: Option<Timestamp> = None;
    let mut reason = status.reason.clone().or(status.phase.clone()).unwrap_or_default();
    let sidecar = |name: &str| {
        spec.init_containers
            .iter()
            .flatten()
            .any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"))
    };
    let init_count = spec.init_containers.as_ref().map_or(0, Vec::len);
    let mut initializing = false;
    for (i, c) in status.init_container_statuses.iter().flatten().enumerate() {
        restarts += c.restart_count;
        if let Some(t) = last_termination(c) {
            last_restart = last_restart.max(Some(t));
        }
        let is_sidecar = sidecar(&c.name);
        if is_sidecar {
            sidecar_restarts += c.restart_count;
            if let Some(t) = last_termination(c) {
                last_sidecar_restart = last_sidecar_restart.max(Some(t));
            }
            if c.started == Some(true) {
                total += 1;
                if c.ready {
                    ready += 1;
                }
            }
        }
        let state = c.state.clone().unwrap_or_default();
        if state.terminated.as_ref().is_some_and(|t| t.exit_code == 0)
            || (is_sidecar && c.started == Some(true))
        {
            continue;
        }
        if let Some(t) = &state.terminated {
            reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if t.signal.unwrap_or(0) != 0 => {
                    format!("Init:Signal:{}", t.signal.unwrap_or(0))
                }
                None => format!("Init:ExitCode:{}", t.exit_code),
            };
        } else if let Some(w) = state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.clone())
            .filter(|r| !r.is_empty() && r != "PodInitializing")
        {
            reason = format!("Init:{w}");
        } else {
            reason = format!("Init:{i}/{init_count}");
        }
        initializing = true;
        break;
    }
    let initialized =
        status.conditions.iter().flatten().any(|c| c.type_ == "Initialized" && c.status == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for c in status.container_statuses.iter().flatten().rev() {
            restarts += c.restart_count;
            if let Some(t) = last_termination(c) {
                last_restart = last_restart.max(Some(t));
            }
            let state = c.state.clone().unwrap_or_default();
            if let Some(w) =
                state.waiting.as_ref().and_then(|w| w.reason.clone()).filter(|r| !r.is_empty())
            {
                reason = w;
            } else if let Some(t) = &state.terminated {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_string(),
                    None if t.signal.unwrap_or(0) != 0 => {
                        format!("Signal:{}", t.signal.unwrap_or(0))
                    }
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if c.ready && state.running.is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let has_ready = status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            reason = if has_ready { "Running".into() } else { "NotReady".into() };
        }
    }
    let phase = status.phase.clone().unwrap_or_default();
    if pod.metadata.deletion_timestamp.is_some() {
        if status.reason.as_deref() == Some("NodeLost") {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }
    let restarts_text = match last_restart {
        Some(t) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(now.duration_since(t).as_secs()))
        }
        _ => restarts.to_string(),
    };
    let age = pod.metadata.creation_timestamp.as_ref().map_or_else(
        || "<unknown>".to_string(),
        |t| human_duration(now.duration_since(t.0).as_secs()),
    );
    let none = || "<none>".to_string();
    let gates = spec.readiness_gates.as_ref().filter(|g| !g.is_empty()).map(|gates| {
        let passed = gates
            .iter()
            .filter(|g| {
                status
                    .conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == g.condition_type && c.status == "True")
            })
            .count();
        format!("{passed}/{}", gates.len())
    });
    vec![
        json!(pod.metadata.name.clone().unwrap_or_default()),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_text),
        json!(age),
        json!(status.pod_ip.clone().filter(|ip| !ip.is_empty()).unwrap_or_else(none)),
        json!(spec.node_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(none)),
        json!(status.nominated_node_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(none)),
        json!(gates.unwrap_or_else(none)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(value: Value) -> Pod {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(1200), "20m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
    }

    #[test]
    fn running_ready_pod() {
        let p = pod(json!({"metadata": {"name": "x", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "c"}], "nodeName": "node-1"},
            "status": {"phase": "Running", "podIP": "10.244.0.2", "containerStatuses": [
                {"name": "c", "ready": true, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"running": {"startedAt": "2024-01-01T00:00:01Z"}}}]}}));
        let now = "2024-01-01T00:00:30Z".parse().unwrap();
        let cells = pod_cells(&p, now);
        assert_eq!(
            cells[..6],
            [
                json!("x"),
                json!("1/1"),
                json!("Running"),
                json!("0"),
                json!("30s"),
                json!("10.244.0.2")
            ]
        );
    }

    #[test]
    fn waiting_reasons_and_terminating_win() {
        let mut p = pod(json!({"metadata": {"name": "x"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "c", "ready": false, "restartCount": 3, "image": "i", "imageID": "",
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-01-01T00:00:00Z"}}}]}}));
        let now = "2024-01-01T00:01:00Z".parse().unwrap();
        let cells = pod_cells(&p, now);
        assert_eq!(
            (cells[1].clone(), cells[2].clone(), cells[3].clone()),
            (json!("0/1"), json!("CrashLoopBackOff"), json!("3 (60s ago)"))
        );
        p.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now));
        assert_eq!(pod_cells(&p, now)[2], json!("Terminating"));
    }

    #[test]
    fn init_containers_show_progress() {
        let p = pod(json!({"metadata": {"name": "x"},
            "spec": {"containers": [{"name": "c"}], "initContainers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [
                {"name": "a", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "b", "ready": false, "restartCount": 0, "image": "i", "imageID": "",
                 "state": {"running": {}}}]}}));
        assert_eq!(pod_cells(&p, Timestamp::UNIX_EPOCH)[2], json!("Init:1/2"));
    }
}
