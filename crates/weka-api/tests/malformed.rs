//! Malformed resources are rejected with an error that names the JSON path and the reason.

use serde_json::{Value, json};
use weka_api::parse::{self, ParseError};
use weka_api::{WekaClient, WekaCluster, WekaContainer, WekaManualOperation, WekaPolicy};

fn container(spec: Value) -> Value {
    let mut base = json!({"name": "dist", "mode": "compute", "image": "img:4.4.2", "numCores": 1});
    merge(&mut base, spec);
    json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaContainer",
           "metadata": {"name": "c"}, "spec": base})
}

fn cluster(spec: Value) -> Value {
    let mut base = json!({"image": "img:4.4.2", "template": "dynamic"});
    merge(&mut base, spec);
    json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaCluster",
           "metadata": {"name": "c"}, "spec": base})
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (b, p) => *b = p,
    }
}

/// Asserts the error's path and that its message contains `fragment`.
fn rejects<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    doc: Value,
    path: &str,
    fragment: &str,
) {
    // Text takes the fast path first and must still name the field the same way.
    let from_text = parse::from_json::<T>(&doc.to_string()).map(|_| ()).map_err(|e| e.to_string());
    match parse::from_value::<T>(doc) {
        Ok(v) => panic!("accepted a malformed resource: {v:?}"),
        Err(err) => {
            assert_eq!(err.path(), path, "wrong path in `{err}`");
            assert!(err.to_string().contains(fragment), "`{err}` does not mention `{fragment}`");
            assert!(err.to_string().starts_with(path), "`{err}` does not start with the path");
            assert_eq!(from_text, Err(err.to_string()), "from text");
        }
    }
}

#[test]
fn an_unknown_mode_names_the_field_and_the_accepted_values() {
    rejects::<WekaContainer>(
        container(json!({"mode": "warp"})),
        "spec.mode",
        "unknown variant `warp`, expected one of `drive`, `compute`",
    );
}

#[test]
fn a_missing_required_field_is_named() {
    rejects::<WekaContainer>(container(json!({"image": null})), "spec", "missing field `image`");
}

#[test]
fn a_string_where_an_integer_belongs_is_rejected() {
    rejects::<WekaContainer>(
        container(json!({"numCores": "two"})),
        "spec.numCores",
        "invalid type: string \"two\"",
    );
}

#[test]
fn an_unknown_state_is_rejected() {
    rejects::<WekaContainer>(
        container(json!({"state": "sleeping"})),
        "spec.state",
        "unknown variant `sleeping`",
    );
}

#[test]
fn an_unknown_cpu_policy_is_rejected() {
    rejects::<WekaContainer>(
        container(json!({"cpuPolicy": "turbo"})),
        "spec.cpuPolicy",
        "unknown variant `turbo`",
    );
}

#[test]
fn node_affinity_of_a_container_is_a_node_name_not_an_object() {
    rejects::<WekaContainer>(
        container(json!({"nodeAffinity": {"nodeSelectorTerms": []}})),
        "spec.nodeAffinity",
        "invalid type: map, expected a string",
    );
}

#[test]
fn a_non_string_label_value_in_a_node_selector_is_rejected() {
    rejects::<WekaContainer>(
        container(json!({"nodeSelector": {"zone": 3}})),
        "spec.nodeSelector.zone",
        "invalid type: integer `3`",
    );
}

#[test]
fn cluster_tolerations_are_taint_keys_not_objects() {
    rejects::<WekaCluster>(
        cluster(json!({"tolerations": [{"key": "a", "operator": "Exists"}]})),
        "spec.tolerations[0]",
        "invalid type: map, expected a string",
    );
}

#[test]
fn raw_tolerations_take_integer_seconds() {
    rejects::<WekaCluster>(
        cluster(json!({"rawTolerations": [{"key": "a", "tolerationSeconds": "10"}]})),
        "spec.rawTolerations[0].tolerationSeconds",
        "invalid type: string \"10\"",
    );
}

