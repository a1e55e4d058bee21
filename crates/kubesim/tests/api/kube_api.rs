//! The API server's semantics as kube-rs sees them: typed built-ins, errors, subresources,
//! deletion, pagination, selectors, dry-run, faults and the request log.

use std::collections::BTreeMap;

use crate::common::{eventually, raw, start, start_with, status};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, Preconditions};
use kube::core::ObjectMeta;
use kubesim::{FaultAction, FaultRule, KubesimConfig};
use serde_json::json;

fn configmap(name: &str, labels: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
        ..Default::default()
    }
}

fn pod(name: &str, node: Option<&str>) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox:1.36"}]}
    }))
    .unwrap()
}

fn deployment(name: &str, replicas: i32) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}
    }))
    .unwrap()
}

#[tokio::test]
async fn create_get_replace_with_conflicts_and_already_exists() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let created = cms.create(&PostParams::default(), &configmap("a", &[])).await.unwrap();
    let rv = created.metadata.resource_version.clone().unwrap();
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());

    let again = cms.create(&PostParams::default(), &configmap("a", &[])).await;
    let s = status(again.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(s.message, "configmaps \"a\" already exists");

    let mut changed = created.clone();
    changed.data = Some(BTreeMap::from([("k".into(), "w".into())]));
    let replaced = cms.replace("a", &PostParams::default(), &changed).await.unwrap();
    assert_ne!(replaced.metadata.resource_version.as_deref(), Some(rv.as_str()));

    // `changed` still carries the old resourceVersion.
    let stale = cms.replace("a", &PostParams::default(), &changed).await;
    let s = status(stale.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
    assert!(s.message.contains("the object has been modified"), "{}", s.message);
    assert_eq!(cms.get("a").await.unwrap().data, replaced.data);
}

#[tokio::test]
async fn generate_name_and_missing_namespace() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let mut cm = configmap("", &[]);
    cm.metadata.name = None;
    cm.metadata.generate_name = Some("gen-".into());
    let a = cms.create(&PostParams::default(), &cm).await.unwrap();
    let b = cms.create(&PostParams::default(), &cm).await.unwrap();
    assert!(a.metadata.name.as_deref().unwrap().starts_with("gen-"));
    assert_ne!(a.metadata.name, b.metadata.name);

    let elsewhere: Api<ConfigMap> = Api::namespaced(sim.client(), "nowhere");
    let s =
        status(elsewhere.create(&PostParams::default(), &configmap("x", &[])).await.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (404, "NotFound"));
    assert_eq!(s.message, "namespaces \"nowhere\" not found");
}

#[tokio::test]
async fn status_subresource_and_generation() {
    let sim = start().await;
    let deploys: Api<Deployment> = Api::default_namespaced(sim.client());
    let created = deploys.create(&PostParams::default(), &deployment("web", 1)).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    // Defaults are filled in as by the apiserver.
    let spec = created.spec.as_ref().unwrap();
    assert_eq!(spec.revision_history_limit, Some(10));

    // /status changes status only.
    let status_patch =
        json!({"spec": {"replicas": 9}, "status": {"replicas": 1, "readyReplicas": 1}});
    let after_status = deploys
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&status_patch))
        .await
        .unwrap();
    assert_eq!(after_status.spec.as_ref().unwrap().replicas, Some(1));
    assert_eq!(after_status.status.as_ref().unwrap().ready_replicas, Some(1));
    assert_eq!(after_status.metadata.generation, Some(1));

    // The main resource ignores status and bumps generation on spec changes.
    let main_patch = json!({"spec": {"replicas": 3}, "status": {"readyReplicas": 7}});
    let after_main =
        deploys.patch("web", &PatchParams::default(), &Patch::Merge(&main_patch)).await.unwrap();
    assert_eq!(after_main.spec.as_ref().unwrap().replicas, Some(3));
    assert_eq!(after_main.status.as_ref().unwrap().ready_replicas, Some(1));
    assert_eq!(after_main.metadata.generation, Some(2));

    // Metadata-only changes leave generation alone.
    let labels = json!({"metadata": {"labels": {"x": "y"}}});
    let after_labels =
        deploys.patch("web", &PatchParams::default(), &Patch::Merge(&labels)).await.unwrap();
    assert_eq!(after_labels.metadata.generation, Some(2));

    // The scale subresource reads and writes spec.replicas.
    let scale = deploys.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(3));
    let scaled = deploys
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    assert_eq!(scaled.spec.unwrap().replicas, Some(5));
    assert_eq!(deploys.get("web").await.unwrap().spec.unwrap().replicas, Some(5));
}

