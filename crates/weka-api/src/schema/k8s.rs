//! Schemas of the Kubernetes core types that WEKA resources embed, in the exact form
//! controller-gen writes them into CRDs (with list/map-type markers and required lists).
//! Use them with `#[schemars(schema_with = "crate::schema::k8s::<fn>")]`.

use schemars::{Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::object;

fn schema(v: Value) -> Schema {
    Schema::try_from(v).expect("hand-written schemas are JSON objects")
}

fn string() -> Value {
    json!({"type": "string"})
}

fn atomic_strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"})
}

fn atomic_list(items: Value) -> Value {
    json!({"type": "array", "items": items, "x-kubernetes-list-type": "atomic"})
}

fn int32() -> Value {
    json!({"type": "integer", "format": "int32"})
}

fn string_map() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string"}})
}

/// `key`, `operator`, `values` requirements, as in node and label selectors.
fn requirement() -> Value {
    object(
        &[("key", string()), ("operator", string()), ("values", atomic_strings())],
        &["key", "operator"],
    )
}

fn label_selector() -> Value {
    let mut v = object(
        &[("matchExpressions", atomic_list(requirement())), ("matchLabels", string_map())],
        &[],
    );
    v["x-kubernetes-map-type"] = json!("atomic");
    v
}

fn node_selector_term() -> Value {
    let mut v = object(
        &[
            ("matchExpressions", atomic_list(requirement())),
            ("matchFields", atomic_list(requirement())),
        ],
        &[],
    );
    v["x-kubernetes-map-type"] = json!("atomic");
    v
}

fn pod_affinity_term() -> Value {
    object(
        &[
            ("labelSelector", label_selector()),
            ("matchLabelKeys", atomic_strings()),
            ("mismatchLabelKeys", atomic_strings()),
            ("namespaceSelector", label_selector()),
            ("namespaces", atomic_strings()),
            ("topologyKey", string()),
        ],
        &["topologyKey"],
    )
}

fn pod_affinity() -> Value {
    let weighted = object(
        &[("podAffinityTerm", pod_affinity_term()), ("weight", int32())],
        &["podAffinityTerm", "weight"],
    );
    object(
        &[
            ("preferredDuringSchedulingIgnoredDuringExecution", atomic_list(weighted)),
            ("requiredDuringSchedulingIgnoredDuringExecution", atomic_list(pod_affinity_term())),
        ],
        &[],
    )
}

fn node_affinity() -> Value {
    let preferred = object(
        &[("preference", node_selector_term()), ("weight", int32())],
        &["preference", "weight"],
    );
    let mut required =
        object(&[("nodeSelectorTerms", atomic_list(node_selector_term()))], &["nodeSelectorTerms"]);
    required["x-kubernetes-map-type"] = json!("atomic");
    object(
        &[
            ("preferredDuringSchedulingIgnoredDuringExecution", atomic_list(preferred)),
            ("requiredDuringSchedulingIgnoredDuringExecution", required),
        ],
        &[],
    )
}

/// `corev1.Affinity`.
pub fn affinity(_: &mut SchemaGenerator) -> Schema {
    schema(object(
        &[
            ("nodeAffinity", node_affinity()),
            ("podAffinity", pod_affinity()),
            ("podAntiAffinity", pod_affinity()),
        ],
        &[],
    ))
}

fn toleration() -> Value {
    object(
        &[
            ("effect", string()),
            ("key", string()),
            ("operator", string()),
            ("tolerationSeconds", json!({"type": "integer", "format": "int64"})),
            ("value", string()),
        ],
        &[],
    )
}

/// `[]corev1.Toleration` (controller-gen writes no list-type marker here).
pub fn tolerations(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "array", "items": toleration()}))
}

