//! Defaulting of built-in kinds, as the apiserver's defaulters and admission plugins fill
//! fields a client left out (pods, pod templates, workload specs, services, namespaces).

use serde_json::{Map, Value, json};

use crate::registry::Resource;

fn set_default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_string(), value);
    }
}

fn object_at<'a>(obj: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut v = obj;
    for p in path {
        v = v.get_mut(*p)?;
    }
    v.as_object_mut()
}

fn default_container(c: &mut Value) {
    let Some(c) = c.as_object_mut() else {
        return;
    };
    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
    let last = image.rsplit('/').next().unwrap_or("");
    let tagged = last.contains(':') && !last.ends_with(":latest");
    let digest = image.contains('@');
    let policy = if tagged || digest { "IfNotPresent" } else { "Always" };
    set_default(c, "imagePullPolicy", json!(policy));
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    set_default(c, "resources", json!({}));
}

/// Defaults of a pod spec (also inside templates).
pub fn pod_spec(spec: &mut Map<String, Value>, with_tolerations: bool) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "enableServiceLinks", json!(true));
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            containers.iter_mut().for_each(default_container);
        }
    }
    if let Some(sa) = spec.get("serviceAccountName").cloned() {
        set_default(spec, "serviceAccount", sa);
    } else {
        spec.insert("serviceAccountName".into(), json!("default"));
        spec.insert("serviceAccount".into(), json!("default"));
    }
    if with_tolerations {
        default_tolerations(spec);
    }
}

/// The DefaultTolerationSeconds admission plugin: pods tolerate not-ready and unreachable
/// nodes for 300 s unless they say otherwise.
fn default_tolerations(spec: &mut Map<String, Value>) {
    let tolerations = spec.entry("tolerations").or_insert_with(|| Value::Array(Vec::new()));
    if !tolerations.is_array() {
        *tolerations = Value::Array(Vec::new());
    }
    let list = tolerations.as_array_mut().expect("made an array above");
    for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
        let present = list.iter().any(|t| {
            t.get("key").and_then(Value::as_str) == Some(key)
                || (t.get("key").is_none()
                    && t.get("operator").and_then(Value::as_str) == Some("Exists"))
        });
        if !present {
            list.push(json!({"key": key, "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}));
        }
    }
}

fn template(obj: &mut Value) {
    if let Some(spec) = object_at(obj, &["spec", "template", "spec"]) {
        pod_spec(spec, false);
    }
}

/// Applies the defaults of `resource`'s kind to an object about to be created or updated.
pub fn apply(resource: &Resource, obj: &mut Value) {
    if resource.is_custom() {
        return;
    }
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "pods") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                pod_spec(spec, true);
                set_default(spec, "priority", json!(0));
            }
        }
        ("", "namespaces") => {
            let name = obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null);
            if let Some(meta) = object_at(obj, &["metadata"]) {
                let labels = meta.entry("labels").or_insert_with(|| json!({}));
                if let Some(labels) = labels.as_object_mut() {
                    labels.insert("kubernetes.io/metadata.name".into(), name);
                }
            }
            if let Some(map) = obj.as_object_mut() {
                let spec = map.entry("spec").or_insert_with(|| json!({}));
                if let Some(spec) = spec.as_object_mut() {
                    set_default(spec, "finalizers", json!(["kubernetes"]));
                }
            }
        }
        ("", "secrets") => {
            if let Some(map) = obj.as_object_mut()
                && map.get("type").and_then(Value::as_str).is_none_or(str::is_empty)
            {
                map.insert("type".into(), json!("Opaque"));
            }
        }
        ("", "services") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                set_default(spec, "type", json!("ClusterIP"));
                set_default(spec, "sessionAffinity", json!("None"));
                if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                    for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_default(port, "protocol", json!("TCP"));
                        if let Some(p) = port.get("port").cloned() {
                            set_default(port, "targetPort", p);
                        }
                    }
                }
            }
        }
        ("apps", "deployments") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(spec, "progressDeadlineSeconds", json!(600));
                set_default(
                    spec,
                    "strategy",
                    json!({"type": "RollingUpdate",
                           "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
                );
            }
            template(obj);
        }
        ("apps", "replicasets") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                set_default(spec, "replicas", json!(1));
            }
            template(obj);
        }
        ("apps", "statefulsets") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                );
            }
            template(obj);
        }
        ("apps", "daemonsets") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate",
                           "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
                );
            }
            template(obj);
        }
        ("batch", "jobs") => {
            if let Some(spec) = object_at(obj, &["spec"]) {
                set_default(spec, "backoffLimit", json!(6));
                set_default(spec, "completions", json!(1));
                set_default(spec, "parallelism", json!(1));
                set_default(spec, "completionMode", json!("NonIndexed"));
                set_default(spec, "suspend", json!(false));
            }
            template(obj);
        }
        _ => {}
    }
}

/// The QoS class of a pod from its containers' requests and limits.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|l| pod.pointer(&format!("/spec/{l}")).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let requests = c.pointer("/resources/requests").and_then(Value::as_object);
        let limits = c.pointer("/resources/limits").and_then(Value::as_object);
        if requests.is_some_and(|r| !r.is_empty()) || limits.is_some_and(|l| !l.is_empty()) {
            any = true;
        }
        for resource in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(resource));
            let request = requests.and_then(|r| r.get(resource)).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}