#[tokio::test]
async fn finalizers_hold_deletion_until_the_last_is_removed() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let mut cm = configmap("held", &[]);
    cm.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    cms.create(&PostParams::default(), &cm).await.unwrap();
    cms.delete("held", &DeleteParams::default()).await.unwrap();
    let marked = cms.get("held").await.unwrap();
    assert!(marked.metadata.deletion_timestamp.is_some());
    cms.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert!(cms.get_opt("held").await.unwrap().is_none());
}

#[tokio::test]
async fn pods_are_deleted_gracefully_once_bound() {
    let sim = start().await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client());
    let created = pods.create(&PostParams::default(), &pod("loose", None)).await.unwrap();
    assert_eq!(created.status.as_ref().unwrap().phase.as_deref(), Some("Pending"));
    pods.delete("loose", &DeleteParams::default()).await.unwrap();
    assert!(pods.get_opt("loose").await.unwrap().is_none(), "unbound pods go at once");

    pods.create(&PostParams::default(), &pod("bound", Some("node-1"))).await.unwrap();
    pods.delete("bound", &DeleteParams::default()).await.unwrap();
    let terminating = pods.get("bound").await.unwrap();
    assert!(terminating.metadata.deletion_timestamp.is_some());
    assert_eq!(terminating.metadata.deletion_grace_period_seconds, Some(30));

    pods.delete("bound", &DeleteParams::default().grace_period(0)).await.unwrap();
    assert!(pods.get_opt("bound").await.unwrap().is_none());

    let graceful =
        sim.request_log().find(|r| r.verb == "delete" && r.grace_period_seconds == Some(0));
    assert_eq!(graceful.len(), 1);
    assert_eq!(graceful[0].name.as_deref(), Some("bound"));
}

#[tokio::test]
async fn the_request_log_names_created_objects_including_generated_names() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    cms.create(&PostParams::default(), &configmap("named", &[])).await.unwrap();
    let mut generated = configmap("", &[]);
    generated.metadata.name = None;
    generated.metadata.generate_name = Some("gen-".into());
    let stored = cms.create(&PostParams::default(), &generated).await.unwrap();
    let conflict = cms.create(&PostParams::default(), &configmap("named", &[])).await;
    assert!(conflict.is_err());

    let creates = sim.request_log().find(|r| r.verb == "create" && r.resource == "configmaps");
    let names: Vec<(Option<&str>, u16)> =
        creates.iter().map(|r| (r.name.as_deref(), r.code)).collect();
    let generated_name = stored.metadata.name.as_deref();
    assert!(generated_name.is_some_and(|n| n.starts_with("gen-")));
    assert_eq!(names, vec![(Some("named"), 201), (generated_name, 201), (None, 409)]);
}

