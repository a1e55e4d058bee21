//! Conformance, through the real kubectl against `kubesim serve`: create/get/list, apply
//! (client-side and server-side), every patch type, replace with a stale version, label and
//! field selectors, watch, pagination, dry-run, Leases, Events, and the errors kubectl shows
//! for unknown resources and malformed bodies. Each case asserts what a real API server
//! answers.

use crate::support::{Background, eventually, kubectl, kubectl_in, namespace};
use serde_json::json;

fn configmap(name: &str, ns: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n{extra}"
    )
}

#[test]
fn create_from_a_manifest_then_get_and_list() {
    require_kubectl!();
    let ns = namespace("create");
    let manifest = configmap("settings", &ns, "  labels: {app: web}\ndata:\n  mode: fast\n");
    let run = kubectl_in(&manifest, &["create", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "configmap/settings created");
    let obj = kubectl(&["get", "-n", &ns, "configmap", "settings", "-o", "json"]).json();
    assert_eq!(obj["data"]["mode"], "fast");
    assert!(obj["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(obj["metadata"]["resourceVersion"].as_str().is_some_and(|v| v.parse::<u64>().is_ok()));
    assert!(obj["metadata"]["creationTimestamp"].is_string());
    let names = kubectl(&["get", "-n", &ns, "cm", "-l", "app=web", "-o", "name"]).success();
    assert_eq!(names.lines(), vec!["configmap/settings"]);
    let yaml = kubectl(&["get", "-n", &ns, "cm", "settings", "-o", "jsonpath={.data.mode}"]);
    assert_eq!(yaml.success().stdout, "fast");
}

#[test]
fn create_of_an_existing_name_is_already_exists() {
    require_kubectl!();
    let ns = namespace("exists");
    let manifest = configmap("dup", &ns, "");
    kubectl_in(&manifest, &["create", "-f", "-"]).success();
    kubectl_in(&manifest, &["create", "-f", "-"])
        .failure("Error from server (AlreadyExists)")
        .failure("configmaps \"dup\" already exists");
}

#[test]
fn generate_name_makes_a_unique_name() {
    require_kubectl!();
    let ns = namespace("genname");
    let manifest = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: job-\n  namespace: {ns}\n"
    );
    let first = kubectl_in(&manifest, &["create", "-f", "-", "-o", "name"]).success();
    let second = kubectl_in(&manifest, &["create", "-f", "-", "-o", "name"]).success();
    assert!(first.stdout.starts_with("configmap/job-"), "{}", first.stdout);
    assert_ne!(first.stdout, second.stdout);
}

#[test]
fn get_prints_the_servers_table_columns() {
    require_kubectl!();
    let ns = namespace("table");
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {ns}\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
    );
    kubectl_in(&pod, &["create", "-f", "-"]).success();
    let pods = kubectl(&["get", "pods", "-n", &ns]).success();
    let header: Vec<&str> = pods.stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert!(pods.stdout.contains("0/1"), "{}", pods.stdout);
    let namespaces = kubectl(&["get", "namespace", &ns]).success();
    let header: Vec<&str> = namespaces.stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, vec!["NAME", "STATUS", "AGE"]);
    assert!(namespaces.stdout.contains("Active"));
}

