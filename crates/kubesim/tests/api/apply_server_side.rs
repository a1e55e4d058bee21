//! Server-side apply as a real apiserver does it: managedFields, ownership across managers,
//! conflicts and `force`, removal of dropped fields, list types of built-ins and CRDs,
//! create-on-apply and dry-run; through kube-rs (`Patch::Apply`) and the real kubectl
//! (`apply --server-side`, `--force-conflicts`).

use crate::common::{eventually, raw, start, status};
use crate::kubectl_support::{available, kubectl, kubectl_with_input};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

fn config_map(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": data})
}

fn entry<'v>(obj: &'v Value, manager: &str) -> &'v Value {
    obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["manager"] == manager))
        .unwrap_or_else(|| panic!("no entry for {manager}: {}", obj["metadata"]))
}

fn has_entry(obj: &Value, manager: &str) -> bool {
    obj["metadata"]["managedFields"]
        .as_array()
        .is_some_and(|l| l.iter().any(|e| e["manager"] == manager))
}

#[tokio::test]
async fn apply_creates_and_records_managed_fields() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let pp = PatchParams::apply("ops");
    let created = cms
        .patch("cfg", &pp, &Patch::Apply(config_map(json!({"a": "1", "b": "2"}))))
        .await
        .unwrap();
    let created = serde_json::to_value(created).unwrap();
    let ops = entry(&created, "ops");
    assert_eq!(ops["operation"], "Apply");
    assert_eq!(ops["apiVersion"], "v1");
    assert_eq!(ops["fieldsType"], "FieldsV1");
    assert!(ops["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ops["fieldsV1"], json!({"f:data": {"f:a": {}, "f:b": {}}}));
    let log = sim.request_log().find(|r| r.verb == "patch");
    assert_eq!(log[0].code, 201, "create on apply answers 201 Created");
    assert_eq!(log[0].content_type.as_deref(), Some("application/apply-patch+yaml"));

    // An update by another manager: recorded as Update with the fields it changed.
    let edited = cms
        .patch(
            "cfg",
            &PatchParams { field_manager: Some("editor".into()), ..Default::default() },
            &Patch::Merge(json!({"data": {"c": "3"}})),
        )
        .await
        .unwrap();
    let edited = serde_json::to_value(edited).unwrap();
    let editor = entry(&edited, "editor");
    assert_eq!(editor["operation"], "Update");
    assert_eq!(editor["fieldsV1"], json!({"f:data": {"f:c": {}}}));
    // Apply entries sort before Update entries.
    assert_eq!(edited["metadata"]["managedFields"][0]["manager"], "ops");
}

#[tokio::test]
async fn conflicts_name_the_managers_and_force_takes_ownership() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    cms.patch(
        "cfg",
        &PatchParams::apply("ops"),
        &Patch::Apply(config_map(json!({"a": "1", "b": "2"}))),
    )
    .await
    .unwrap();
    cms.patch(
        "cfg",
        &PatchParams { field_manager: Some("editor".into()), ..Default::default() },
        &Patch::Merge(json!({"data": {"a": "changed"}})),
    )
    .await
    .unwrap();
    let before = cms.get("cfg").await.unwrap();

    let err = cms
        .patch(
            "cfg",
            &PatchParams::apply("ops"),
            &Patch::Apply(config_map(json!({"a": "1", "b": "2"}))),
        )
        .await
        .unwrap_err();
    let s = status(err);
    assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        s.message,
        "Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a"
    );
    let raw_status = raw(
        &sim,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/cfg?fieldManager=ops",
        Some("application/apply-patch+yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: '1', b: '3'}\n",
    )
    .await
    .json();
    assert_eq!(raw_status["kind"], "Status");
    assert_eq!(
        raw_status["details"]["causes"][0],
        json!({"reason": "FieldManagerConflict",
        "message": "conflict with \"editor\" using v1", "field": ".data.a"})
    );
    assert!(raw_status["details"].get("name").is_none());
    assert_eq!(
        cms.get("cfg").await.unwrap().metadata.resource_version,
        before.metadata.resource_version,
        "nothing is stored by a failed apply"
    );

    let forced = cms
        .patch(
            "cfg",
            &PatchParams::apply("ops").force(),
            &Patch::Apply(config_map(json!({"a": "1", "b": "2"}))),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.as_ref().unwrap()["a"], "1");
    let forced = serde_json::to_value(forced).unwrap();
    assert!(!has_entry(&forced, "editor"), "the editor lost its only field");
    assert_eq!(entry(&forced, "ops")["fieldsV1"], json!({"f:data": {"f:a": {}, "f:b": {}}}));
}

