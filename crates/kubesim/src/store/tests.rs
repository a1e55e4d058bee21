use serde_json::json;

use super::persist::StateOptions;
use super::*;

fn store(history: usize) -> Store {
    Store::new(StoreConfig { history_limit: history })
}

fn cm(name: &str, data: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": "default"}, "data": {"k": data}})
}

fn rv(obj: &Value) -> u64 {
    object::resource_version(obj).unwrap().unwrap()
}

fn key(name: &str) -> ObjectKey {
    ObjectKey::new("default", name)
}

#[test]
fn create_sets_server_metadata_and_a_global_resource_version() {
    let s = store(100);
    let a = s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    let b = s.create("secrets", cm("b", "1"), WriteOptions::default()).unwrap();
    assert_eq!(rv(&a), 1);
    assert_eq!(rv(&b), 2);
    assert!(object::uid(&a).is_some());
    assert!(a["metadata"]["creationTimestamp"].is_string());
    assert!(a["metadata"].get("generation").is_none());
    assert_eq!(s.current_rv(), 2);
}

#[test]
fn create_of_an_existing_name_is_already_exists() {
    let s = store(100);
    s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    let err = s.create("configmaps", cm("a", "2"), WriteOptions::default()).unwrap_err();
    assert_eq!(err, StoreError::AlreadyExists);
    assert_eq!(s.current_rv(), 1);
}

#[test]
fn generate_name_makes_unique_names() {
    let s = store(100);
    let obj = json!({"metadata": {"generateName": "web-", "namespace": "default"}});
    let a = s.create("pods", obj.clone(), WriteOptions::default()).unwrap();
    let b = s.create("pods", obj, WriteOptions::default()).unwrap();
    let (a, b) = (object::name(&a).unwrap(), object::name(&b).unwrap());
    assert!(a.starts_with("web-") && a.len() == 9, "{a}");
    assert_ne!(a, b);
}

#[test]
fn update_with_a_stale_resource_version_is_a_conflict() {
    let s = store(100);
    let a = s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    let mut first = cm("a", "2");
    object::set_resource_version(&mut first, rv(&a));
    s.update("configmaps", first.clone(), WriteOptions::default()).unwrap();
    let err = s.update("configmaps", first, WriteOptions::default()).unwrap_err();
    assert_eq!(err, StoreError::Conflict);
}