#[test]
fn client_side_apply_creates_configures_and_leaves_unchanged() {
    require_kubectl!();
    let ns = namespace("csa");
    let first = configmap("applied", &ns, "data:\n  a: \"1\"\n  b: \"2\"\n");
    let run = kubectl_in(&first, &["apply", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "configmap/applied created");
    // Dropping a key from the manifest removes it (three-way merge with last-applied).
    let second = configmap("applied", &ns, "data:\n  a: \"3\"\n");
    let run = kubectl_in(&second, &["apply", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "configmap/applied configured");
    let run = kubectl_in(&second, &["apply", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "configmap/applied unchanged");
    let obj = kubectl(&["get", "-n", &ns, "cm", "applied", "-o", "json"]).json();
    assert_eq!(obj["data"], json!({"a": "3"}));
    let annotations = &obj["metadata"]["annotations"];
    assert!(annotations["kubectl.kubernetes.io/last-applied-configuration"].is_string());
}

#[test]
fn server_side_apply_creates_and_records_the_manager() {
    require_kubectl!();
    let ns = namespace("ssa");
    let manifest = configmap("ssa", &ns, "data:\n  a: \"1\"\n");
    let run = kubectl_in(&manifest, &["apply", "--server-side", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "configmap/ssa serverside-applied");
    let obj =
        kubectl(&["get", "-n", &ns, "cm", "ssa", "-o", "json", "--show-managed-fields"]).json();
    let managers: Vec<&str> = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, vec!["kubectl"]);
    assert_eq!(obj["metadata"]["managedFields"][0]["operation"], "Apply");
}

#[test]
fn server_side_apply_conflicts_between_managers_and_force_takes_over() {
    require_kubectl!();
    let ns = namespace("conflict");
    let mine = configmap("shared", &ns, "data:\n  owner: alice\n");
    kubectl_in(&mine, &["apply", "--server-side", "--field-manager=alice", "-f", "-"]).success();
    let theirs = configmap("shared", &ns, "data:\n  owner: bob\n");
    kubectl_in(&theirs, &["apply", "--server-side", "--field-manager=bob", "-f", "-"])
        .failure("Apply failed with 1 conflict: conflict with \"alice\": .data.owner");
    kubectl_in(
        &theirs,
        &["apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "-"],
    )
    .success();
    let value = kubectl(&["get", "-n", &ns, "cm", "shared", "-o", "jsonpath={.data.owner}"]);
    assert_eq!(value.success().stdout, "bob");
}

#[test]
fn merge_patch_changes_only_what_it_names() {
    require_kubectl!();
    let ns = namespace("merge");
    kubectl_in(&configmap("m", &ns, "data:\n  a: \"1\"\n  b: \"2\"\n"), &["create", "-f", "-"])
        .success();
    let run = kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "m",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"b":null,"c":"3"}}"#,
    ])
    .success();
    assert_eq!(run.stdout.trim(), "configmap/m patched");
    let obj = kubectl(&["get", "-n", &ns, "cm", "m", "-o", "json"]).json();
    assert_eq!(obj["data"], json!({"a": "1", "c": "3"}));
}

#[test]
fn json_patch_applies_operations_and_a_failed_test_is_rejected() {
    require_kubectl!();
    let ns = namespace("jsonpatch");
    kubectl_in(&configmap("j", &ns, "data:\n  a: \"1\"\n"), &["create", "-f", "-"]).success();
    let ops = r#"[{"op":"test","path":"/data/a","value":"1"},{"op":"add","path":"/data/b","value":"2"},{"op":"remove","path":"/data/a"}]"#;
    kubectl(&["patch", "-n", &ns, "cm", "j", "--type", "json", "-p", ops]).success();
    let obj = kubectl(&["get", "-n", &ns, "cm", "j", "-o", "json"]).json();
    assert_eq!(obj["data"], json!({"b": "2"}));
    let failing =
        r#"[{"op":"test","path":"/data/b","value":"9"},{"op":"add","path":"/data/c","value":"3"}]"#;
    kubectl(&["patch", "-n", &ns, "cm", "j", "--type", "json", "-p", failing])
        .failure("The request is invalid");
    let missing = r#"[{"op":"replace","path":"/data/nothing/here","value":"x"}]"#;
    kubectl(&["patch", "-n", &ns, "cm", "j", "--type", "json", "-p", missing])
        .failure("The request is invalid");
    let after = kubectl(&["get", "-n", &ns, "cm", "j", "-o", "json"]).json();
    assert_eq!(after["data"], json!({"b": "2"}), "a failed patch stores nothing");
    assert_eq!(after["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"]);
}

fn deployment(name: &str, ns: &str, containers: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n{containers}"
    )
}

#[test]
fn strategic_merge_patch_merges_containers_by_name() {
    require_kubectl!();
    let ns = namespace("smp");
    let containers = "      - name: web\n        image: nginx:1\n      - name: sidecar\n        image: envoy:1\n";
    kubectl_in(&deployment("d", &ns, containers), &["create", "-f", "-"]).success();
    let patch =
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"envoy:2"}]}}}}"#;
    // kubectl patch defaults to a strategic merge patch.
    kubectl(&["patch", "-n", &ns, "deployment", "d", "-p", patch]).success();
    let obj = kubectl(&["get", "-n", &ns, "deployment", "d", "-o", "json"]).json();
    let images: Vec<&str> = obj["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["image"].as_str().unwrap())
        .collect();
    assert_eq!(images, vec!["nginx:1", "envoy:2"]);
}

