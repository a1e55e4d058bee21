//! Durable state (`--state FILE`): acknowledged writes survive a SIGKILL of the binary and a
//! crash at any moment (a copy of the file taken while serving), CRDs come back served, the
//! resourceVersion never goes back, a torn last record is dropped, and compaction keeps the
//! file small without losing anything.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{eventually, start_with};
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kubesim::{KubesimConfig, KubesimHandle};
use serde_json::json;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(state: &Path) -> KubesimConfig {
    KubesimConfig { state_file: Some(state.to_path_buf()), ..Default::default() }
}

fn configmap(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": value}})).unwrap()
}

/// Creates `count` configmaps, 16 at a time; every one acknowledged.
async fn create_many(client: kube::Client, prefix: &str, count: usize) {
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let results: Vec<_> = futures::stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            let cm = configmap(&format!("{prefix}-{i}"), &i.to_string());
            async move { api.create(&PostParams::default(), &cm).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(results.iter().all(Result::is_ok), "every create is acknowledged");
}

async fn names(client: kube::Client) -> Vec<String> {
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let mut names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    names.sort();
    names
}

fn max_rv(sim: &KubesimHandle) -> u64 {
    sim.store().current_rv()
}

fn widget_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                   "spec": {"type": "object", "properties": {
                                       "size": {"type": "integer"}}}}}}}]}
    }))
    .unwrap()
}

fn widgets(client: kube::Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
    Api::namespaced_with(client, "default", &ApiResource::from_gvk_with_plural(&gvk, "widgets"))
}

async fn create_widget(sim: &KubesimHandle) {
    let crds: Api<CustomResourceDefinition> = Api::all(sim.client());
    crds.create(&PostParams::default(), &widget_crd()).await.unwrap();
    eventually("the CRD serves its kind", || async {
        sim.client().list_api_group_resources("example.com/v1").await.is_ok()
    })
    .await;
    let widget: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w1"}, "spec": {"size": 3}}))
    .unwrap();
    widgets(sim.client()).create(&PostParams::default(), &widget).await.unwrap();
}

