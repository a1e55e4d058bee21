//! kubectl's columns for workloads: Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs
//! and CronJobs.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::builtin::Printer;
use super::columns::{
    age, age_column, column, containers_and_images, int, labels_text, name, name_column,
    selector_text, since, text,
};
use crate::nodes::printer::human_duration;

pub fn printer(group: &str, plural: &str) -> Option<Printer> {
    let p = |columns, cells| Some(Printer { columns, cells });
    match (group, plural) {
        ("apps", "deployments") => p(deployment_columns, deployment_row),
        ("apps", "replicasets") => p(replicaset_columns, replicaset_row),
        ("apps", "daemonsets") => p(daemonset_columns, daemonset_row),
        ("apps", "statefulsets") => p(statefulset_columns, statefulset_row),
        ("batch", "jobs") => p(job_columns, job_row),
        ("batch", "cronjobs") => p(cronjob_columns, cronjob_row),
        _ => None,
    }
}

const CONTAINERS: &str = "Names of each container in the template.";
const IMAGES: &str = "Images referenced by each container in the template.";
const SELECTOR: &str = "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.";

fn wide_columns(with_selector: bool) -> Vec<Value> {
    let mut out =
        vec![column("Containers", "string", 1, CONTAINERS), column("Images", "string", 1, IMAGES)];
    if with_selector {
        out.push(column("Selector", "string", 1, SELECTOR));
    }
    out
}

fn wide_cells(obj: &Value, template_spec: &str, with_selector: bool) -> Vec<Value> {
    let (containers, images) = containers_and_images(obj.pointer(template_spec));
    let mut out = vec![containers, images];
    if with_selector {
        out.push(json!(selector_text(obj.pointer("/spec/selector"))));
    }
    out
}

fn deployment_columns() -> Vec<Value> {
    let mut out = vec![
        name_column(),
        column("Ready", "string", 0, "Number of the pod with ready state"),
        column(
            "Up-to-date",
            "integer",
            0,
            "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
        ),
        column(
            "Available",
            "integer",
            0,
            "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
        ),
        age_column(),
    ];
    out.extend(wide_columns(true));
    out
}

fn desired(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

fn deployment_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut out = vec![
        name(obj),
        json!(format!("{}/{}", int(obj, "/status/readyReplicas"), desired(obj))),
        json!(int(obj, "/status/updatedReplicas")),
        json!(int(obj, "/status/availableReplicas")),
        age(obj, now),
    ];
    out.extend(wide_cells(obj, "/spec/template/spec", true));
    out
}

fn replicaset_columns() -> Vec<Value> {
    let mut out = vec![
        name_column(),
        column("Desired", "integer", 0, "Replicas is the number of desired replicas."),
        column(
            "Current",
            "integer",
            0,
            "Replicas is the most recently observed number of replicas.",
        ),
        column("Ready", "integer", 0, "The number of ready replicas for this replica set."),
        age_column(),
    ];
    out.extend(wide_columns(true));
    out
}

fn replicaset_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut out = vec![
        name(obj),
        json!(desired(obj)),
        json!(int(obj, "/status/replicas")),
        json!(int(obj, "/status/readyReplicas")),
        age(obj, now),
    ];
    out.extend(wide_cells(obj, "/spec/template/spec", true));
    out
}

fn daemonset_columns() -> Vec<Value> {
    let mut out = vec![
        name_column(),
        column(
            "Desired",
            "integer",
            0,
            "The total number of nodes that should be running the daemon pod.",
        ),
        column(
            "Current",
            "integer",
            0,
            "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.",
        ),
        column(
            "Ready",
            "integer",
            0,
            "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.",
        ),
        column(
            "Up-to-date",
            "integer",
            0,
            "The total number of nodes that are running updated daemon pod",
        ),
        column(
            "Available",
            "integer",
            0,
            "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.",
        ),
        column(
            "Node Selector",
            "string",
            0,
            "NodeSelector is a selector which must be true for the pod to fit on a node.",
        ),
        age_column(),
    ];
    out.extend(wide_columns(true));
    out
}

fn daemonset_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut out = vec![
        name(obj),
        json!(int(obj, "/status/desiredNumberScheduled")),
        json!(int(obj, "/status/currentNumberScheduled")),
        json!(int(obj, "/status/numberReady")),
        json!(int(obj, "/status/updatedNumberScheduled")),
        json!(int(obj, "/status/numberAvailable")),
        json!(labels_text(obj.pointer("/spec/template/spec/nodeSelector"))),
        age(obj, now),
    ];
    out.extend(wide_cells(obj, "/spec/template/spec", true));
    out
}

fn statefulset_columns() -> Vec<Value> {
    let mut out = vec![
        name_column(),
        column("Ready", "string", 0, "Number of the pod with ready state"),
        age_column(),
    ];
    out.extend(wide_columns(false));
    out
}