#[tokio::test]
async fn binding_and_eviction() {
    let sim = start().await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client());
    pods.create(&PostParams::default(), &pod("p", None)).await.unwrap();
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
                         "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}});
    let path = "/api/v1/namespaces/default/pods/p/binding";
    let r = raw(&sim, "POST", path, Some("application/json"), &binding.to_string()).await;
    assert_eq!(r.code, 201, "{}", r.body);
    let bound = pods.get("p").await.unwrap();
    assert_eq!(bound.spec.unwrap().node_name.as_deref(), Some("node-1"));
    let again = raw(&sim, "POST", path, Some("application/json"), &binding.to_string()).await;
    assert_eq!(again.code, 409);

    let eviction = json!({"apiVersion": "policy/v1", "kind": "Eviction",
                          "metadata": {"name": "p"}, "deleteOptions": {"gracePeriodSeconds": 0}});
    let path = "/api/v1/namespaces/default/pods/p/eviction";
    let r = raw(&sim, "POST", path, Some("application/json"), &eviction.to_string()).await;
    assert_eq!(r.code, 201, "{}", r.body);
    assert!(pods.get_opt("p").await.unwrap().is_none());
}

#[tokio::test]
async fn delete_preconditions_and_dry_run() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let dry = PostParams { dry_run: true, ..Default::default() };
    let preview = cms.create(&dry, &configmap("d", &[])).await.unwrap();
    assert_eq!(preview.metadata.name.as_deref(), Some("d"));
    assert!(cms.get_opt("d").await.unwrap().is_none(), "dry run stores nothing");

    cms.create(&PostParams::default(), &configmap("d", &[])).await.unwrap();
    let wrong_uid = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some("not-the-uid".into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    let s = status(cms.delete("d", &wrong_uid).await.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
    assert!(s.message.contains("Precondition failed"), "{}", s.message);

    cms.delete("d", &DeleteParams::default().dry_run()).await.unwrap();
    assert!(cms.get_opt("d").await.unwrap().is_some(), "dry-run delete keeps it");
    let logged = sim.request_log().find(|r| r.dry_run);
    assert_eq!(logged.len(), 2);
}

#[tokio::test]
async fn patch_types_and_their_errors() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    cms.create(&PostParams::default(), &configmap("p", &[])).await.unwrap();
    let pp = PatchParams::default();
    let merged = cms.patch("p", &pp, &Patch::Merge(json!({"data": {"extra": "1"}}))).await.unwrap();
    assert_eq!(merged.data.unwrap().len(), 2);

    let path = "/api/v1/namespaces/default/configmaps/p";
    let json_patch = "application/json-patch+json";
    let ops = json!([
        {"op": "test", "path": "/data/k", "value": "v"},
        {"op": "replace", "path": "/data/k", "value": "changed"}
    ]);
    let r = raw(&sim, "PATCH", path, Some(json_patch), &ops.to_string()).await;
    assert_eq!(r.code, 200, "{}", r.body);
    assert_eq!(cms.get("p").await.unwrap().data.unwrap()["k"], "changed");

    let failing = json!([{"op": "test", "path": "/data/k", "value": "v"}]);
    let r = raw(&sim, "PATCH", path, Some(json_patch), &failing.to_string()).await;
    assert_eq!((r.code, r.json()["reason"].as_str()), (422, Some("Invalid")));
    let missing = json!([{"op": "remove", "path": "/data/nope"}]);
    let r = raw(&sim, "PATCH", path, Some(json_patch), &missing.to_string()).await;
    assert_eq!(r.code, 422);

    // Strategic merge patch for built-ins (custom resources answer 415: tests/patch_strategic.rs).
    let patched =
        cms.patch("p", &pp, &Patch::Strategic(json!({"data": {"a": "b"}}))).await.unwrap();
    assert_eq!(patched.data.unwrap()["a"], "b");
    let logged = sim.request_log().find(|r| r.verb == "patch" && r.code == 200);
    assert_eq!(
        logged.last().unwrap().content_type.as_deref(),
        Some("application/strategic-merge-patch+json")
    );
}

