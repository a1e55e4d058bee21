//! Conformance, through the real kubectl against `kubesim serve`: deletion as a real API
//! server does it - finalizers, `kubectl delete --cascade=background|foreground|orphan` with
//! the garbage collector following ownerReferences, namespace deletion - and generation and
//! the status subresource of built-in kinds.

use crate::support::{eventually, kubectl, kubectl_in, namespace, uid};
use serde_json::{Value, json};

fn configmap(name: &str, ns: &str, metadata: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n{metadata}"
    )
}

fn owned_by(owner: &str, owner_uid: &str, block: bool) -> String {
    format!(
        "  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: {owner}\n    uid: {owner_uid}\n    blockOwnerDeletion: {block}\n"
    )
}

fn exists(ns: &str, name: &str) -> bool {
    kubectl(&["get", "-n", ns, "cm", name, "-o", "name"]).ok
}

fn get(ns: &str, name: &str) -> Value {
    kubectl(&["get", "-n", ns, "cm", name, "-o", "json"]).json()
}

/// An owner configmap and its uid.
fn owner(ns: &str, name: &str) -> String {
    kubectl_in(&configmap(name, ns, ""), &["create", "-f", "-"]).success();
    uid(&["-n", ns, "cm", name])
}

#[test]
fn finalizers_hold_a_deleted_object_until_removed() {
    require_kubectl!();
    let ns = namespace("finalizers");
    kubectl_in(
        &configmap("held", &ns, "  finalizers: [example.com/hold]\n"),
        &["create", "-f", "-"],
    )
    .success();
    let run = kubectl(&["delete", "-n", &ns, "cm", "held", "--wait=false"]).success();
    assert_eq!(run.stdout.trim(), "configmap \"held\" deleted");
    let obj = get(&ns, "held");
    assert!(obj["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(obj["metadata"]["deletionGracePeriodSeconds"], 0);
    // No new finalizers once deleting.
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "held",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}"#,
    ])
    .failure("no new finalizers can be added if the object is being deleted");
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "held",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .success();
    kubectl(&["wait", "-n", &ns, "--for=delete", "cm/held", "--timeout=10s"]).success();
}

#[test]
fn cascade_background_collects_dependents_after_the_owner() {
    require_kubectl!();
    let ns = namespace("background");
    let owner_uid = owner(&ns, "owner");
    kubectl_in(
        &configmap("child", &ns, &owned_by("owner", &owner_uid, false)),
        &["create", "-f", "-"],
    )
    .success();
    let run = kubectl(&["delete", "-n", &ns, "cm", "owner", "--cascade=background"]).success();
    assert_eq!(run.stdout.trim(), "configmap \"owner\" deleted");
    eventually("the dependent is collected", || !exists(&ns, "child"));
}

#[test]
fn cascade_foreground_deletes_blocking_dependents_first() {
    require_kubectl!();
    let ns = namespace("foreground");
    let owner_uid = owner(&ns, "owner");
    let held = format!("{}  finalizers: [example.com/hold]\n", owned_by("owner", &owner_uid, true));
    kubectl_in(&configmap("blocking", &ns, &held), &["create", "-f", "-"]).success();
    kubectl_in(
        &configmap("plain", &ns, &owned_by("owner", &owner_uid, false)),
        &["create", "-f", "-"],
    )
    .success();

    kubectl(&["delete", "-n", &ns, "cm", "owner", "--cascade=foreground", "--wait=false"])
        .success();
    let marked = get(&ns, "owner");
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(marked["metadata"]["finalizers"], json!(["foregroundDeletion"]));
    eventually("the dependents are being deleted", || {
        !exists(&ns, "plain") && get(&ns, "blocking")["metadata"]["deletionTimestamp"].is_string()
    });
    assert!(exists(&ns, "owner"), "the blocking dependent holds the owner");
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "blocking",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .success();
    kubectl(&["wait", "-n", &ns, "--for=delete", "cm/owner", "--timeout=10s"]).success();
}

#[test]
fn cascade_foreground_waits_until_the_owner_is_gone() {
    require_kubectl!();
    let ns = namespace("fgwait");
    let owner_uid = owner(&ns, "owner");
    kubectl_in(
        &configmap("child", &ns, &owned_by("owner", &owner_uid, true)),
        &["create", "-f", "-"],
    )
    .success();
    // kubectl waits for the deletion to finish: the dependent first, then the owner.
    let run = kubectl(&["delete", "-n", &ns, "cm", "owner", "--cascade=foreground"]).success();
    assert_eq!(run.stdout.trim(), "configmap \"owner\" deleted");
    assert!(!exists(&ns, "owner") && !exists(&ns, "child"));
}

#[test]
fn cascade_orphan_keeps_dependents_without_the_owner() {
    require_kubectl!();
    let ns = namespace("orphan");
    let owner_uid = owner(&ns, "owner");
    let other_uid = owner(&ns, "other");
    let two = format!(
        "  ownerReferences:\n  - {{apiVersion: v1, kind: ConfigMap, name: owner, uid: {owner_uid}}}\n  - {{apiVersion: v1, kind: ConfigMap, name: other, uid: {other_uid}}}\n"
    );
    kubectl_in(&configmap("shared", &ns, &two), &["create", "-f", "-"]).success();
    kubectl_in(
        &configmap("only", &ns, &owned_by("owner", &owner_uid, true)),
        &["create", "-f", "-"],
    )
    .success();
    kubectl(&["delete", "-n", &ns, "cm", "owner", "--cascade=orphan"]).success();
    assert!(!exists(&ns, "owner"));
    assert!(get(&ns, "only")["metadata"].get("ownerReferences").is_none());
    let shared = get(&ns, "shared");
    let refs = shared["metadata"]["ownerReferences"].as_array().unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["name"], "other");
}