fn statefulset_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut out = vec![
        name(obj),
        json!(format!("{}/{}", int(obj, "/status/readyReplicas"), desired(obj))),
        age(obj, now),
    ];
    out.extend(wide_cells(obj, "/spec/template/spec", false));
    out
}

fn job_columns() -> Vec<Value> {
    let mut out = vec![
        name_column(),
        column("Status", "string", 0, "Status of the job."),
        column("Completions", "string", 0, "The completion status of the job."),
        column("Duration", "string", 0, "Time required to complete the job."),
        age_column(),
    ];
    out.extend(wide_columns(true));
    out
}

fn condition_true(obj: &Value, kind: &str) -> bool {
    obj.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten().any(|c| {
        c.get("type").and_then(Value::as_str) == Some(kind)
            && c.get("status").and_then(Value::as_str) == Some("True")
    })
}

fn job_status(obj: &Value) -> &'static str {
    if condition_true(obj, "Complete") {
        "Complete"
    } else if condition_true(obj, "Failed") {
        "Failed"
    } else if obj.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else if condition_true(obj, "FailureTarget") {
        "FailureTarget"
    } else if condition_true(obj, "SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else if condition_true(obj, "Suspended") {
        "Suspended"
    } else {
        "Running"
    }
}

fn job_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let succeeded = int(obj, "/status/succeeded");
    let completions = match obj.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => {
            let parallelism = obj.pointer("/spec/parallelism").and_then(Value::as_i64).unwrap_or(0);
            if parallelism > 1 {
                format!("{succeeded}/1 of {parallelism}")
            } else {
                format!("{succeeded}/1")
            }
        }
    };
    let start = text(obj, "/status/startTime").parse::<Timestamp>().ok();
    let end = text(obj, "/status/completionTime").parse::<Timestamp>().ok();
    let duration = match (start, end) {
        (Some(s), Some(e)) => human_duration(e.duration_since(s).as_secs()),
        (Some(s), None) => human_duration(now.duration_since(s).as_secs()),
        _ => String::new(),
    };
    let mut out =
        vec![name(obj), json!(job_status(obj)), json!(completions), json!(duration), age(obj, now)];
    out.extend(wide_cells(obj, "/spec/template/spec", true));
    out
}

fn cronjob_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Schedule", "string", 0, "The schedule in Cron format."),
        column("Timezone", "string", 0, "The time zone name for the given schedule."),
        column(
            "Suspend",
            "boolean",
            0,
            "This flag tells the controller to suspend subsequent executions.",
        ),
        column("Active", "integer", 0, "A list of pointers to currently running jobs."),
        column(
            "Last Schedule",
            "string",
            0,
            "Information when was the last time the job was successfully scheduled.",
        ),
        age_column(),
        column("Containers", "string", 1, CONTAINERS),
        column("Images", "string", 1, IMAGES),
        column("Selector", "string", 1, SELECTOR),
    ]
}

fn cronjob_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let last = match text(obj, "/status/lastScheduleTime") {
        "" => "<none>".to_string(),
        t => since(t, now),
    };
    let timezone = match text(obj, "/spec/timeZone") {
        "" => "<none>",
        t => t,
    };
    let active = obj.pointer("/status/active").and_then(Value::as_array).map_or(0, Vec::len);
    let (containers, images) =
        containers_and_images(obj.pointer("/spec/jobTemplate/spec/template/spec"));
    vec![
        name(obj),
        json!(text(obj, "/spec/schedule")),
        json!(timezone),
        json!(obj.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)),
        json!(active),
        json!(last),
        age(obj, now),
        containers,
        images,
        json!(selector_text(obj.pointer("/spec/jobTemplate/spec/selector"))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments_show_ready_over_desired_and_the_template() {
        let d = json!({"metadata": {"name": "web", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        let now = "2024-01-01T00:00:45Z".parse().unwrap();
        assert_eq!(
            deployment_row(&d, now),
            vec![
                json!("web"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("45s"),
                json!("a,b"),
                json!("a:1,b:1"),
                json!("app=web")
            ]
        );
        assert_eq!(deployment_columns().len(), 8);
    }

    #[test]
    fn jobs_report_status_and_duration() {
        let j = json!({"metadata": {"name": "j"}, "spec": {"completions": 1},
            "status": {"succeeded": 1, "startTime": "2024-01-01T00:00:00Z",
                       "completionTime": "2024-01-01T00:00:05Z",
                       "conditions": [{"type": "Complete", "status": "True"}]}});
        let cells = job_row(&j, "2024-01-01T00:10:00Z".parse().unwrap());
        assert_eq!(cells[1..4], [json!("Complete"), json!("1/1"), json!("5s")]);
    }
}
