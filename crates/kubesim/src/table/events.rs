//! kubectl's columns for Events, core/v1 and events.k8s.io/v1 alike (the apiserver prints
//! both with one printer; the fields have other names in events.k8s.io/v1).

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::columns::{NAME_DESCRIPTION, column, name, since, text};

pub fn event_columns() -> Vec<Value> {
    vec![
        column(
            "Last Seen",
            "string",
            0,
            "The time at which the most recent occurrence of this event was recorded.",
        ),
        column(
            "Type",
            "string",
            0,
            "Type of this event (Normal, Warning), new types could be added in the future",
        ),
        column(
            "Reason",
            "string",
            0,
            "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        ),
        column("Object", "string", 0, "The object that this event is about."),
        column(
            "Subobject",
            "string",
            1,
            "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
        ),
        column(
            "Source",
            "string",
            1,
            "The component reporting this event. Should be a short machine understandable string.",
        ),
        column(
            "Message",
            "string",
            0,
            "A human-readable description of the status of this operation.",
        ),
        column(
            "First Seen",
            "string",
            1,
            "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        ),
        column("Count", "string", 1, "The number of times this event has occurred."),
        column("Name", "string", 1, NAME_DESCRIPTION),
    ]
}

/// Core and events.k8s.io Events (whose fields have other names).
pub fn event_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let pick = |core: &str, v1: &str| {
        let value = text(obj, core);
        if value.is_empty() { text(obj, v1) } else { value }
    };
    let event_time = since(text(obj, "/eventTime"), now);
    let first = match pick("/firstTimestamp", "/deprecatedFirstTimestamp") {
        "" => event_time,
        t => since(t, now),
    };
    let mut last = match pick("/lastTimestamp", "/deprecatedLastTimestamp") {
        "" => first.clone(),
        t => since(t, now),
    };
    let mut times = obj
        .get("count")
        .or_else(|| obj.get("deprecatedCount"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if let Some(series) = obj.get("series") {
        last = since(text(series, "/lastObservedTime"), now);
        times = series.get("count").and_then(Value::as_i64).unwrap_or(times);
    } else if times == 0 {
        times = 1;
    }
    let involved =
        obj.get("involvedObject").or_else(|| obj.get("regarding")).cloned().unwrap_or_default();
    let kind = text(&involved, "/kind").to_lowercase();
    let target = match text(&involved, "/name") {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let source = {
        let component = match pick("/source/component", "/deprecatedSource/component") {
            "" => pick("/reportingComponent", "/reportingController"),
            c => c,
        };
        let host = match pick("/source/host", "/deprecatedSource/host") {
            "" => text(obj, "/reportingInstance"),
            h => h,
        };
        if host.is_empty() { component.to_string() } else { format!("{component}, {host}") }
    };
    let message = pick("/message", "/note").trim().to_string();
    vec![
        json!(last),
        json!(text(obj, "/type")),
        json!(text(obj, "/reason")),
        json!(target),
        json!(text(&involved, "/fieldPath")),
        json!(source),
        json!(message),
        json!(first),
        json!(times),
        name(obj),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2024-01-01T01:00:00Z".parse().unwrap()
    }

    #[test]
    fn events_read_both_api_versions() {
        let core = json!({"metadata": {"name": "e1"}, "type": "Warning", "reason": "Failed",
            "involvedObject": {"kind": "Pod", "name": "p"}, "message": " boom ",
            "source": {"component": "kubelet", "host": "n1"},
            "firstTimestamp": "2024-01-01T00:59:00Z", "lastTimestamp": "2024-01-01T00:59:30Z", "count": 2});
        let cells = event_row(&core, now());
        assert_eq!(
            cells,
            vec![
                json!("30s"),
                json!("Warning"),
                json!("Failed"),
                json!("pod/p"),
                json!(""),
                json!("kubelet, n1"),
                json!("boom"),
                json!("60s"),
                json!(2),
                json!("e1")
            ]
        );
        let v1 = json!({"metadata": {"name": "e2"}, "type": "Normal", "reason": "Started",
            "regarding": {"kind": "Pod", "name": "p"}, "note": "ok",
            "eventTime": "2024-01-01T00:59:50.000000Z", "reportingController": "ctl"});
        let cells = event_row(&v1, now());
        assert_eq!(
            (cells[0].clone(), cells[3].clone(), cells[6].clone(), cells[8].clone()),
            (json!("10s"), json!("pod/p"), json!("ok"), json!(1))
        );
        assert_eq!(cells.len(), event_columns().len());
    }
}
