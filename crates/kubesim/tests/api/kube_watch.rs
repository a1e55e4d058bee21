//! Watches as kube-rs uses them: events from a resourceVersion, bookmarks, 410 Expired, and a
//! `kube_runtime::watcher` that must survive forced expiry and dropped streams.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{eventually, start, start_with};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kubesim::{FaultAction, FaultRule, KubesimConfig};
use serde_json::json;

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": "0"}})).unwrap()
}

async fn next_event(
    stream: &mut (impl futures::Stream<Item = kube::Result<WatchEvent<ConfigMap>>> + Unpin),
) -> WatchEvent<ConfigMap> {
    tokio::time::timeout(Duration::from_secs(5), stream.try_next())
        .await
        .expect("an event in time")
        .expect("no stream error")
        .expect("the stream is open")
}

fn name_of(event: &WatchEvent<ConfigMap>) -> (&'static str, String) {
    match event {
        WatchEvent::Added(o) => ("ADDED", o.metadata.name.clone().unwrap()),
        WatchEvent::Modified(o) => ("MODIFIED", o.metadata.name.clone().unwrap()),
        WatchEvent::Deleted(o) => ("DELETED", o.metadata.name.clone().unwrap()),
        WatchEvent::Bookmark(_) => ("BOOKMARK", String::new()),
        WatchEvent::Error(e) => ("ERROR", e.message.clone()),
    }
}

#[tokio::test]
async fn watch_from_a_resource_version_sees_every_change_in_order() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    cms.create(&PostParams::default(), &cm("a")).await.unwrap();
    let rv = cms.list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let mut stream = cms.watch(&WatchParams::default().timeout(10), &rv).await.unwrap().boxed();
    cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "1"}})))
        .await
        .unwrap();
    cms.create(&PostParams::default(), &cm("b")).await.unwrap();
    cms.delete("b", &DeleteParams::default()).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(name_of(&next_event(&mut stream).await));
    }
    assert_eq!(
        seen,
        vec![
            ("MODIFIED", "a".to_string()),
            ("ADDED", "b".to_string()),
            ("DELETED", "b".to_string())
        ]
    );
}

#[tokio::test]
async fn watch_with_a_label_selector_turns_moves_into_added_and_deleted() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    cms.create(&PostParams::default(), &cm("m")).await.unwrap();
    let params = WatchParams::default().labels("team=blue").timeout(10);
    let mut stream = cms.watch(&params, "0").await.unwrap().boxed();
    let label = |v: Option<&str>| Patch::Merge(json!({"metadata": {"labels": {"team": v}}}));
    cms.patch("m", &PatchParams::default(), &label(Some("blue"))).await.unwrap();
    cms.patch("m", &PatchParams::default(), &label(Some("red"))).await.unwrap();
    assert_eq!(name_of(&next_event(&mut stream).await), ("ADDED", "m".into()));
    assert_eq!(name_of(&next_event(&mut stream).await), ("DELETED", "m".into()));
}

#[tokio::test]
async fn watch_from_a_compacted_version_gets_410_expired() {
    let sim = start_with(KubesimConfig { watch_history: 3, ..Default::default() }).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let first = cms.create(&PostParams::default(), &cm("x")).await.unwrap();
    for i in 0..5 {
        cms.patch(
            "x",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"v": i.to_string()}})),
        )
        .await
        .unwrap();
    }
    let old_rv = first.metadata.resource_version.unwrap();
    let mut stream = cms.watch(&WatchParams::default(), &old_rv).await.unwrap().boxed();
    match next_event(&mut stream).await {
        WatchEvent::Error(e) => {
            assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn bookmarks_are_sent_when_allowed() {
    let sim = start_with(KubesimConfig {
        bookmark_interval: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let created = cms.create(&PostParams::default(), &cm("b")).await.unwrap();
    let rv = created.metadata.resource_version.unwrap();
    let mut stream = cms.watch(&WatchParams::default().timeout(10), &rv).await.unwrap().boxed();
    match next_event(&mut stream).await {
        WatchEvent::Bookmark(b) => {
            assert!(b.metadata.resource_version.parse::<u64>().unwrap() >= rv.parse().unwrap())
        }
        other => panic!("expected a bookmark, got {other:?}"),
    }
}

/// (name, resourceVersion) of every configmap on the server.
async fn server_state(cms: &Api<ConfigMap>) -> BTreeMap<String, String> {
    cms.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| (c.metadata.name.unwrap(), c.metadata.resource_version.unwrap()))
        .collect()
}

fn cache_state(reader: &reflector::Store<ConfigMap>) -> BTreeMap<String, String> {
    reader
        .state()
        .iter()
        .map(|c| (c.metadata.name.clone().unwrap(), c.metadata.resource_version.clone().unwrap()))
        .collect()
}

async fn watcher_survives_faults(config: watcher::Config) {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    for name in ["a", "b", "c"] {
        cms.create(&PostParams::default(), &cm(name)).await.unwrap();
    }
    let (reader, writer) = reflector::store();
    let stream =
        reflector(writer, watcher(cms.clone(), config)).default_backoff().applied_objects();
    let task = tokio::spawn(stream.for_each(|_| async {}));
    eventually("the cache has the three configmaps", || async { cache_state(&reader).len() == 3 })
        .await;

    // The next watch answers 410 Expired and the open one is cut: the watcher must relist.
    sim.faults().add(
        FaultRule::new(FaultAction::ExpireWatch).verb("watch").resource("configmaps").times(1),
    );
    sim.faults().cut_watches();
    cms.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "1"}})))
        .await
        .unwrap();
    cms.delete("b", &DeleteParams::default()).await.unwrap();
    cms.create(&PostParams::default(), &cm("d")).await.unwrap();
    let expected = server_state(&cms).await;
    eventually("the cache matches the server after a forced 410", || async {
        cache_state(&reader) == expected
    })
    .await;

    // A stream that breaks after one event: the watcher resumes from its last version.
    sim.faults().add(
        FaultRule::new(FaultAction::DropWatch { after_events: 1 })
            .verb("watch")
            .resource("configmaps")
            .times(2),
    );
    sim.faults().cut_watches();
    for i in 0..5 {
        cms.patch(
            "c",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"v": i.to_string()}})),
        )
        .await
        .unwrap();
    }
    cms.delete("d", &DeleteParams::default()).await.unwrap();
    cms.create(&PostParams::default(), &cm("e")).await.unwrap();
    let expected = server_state(&cms).await;
    eventually("the cache matches the server after dropped streams", || async {
        cache_state(&reader) == expected
    })
    .await;
    let watches = sim.request_log().find(|r| r.verb == "watch");
    assert!(watches.len() >= 3, "the watcher re-watched: {}", watches.len());
    task.abort();
}

#[tokio::test]
async fn watcher_survives_forced_expiry_and_dropped_streams() {
    watcher_survives_faults(watcher::Config::default()).await;
}

#[tokio::test]
async fn streaming_list_watcher_survives_forced_expiry_and_dropped_streams() {
    watcher_survives_faults(watcher::Config::default().streaming_lists()).await;
}

#[tokio::test]
async fn a_watch_ends_after_its_timeout() {
    let sim = start().await;
    let started = std::time::Instant::now();
    let r = crate::common::raw(
        &sim,
        "GET",
        "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1",
        None,
        "",
    )
    .await;
    assert_eq!(r.code, 200);
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(started.elapsed() < Duration::from_secs(5));
}
