use serde_json::{Value, json};

use super::*;

fn scope() -> Scope<'static> {
    Scope {
        shape: Shape::builtin("apps", "v1", "Deployment").unwrap(),
        api_version: "apps/v1",
        subresource: "",
        reset: Reset::Status,
    }
}

fn deployment(replicas: i64, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": image}]}}}})
}

fn managers(obj: &Value) -> Vec<(String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    (
                        e["manager"].as_str().unwrap().to_string(),
                        e["operation"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn fields_of<'v>(obj: &'v Value, manager: &str) -> &'v Value {
    let list = obj["metadata"]["managedFields"].as_array().unwrap();
    &list.iter().find(|e| e["manager"] == manager).unwrap()["fieldsV1"]
}

#[test]
fn a_create_records_the_creator_with_self_markers() {
    let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": "c", "labels": {"app": "x"}},
                         "data": {"a": "1"}});
    let scope = Scope {
        shape: Shape::builtin("", "v1", "ConfigMap").unwrap(),
        api_version: "v1",
        subresource: "",
        reset: Reset::Nothing,
    };
    track_update(scope, None, &mut obj, "kubectl-create");
    let entry = &obj["metadata"]["managedFields"][0];
    assert_eq!(entry["manager"], "kubectl-create");
    assert_eq!(entry["operation"], "Update");
    assert_eq!(entry["apiVersion"], "v1");
    assert_eq!(entry["fieldsType"], "FieldsV1");
    assert!(entry["time"].is_string());
    assert_eq!(
        entry["fieldsV1"],
        json!({"f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}})
    );
}

#[test]
fn an_unchanged_update_keeps_managed_fields_as_they_were() {
    let mut first = deployment(1, "a");
    track_update(scope(), None, &mut first, "creator");
    let mut again = without_managed_fields(&first);
    track_update(scope(), Some(&first), &mut again, "other");
    assert_eq!(again["metadata"]["managedFields"], first["metadata"]["managedFields"]);
}

#[test]
fn apply_creates_and_owns_what_it_sets() {
    let created = apply(scope(), None, &deployment(2, "a"), "mgr", false).unwrap();
    assert_eq!(managers(&created), vec![("mgr".into(), "Apply".into())]);
    let fields = fields_of(&created, "mgr");
    assert_eq!(fields["f:spec"]["f:replicas"], json!({}));
    assert!(
        fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["."]
            .is_object()
    );
    assert!(fields.get("f:apiVersion").is_none());
    assert!(fields["f:metadata"].get("f:name").is_none());
}

#[test]
fn another_managers_update_takes_ownership_and_apply_then_conflicts() {
    let live = apply(scope(), None, &deployment(2, "a"), "mgr", false).unwrap();
    let mut scaled = live.clone();
    scaled["spec"]["replicas"] = json!(5);
    track_update(scope(), Some(&live), &mut scaled, "kubectl-scale");
    assert_eq!(fields_of(&scaled, "kubectl-scale"), &json!({"f:spec": {"f:replicas": {}}}));
    assert!(fields_of(&scaled, "mgr")["f:spec"].get("f:replicas").is_none());

    let err = apply(scope(), Some(&scaled), &deployment(3, "a"), "mgr", false).unwrap_err();
    let status = err.status();
    assert_eq!(status["code"], 409);
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas"
    );
    // The same value is shared, not a conflict.
    let shared = apply(scope(), Some(&scaled), &deployment(5, "a"), "mgr", false).unwrap();
    assert_eq!(shared["spec"]["replicas"], 5);
    assert_eq!(fields_of(&shared, "kubectl-scale"), &json!({"f:spec": {"f:replicas": {}}}));

    let forced = apply(scope(), Some(&scaled), &deployment(3, "a"), "mgr", true).unwrap();
    assert_eq!(forced["spec"]["replicas"], 3);
    assert_eq!(managers(&forced), vec![("mgr".into(), "Apply".into())]);
}

#[test]
fn fields_an_applier_stops_applying_are_removed_unless_owned_by_others() {
    let mut config = deployment(2, "a");
    config["spec"]["minReadySeconds"] = json!(5);
    config["metadata"]["labels"] = json!({"keep": "1", "drop": "1"});
    let live = apply(scope(), None, &config, "mgr", false).unwrap();
    // Someone else sets the "keep" label (same value: shared ownership).
    let mut other = live.clone();
    other["metadata"]["labels"]["keep"] = json!("2");
    track_update(scope(), Some(&live), &mut other, "editor");
    let next = apply(scope(), Some(&other), &deployment(2, "a"), "mgr", false).unwrap();
    assert!(next["spec"].get("minReadySeconds").is_none());
    assert_eq!(next["metadata"]["labels"], json!({"keep": "2"}));
}

#[test]
fn apply_owns_only_status_on_the_status_subresource() {
    let status_scope = Scope { subresource: "status", reset: Reset::AllButStatus, ..scope() };
    let live = apply(scope(), None, &deployment(1, "a"), "mgr", false).unwrap();
    let config = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                        "spec": {"replicas": 9}, "status": {"replicas": 1}});
    let out = apply(status_scope, Some(&live), &config, "ctl", false).unwrap();
    let entry = out["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "ctl")
        .unwrap();
    assert_eq!(entry["subresource"], "status");
    assert_eq!(entry["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));
}

#[test]
fn apply_configurations_are_checked() {
    let mut wrong = deployment(1, "a");
    wrong["apiVersion"] = json!("apps/v1beta1");
    let err = apply(scope(), None, &wrong, "m", false).unwrap_err();
    assert_eq!(err.code(), 400);
    let mut managed = deployment(1, "a");
    managed["metadata"]["managedFields"] = json!([]);
    let err = apply(scope(), None, &managed, "m", false).unwrap_err();
    assert_eq!(err.to_string(), "metadata.managedFields must be nil");
}

#[test]
fn an_empty_managed_fields_list_resets_ownership() {
    let mut first = deployment(1, "a");
    track_update(scope(), None, &mut first, "creator");
    assert!(first["metadata"]["managedFields"].is_array());
    let mut reset = first.clone();
    reset["metadata"]["managedFields"] = json!([]);
    track_update(scope(), Some(&first), &mut reset, "cleaner");
    assert!(reset["metadata"].get("managedFields").is_none());
}