#[test]
fn replace_with_a_stale_resource_version_is_a_conflict() {
    require_kubectl!();
    let ns = namespace("replace");
    kubectl_in(&configmap("r", &ns, "data:\n  v: \"1\"\n"), &["create", "-f", "-"]).success();
    let mut obj = kubectl(&["get", "-n", &ns, "cm", "r", "-o", "json"]).json();
    obj["data"]["v"] = json!("2");
    let first = obj.to_string();
    let run = kubectl_in(&first, &["replace", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "configmap/r replaced");
    obj["data"]["v"] = json!("3");
    kubectl_in(&obj.to_string(), &["replace", "-f", "-"])
        .failure("Error from server (Conflict)")
        .failure("Operation cannot be fulfilled on configmaps \"r\": the object has been modified; please apply your changes to the latest version and try again");
    let value = kubectl(&["get", "-n", &ns, "cm", "r", "-o", "jsonpath={.data.v}"]);
    assert_eq!(value.success().stdout, "2");
}

#[test]
fn label_selectors_with_every_operator() {
    require_kubectl!();
    let ns = namespace("labels");
    for (name, labels) in
        [("prod", "{env: prod, tier: web}"), ("dev", "{env: dev}"), ("none", "{other: x}")]
    {
        let manifest = configmap(name, &ns, &format!("  labels: {labels}\n"));
        kubectl_in(&manifest, &["create", "-f", "-"]).success();
    }
    let select = |selector: &str| {
        let run = kubectl(&["get", "-n", &ns, "cm", "-l", selector, "-o", "name"]).success();
        let mut names: Vec<String> =
            run.lines().iter().map(|l| l.replace("configmap/", "")).collect();
        names.sort();
        names
    };
    assert_eq!(select("env=prod"), vec!["prod"]);
    assert_eq!(select("env!=prod"), vec!["dev", "none"]);
    assert_eq!(select("env in (prod,dev)"), vec!["dev", "prod"]);
    assert_eq!(select("env notin (prod)"), vec!["dev", "none"]);
    assert_eq!(select("tier"), vec!["prod"]);
    assert_eq!(select("!tier"), vec!["dev", "none"]);
    assert_eq!(select("env,!tier"), vec!["dev"]);
}

#[test]
fn field_selectors_and_an_unsupported_field() {
    require_kubectl!();
    let ns = namespace("fields");
    for name in ["a", "b"] {
        kubectl_in(&configmap(name, &ns, ""), &["create", "-f", "-"]).success();
    }
    let run =
        kubectl(&["get", "-n", &ns, "cm", "--field-selector", "metadata.name=a", "-o", "name"]);
    assert_eq!(run.success().lines(), vec!["configmap/a"]);
    let run =
        kubectl(&["get", "-n", &ns, "cm", "--field-selector", "metadata.name!=a", "-o", "name"]);
    assert_eq!(run.success().lines(), vec!["configmap/b"]);
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: {ns}\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
    );
    kubectl_in(&pod, &["create", "-f", "-"]).success();
    let run = kubectl(&[
        "get",
        "-n",
        &ns,
        "pods",
        "--field-selector",
        "status.phase=Pending,spec.nodeName=",
        "-o",
        "name",
    ]);
    assert_eq!(run.success().lines(), vec!["pod/p"]);
    kubectl(&["get", "-n", &ns, "cm", "--field-selector", "spec.foo=x"])
        .failure("field label not supported: spec.foo");
}