#[test]
fn dynamic_template_counts_are_integers() {
    rejects::<WekaCluster>(
        cluster(json!({"dynamicTemplate": {"computeContainers": "six"}})),
        "spec.dynamicTemplate.computeContainers",
        "invalid type: string \"six\"",
    );
}

#[test]
fn device_subnets_is_a_list() {
    rejects::<WekaCluster>(
        cluster(json!({"network": {"deviceSubnets": "10.0.0.0/16"}})),
        "spec.network.deviceSubnets",
        "invalid type: string \"10.0.0.0/16\", expected a sequence",
    );
}

#[test]
fn a_condition_with_a_bad_timestamp_is_rejected() {
    let mut doc = cluster(json!({}));
    doc["status"] = json!({"status": "Init", "conditions": [{"type": "Ready", "status": "True",
        "reason": "R", "message": "", "lastTransitionTime": "yesterday"}]});
    rejects::<WekaCluster>(doc, "status.conditions[0].lastTransitionTime", "failed to parse");
}

#[test]
fn a_client_target_cluster_needs_a_namespace() {
    let doc = json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaClient", "metadata": {"name": "c"},
        "spec": {"image": "img:4.4.2", "targetCluster": {"name": "cluster"}}});
    rejects::<WekaClient>(doc, "spec.targetCluster", "missing field `namespace`");
}

#[test]
fn an_unknown_client_upgrade_policy_is_rejected() {
    let doc = json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaClient", "metadata": {"name": "c"},
        "spec": {"image": "img:4.4.2", "upgradePolicy": {"type": "sometimes"}}});
    rejects::<WekaClient>(doc, "spec.upgradePolicy.type", "unknown variant `sometimes`");
}

#[test]
fn an_unknown_policy_type_is_rejected() {
    let doc = json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaPolicy", "metadata": {"name": "p"},
        "spec": {"type": "make-coffee", "payload": {}}});
    rejects::<WekaPolicy>(doc, "spec.type", "unknown variant `make-coffee`");
}

#[test]
fn an_unknown_sign_drives_type_is_rejected() {
    let doc = json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaPolicy", "metadata": {"name": "p"},
        "spec": {"type": "sign-drives", "payload": {"signDrivesPayload": {"type": "all"}}}});
    rejects::<WekaPolicy>(doc, "spec.payload.signDrivesPayload.type", "unknown variant `all`");
}

#[test]
fn a_manual_operation_needs_an_action() {
    let doc = json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaManualOperation",
        "metadata": {"name": "m"}, "spec": {"payload": {}}});
    rejects::<WekaManualOperation>(doc, "spec", "missing field `action`");
}

#[test]
fn block_drives_needs_a_node() {
    let doc = json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaManualOperation",
        "metadata": {"name": "m"}, "spec": {"action": "block-drives",
        "payload": {"blockDrivesPayload": {"serialIDs": ["S1"]}}}});
    rejects::<WekaManualOperation>(doc, "spec.payload.blockDrivesPayload", "missing field `node`");
}

#[test]
fn a_label_with_a_non_string_value_in_metadata_is_rejected() {
    let mut doc = container(json!({}));
    doc["metadata"]["labels"] = json!({"team": 7});
    rejects::<WekaContainer>(doc, "metadata.labels.team", "invalid type: integer `7`");
}

#[test]
fn malformed_yaml_is_a_syntax_error_not_a_field_error() {
    let err = parse::from_yaml::<WekaCluster>("spec: [unclosed").unwrap_err();
    assert!(matches!(err, ParseError::Syntax { format: "YAML", .. }), "{err}");
    assert_eq!(err.path(), ".");
}

#[test]
fn malformed_json_is_a_syntax_error() {
    let err = parse::from_json::<WekaCluster>("{\"spec\": ").unwrap_err();
    assert!(matches!(err, ParseError::Syntax { format: "JSON", .. }), "{err}");
}