#[test]
fn an_update_that_changes_nothing_keeps_the_resource_version() {
    let s = store(100);
    let a = s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    let out = s.update("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    assert_eq!(rv(&out.object), rv(&a));
    assert_eq!(s.current_rv(), 1);
}

#[test]
fn generation_follows_spec_changes_only() {
    let s = store(100);
    let opts = WriteOptions { generation: Generation::SpecOnly, ..Default::default() };
    let dep = |replicas: i64, ready: i64, label: &str| {
        json!({"metadata": {"name": "d", "namespace": "default", "labels": {"l": label}},
               "spec": {"replicas": replicas}, "status": {"readyReplicas": ready}})
    };
    let a = s.create("apps/deployments", dep(1, 0, "x"), opts).unwrap();
    assert_eq!(object::generation(&a), Some(1));
    let b = s.update("apps/deployments", dep(1, 1, "y"), opts).unwrap().object;
    assert_eq!(object::generation(&b), Some(1), "status and metadata do not count");
    let c = s.update("apps/deployments", dep(2, 1, "y"), opts).unwrap().object;
    assert_eq!(object::generation(&c), Some(2));
    let any = WriteOptions { generation: Generation::AnyChange, ..Default::default() };
    let d = s.update("apps/deployments", dep(2, 5, "y"), any).unwrap().object;
    assert_eq!(object::generation(&d), Some(3), "without a status subresource status counts");
}

#[test]
fn finalizers_hold_a_deleted_object_until_the_last_is_removed() {
    let s = store(100);
    let mut obj = cm("a", "1");
    obj["metadata"]["finalizers"] = json!(["x/y"]);
    s.create("configmaps", obj.clone(), WriteOptions::default()).unwrap();
    let out = s.delete("configmaps", &key("a"), &DeleteOptions::default()).unwrap();
    let DeleteOutcome::Marked(marked) = out else { panic!("expected a marked object") };
    assert!(object::deletion_timestamp(&marked).is_some());
    let mut adding = (*marked).clone();
    adding["metadata"]["finalizers"] = json!(["x/y", "x/z"]);
    assert!(matches!(
        s.update("configmaps", adding, WriteOptions::default()),
        Err(StoreError::Invalid { .. })
    ));
    let mut cleared = (*marked).clone();
    cleared["metadata"]["finalizers"] = json!([]);
    let out = s.update("configmaps", cleared, WriteOptions::default()).unwrap();
    assert!(out.deleted);
    assert!(s.get("configmaps", &key("a")).is_none());
}

#[test]
fn delete_preconditions_are_checked() {
    let s = store(100);
    s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    let wrong_uid = DeleteOptions { uid: Some("nope".into()), ..Default::default() };
    assert!(matches!(
        s.delete("configmaps", &key("a"), &wrong_uid),
        Err(StoreError::PreconditionFailed(_))
    ));
    let wrong_rv = DeleteOptions { resource_version: Some("99".into()), ..Default::default() };
    assert!(matches!(
        s.delete("configmaps", &key("a"), &wrong_rv),
        Err(StoreError::PreconditionFailed(_))
    ));
    let right = DeleteOptions { resource_version: Some("1".into()), ..Default::default() };
    let DeleteOutcome::Deleted(last) = s.delete("configmaps", &key("a"), &right).unwrap() else {
        panic!("expected deletion")
    };
    assert_eq!(rv(&last), 2, "a deletion has its own resourceVersion");
}

#[test]
fn graceful_deletion_marks_and_can_be_shortened() {
    let s = store(100);
    s.create("pods", cm("p", "1"), WriteOptions::default()).unwrap();
    let graceful =
        |seconds| DeleteOptions { mode: DeleteMode::Graceful { seconds }, ..Default::default() };
    let DeleteOutcome::Marked(m) = s.delete("pods", &key("p"), &graceful(30)).unwrap() else {
        panic!()
    };
    assert_eq!(m["metadata"]["deletionGracePeriodSeconds"], 30);
    let DeleteOutcome::Marked(m) = s.delete("pods", &key("p"), &graceful(5)).unwrap() else {
        panic!()
    };
    assert_eq!(m["metadata"]["deletionGracePeriodSeconds"], 5);
    s.remove("pods", &key("p")).unwrap();
    assert!(s.get("pods", &key("p")).is_none());
}

#[test]
fn dry_run_stores_nothing() {
    let s = store(100);
    let dry = WriteOptions { dry_run: true, ..Default::default() };
    let out = s.create("configmaps", cm("a", "1"), dry).unwrap();
    assert!(out["metadata"].get("resourceVersion").is_none());
    assert!(s.get("configmaps", &key("a")).is_none());
    assert_eq!(s.current_rv(), 0);
}

#[test]
fn watch_from_an_old_version_replays_history_or_expires() {
    let s = store(3);
    for i in 0..5 {
        s.create("configmaps", cm(&format!("c{i}"), "1"), WriteOptions::default()).unwrap();
    }
    // rv 1..=5 written, history keeps 3..=5.
    let sub = s.watch("configmaps", WatchFrom::After(2)).unwrap();
    let rvs: Vec<u64> = sub.backlog.iter().map(|e| e.rv).collect();
    assert_eq!(rvs, vec![3, 4, 5]);
    assert!(matches!(
        s.watch("configmaps", WatchFrom::After(1)),
        Err(StoreError::Expired { requested: 1, oldest: 2 })
    ));
}

#[tokio::test]
async fn watchers_receive_shared_events() {
    let s = store(100);
    let mut subs: Vec<_> = (0..3).map(|_| s.watch("configmaps", WatchFrom::Now).unwrap()).collect();
    s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    let mut got = Vec::new();
    for sub in &mut subs {
        got.push(sub.receiver.recv().await.unwrap());
    }
    assert!(Arc::ptr_eq(&got[0], &got[1]) && Arc::ptr_eq(&got[1], &got[2]));
    assert!(got[0].wire().starts_with(b"{\"type\":\"ADDED\""));
}

#[test]
fn list_at_an_older_version_undoes_later_changes() {
    let s = store(100);
    for name in ["a", "b", "c"] {
        s.create("configmaps", cm(name, "1"), WriteOptions::default()).unwrap();
    }
    let at = s.current_rv();
    s.delete("configmaps", &key("a"), &DeleteOptions::default()).unwrap();
    s.update("configmaps", cm("b", "2"), WriteOptions::default()).unwrap();
    s.create("configmaps", cm("d", "1"), WriteOptions::default()).unwrap();
    let old = s.list_at("configmaps", Some("default"), at, None).unwrap();
    let names: Vec<&str> = old.iter().map(|o| object::name(o).unwrap()).collect();
    assert_eq!(names, vec!["a", "b", "c"]);
    assert_eq!(old[1]["data"]["k"], "1");
    let after_a = s.list_at("configmaps", Some("default"), at, Some(&key("a"))).unwrap();
    assert_eq!(after_a.len(), 2);
}

#[test]
fn a_propagation_policy_sets_the_collector_finalizers() {
    let s = store(100);
    let mut obj = cm("a", "1");
    obj["metadata"]["finalizers"] = json!(["example.com/keep"]);
    s.create("configmaps", obj, WriteOptions::default()).unwrap();
    let foreground =
        DeleteOptions { propagation: Some(Propagation::Foreground), ..Default::default() };
    let DeleteOutcome::Marked(marked) = s.delete("configmaps", &key("a"), &foreground).unwrap()
    else {
        panic!("held by finalizers");
    };
    assert_eq!(object::finalizers(&marked), vec!["example.com/keep", FOREGROUND_FINALIZER]);
    assert!(object::deletion_timestamp(&marked).is_some());
    // Deleting again with another policy swaps the collector's finalizer.
    let orphan = DeleteOptions { propagation: Some(Propagation::Orphan), ..Default::default() };
    let DeleteOutcome::Marked(again) = s.delete("configmaps", &key("a"), &orphan).unwrap() else {
        panic!("still held");
    };
    assert_eq!(object::finalizers(&again), vec!["example.com/keep", ORPHAN_FINALIZER]);
    assert_eq!(again["metadata"]["deletionTimestamp"], marked["metadata"]["deletionTimestamp"]);

    s.create("configmaps", cm("b", "1"), WriteOptions::default()).unwrap();
    let background =
        DeleteOptions { propagation: Some(Propagation::Background), ..Default::default() };
    assert!(matches!(
        s.delete("configmaps", &key("b"), &background).unwrap(),
        DeleteOutcome::Deleted(_)
    ));
}

#[test]
fn a_terminating_namespace_waits_for_its_spec_finalizers() {
    let s = store(100);
    let ns = json!({"metadata": {"name": "ns", "finalizers": ["orphan"]},
                    "spec": {"finalizers": ["kubernetes"]}});
    s.create("namespaces", ns, WriteOptions::default()).unwrap();
    let options = DeleteOptions { hold: true, ..Default::default() };
    s.delete("namespaces", &ObjectKey::new("", "ns"), &options).unwrap();
    let mut current = (*s.get("namespaces", &ObjectKey::new("", "ns")).unwrap()).clone();
    current["metadata"]["finalizers"] = json!([]);
    let outcome = s.update("namespaces", current, WriteOptions::default()).unwrap();
    assert!(!outcome.deleted, "spec.finalizers still hold it");
}

#[tokio::test]
async fn the_change_feed_carries_every_type_in_order() {
    let s = store(100);
    let mut feed = s.changes();
    s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
    s.create("secrets", cm("b", "1"), WriteOptions::default()).unwrap();
    s.delete("configmaps", &key("a"), &DeleteOptions::default()).unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let change = feed.recv().await.unwrap();
        seen.push((change.resource.to_string(), change.event.kind, change.event.rv));
    }
    assert_eq!(
        seen,
        vec![
            ("configmaps".into(), EventKind::Added, 1),
            ("secrets".into(), EventKind::Added, 2),
            ("configmaps".into(), EventKind::Deleted, 3),
        ]
    );
    let (rv, all) = s.all();
    assert_eq!((rv, all.len()), (3, 1));
}