#[test]
fn watch_prints_added_modified_and_deleted_events() {
    require_kubectl!();
    let ns = namespace("watch");
    kubectl_in(&configmap("w", &ns, ""), &["create", "-f", "-"]).success();
    let watch =
        Background::start(&["get", "-n", &ns, "cm", "-w", "--output-watch-events", "-o", "json"]);
    eventually("the initial ADDED is printed", || !watch.documents().is_empty());
    kubectl(&["patch", "-n", &ns, "cm", "w", "--type", "merge", "-p", r#"{"data":{"a":"b"}}"#])
        .success();
    kubectl(&["delete", "-n", &ns, "cm", "w"]).success();
    eventually("MODIFIED and DELETED are printed", || watch.documents().len() >= 3);
    let events: Vec<(String, String)> = watch
        .documents()
        .iter()
        .map(|e| {
            (e["type"].as_str().unwrap().to_string(), e["object"]["kind"].as_str().unwrap().into())
        })
        .collect();
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, vec!["ADDED", "MODIFIED", "DELETED"]);
    assert!(events.iter().all(|(_, kind)| kind == "ConfigMap"));
}

#[test]
fn watch_with_a_label_selector_sees_objects_leave_the_selection() {
    require_kubectl!();
    let ns = namespace("watchsel");
    kubectl_in(&configmap("s", &ns, "  labels: {team: a}\n"), &["create", "-f", "-"]).success();
    let watch = Background::start(&[
        "get",
        "-n",
        &ns,
        "cm",
        "-l",
        "team=a",
        "-w",
        "--output-watch-events",
        "-o",
        "json",
    ]);
    eventually("the initial ADDED is printed", || !watch.documents().is_empty());
    kubectl(&["label", "-n", &ns, "cm", "s", "team=b", "--overwrite"]).success();
    eventually("leaving the selection is a DELETED", || watch.documents().len() >= 2);
    let docs = watch.documents();
    assert_eq!(docs[1]["type"], "DELETED");
    assert_eq!(docs[1]["object"]["metadata"]["labels"]["team"], "b");
}

#[test]
fn chunk_size_pages_through_a_list() {
    require_kubectl!();
    let ns = namespace("chunks");
    let items: Vec<String> = (0..7).map(|i| configmap(&format!("c{i}"), &ns, "")).collect();
    kubectl_in(&items.join("---\n"), &["create", "-f", "-"]).success();
    let run = kubectl(&["get", "-n", &ns, "cm", "--chunk-size=2", "-o", "name", "-v=6"]).success();
    let names: Vec<String> =
        run.lines().into_iter().filter(|l| l.starts_with("configmap/")).collect();
    // The seven plus the namespace's kube-root-ca.crt if the server made one.
    assert!(names.len() >= 7, "{names:?}");
    let pages = run.stderr.lines().filter(|l| l.contains("GET") && l.contains("limit=2")).count();
    assert_eq!(pages, names.len().div_ceil(2), "{}", run.stderr);
    assert!(run.stderr.contains("continue="), "{}", run.stderr);
}

#[test]
fn server_dry_run_stores_nothing() {
    require_kubectl!();
    let ns = namespace("dryrun");
    let manifest = configmap("dry", &ns, "data:\n  a: \"1\"\n");
    let run = kubectl_in(&manifest, &["create", "--dry-run=server", "-f", "-", "-o", "json"]);
    let obj = run.json();
    assert_eq!(obj["data"]["a"], "1");
    assert!(obj["metadata"]["uid"].is_string(), "the server fills in what it would store");
    kubectl(&["get", "-n", &ns, "cm", "dry"]).failure("NotFound");

    kubectl_in(&manifest, &["create", "-f", "-"]).success();
    let run = kubectl(&["delete", "-n", &ns, "cm", "dry", "--dry-run=server"]).success();
    assert_eq!(run.stdout.trim(), "configmap \"dry\" deleted (server dry run)");
    kubectl(&["get", "-n", &ns, "cm", "dry"]).success();
    let patched = kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "dry",
        "--type",
        "merge",
        "--dry-run=server",
        "-p",
        r#"{"data":{"a":"2"}}"#,
        "-o",
        "jsonpath={.data.a}",
    ]);
    assert_eq!(patched.success().stdout, "2");
    let value = kubectl(&["get", "-n", &ns, "cm", "dry", "-o", "jsonpath={.data.a}"]);
    assert_eq!(value.success().stdout, "1");
}

#[test]
fn diff_of_a_builtin_shows_the_change() {
    require_kubectl!();
    let ns = namespace("diff");
    kubectl_in(&configmap("d", &ns, "data:\n  a: \"1\"\n"), &["apply", "-f", "-"]).success();
    let changed = configmap("d", &ns, "data:\n  a: \"2\"\n");
    let run = kubectl_in(&changed, &["diff", "-f", "-"]);
    assert_eq!(run.code, Some(1), "exit 1 means differences: {}", run.stderr);
    assert!(
        run.stdout.contains("-  a: \"1\"") && run.stdout.contains("+  a: \"2\""),
        "{}",
        run.stdout
    );
    let same = configmap("d", &ns, "data:\n  a: \"1\"\n");
    assert_eq!(kubectl_in(&same, &["diff", "-f", "-"]).code, Some(0));
}

