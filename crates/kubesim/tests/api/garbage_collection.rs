//! The garbage collector through kube-rs: propagation policies (background, foreground with
//! blockOwnerDeletion, orphan), references to owners that never existed, custom resources
//! and cluster-scoped owners, and a collector that picks up where it was after a restart.

use crate::common::{eventually, start, start_with};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kubesim::{KubesimConfig, KubesimHandle};
use serde_json::{Value, json};

fn owner_ref(kind: &str, api_version: &str, name: &str, uid: &str, block: bool) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "name": name, "uid": uid,
           "blockOwnerDeletion": block})
}

async fn configmap(
    sim: &KubesimHandle,
    name: &str,
    owners: Vec<Value>,
    finalizers: &[&str],
) -> ConfigMap {
    let api: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {
        "name": name, "ownerReferences": owners, "finalizers": finalizers}}))
    .unwrap();
    api.create(&PostParams::default(), &cm).await.unwrap()
}

fn uid_of(cm: &ConfigMap) -> String {
    cm.metadata.uid.clone().unwrap()
}

fn cm_ref(cm: &ConfigMap, block: bool) -> Value {
    owner_ref("ConfigMap", "v1", cm.metadata.name.as_deref().unwrap(), &uid_of(cm), block)
}

async fn gone(api: &Api<ConfigMap>, name: &str) -> bool {
    api.get_opt(name).await.unwrap().is_none()
}

#[tokio::test]
async fn background_deletion_collects_dependents_once_the_owner_is_gone() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let secrets: Api<Secret> = Api::default_namespaced(sim.client());
    let owner = configmap(&sim, "owner", vec![], &[]).await;
    configmap(&sim, "child", vec![cm_ref(&owner, false)], &[]).await;
    let secret: Secret = serde_json::from_value(json!({"metadata": {
        "name": "child-secret", "ownerReferences": [cm_ref(&owner, true)]}}))
    .unwrap();
    secrets.create(&PostParams::default(), &secret).await.unwrap();

    cms.delete("owner", &DeleteParams::background()).await.unwrap();
    assert!(gone(&cms, "owner").await, "background: the owner goes at once");
    eventually("the dependents are collected", || async {
        gone(&cms, "child").await && secrets.get_opt("child-secret").await.unwrap().is_none()
    })
    .await;
    let collected = sim.request_log().find(|r| {
        r.verb == "delete"
            && r.user_agent.as_deref().is_some_and(|a| a.contains("garbage-collector"))
    });
    let mut names: Vec<String> = collected.iter().filter_map(|r| r.name.clone()).collect();
    names.sort();
    assert_eq!(names, vec!["child", "child-secret"]);
    assert_eq!(collected[0].propagation_policy.as_deref(), Some("Background"));
}

#[tokio::test]
async fn foreground_deletion_waits_for_blocking_dependents() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let owner = configmap(&sim, "owner", vec![], &[]).await;
    let held = configmap(&sim, "held", vec![cm_ref(&owner, true)], &["example.com/hold"]).await;
    configmap(&sim, "free", vec![cm_ref(&owner, false)], &[]).await;
    // A grandchild: `held` is deleted in the foreground as well since it has a dependent.
    configmap(&sim, "grandchild", vec![cm_ref(&held, true)], &[]).await;

    let response = cms.delete("owner", &DeleteParams::foreground()).await.unwrap();
    let marked = response.left().expect("the owner stays while its dependents go");
    assert!(marked.metadata.deletion_timestamp.is_some());
    assert_eq!(marked.metadata.finalizers, Some(vec!["foregroundDeletion".to_string()]));

    eventually("the dependents are deleted", || async {
        let held = cms.get("held").await.unwrap();
        gone(&cms, "free").await
            && gone(&cms, "grandchild").await
            && held.metadata.deletion_timestamp.is_some()
    })
    .await;
    assert!(cms.get_opt("owner").await.unwrap().is_some(), "held blocks the owner");

    let release = json!({"metadata": {"finalizers": null}});
    cms.patch("held", &PatchParams::default(), &Patch::Merge(release)).await.unwrap();
    eventually("the owner goes after its last blocking dependent", || async {
        gone(&cms, "held").await && gone(&cms, "owner").await
    })
    .await;
}

#[tokio::test]
async fn orphan_deletion_leaves_dependents_without_the_owner() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let owner = configmap(&sim, "owner", vec![], &[]).await;
    let other = configmap(&sim, "other", vec![], &[]).await;
    configmap(&sim, "only", vec![cm_ref(&owner, true)], &[]).await;
    configmap(&sim, "shared", vec![cm_ref(&owner, false), cm_ref(&other, false)], &[]).await;

    cms.delete("owner", &DeleteParams::orphan()).await.unwrap();
    eventually("the owner is gone", || async { gone(&cms, "owner").await }).await;
    let only = cms.get("only").await.unwrap();
    assert_eq!(only.metadata.owner_references, None);
    let shared = cms.get("shared").await.unwrap();
    let remaining: Vec<String> =
        shared.metadata.owner_references.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(remaining, vec!["other"]);
}