#[tokio::test]
async fn field_validation_strict_warn_and_ignore() {
    let sim = start().await;
    let body = |name: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
               "data": {"a": "b"}, "spec": {"foo": 1}})
        .to_string()
    };
    let path = "/api/v1/namespaces/default/configmaps";
    let strict = raw(
        &sim,
        "POST",
        &format!("{path}?fieldValidation=Strict"),
        Some("application/json"),
        &body("s"),
    )
    .await;
    assert_eq!(strict.code, 400);
    assert_eq!(
        strict.json()["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\""
    );
    let warn = raw(
        &sim,
        "POST",
        &format!("{path}?fieldValidation=Warn"),
        Some("application/json"),
        &body("w"),
    )
    .await;
    assert_eq!(warn.code, 201);
    assert_eq!(warn.header("warning"), vec!["299 - \"unknown field \\\"spec\\\"\""]);
    assert!(warn.json().get("spec").is_none(), "unknown fields are dropped");
    let ignore = raw(
        &sim,
        "POST",
        &format!("{path}?fieldValidation=Ignore"),
        Some("application/json"),
        &body("i"),
    )
    .await;
    assert_eq!(ignore.code, 201);
    assert!(ignore.header("warning").is_empty());
}

#[tokio::test]
async fn malformed_bodies_and_unknown_paths() {
    let sim = start().await;
    let path = "/api/v1/namespaces/default/configmaps";
    let bad = raw(&sim, "POST", path, Some("application/json"), "{\"metadata\": ").await;
    assert_eq!(bad.code, 400);
    assert_eq!(bad.json()["reason"], "BadRequest");
    assert_eq!(bad.json()["kind"], "Status");

    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: b\n";
    let ok = raw(&sim, "POST", path, Some("application/yaml"), yaml).await;
    assert_eq!(ok.code, 201, "{}", ok.body);

    let bad_yaml = raw(&sim, "POST", path, Some("application/yaml"), "a: [b\n").await;
    assert_eq!(bad_yaml.code, 400);

    let unknown = raw(&sim, "GET", "/api/v1/namespaces/default/widgets", None, "").await;
    assert_eq!(unknown.code, 404);
    assert_eq!(unknown.json()["reason"], "NotFound");

    let not_allowed =
        raw(&sim, "POST", "/api/v1/namespaces/default/pods/x/log", Some("application/json"), "{}")
            .await;
    assert_eq!(not_allowed.code, 404);

    let invalid = json!({"metadata": {"name": "nopod"}, "spec": {"containers": []}});
    let r = raw(
        &sim,
        "POST",
        "/api/v1/namespaces/default/pods",
        Some("application/json"),
        &invalid.to_string(),
    )
    .await;
    assert_eq!(r.code, 422);
    assert_eq!(r.json()["message"], "Pod \"nopod\" is invalid: spec.containers: Required value");
    assert_eq!(r.json()["details"]["causes"][0]["field"], "spec.containers");
    assert!(Api::<Pod>::default_namespaced(sim.client()).get_opt("nopod").await.unwrap().is_none());
}

#[tokio::test]
async fn label_and_field_selectors() {
    let sim = start().await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client());
    for (name, node, app) in [("a", "node-1", "web"), ("b", "node-2", "web"), ("c", "node-1", "db")]
    {
        let mut p = pod(name, Some(node));
        p.metadata.labels = Some(BTreeMap::from([("app".into(), app.into())]));
        pods.create(&PostParams::default(), &p).await.unwrap();
    }
    let names = |list: kube::core::ObjectList<Pod>| {
        list.items.into_iter().map(|p| p.metadata.name.unwrap()).collect::<Vec<_>>()
    };
    let web = pods.list(&ListParams::default().labels("app=web")).await.unwrap();
    assert_eq!(names(web), vec!["a", "b"]);
    let not_web = pods.list(&ListParams::default().labels("app notin (web)")).await.unwrap();
    assert_eq!(names(not_web), vec!["c"]);
    let on_node = pods
        .list(&ListParams::default().fields("spec.nodeName=node-1,metadata.name!=c"))
        .await
        .unwrap();
    assert_eq!(names(on_node), vec!["a"]);
    let pending = pods.list(&ListParams::default().fields("status.phase=Pending")).await.unwrap();
    assert_eq!(pending.items.len(), 3);
    let s = status(pods.list(&ListParams::default().fields("spec.bogus=1")).await.unwrap_err());
    assert_eq!((s.code, s.message.as_str()), (400, "field label not supported: spec.bogus"));
}