#[test]
fn unknown_resource_types_and_paths_are_not_found() {
    require_kubectl!();
    kubectl(&["get", "gizmos"]).failure("the server doesn't have a resource type \"gizmos\"");
    kubectl(&["get", "--raw", "/apis/example.com/v1/gizmos"])
        .failure("Error from server (NotFound): the server could not find the requested resource");
    kubectl(&["get", "--raw", "/api/v1/namespaces/default/gizmos"]).failure("NotFound");
}

#[test]
fn malformed_bodies_are_bad_requests_and_store_nothing() {
    require_kubectl!();
    let ns = namespace("malformed");
    let path = format!("/api/v1/namespaces/{ns}/configmaps");
    kubectl_in("{\"metadata\": ", &["create", "--raw", &path, "-f", "-"])
        .failure("Error from server (BadRequest)");
    kubectl_in(
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":5}"#,
        &["create", "--raw", &path, "-f", "-"],
    )
    .failure("Error from server (BadRequest)");
    let list = kubectl(&["get", "-n", &ns, "cm", "-o", "json"]).json();
    assert!(
        list["items"].as_array().unwrap().iter().all(|i| i["metadata"]["name"] != "x"),
        "nothing stored"
    );
}

#[test]
fn leases_are_created_renewed_and_listed() {
    require_kubectl!();
    let ns = namespace("lease");
    let lease = format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: leader\n  namespace: {ns}\nspec:\n  holderIdentity: a\n  leaseDurationSeconds: 15\n  renewTime: \"2024-01-01T00:00:00.000000Z\"\n"
    );
    let run = kubectl_in(&lease, &["create", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "lease.coordination.k8s.io/leader created");
    let renew = r#"{"spec":{"holderIdentity":"b","renewTime":"2024-01-01T00:00:10.000000Z"}}"#;
    kubectl(&["patch", "-n", &ns, "lease", "leader", "--type", "merge", "-p", renew]).success();
    let obj = kubectl(&["get", "-n", &ns, "lease", "leader", "-o", "json"]).json();
    assert_eq!(obj["spec"]["holderIdentity"], "b");
    assert_eq!(obj["spec"]["renewTime"], "2024-01-01T00:00:10.000000Z");
    assert_eq!(obj["spec"]["leaseDurationSeconds"], 15);
    kubectl(&["get", "leases", "-n", "kube-node-lease"]).success();
}

#[test]
fn kubectl_events_lists_core_and_events_v1_events() {
    require_kubectl!();
    let ns = namespace("events");
    kubectl_in(&configmap("subject", &ns, ""), &["create", "-f", "-"]).success();
    let core = format!(
        "apiVersion: v1\nkind: Event\nmetadata:\n  name: e1\n  namespace: {ns}\ninvolvedObject:\n  apiVersion: v1\n  kind: ConfigMap\n  name: subject\n  namespace: {ns}\nreason: Configured\nmessage: configured by the test\ntype: Normal\nfirstTimestamp: \"2024-01-01T00:00:00Z\"\nlastTimestamp: \"2024-01-01T00:00:00Z\"\ncount: 1\nsource:\n  component: tester\n"
    );
    kubectl_in(&core, &["create", "-f", "-"]).success();
    let v1 = format!(
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: e2\n  namespace: {ns}\neventTime: \"2024-01-01T00:00:01.000000Z\"\nreportingController: tester\nreportingInstance: tester-1\naction: Check\nreason: Checked\nnote: checked by the test\ntype: Warning\nregarding:\n  apiVersion: v1\n  kind: ConfigMap\n  name: other\n  namespace: {ns}\n"
    );
    kubectl_in(&v1, &["create", "-f", "-"]).success();
    let all = kubectl(&["events", "-n", &ns]).success();
    assert!(all.stdout.contains("Configured") && all.stdout.contains("configured by the test"));
    assert!(all.stdout.contains("Checked") && all.stdout.contains("checked by the test"));
    let only = kubectl(&["events", "-n", &ns, "--for", "configmap/subject"]).success();
    assert!(only.stdout.contains("Configured"), "{}", only.stdout);
    assert!(!only.stdout.contains("Checked"), "{}", only.stdout);
    let warnings = kubectl(&["events", "-n", &ns, "--types=Warning"]).success();
    assert!(warnings.stdout.contains("Checked") && !warnings.stdout.contains("Configured"));
    // The core/v1 view of the events.k8s.io/v1 event.
    let as_core = kubectl(&["get", "events.v1.", "-n", &ns, "e2", "-o", "json"]).json();
    assert_eq!(as_core["message"], "checked by the test");
    assert_eq!(as_core["involvedObject"]["name"], "other");
}

