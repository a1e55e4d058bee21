//! How the lists and structs of the built-in kinds merge: the `patchStrategy` / `patchMergeKey`
//! tags and the `+listType` / `+listMapKey` / `+structType` markers of the Kubernetes Go types
//! (1.32), for the kinds kubesim serves. They are written into the built-in OpenAPI definitions
//! as `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys` and `x-kubernetes-map-type` (see `openapi::builtin`), and
//! strategic merge patch and server-side apply read them from there, as the apiserver does.
//!
//! Only what differs from the defaults is listed: a list without an entry is replaced by a
//! strategic merge patch and atomic for server-side apply; a struct without an entry is merged
//! field by field.

/// One field of a definition with its merge rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRule {
    /// The OpenAPI definition without `io.k8s.` (`api.core.v1.PodSpec`).
    pub definition: &'static str,
    pub field: &'static str,
    /// `merge`, `retainKeys` or `merge,retainKeys`.
    pub patch_strategy: &'static str,
    /// The key that identifies items of a merged list of objects.
    pub merge_key: &'static str,
    /// `set`, `map` or `atomic` for server-side apply.
    pub list_type: &'static str,
    pub list_map_keys: &'static [&'static str],
}

/// A list of objects merged by `key`, a `map` for server-side apply keyed by `keys`.
const fn keyed(
    definition: &'static str,
    field: &'static str,
    key: &'static str,
    keys: &'static [&'static str],
) -> FieldRule {
    FieldRule {
        definition,
        field,
        patch_strategy: "merge",
        merge_key: key,
        list_type: "map",
        list_map_keys: keys,
    }
}

/// Like [`keyed`], and items keep only the fields a patch lists in `$retainKeys`.
const fn keyed_retain(
    definition: &'static str,
    field: &'static str,
    key: &'static str,
    keys: &'static [&'static str],
) -> FieldRule {
    FieldRule { patch_strategy: "merge,retainKeys", ..keyed(definition, field, key, keys) }
}

/// Merged by `key` for a strategic merge patch, yet atomic for server-side apply.
const fn keyed_atomic(
    definition: &'static str,
    field: &'static str,
    key: &'static str,
) -> FieldRule {
    FieldRule {
        definition,
        field,
        patch_strategy: "merge",
        merge_key: key,
        list_type: "atomic",
        list_map_keys: &[],
    }
}

/// A list of scalars merged as a set.
const fn set(definition: &'static str, field: &'static str) -> FieldRule {
    FieldRule {
        definition,
        field,
        patch_strategy: "merge",
        merge_key: "",
        list_type: "set",
        list_map_keys: &[],
    }
}

/// A struct whose fields a patch replaces as a whole when it lists them in `$retainKeys`.
const fn retain_keys(definition: &'static str, field: &'static str) -> FieldRule {
    FieldRule {
        definition,
        field,
        patch_strategy: "retainKeys",
        merge_key: "",
        list_type: "",
        list_map_keys: &[],
    }
}

const NAME: &[&str] = &["name"];
const TYPE: &[&str] = &["type"];
const IP: &[&str] = &["ip"];