#[tokio::test]
async fn pagination_keeps_a_consistent_snapshot_and_expires() {
    let sim = start_with(KubesimConfig { watch_history: 20, ..Default::default() }).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    for i in 0..5 {
        cms.create(&PostParams::default(), &configmap(&format!("c{i}"), &[])).await.unwrap();
    }
    let first = cms.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.metadata.remaining_item_count, Some(3));
    let token = first.metadata.continue_.clone().unwrap();
    // Changes after the first page do not show in the later pages.
    cms.delete("c3", &DeleteParams::default()).await.unwrap();
    cms.create(&PostParams::default(), &configmap("c9", &[])).await.unwrap();
    let second = cms.list(&ListParams::default().limit(10).continue_token(&token)).await.unwrap();
    let names: Vec<String> =
        second.items.iter().map(|c| c.metadata.name.clone().unwrap()).collect();
    assert_eq!(names, vec!["c2", "c3", "c4"]);
    assert_eq!(second.metadata.resource_version, first.metadata.resource_version);

    // Once the history has moved past the snapshot, the token is expired.
    for i in 0..25 {
        cms.patch(
            "c0",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"n": i.to_string()}})),
        )
        .await
        .unwrap();
    }
    let s =
        status(cms.list(&ListParams::default().limit(2).continue_token(&token)).await.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (410, "Expired"));
}

#[tokio::test]
async fn namespace_deletion_removes_contents_then_the_namespace() {
    let sim = start().await;
    let namespaces: Api<Namespace> = Api::all(sim.client());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "team"}})).unwrap();
    namespaces.create(&PostParams::default(), &ns).await.unwrap();
    let cms: Api<ConfigMap> = Api::namespaced(sim.client(), "team");
    cms.create(&PostParams::default(), &configmap("inside", &[])).await.unwrap();
    let mut held = configmap("held", &[]);
    held.metadata.finalizers = Some(vec!["example.com/x".into()]);
    cms.create(&PostParams::default(), &held).await.unwrap();

    namespaces.delete("team", &DeleteParams::default()).await.unwrap();
    let terminating = namespaces.get("team").await.unwrap();
    assert_eq!(terminating.status.unwrap().phase.as_deref(), Some("Terminating"));
    let s = status(cms.create(&PostParams::default(), &configmap("late", &[])).await.unwrap_err());
    assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden"));
    eventually("the unheld configmap is deleted", || async {
        cms.get_opt("inside").await.unwrap().is_none()
    })
    .await;
    assert!(namespaces.get_opt("team").await.unwrap().is_some(), "held by the finalizer");
    cms.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    eventually("the namespace is gone", || async {
        namespaces.get_opt("team").await.unwrap().is_none()
    })
    .await;
}

#[tokio::test]
async fn injected_faults_and_the_request_log() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    sim.faults().add(
        FaultRule::new(FaultAction::too_many_requests(3))
            .verb("create")
            .resource("configmaps")
            .times(1),
    );
    let r = raw(
        &sim,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some("application/json"),
        &json!({"metadata": {"name": "x"}}).to_string(),
    )
    .await;
    assert_eq!(r.code, 429);
    assert_eq!(r.header("retry-after"), vec!["3"]);
    cms.create(&PostParams::default(), &configmap("x", &[])).await.unwrap();

    let id = sim.faults().add(FaultRule::new(FaultAction::internal_error()).verb("get").name("x*"));
    assert_eq!(status(cms.get("x").await.unwrap_err()).code, 500);
    sim.faults().remove(id);
    cms.get("x").await.unwrap();

    let codes: Vec<u16> =
        sim.request_log().find(|r| r.resource == "configmaps").iter().map(|r| r.code).collect();
    assert_eq!(codes, vec![429, 201, 500, 200]);
    let create = &sim.request_log().find(|r| r.verb == "create" && r.code == 201)[0];
    assert_eq!(create.namespace.as_deref(), Some("default"));
}