#[test]
fn label_and_annotate_add_overwrite_and_remove() {
    require_kubectl!();
    let ns = namespace("label");
    kubectl_in(&configmap("l", &ns, ""), &["create", "-f", "-"]).success();
    let run = kubectl(&["label", "-n", &ns, "cm", "l", "a=1"]).success();
    assert_eq!(run.stdout.trim(), "configmap/l labeled");
    kubectl(&["label", "-n", &ns, "cm", "l", "a=2"]).failure("'a' already has a value (1)");
    kubectl(&["label", "-n", &ns, "cm", "l", "a=2", "--overwrite"]).success();
    kubectl(&["annotate", "-n", &ns, "cm", "l", "note=hello"]).success();
    let obj = kubectl(&["get", "-n", &ns, "cm", "l", "-o", "json"]).json();
    assert_eq!(obj["metadata"]["labels"]["a"], "2");
    assert_eq!(obj["metadata"]["annotations"]["note"], "hello");
    kubectl(&["label", "-n", &ns, "cm", "l", "a-"]).success();
    let obj = kubectl(&["get", "-n", &ns, "cm", "l", "-o", "json"]).json();
    assert!(obj["metadata"]["labels"].get("a").is_none());
}

#[test]
fn imperative_create_commands_work() {
    require_kubectl!();
    let ns = namespace("imperative");
    let run = kubectl(&["create", "configmap", "lit", "-n", &ns, "--from-literal=a=b"]).success();
    assert_eq!(run.stdout.trim(), "configmap/lit created");
    kubectl(&["create", "deployment", "web", "-n", &ns, "--image=nginx"]).success();
    kubectl(&["get", "deployment", "web", "-n", &ns]).success();
}

#[test]
fn scale_uses_the_scale_subresource() {
    require_kubectl!();
    let ns = namespace("scale");
    let containers = "      - name: web\n        image: nginx\n";
    kubectl_in(&deployment("web", &ns, containers), &["create", "-f", "-"]).success();
    let run = kubectl(&["scale", "-n", &ns, "deployment", "web", "--replicas=3"]).success();
    assert_eq!(run.stdout.trim(), "deployment.apps/web scaled");
    let replicas =
        kubectl(&["get", "-n", &ns, "deployment", "web", "-o", "jsonpath={.spec.replicas}"]);
    assert_eq!(replicas.success().stdout, "3");
}

#[test]
fn explain_describes_a_builtin_field() {
    require_kubectl!();
    let run = kubectl(&["explain", "deployment.spec.replicas"]).success();
    assert!(run.stdout.contains("FIELD: replicas <integer>"), "{}", run.stdout);
}

#[test]
fn api_resources_version_and_health() {
    require_kubectl!();
    let run = kubectl(&["api-resources", "--no-headers"]).success();
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("{name} missing:\n{}", run.stdout))
    };
    assert_eq!(line("pods"), vec!["pods", "po", "v1", "true", "Pod"]);
    assert_eq!(line("leases"), vec!["leases", "coordination.k8s.io/v1", "true", "Lease"]);
    assert_eq!(line("events")[1], "ev");
    let version = kubectl(&["version", "-o", "json"]).json();
    assert_eq!(version["serverVersion"]["major"], "1");
    assert_eq!(kubectl(&["get", "--raw", "/readyz"]).success().stdout, "ok");
    assert_eq!(kubectl(&["get", "--raw", "/livez"]).success().stdout, "ok");
}

#[test]
fn wait_for_a_jsonpath_value() {
    require_kubectl!();
    let ns = namespace("wait");
    kubectl_in(&configmap("flag", &ns, "data:\n  ready: \"no\"\n"), &["create", "-f", "-"])
        .success();
    let waiter = std::thread::spawn({
        let ns = ns.clone();
        move || {
            kubectl(&[
                "wait",
                "-n",
                &ns,
                "cm/flag",
                "--for=jsonpath={.data.ready}=yes",
                "--timeout=20s",
            ])
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    kubectl(&[
        "patch",
        "-n",
        &ns,
        "cm",
        "flag",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"ready":"yes"}}"#,
    ])
    .success();
    let run = waiter.join().unwrap().success();
    assert_eq!(run.stdout.trim(), "configmap/flag condition met");
}