#[tokio::test]
async fn fields_no_longer_applied_are_removed_unless_someone_else_owns_them() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let apply = PatchParams::apply("ops");
    cms.patch("cfg", &apply, &Patch::Apply(config_map(json!({"a": "1", "b": "2", "c": "3"}))))
        .await
        .unwrap();
    // Another applier sets c to the same value: shared ownership.
    cms.patch("cfg", &PatchParams::apply("other"), &Patch::Apply(config_map(json!({"c": "3"}))))
        .await
        .unwrap();
    let next =
        cms.patch("cfg", &apply, &Patch::Apply(config_map(json!({"a": "1"})))).await.unwrap();
    let data = next.data.unwrap();
    assert_eq!(data.keys().collect::<Vec<_>>(), ["a", "c"]);
    let next = serde_json::to_value(cms.get("cfg").await.unwrap()).unwrap();
    assert_eq!(entry(&next, "ops")["fieldsV1"], json!({"f:data": {"f:a": {}}}));
    assert_eq!(entry(&next, "other")["fieldsV1"], json!({"f:data": {"f:c": {}}}));
}

#[tokio::test]
async fn built_in_lists_merge_by_key_across_managers() {
    let sim = start().await;
    let deployments: Api<Deployment> = Api::default_namespaced(sim.client());
    let config = |containers: Value, replicas: i64| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": containers}}}})
    };
    deployments
        .patch(
            "web",
            &PatchParams::apply("team-a"),
            &Patch::Apply(config(json!([{"name": "app", "image": "app:1"}]), 2)),
        )
        .await
        .unwrap();
    // A second manager adds its own container (keyed by name), leaving the rest alone.
    let sidecar = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "proxy:1"}]}}}});
    let both = deployments
        .patch("web", &PatchParams::apply("team-b"), &Patch::Apply(sidecar))
        .await
        .unwrap();
    let both = serde_json::to_value(both).unwrap();
    let names: Vec<&str> = both["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "proxy"]);
    assert_eq!(both["spec"]["replicas"], 2);
    let team_b = &entry(&both, "team-b")["fieldsV1"];
    assert_eq!(
        team_b["f:spec"]["f:template"]["f:spec"]["f:containers"],
        json!({"k:{\"name\":\"proxy\"}": {".": {}, "f:image": {}, "f:name": {}}})
    );
    // team-a re-applies without the sidecar: the sidecar stays (team-b owns it).
    let again = deployments
        .patch(
            "web",
            &PatchParams::apply("team-a"),
            &Patch::Apply(config(json!([{"name": "app", "image": "app:2"}]), 2)),
        )
        .await
        .unwrap();
    let containers = again.spec.unwrap().template.spec.unwrap().containers;
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[0].image.as_deref(), Some("app:2"));
    // Scaling through another manager, then applying a different count, conflicts.
    deployments
        .patch(
            "web",
            &PatchParams { field_manager: Some("hpa".into()), ..Default::default() },
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    let s = status(
        deployments
            .patch(
                "web",
                &PatchParams::apply("team-a"),
                &Patch::Apply(config(json!([{"name": "app", "image": "app:2"}]), 3)),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(s.code, 409);
    assert_eq!(
        s.message,
        "Apply failed with 1 conflict: conflict with \"hpa\" using apps/v1: .spec.replicas"
    );
    // The scale subresource's writer owns replicas under the subresource's name.
    deployments
        .patch_scale(
            "web",
            &PatchParams { field_manager: Some("scaler".into()), ..Default::default() },
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
    let s = status(
        deployments
            .patch(
                "web",
                &PatchParams::apply("team-a"),
                &Patch::Apply(config(json!([{"name": "app", "image": "app:2"}]), 3)),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(
        s.message,
        "Apply failed with 1 conflict: conflict with \"scaler\" with subresource \"scale\" using apps/v1: .spec.replicas"
    );
}

#[tokio::test]
async fn custom_resources_use_list_map_keys_and_dry_run_stores_nothing() {
    let sim = start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(sim.client());
    let crd = serde_json::from_value(json!({
        "metadata": {"name": "pools.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "pools", "singular": "pool", "kind": "Pool"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                   "subresources": {"status": {}},
                   "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                     "spec": {"type": "object", "properties": {
                       "size": {"type": "integer"},
                       "drives": {"type": "array", "x-kubernetes-list-type": "map",
                                  "x-kubernetes-list-map-keys": ["serial"],
                                  "items": {"type": "object", "required": ["serial"],
                                            "properties": {"serial": {"type": "string"},
                                                           "sizeGiB": {"type": "integer"}}}}}},
                     "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}}}}}]}
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    eventually("pools are served", || async {
        raw(&sim, "GET", "/apis/example.com/v1", None, "").await.code == 200
    })
    .await;
    let gvk = GroupVersionKind::gvk("example.com", "v1", "Pool");
    let pools: Api<DynamicObject> =
        Api::default_namespaced_with(sim.client(), &ApiResource::from_gvk(&gvk));
    let pool = |drives: Value| {
        json!({"apiVersion": "example.com/v1", "kind": "Pool", "metadata": {"name": "p"},
               "spec": {"drives": drives}})
    };
    let dry = pools
        .patch(
            "p",
            &PatchParams::apply("a").dry_run(),
            &Patch::Apply(pool(json!([{"serial": "s1"}]))),
        )
        .await
        .unwrap();
    assert_eq!(dry.data["spec"]["drives"][0]["serial"], "s1");
    assert!(pools.get_opt("p").await.unwrap().is_none(), "dry-run created nothing");

    pools
        .patch(
            "p",
            &PatchParams::apply("a"),
            &Patch::Apply(pool(json!([{"serial": "s1", "sizeGiB": 10}]))),
        )
        .await
        .unwrap();
    let merged = pools
        .patch(
            "p",
            &PatchParams::apply("b"),
            &Patch::Apply(pool(json!([{"serial": "s2", "sizeGiB": 20}]))),
        )
        .await
        .unwrap();
    let serials: Vec<&str> = merged.data["spec"]["drives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["s1", "s2"]);
    let obj = serde_json::to_value(&merged).unwrap();
    assert_eq!(
        entry(&obj, "b")["fieldsV1"],
        json!({"f:spec": {"f:drives": {"k:{\"serial\":\"s2\"}": {".": {}, "f:serial": {}, "f:sizeGiB": {}}}}})
    );
    // b resizing a's drive conflicts.
    let s = status(
        pools
            .patch(
                "p",
                &PatchParams::apply("b"),
                &Patch::Apply(pool(
                    json!([{"serial": "s1", "sizeGiB": 11}, {"serial": "s2", "sizeGiB": 20}]),
                )),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(
        s.message,
        "Apply failed with 1 conflict: conflict with \"a\": .spec.drives[serial=\"s1\"].sizeGiB"
    );
    // Status is applied through /status and owned with the subresource named.
    let status_config = json!({"apiVersion": "example.com/v1", "kind": "Pool",
                               "metadata": {"name": "p"}, "status": {"ready": true}});
    let updated = pools
        .patch_status("p", &PatchParams::apply("ctl"), &Patch::Apply(status_config))
        .await
        .unwrap();
    assert_eq!(updated.data["status"]["ready"], true);
    let obj = serde_json::to_value(&updated).unwrap();
    let ctl = entry(&obj, "ctl");
    assert_eq!(ctl["subresource"], "status");
    assert_eq!(ctl["fieldsV1"], json!({"f:status": {"f:ready": {}}}));
}

#[tokio::test]
async fn apply_requires_a_field_manager_and_force_only_applies_to_apply() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    cms.create(&PostParams::default(), &serde_json::from_value(config_map(json!({}))).unwrap())
        .await
        .unwrap();
    let path = "/api/v1/namespaces/default/configmaps/cfg";
    let r = raw(
        &sim,
        "PATCH",
        path,
        Some("application/apply-patch+yaml"),
        &config_map(json!({"a": "1"})).to_string(),
    )
    .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.json()["reason"], "Invalid");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("fieldManager: Required value: is required for apply patch")
    );
    let r = raw(
        &sim,
        "PATCH",
        &format!("{path}?force=true"),
        Some("application/merge-patch+json"),
        r#"{"data":{"a":"1"}}"#,
    )
    .await;
    assert_eq!(r.code, 422);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("force: Forbidden: may not be specified for non-apply patch")
    );
    let mut wrong = config_map(json!({"a": "1"}));
    wrong["metadata"]["managedFields"] = json!([{"manager": "x"}]);
    let r = raw(
        &sim,
        "PATCH",
        &format!("{path}?fieldManager=m"),
        Some("application/apply-patch+yaml"),
        &wrong.to_string(),
    )
    .await;
    assert_eq!(
        (r.code, r.json()["message"].as_str()),
        (400, Some("metadata.managedFields must be nil"))
    );
    let r = raw(
        &sim,
        "PATCH",
        &format!("{path}?fieldManager=m"),
        Some("application/apply-patch+yaml"),
        "data: [unclosed",
    )
    .await;
    assert_eq!((r.code, r.json()["kind"].as_str()), (400, Some("Status")));
}

const CM_YAML: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: MODE
  level: '1'
";

#[tokio::test]
async fn kubectl_server_side_apply_conflicts_and_force_conflicts() {
    if !available() {
        return;
    }
    let sim = start().await;
    let first = CM_YAML.replace("MODE", "fast");
    let run = kubectl_with_input(&sim, &["apply", "--server-side", "-f", "-"], Some(&first)).await;
    assert_eq!(run.out().trim(), "configmap/settings serverside-applied");
    let obj = kubectl(&sim, &["get", "cm", "settings", "-o", "json", "--show-managed-fields"])
        .await
        .json();
    assert_eq!(entry(&obj, "kubectl")["operation"], "Apply");

    // Another manager changes mode: a later apply of another value conflicts.
    let run = kubectl_with_input(
        &sim,
        &["apply", "--server-side", "--field-manager=ops", "-f", "-"],
        Some(&CM_YAML.replace("MODE", "slow")),
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("Apply failed with 1 conflict: conflict with \"kubectl\": .data.mode"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force-conflicts"), "{}", run.stderr);

    let run = kubectl_with_input(
        &sim,
        &["apply", "--server-side", "--field-manager=ops", "--force-conflicts", "-f", "-"],
        Some(&CM_YAML.replace("MODE", "slow")),
    )
    .await;
    assert_eq!(run.out().trim(), "configmap/settings serverside-applied");
    let obj = kubectl(&sim, &["get", "cm", "settings", "-o", "json", "--show-managed-fields"])
        .await
        .json();
    assert_eq!(obj["data"]["mode"], "slow");
    assert_eq!(entry(&obj, "ops")["fieldsV1"], json!({"f:data": {"f:level": {}, "f:mode": {}}}));
    assert_eq!(entry(&obj, "kubectl")["fieldsV1"], json!({"f:data": {"f:level": {}}}));

    let dry = kubectl_with_input(
        &sim,
        &[
            "apply",
            "--server-side",
            "--field-manager=ops",
            "--force-conflicts",
            "--dry-run=server",
            "-f",
            "-",
            "-o",
            "json",
        ],
        Some(&CM_YAML.replace("MODE", "slow").replace("'1'", "'2'")),
    )
    .await;
    assert_eq!(dry.json()["data"]["level"], "2");
    let obj = kubectl(&sim, &["get", "cm", "settings", "-o", "json"]).await.json();
    assert_eq!(obj["data"]["level"], "1");
    let applies = sim
        .request_log()
        .find(|r| r.content_type.as_deref() == Some("application/apply-patch+yaml"));
    assert_eq!(applies.iter().map(|r| r.code).collect::<Vec<_>>(), [201, 409, 200, 200]);
    assert!(applies[3].dry_run);
}

#[tokio::test]
async fn kubectl_moves_from_client_side_to_server_side_apply_without_conflicts() {
    if !available() {
        return;
    }
    let sim = start().await;
    let first = CM_YAML.replace("MODE", "fast");
    let run = kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&first)).await;
    assert_eq!(run.out().trim(), "configmap/settings created");
    let run = kubectl_with_input(
        &sim,
        &["apply", "--server-side", "-f", "-"],
        Some(&CM_YAML.replace("MODE", "slow")),
    )
    .await;
    assert_eq!(run.out().trim(), "configmap/settings serverside-applied");
    let obj = kubectl(&sim, &["get", "cm", "settings", "-o", "json", "--show-managed-fields"])
        .await
        .json();
    assert_eq!(obj["data"]["mode"], "slow");
    // The last-applied annotation follows the server-side apply.
    let last: Value = serde_json::from_str(
        obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last["data"]["mode"], "slow");
    assert_eq!(entry(&obj, "kubectl")["operation"], "Apply");
}