#[tokio::test]
async fn delete_options_are_recorded() {
    let sim = start().await;
    let deploys: Api<Deployment> = Api::default_namespaced(sim.client());
    deploys.create(&PostParams::default(), &deployment("d", 1)).await.unwrap();
    deploys.delete("d", &DeleteParams::foreground().grace_period(5)).await.unwrap();
    let record = &sim.request_log().find(|r| r.verb == "delete")[0];
    assert_eq!(record.grace_period_seconds, Some(5));
    assert_eq!(record.propagation_policy.as_deref(), Some("Foreground"));
    assert_eq!(record.group, "apps");
}

#[tokio::test]
async fn events_v1_and_core_events_share_storage() {
    let sim = start().await;
    let v1: Api<k8s_openapi::api::events::v1::Event> = Api::default_namespaced(sim.client());
    let event = serde_json::from_value(json!({
        "metadata": {"name": "e1"},
        "eventTime": "2025-01-01T00:00:00.000000Z",
        "reportingController": "example.com/operator",
        "reportingInstance": "operator-0",
        "action": "Reconcile",
        "reason": "Created",
        "type": "Normal",
        "note": "created the thing",
        "regarding": {"kind": "ConfigMap", "namespace": "default", "name": "x"}
    }))
    .unwrap();
    v1.create(&PostParams::default(), &event).await.unwrap();
    let core: Api<k8s_openapi::api::core::v1::Event> = Api::default_namespaced(sim.client());
    let seen = core
        .list(&ListParams::default().fields("involvedObject.name=x,reason=Created"))
        .await
        .unwrap();
    assert_eq!(seen.items.len(), 1);
    assert_eq!(seen.items[0].message.as_deref(), Some("created the thing"));
    assert_eq!(seen.items[0].reporting_component.as_deref(), Some("example.com/operator"));
    let back = v1.get("e1").await.unwrap();
    assert_eq!(back.note.as_deref(), Some("created the thing"));
}

#[tokio::test]
async fn delete_collection_all_namespace_lists_and_health() {
    let sim = start().await;
    let namespaces: Api<Namespace> = Api::all(sim.client());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "other"}})).unwrap();
    namespaces.create(&PostParams::default(), &ns).await.unwrap();
    let here: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let there: Api<ConfigMap> = Api::namespaced(sim.client(), "other");
    for (api, name, app) in [(&here, "a", "x"), (&here, "b", "y"), (&there, "c", "x")] {
        api.create(&PostParams::default(), &configmap(name, &[("app", app)])).await.unwrap();
    }
    let everywhere: Api<ConfigMap> = Api::all(sim.client());
    let all = everywhere.list(&ListParams::default()).await.unwrap();
    assert_eq!(all.items.len(), 3);
    let removed = here
        .delete_collection(&DeleteParams::default(), &ListParams::default().labels("app=x"))
        .await
        .unwrap();
    assert!(removed.is_left());
    let left: Vec<String> = everywhere
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.metadata.name.unwrap())
        .collect();
    assert_eq!(left, vec!["b", "c"]);

    for path in ["/healthz", "/readyz", "/livez"] {
        assert_eq!(raw(&sim, "GET", path, None, "").await.code, 200);
    }
    let put_collection =
        raw(&sim, "PUT", "/api/v1/namespaces/default/configmaps", Some("application/json"), "{}")
            .await;
    assert_eq!(
        (put_collection.code, put_collection.json()["reason"].as_str()),
        (405, Some("MethodNotAllowed"))
    );
    let unauthorized =
        crate::common::raw_with_token(&sim, "GET", "/api/v1/namespaces", "wrong").await;
    assert_eq!(unauthorized, 401);
}