#[tokio::test]
async fn a_copy_taken_while_serving_has_every_acknowledged_write() {
    // Whatever is on disk once a write is answered is what a crash at that moment leaves.
    let dir = temp_dir("crash-copy");
    let state = dir.join("state");
    let sim = start_with(config(&state)).await;
    create_widget(&sim).await;
    create_many(sim.client(), "cm", 300).await;
    let acknowledged_rv = max_rv(&sim);
    let copy = dir.join("copy");
    std::fs::copy(&state, &copy).unwrap();
    // More writes after the copy: not in it, and their versions must not come back.
    create_many(sim.client(), "late", 20).await;
    let seen_rv = max_rv(&sim);

    let restored = start_with(config(&copy)).await;
    let names = names(restored.client()).await;
    assert_eq!(names.iter().filter(|n| n.starts_with("cm-")).count(), 300);
    let widget = widgets(restored.client()).get("w1").await.expect("the CRD is served again");
    assert_eq!(widget.data["spec"]["size"], 3);
    assert!(max_rv(&restored) >= acknowledged_rv);
    let api: Api<ConfigMap> = Api::default_namespaced(restored.client());
    let next = api.create(&PostParams::default(), &configmap("after", "1")).await.unwrap();
    let next_rv: u64 = next.metadata.resource_version.unwrap().parse().unwrap();
    assert!(next_rv > seen_rv, "{next_rv} reuses a version handed out before ({seen_rv})");
    drop((sim, restored));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_restart_keeps_objects_their_identity_and_increasing_versions() {
    let dir = temp_dir("restart");
    let state = dir.join("state");
    let (before, last_rv) = {
        let sim = start_with(config(&state)).await;
        create_many(sim.client(), "cm", 50).await;
        let api: Api<ConfigMap> = Api::default_namespaced(sim.client());
        api.delete("cm-7", &Default::default()).await.unwrap();
        (api.get("cm-3").await.unwrap(), max_rv(&sim))
    };
    let sim = start_with(config(&state)).await;
    let api: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let after = api.get("cm-3").await.unwrap();
    assert_eq!(after.metadata.uid, before.metadata.uid);
    assert_eq!(after.metadata.creation_timestamp, before.metadata.creation_timestamp);
    assert_eq!(after.metadata.resource_version, before.metadata.resource_version);
    assert!(api.get_opt("cm-7").await.unwrap().is_none());
    assert_eq!(names(sim.client()).await.len(), 49);
    let list = api.list(&ListParams::default()).await.unwrap();
    let list_rv: u64 = list.metadata.resource_version.unwrap().parse().unwrap();
    assert!(list_rv >= last_rv);
    // The namespaces are the restored ones, not new ones.
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(sim.client());
    assert_eq!(namespaces.list(&ListParams::default()).await.unwrap().items.len(), 4);
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_torn_last_record_is_dropped_and_the_file_stays_usable() {
    let dir = temp_dir("torn");
    let state = dir.join("state");
    {
        let sim = start_with(config(&state)).await;
        create_many(sim.client(), "cm", 10).await;
    }
    // A crash in the middle of a write: a record header promising more than follows.
    let mut bytes = std::fs::read(&state).unwrap();
    let good = bytes.len() as u64;
    bytes.extend_from_slice(&500u32.to_le_bytes());
    bytes.extend_from_slice(&[0xAB; 4]);
    bytes.extend_from_slice(b"C configmaps\n{\"type\":\"ADD");
    std::fs::write(&state, &bytes).unwrap();

    {
        let sim = start_with(config(&state)).await;
        assert_eq!(names(sim.client()).await.len(), 10);
        assert!(std::fs::metadata(&state).unwrap().len() >= good);
        create_many(sim.client(), "more", 5).await;
    }
    let sim = start_with(config(&state)).await;
    assert_eq!(names(sim.client()).await.len(), 15, "writes after the repair are readable");
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn compaction_bounds_the_file_and_loses_nothing() {
    let dir = temp_dir("compaction");
    let state = dir.join("state");
    let small = KubesimConfig { state_compact_after_bytes: 64 * 1024, ..config(&state) };
    {
        let sim = start_with(small.clone()).await;
        let api: Api<ConfigMap> = Api::default_namespaced(sim.client());
        api.create(&PostParams::default(), &configmap("counter", "0")).await.unwrap();
        for round in 1..=600 {
            let patch = json!({"data": {"v": round.to_string()}});
            api.patch("counter", &Default::default(), &kube::api::Patch::Merge(patch))
                .await
                .unwrap();
        }
        let size = std::fs::metadata(&state).unwrap().len();
        assert!(size < 256 * 1024, "600 updates compacted: {size} bytes");
    }
    let sim = start_with(small).await;
    let api: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let counter = api.get("counter").await.unwrap();
    assert_eq!(counter.data.unwrap()["v"], "600");
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kubesim serve --state FILE` killed with SIGKILL.
struct Served {
    child: tokio::process::Child,
    client: kube::Client,
}

async fn serve(state: &Path, kubeconfig: &Path) -> Served {
    let _ = std::fs::remove_file(kubeconfig);
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(state)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .kill_on_drop(true)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("kubesim starts");
    eventually("the kubeconfig is written", || async { kubeconfig.exists() }).await;
    let parsed = Kubeconfig::from_yaml(&std::fs::read_to_string(kubeconfig).unwrap()).unwrap();
    let config =
        kube::Config::from_custom_kubeconfig(parsed, &KubeConfigOptions::default()).await.unwrap();
    Served { child, client: kube::Client::try_from(config).unwrap() }
}

#[tokio::test]
async fn the_binary_killed_with_sigkill_restarts_with_every_acknowledged_write() {
    let dir = temp_dir("sigkill");
    let (state, kubeconfig) = (dir.join("state"), dir.join("kubeconfig"));
    let mut served = serve(&state, &kubeconfig).await;
    let crds: Api<CustomResourceDefinition> = Api::all(served.client.clone());
    crds.create(&PostParams::default(), &widget_crd()).await.unwrap();
    create_many(served.client.clone(), "cm", 200).await;
    let api: Api<ConfigMap> = Api::default_namespaced(served.client.clone());
    let last = api.create(&PostParams::default(), &configmap("last", "x")).await.unwrap();
    let last_rv: u64 = last.metadata.resource_version.unwrap().parse().unwrap();
    let pid = served.child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill").args(["-KILL", &pid]).status().unwrap();
    assert!(killed.success());
    let _ = tokio::time::timeout(Duration::from_secs(10), served.child.wait()).await;

    let served = serve(&state, &kubeconfig).await;
    let names = names(served.client.clone()).await;
    assert_eq!(names.len(), 201);
    assert!(names.contains(&"last".to_string()));
    let widget: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w2"},
        "spec": {"size": 1}}))
    .unwrap();
    widgets(served.client.clone())
        .create(&PostParams::default(), &widget)
        .await
        .expect("the restored CRD serves its kind");
    let api: Api<ConfigMap> = Api::default_namespaced(served.client.clone());
    let next = api.create(&PostParams::default(), &configmap("next", "y")).await.unwrap();
    let next_rv: u64 = next.metadata.resource_version.unwrap().parse().unwrap();
    assert!(next_rv > last_rv);
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
}
