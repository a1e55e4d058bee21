//! kubectl's columns for the cluster-level and policy kinds: Leases, PriorityClasses,
//! StorageClasses, CSIDrivers, RBAC roles and bindings, CRDs and PodDisruptionBudgets.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::columns::{
    AGE_DESCRIPTION, age, age_column, column, int, name, name_column, or_none, text,
};

pub fn lease_columns() -> Vec<Value> {
    vec![
        name_column(),
        column(
            "Holder",
            "string",
            0,
            "holderIdentity contains the identity of the holder of a current lease.",
        ),
        age_column(),
    ]
}

pub fn lease_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![name(obj), json!(text(obj, "/spec/holderIdentity")), age(obj, now)]
}

pub fn priorityclass_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Value", "integer", 0, "value represents the integer value of this priority class."),
        column(
            "Global-Default",
            "boolean",
            0,
            "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.",
        ),
        age_column(),
        column(
            "PreemptionPolicy",
            "string",
            0,
            "preemptionPolicy is the Policy for preempting pods with lower priority.",
        ),
    ]
}

pub fn priorityclass_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let policy = match text(obj, "/preemptionPolicy") {
        "" => "PreemptLowerPriority",
        p => p,
    };
    vec![
        name(obj),
        json!(int(obj, "/value")),
        json!(obj.get("globalDefault").and_then(Value::as_bool).unwrap_or(false)),
        age(obj, now),
        json!(policy),
    ]
}

pub fn storageclass_columns() -> Vec<Value> {
    vec![
        name_column(),
        column("Provisioner", "string", 0, "provisioner indicates the type of the provisioner."),
        column(
            "ReclaimPolicy",
            "string",
            0,
            "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.",
        ),
        column(
            "VolumeBindingMode",
            "string",
            0,
            "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.",
        ),
        column(
            "AllowVolumeExpansion",
            "string",
            0,
            "allowVolumeExpansion shows whether the storage class allow volume expand.",
        ),
        age_column(),
    ]
}

pub fn storageclass_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|k| {
        obj.pointer("/metadata/annotations").and_then(|a| a.get(*k)).and_then(Value::as_str)
            == Some("true")
    });
    let mut shown = text(obj, "/metadata/name").to_string();
    if default {
        shown.push_str(" (default)");
    }
    let or = |value: &str, fallback: &str| {
        if value.is_empty() { fallback.to_string() } else { value.to_string() }
    };
    vec![
        json!(shown),
        json!(text(obj, "/provisioner")),
        json!(or(text(obj, "/reclaimPolicy"), "Delete")),
        json!(or(text(obj, "/volumeBindingMode"), "Immediate")),
        json!(obj.get("allowVolumeExpansion").and_then(Value::as_bool).unwrap_or(false)),
        age(obj, now),
    ]
}

pub fn csidriver_columns() -> Vec<Value> {
    vec![
        name_column(),
        column(
            "AttachRequired",
            "boolean",
            0,
            "attachRequired indicates this CSI volume driver requires an attach operation.",
        ),
        column(
            "PodInfoOnMount",
            "boolean",
            0,
            "podInfoOnMount indicates this CSI volume driver requires additional pod information during mount operations.",
        ),
        column(
            "StorageCapacity",
            "boolean",
            0,
            "storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity.",
        ),
        column(
            "TokenRequests",
            "string",
            0,
            "tokenRequests indicates the CSI driver needs pods' service account tokens it is mounting volume for.",
        ),
        column(
            "RequiresRepublish",
            "boolean",
            0,
            "requiresRepublish indicates the CSI driver wants NodePublishVolume being periodically called.",
        ),
        column(
            "Modes",
            "string",
            0,
            "volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.",
        ),
        age_column(),
    ]
}

pub fn csidriver_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let flag = |field: &str, default: bool| {
        json!(obj.pointer(&format!("/spec/{field}")).and_then(Value::as_bool).unwrap_or(default))
    };
    let tokens: Vec<&str> = obj
        .pointer("/spec/tokenRequests")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(|t| t.get("audience").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    let modes: Vec<&str> = obj
        .pointer("/spec/volumeLifecycleModes")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| vec!["Persistent"]);
    vec![
        name(obj),
        flag("attachRequired", true),
        flag("podInfoOnMount", false),
        flag("storageCapacity", false),
        json!(or_none(&tokens.join(","))),
        flag("requiresRepublish", false),
        json!(modes.join(",")),
        age(obj, now),
    ]
}

pub fn created_at_columns() -> Vec<Value> {
    vec![name_column(), column("Created At", "date", 0, AGE_DESCRIPTION)]
}

pub fn created_at_row(obj: &Value, _now: Timestamp) -> Vec<Value> {
    vec![name(obj), json!(text(obj, "/metadata/creationTimestamp"))]
}

pub fn binding_columns() -> Vec<Value> {
    vec![
        name_column(),
        column(
            "Role",
            "string",
            0,
            "RoleRef can only reference the current namespace or a ClusterRole.",
        ),
        age_column(),
        column("Users", "string", 1, "Users in the binding"),
        column("Groups", "string", 1, "Groups in the binding"),
        column("ServiceAccounts", "string", 1, "ServiceAccounts in the binding"),
    ]
}

pub fn binding_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let role = format!("{}/{}", text(obj, "/roleRef/kind"), text(obj, "/roleRef/name"));
    let (mut users, mut groups, mut accounts) = (Vec::new(), Vec::new(), Vec::new());
    for s in obj.get("subjects").and_then(Value::as_array).into_iter().flatten() {
        let name = text(s, "/name").to_string();
        match text(s, "/kind") {
            "User" => users.push(name),
            "Group" => groups.push(name),
            "ServiceAccount" => accounts.push(format!("{}/{name}", text(s, "/namespace"))),
            _ => {}
        }
    }
    vec![
        json!(text(obj, "/metadata/name")),
        json!(role),
        age(obj, now),
        json!(users.join(", ")),
        json!(groups.join(", ")),
        json!(accounts.join(", ")),
    ]
}

pub fn pdb_columns() -> Vec<Value> {
    vec![
        name_column(),
        column(
            "Min Available",
            "string",
            0,
            "An eviction is allowed if at least \"minAvailable\" pods selected by \"selector\" will still be available after the eviction.",
        ),
        column(
            "Max Unavailable",
            "string",
            0,
            "An eviction is allowed if at most \"maxUnavailable\" pods selected by \"selector\" are unavailable after the eviction.",
        ),
        column(
            "Allowed Disruptions",
            "integer",
            0,
            "Number of pod disruptions that are currently allowed.",
        ),
        age_column(),
    ]
}

pub fn pdb_row(obj: &Value, now: Timestamp) -> Vec<Value> {
    let int_or_string = |pointer: &str| match obj.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".into(),
    };
    vec![
        name(obj),
        json!(int_or_string("/spec/minAvailable")),
        json!(int_or_string("/spec/maxUnavailable")),
        json!(int(obj, "/status/disruptionsAllowed")),
        age(obj, now),
    ]
}