#[test]
fn dependents_of_an_owner_that_does_not_exist_are_collected() {
    require_kubectl!();
    let ns = namespace("dangling");
    let dangling = owned_by("ghost", "6a0f1b7e-0000-4000-8000-000000000000", false);
    kubectl_in(&configmap("orphaned", &ns, &dangling), &["create", "-f", "-"]).success();
    eventually("the dependent of a missing owner is collected", || !exists(&ns, "orphaned"));
}

#[test]
fn cluster_scoped_owners_are_followed() {
    require_kubectl!();
    let ns = namespace("clusterowner");
    // A namespaced dependent of a (cluster-scoped) Namespace.
    let owner_ns = namespace("owner-ns");
    let owner_uid = uid(&["namespace", &owner_ns]);
    let by_namespace = format!(
        "  ownerReferences:\n  - {{apiVersion: v1, kind: Namespace, name: {owner_ns}, uid: {owner_uid}}}\n"
    );
    kubectl_in(&configmap("of-namespace", &ns, &by_namespace), &["create", "-f", "-"]).success();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(exists(&ns, "of-namespace"), "its owner exists");
    kubectl(&["delete", "namespace", &owner_ns]).success();
    eventually("the dependent of the deleted namespace is collected", || {
        !exists(&ns, "of-namespace")
    });
}

#[test]
fn namespace_deletion_removes_its_contents_first() {
    require_kubectl!();
    let ns = namespace("doomed");
    kubectl_in(&configmap("a", &ns, ""), &["create", "-f", "-"]).success();
    kubectl_in(
        &configmap("held", &ns, "  finalizers: [example.com/hold]\n"),
        &["create", "-f", "-"],
    )
    .success();
    kubectl(&["delete", "namespace", &ns, "--wait=false"]).success();
    eventually("the namespace is terminating and its free contents are gone", || {
        let phase = kubectl(&["get", "namespace", &ns, "-o", "jsonpath={.status.phase}"]);
        phase.ok && phase.stdout == "Terminating" && !exists(&ns, "a")
    });
    kubectl_in(&configmap("late", &ns, ""), &["create", "-f", "-"])
        .failure("because it is being terminated");
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "held",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .success();
    kubectl(&["wait", "--for=delete", &format!("namespace/{ns}"), "--timeout=15s"]).success();
    kubectl(&["get", "namespace", &ns]).failure("NotFound");
}

fn deployment(ns: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
    )
}

#[test]
fn generation_counts_spec_changes_only() {
    require_kubectl!();
    let ns = namespace("generation");
    kubectl_in(&deployment(&ns), &["create", "-f", "-"]).success();
    let generation = || {
        let run =
            kubectl(&["get", "-n", &ns, "deploy", "web", "-o", "jsonpath={.metadata.generation}"]);
        run.success().stdout
    };
    assert_eq!(generation(), "1");
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"replicas":2}}"#,
    ])
    .success();
    assert_eq!(generation(), "2");
    kubectl(&["label", "-n", &ns, "deploy", "web", "tier=front"]).success();
    assert_eq!(generation(), "2", "metadata changes do not count");
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"replicas":2}}"#,
    ])
    .success();
    assert_eq!(generation(), "2", "a no-op patch does not count");
}

#[test]
fn the_status_subresource_is_separate_from_the_main_resource() {
    require_kubectl!();
    let ns = namespace("status");
    kubectl_in(&deployment(&ns), &["create", "-f", "-"]).success();
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "deploy",
        "web",
        "--subresource=status",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"replicas":5,"readyReplicas":4},"spec":{"replicas":9}}"#,
    ])
    .success();
    let obj = kubectl(&["get", "-n", &ns, "deploy", "web", "-o", "json"]).json();
    assert_eq!(obj["status"]["replicas"], 5);
    assert_eq!(obj["spec"]["replicas"], 1, "/status ignores the spec");
    assert_eq!(obj["metadata"]["generation"], 1);
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "deploy",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"replicas":0}}"#,
    ])
    .success();
    let obj = kubectl(&["get", "-n", &ns, "deploy", "web", "-o", "json"]).json();
    assert_eq!(obj["status"]["replicas"], 5, "the main resource ignores the status");
    let status =
        kubectl(&["get", "-n", &ns, "deploy", "web", "--subresource=status", "-o", "json"]).json();
    assert_eq!(status["status"]["readyReplicas"], 4);
}

#[test]
fn delete_by_label_and_all() {
    require_kubectl!();
    let ns = namespace("deleteall");
    for (name, team) in [("a", "red"), ("b", "red"), ("c", "blue")] {
        let manifest = configmap(name, &ns, &format!("  labels: {{team: {team}}}\n"));
        kubectl_in(&manifest, &["create", "-f", "-"]).success();
    }
    let run = kubectl(&["delete", "-n", &ns, "cm", "-l", "team=red"]).success();
    assert_eq!(run.lines(), vec!["configmap \"a\" deleted", "configmap \"b\" deleted"]);
    assert!(exists(&ns, "c"));
    kubectl(&["delete", "-n", &ns, "cm", "--all"]).success();
    assert!(!exists(&ns, "c"));
}

#[test]
fn a_delete_with_a_stale_precondition_is_a_conflict() {
    require_kubectl!();
    let ns = namespace("precondition");
    kubectl_in(&configmap("p", &ns, ""), &["create", "-f", "-"]).success();
    let path = format!("/api/v1/namespaces/{ns}/configmaps/p");
    let body = json!({"kind": "DeleteOptions", "apiVersion": "v1",
                      "preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}});
    kubectl_in(&body.to_string(), &["delete", "--raw", &path, "-f", "-"]).failure("Conflict");
    assert!(exists(&ns, "p"));
}