#[tokio::test]
async fn references_to_owners_that_do_not_exist_are_collected() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let real = configmap(&sim, "real", vec![], &[]).await;
    let nobody =
        owner_ref("ConfigMap", "v1", "ghost", "00000000-0000-0000-0000-000000000000", false);
    configmap(&sim, "dangling", vec![nobody.clone()], &[]).await;
    // The name exists but with another uid: still not its owner.
    let impostor =
        owner_ref("ConfigMap", "v1", "real", "11111111-1111-1111-1111-111111111111", false);
    configmap(&sim, "wrong-uid", vec![impostor], &[]).await;
    // With a real owner as well, only the dangling reference goes.
    configmap(&sim, "half", vec![cm_ref(&real, false), nobody], &[]).await;

    eventually("dependents of missing owners are collected", || async {
        gone(&cms, "dangling").await && gone(&cms, "wrong-uid").await
    })
    .await;
    eventually("the dangling reference is dropped", || async {
        let half = cms.get("half").await.unwrap();
        half.metadata.owner_references.is_some_and(|r| r.len() == 1 && r[0].name == "real")
    })
    .await;
}

fn gadget_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                   "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .unwrap()
}

fn gizmo_crd() -> CustomResourceDefinition {
    let mut crd = serde_json::to_value(gadget_crd()).unwrap();
    crd["metadata"]["name"] = json!("gizmos.example.com");
    crd["spec"]["scope"] = json!("Namespaced");
    crd["spec"]["names"] = json!({"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"});
    serde_json::from_value(crd).unwrap()
}

async fn established(sim: &KubesimHandle, name: &str) {
    let crds: Api<CustomResourceDefinition> = Api::all(sim.client());
    eventually("the CRD is established", || async {
        crds.get(name)
            .await
            .unwrap()
            .status
            .and_then(|s| s.conditions)
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Established" && c.status == "True"))
    })
    .await;
}

#[tokio::test]
async fn custom_resources_and_cluster_scoped_owners_are_followed() {
    let sim = start().await;
    let crds: Api<CustomResourceDefinition> = Api::all(sim.client());
    crds.create(&PostParams::default(), &gadget_crd()).await.unwrap();
    crds.create(&PostParams::default(), &gizmo_crd()).await.unwrap();
    established(&sim, "gadgets.example.com").await;
    established(&sim, "gizmos.example.com").await;
    let gvk = |kind: &str| GroupVersionKind::gvk("example.com", "v1", kind);
    let gadgets: Api<DynamicObject> =
        Api::all_with(sim.client(), &ApiResource::from_gvk_with_plural(&gvk("Gadget"), "gadgets"));
    let gizmos: Api<DynamicObject> = Api::namespaced_with(
        sim.client(),
        "default",
        &ApiResource::from_gvk_with_plural(&gvk("Gizmo"), "gizmos"),
    );
    let gadget: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}),
    )
    .unwrap();
    let gadget = gadgets.create(&PostParams::default(), &gadget).await.unwrap();
    let gadget_ref =
        owner_ref("Gadget", "example.com/v1", "g", gadget.metadata.uid.as_deref().unwrap(), true);
    let gizmo: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Gizmo",
        "metadata": {"name": "z", "ownerReferences": [gadget_ref.clone()]}}))
    .unwrap();
    let gizmo = gizmos.create(&PostParams::default(), &gizmo).await.unwrap();
    let gizmo_ref =
        owner_ref("Gizmo", "example.com/v1", "z", gizmo.metadata.uid.as_deref().unwrap(), true);
    configmap(&sim, "of-gizmo", vec![gizmo_ref], &[]).await;
    configmap(&sim, "of-gadget", vec![gadget_ref], &[]).await;

    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    assert!(!gone(&cms, "of-gizmo").await && !gone(&cms, "of-gadget").await);
    gadgets.delete("g", &DeleteParams::foreground()).await.unwrap();
    eventually("the cluster-scoped owner and everything under it are gone", || async {
        gadgets.get_opt("g").await.unwrap().is_none()
            && gizmos.get_opt("z").await.unwrap().is_none()
            && gone(&cms, "of-gizmo").await
            && gone(&cms, "of-gadget").await
    })
    .await;
}

#[tokio::test]
async fn the_collector_picks_up_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("kubesim-gc-{}", uuid::Uuid::new_v4()));
    let config = || KubesimConfig { state_file: Some(dir.join("state")), ..Default::default() };
    {
        let sim = start_with(config()).await;
        let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
        let owner = configmap(&sim, "owner", vec![], &[]).await;
        configmap(&sim, "held", vec![cm_ref(&owner, true)], &["example.com/hold"]).await;
        cms.delete("owner", &DeleteParams::foreground()).await.unwrap();
        eventually("the dependent is being deleted", || async {
            cms.get("held").await.unwrap().metadata.deletion_timestamp.is_some()
        })
        .await;
    }
    let sim = start_with(config()).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let owner = cms.get("owner").await.unwrap();
    assert_eq!(owner.metadata.finalizers, Some(vec!["foregroundDeletion".to_string()]));
    let release = json!({"metadata": {"finalizers": null}});
    cms.patch("held", &PatchParams::default(), &Patch::Merge(release)).await.unwrap();
    eventually("the restarted collector finishes the foreground deletion", || async {
        gone(&cms, "held").await && gone(&cms, "owner").await
    })
    .await;
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}