pub const FIELD_RULES: &[FieldRule] = &[
    // meta/v1
    set("apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers"),
    keyed("apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences", "uid", &["uid"]),
    // core/v1 pods and templates
    keyed("api.core.v1.PodSpec", "containers", "name", NAME),
    keyed("api.core.v1.PodSpec", "initContainers", "name", NAME),
    keyed("api.core.v1.PodSpec", "ephemeralContainers", "name", NAME),
    keyed_retain("api.core.v1.PodSpec", "volumes", "name", NAME),
    keyed("api.core.v1.PodSpec", "imagePullSecrets", "name", NAME),
    keyed("api.core.v1.PodSpec", "hostAliases", "ip", IP),
    keyed(
        "api.core.v1.PodSpec",
        "topologySpreadConstraints",
        "topologyKey",
        &["topologyKey", "whenUnsatisfiable"],
    ),
    keyed_retain("api.core.v1.PodSpec", "resourceClaims", "name", NAME),
    keyed("api.core.v1.PodSpec", "schedulingGates", "name", NAME),
    keyed("api.core.v1.Container", "ports", "containerPort", &["containerPort", "protocol"]),
    keyed("api.core.v1.Container", "env", "name", NAME),
    keyed("api.core.v1.Container", "volumeMounts", "mountPath", &["mountPath"]),
    keyed("api.core.v1.Container", "volumeDevices", "devicePath", &["devicePath"]),
    keyed(
        "api.core.v1.EphemeralContainer",
        "ports",
        "containerPort",
        &["containerPort", "protocol"],
    ),
    keyed("api.core.v1.EphemeralContainer", "env", "name", NAME),
    keyed("api.core.v1.EphemeralContainer", "volumeMounts", "mountPath", &["mountPath"]),
    keyed("api.core.v1.EphemeralContainer", "volumeDevices", "devicePath", &["devicePath"]),
    keyed("api.core.v1.ResourceRequirements", "claims", "name", NAME),
    keyed("api.core.v1.PodStatus", "conditions", "type", TYPE),
    keyed("api.core.v1.PodStatus", "podIPs", "ip", IP),
    keyed("api.core.v1.PodStatus", "hostIPs", "ip", IP),
    keyed_retain("api.core.v1.PodStatus", "resourceClaimStatuses", "name", NAME),
    // core/v1 other kinds
    keyed("api.core.v1.ServiceSpec", "ports", "port", &["port", "protocol"]),
    keyed("api.core.v1.ServiceStatus", "conditions", "type", TYPE),
    keyed("api.core.v1.ServiceAccount", "secrets", "name", NAME),
    set("api.core.v1.NodeSpec", "podCIDRs"),
    keyed("api.core.v1.NodeStatus", "conditions", "type", TYPE),
    keyed("api.core.v1.NodeStatus", "addresses", "type", TYPE),
    keyed("api.core.v1.NamespaceStatus", "conditions", "type", TYPE),
    keyed("api.core.v1.PersistentVolumeClaimStatus", "conditions", "type", TYPE),
    // apps/v1
    retain_keys("api.apps.v1.DeploymentSpec", "strategy"),
    keyed("api.apps.v1.DeploymentStatus", "conditions", "type", TYPE),
    keyed("api.apps.v1.ReplicaSetStatus", "conditions", "type", TYPE),
    keyed("api.apps.v1.DaemonSetStatus", "conditions", "type", TYPE),
    keyed("api.apps.v1.StatefulSetStatus", "conditions", "type", TYPE),
    // batch/v1
    keyed_atomic("api.batch.v1.JobStatus", "conditions", "type"),
    // policy/v1
    keyed("api.policy.v1.PodDisruptionBudgetStatus", "conditions", "type", TYPE),
    // apiextensions.k8s.io/v1
    keyed(
        "apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus",
        "conditions",
        "type",
        TYPE,
    ),
];

/// Structs that server-side apply owns as a whole (`+structType=atomic`).
pub const ATOMIC_STRUCTS: &[&str] = &[
    "apimachinery.pkg.apis.meta.v1.LabelSelector",
    "api.core.v1.NodeSelector",
    "api.core.v1.NodeSelectorTerm",
    "api.core.v1.TopologySelectorTerm",
    "api.core.v1.LocalObjectReference",
    "api.core.v1.TypedLocalObjectReference",
    "api.core.v1.ObjectReference",
    "api.core.v1.ConfigMapKeySelector",
    "api.core.v1.SecretKeySelector",
    "api.core.v1.ObjectFieldSelector",
    "api.core.v1.ResourceFieldSelector",
    "api.core.v1.ConfigMapEnvSource",
    "api.core.v1.SecretEnvSource",
    "api.rbac.v1.RoleRef",
    "api.rbac.v1.Subject",
];

/// The rule of `definition` (full OpenAPI name) and `field`, if any.
pub fn rule(definition: &str, field: &str) -> Option<&'static FieldRule> {
    let short = definition.strip_prefix("io.k8s.")?;
    FIELD_RULES.iter().find(|r| r.definition == short && r.field == field)
}

/// Whether `definition` (full OpenAPI name) is an atomic struct.
pub fn atomic_struct(definition: &str) -> bool {
    definition.strip_prefix("io.k8s.").is_some_and(|short| ATOMIC_STRUCTS.contains(&short))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_merge_by_name_and_ports_by_container_port() {
        let containers = rule("io.k8s.api.core.v1.PodSpec", "containers").unwrap();
        assert_eq!((containers.patch_strategy, containers.merge_key), ("merge", "name"));
        assert_eq!(containers.list_map_keys, &["name"]);
        let ports = rule("io.k8s.api.core.v1.Container", "ports").unwrap();
        assert_eq!(ports.merge_key, "containerPort");
        assert_eq!(ports.list_map_keys, &["containerPort", "protocol"]);
    }

    #[test]
    fn volumes_retain_keys_and_finalizers_are_a_set() {
        let volumes = rule("io.k8s.api.core.v1.PodSpec", "volumes").unwrap();
        assert_eq!(volumes.patch_strategy, "merge,retainKeys");
        assert_eq!(volumes.list_map_keys, &["name"]);
        let finalizers = rule("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers");
        assert_eq!(finalizers.unwrap().list_type, "set");
        assert!(rule("io.k8s.api.core.v1.PodSpec", "tolerations").is_none());
    }

    #[test]
    fn label_selectors_are_atomic() {
        assert!(atomic_struct("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"));
        assert!(!atomic_struct("io.k8s.api.core.v1.PodSpec"));
    }
}