/// `[]corev1.TopologySpreadConstraint`.
pub fn topology_spread_constraints(_: &mut SchemaGenerator) -> Schema {
    let constraint = object(
        &[
            ("labelSelector", label_selector()),
            ("matchLabelKeys", atomic_strings()),
            ("maxSkew", int32()),
            ("minDomains", int32()),
            ("nodeAffinityPolicy", string()),
            ("nodeTaintsPolicy", string()),
            ("topologyKey", string()),
            ("whenUnsatisfiable", string()),
        ],
        &["maxSkew", "topologyKey", "whenUnsatisfiable"],
    );
    schema(json!({"type": "array", "items": constraint}))
}

fn quantity_value() -> Value {
    json!({
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$",
        "x-kubernetes-int-or-string": true
    })
}

/// `resource.Quantity`: an integer or a string in Kubernetes quantity syntax.
pub fn quantity(_: &mut SchemaGenerator) -> Schema {
    schema(quantity_value())
}

fn key_selector() -> Value {
    let mut v = object(
        &[
            ("key", string()),
            ("name", json!({"type": "string", "default": ""})),
            ("optional", json!({"type": "boolean"})),
        ],
        &["key"],
    );
    v["x-kubernetes-map-type"] = json!("atomic");
    v
}

/// `corev1.EnvVarSource`.
pub fn env_var_source(_: &mut SchemaGenerator) -> Schema {
    let mut field_ref =
        object(&[("apiVersion", string()), ("fieldPath", string())], &["fieldPath"]);
    field_ref["x-kubernetes-map-type"] = json!("atomic");
    let mut resource_ref = object(
        &[("containerName", string()), ("divisor", quantity_value()), ("resource", string())],
        &["resource"],
    );
    resource_ref["x-kubernetes-map-type"] = json!("atomic");
    schema(object(
        &[
            ("configMapKeyRef", key_selector()),
            ("fieldRef", field_ref),
            ("resourceFieldRef", resource_ref),
            ("secretKeyRef", key_selector()),
        ],
        &[],
    ))
}

/// `[]corev1.VolumeMount`.
pub fn volume_mounts(_: &mut SchemaGenerator) -> Schema {
    let mount = object(
        &[
            ("mountPath", string()),
            ("mountPropagation", string()),
            ("name", string()),
            ("readOnly", json!({"type": "boolean"})),
            ("recursiveReadOnly", string()),
            ("subPath", string()),
            ("subPathExpr", string()),
        ],
        &["mountPath", "name"],
    );
    schema(json!({"type": "array", "items": mount}))
}

/// `[]metav1.Condition`, with the validation markers of apimachinery.
pub fn conditions(_: &mut SchemaGenerator) -> Schema {
    let condition = object(
        &[
            ("lastTransitionTime", json!({"type": "string", "format": "date-time"})),
            ("message", json!({"type": "string", "maxLength": 32768})),
            ("observedGeneration", json!({"type": "integer", "format": "int64", "minimum": 0})),
            (
                "reason",
                json!({
                    "type": "string", "maxLength": 1024, "minLength": 1,
                    "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
                }),
            ),
            ("status", json!({"type": "string", "enum": ["True", "False", "Unknown"]})),
            (
                "type",
                json!({
                    "type": "string", "maxLength": 316,
                    "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
                }),
            ),
        ],
        &["lastTransitionTime", "message", "reason", "status", "type"],
    );
    schema(json!({"type": "array", "items": condition}))
}

/// Free-form JSON kept as is by the API server.
pub fn preserve_unknown(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"x-kubernetes-preserve-unknown-fields": true}))
}

/// `[]corev1.ContainerPort` (controller-gen writes no list-type marker here).
pub fn container_ports(_: &mut SchemaGenerator) -> Schema {
    let port = object(
        &[
            ("containerPort", int32()),
            ("hostIP", string()),
            ("hostPort", int32()),
            ("name", string()),
            ("protocol", json!({"type": "string", "default": "TCP"})),
        ],
        &["containerPort"],
    );
    schema(json!({"type": "array", "items": port}))
}