fn state_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-store-{name}-{}", uuid::Uuid::new_v4()));
    dir.join("state")
}

#[tokio::test]
async fn a_reopened_state_file_has_every_object_and_higher_versions() {
    let path = state_path("reopen");
    let options = StateOptions::new(&path);
    let last_rv = {
        let s = Store::open(StoreConfig::default(), &options).unwrap();
        s.create("configmaps", cm("a", "1"), WriteOptions::default()).unwrap();
        s.create("configmaps", cm("b", "1"), WriteOptions::default()).unwrap();
        let mut b = cm("b", "2");
        b["metadata"].as_object_mut().unwrap().remove("resourceVersion");
        s.update("configmaps", b, WriteOptions::default()).unwrap();
        s.delete("configmaps", &key("a"), &DeleteOptions::default()).unwrap();
        s.durable(s.current_rv()).await.unwrap();
        s.current_rv()
    };
    let s = Store::open(StoreConfig::default(), &options).unwrap();
    assert_eq!(s.current_rv(), last_rv, "a clean close resumes right after the last version");
    let items = s.list("configmaps", None).items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["data"]["k"], "2");
    // History does not survive: watching from before the restart expires.
    assert!(matches!(s.watch("configmaps", WatchFrom::After(1)), Err(StoreError::Expired { .. })));
    let c = s.create("configmaps", cm("c", "1"), WriteOptions::default()).unwrap();
    assert!(rv(&c) > last_rv);
    drop(s);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test]
async fn compaction_keeps_the_state_and_shrinks_the_file() {
    let path = state_path("compact");
    let options = StateOptions { path: path.clone(), compact_after_bytes: 4096 };
    {
        let s = Store::open(StoreConfig::default(), &options).unwrap();
        s.create("configmaps", cm("keep", "0"), WriteOptions::default()).unwrap();
        for i in 0..200 {
            let name = format!("tmp-{i}");
            s.create("configmaps", cm(&name, "x"), WriteOptions::default()).unwrap();
            s.delete("configmaps", &key(&name), &DeleteOptions::default()).unwrap();
            s.durable(s.current_rv()).await.unwrap();
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 8192, "compacted, not a log of 400 changes: {size} bytes");
    let s = Store::open(StoreConfig::default(), &options).unwrap();
    let names: Vec<String> = s
        .list("configmaps", None)
        .items
        .iter()
        .map(|o| object::name(o).unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["keep"]);
    assert_eq!(s.current_rv(), 401);
    drop(s);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
