//! The real `kubectl` against kubesim, through the kubeconfig kubesim writes. Skipped (with a
//! message) where no kubectl is installed.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{eventually, start};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kubesim::KubesimHandle;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

fn kubectl_available() -> bool {
    let found = std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("kubectl not found: skipping");
    }
    found
}

fn command(sim: &KubesimHandle, args: &[&str]) -> tokio::process::Command {
    let dir = sim.kubeconfig_path().parent().unwrap().to_path_buf();
    let mut cmd = tokio::process::Command::new("kubectl");
    cmd.env("KUBECONFIG", sim.kubeconfig_path())
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(args)
        .kill_on_drop(true);
    cmd
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn kubectl(sim: &KubesimHandle, args: &[&str]) -> Run {
    kubectl_with_input(sim, args, None).await
}

async fn kubectl_with_input(sim: &KubesimHandle, args: &[&str], input: Option<&str>) -> Run {
    let mut cmd = command(sim, args);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl runs");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(text) = input {
        tokio::io::AsyncWriteExt::write_all(&mut stdin, text.as_bytes()).await.unwrap();
    }
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("kubectl finishes in time")
        .unwrap();
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into(),
        stderr: String::from_utf8_lossy(&output.stderr).into(),
    }
}

fn json_of(run: &Run) -> Value {
    assert!(run.ok, "kubectl failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
data:
  mode: fast
";

#[tokio::test]
async fn kubectl_create_get_list_and_delete() {
    if !kubectl_available() {
        return;
    }
    let sim = start().await;
    let run = kubectl_with_input(&sim, &["create", "-f", "-"], Some(CONFIGMAP)).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "configmap/settings created");

    let obj = json_of(&kubectl(&sim, &["get", "configmap", "settings", "-o", "json"]).await);
    assert_eq!(obj["data"]["mode"], "fast");
    assert!(obj["metadata"]["uid"].is_string());

    let list = json_of(&kubectl(&sim, &["get", "cm", "-l", "app=web", "-o", "json"]).await);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["kind"], "ConfigMap");

    let nodes = json_of(&kubectl(&sim, &["get", "ns", "-o", "json"]).await);
    let names: Vec<&str> = nodes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["default", "kube-node-lease", "kube-public", "kube-system"]);

    let run = kubectl(&sim, &["delete", "configmap", "settings"]).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "configmap \"settings\" deleted");
    let run = kubectl(&sim, &["get", "configmap", "settings"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("Error from server (NotFound): configmaps \"settings\" not found"),
        "{}",
        run.stderr
    );
    let deletes = sim.request_log().find(|r| r.verb == "delete");
    assert_eq!(deletes[0].propagation_policy.as_deref(), Some("Background"));
    assert!(deletes[0].user_agent.as_deref().unwrap_or("").starts_with("kubectl"));
}

#[tokio::test]
async fn kubectl_api_resources_and_version() {
    if !kubectl_available() {
        return;
    }
    let sim = start().await;
    let run = kubectl(&sim, &["api-resources", "--no-headers"]).await;
    assert!(run.ok, "{}", run.stderr);
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{}", run.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line("pods"), vec!["pods", "po", "v1", "true", "Pod"]);
    assert_eq!(line("deployments"), vec!["deployments", "deploy", "apps/v1", "true", "Deployment"]);
    assert_eq!(line("leases"), vec!["leases", "coordination.k8s.io/v1", "true", "Lease"]);
    assert_eq!(
        line("customresourcedefinitions"),
        vec![
            "customresourcedefinitions",
            "crd,crds",
            "apiextensions.k8s.io/v1",
            "false",
            "CustomResourceDefinition"
        ]
    );
    assert!(!sim.request_log().find(|r| r.path == "/apis" && r.code == 200).is_empty());
    // With aggregated discovery kubectl needs no per-group-version documents.
    assert!(sim.request_log().find(|r| r.path == "/apis/apps/v1").is_empty());

    let version = json_of(&kubectl(&sim, &["version", "-o", "json"]).await);
    assert_eq!(version["serverVersion"]["minor"], "32");
}

const WIDGET: &str = "apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
spec:
  size: SIZE
";

#[tokio::test]
async fn kubectl_applies_a_custom_resource_with_merge_patches() {
    if !kubectl_available() {
        return;
    }
    let sim = start().await;
    let crd = serde_yaml::to_string(&custom_crd()).unwrap();
    let run = kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&crd)).await;
    assert!(run.ok, "{}", run.stderr);
    let run = kubectl(
        &sim,
        &["wait", "--for", "condition=Established", "crd/widgets.example.com", "--timeout=10s"],
    )
    .await;
    assert!(run.ok, "{}", run.stderr);

    let first = WIDGET.replace("SIZE", "2");
    let run = kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&first)).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "widget.example.com/w1 created");
    let second = WIDGET.replace("SIZE", "3");
    let run = kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&second)).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "widget.example.com/w1 configured");

    let obj = json_of(&kubectl(&sim, &["get", "wd", "w1", "-o", "json"]).await);
    assert_eq!(obj["spec"]["size"], 3);
    assert_eq!(obj["spec"]["color"], "blue");
    assert_eq!(obj["metadata"]["generation"], 2);
    let patches = sim.request_log().find(|r| r.verb == "patch" && r.resource == "widgets");
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].content_type.as_deref(), Some("application/merge-patch+json"));
    assert_eq!(patches[0].code, 200);
    assert_eq!(patches[0].field_manager.as_deref(), Some("kubectl-client-side-apply"));

    let all = kubectl(&sim, &["get", "all", "-o", "name"]).await;
    assert!(all.ok, "{}", all.stderr);
    assert!(all.stdout.contains("widget.example.com/w1"), "{}", all.stdout);
}

fn custom_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                      "shortNames": ["wd"], "categories": ["all"]},
            "versions": [{"name": "v1", "served": true, "storage": true,
                          "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                              "spec": {"type": "object", "properties": {
                                  "size": {"type": "integer"},
                                  "color": {"type": "string", "default": "blue"}}}}}}}]
        }
    })
}

#[tokio::test]
async fn kubectl_get_watch_prints_events() {
    if !kubectl_available() {
        return;
    }
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "w"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let mut child =
        command(&sim, &["get", "configmaps", "-w", "--output-watch-events", "-o", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = output.clone();
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf).await {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let events = || -> Vec<(String, String)> {
        let text = output.lock().unwrap().clone();
        serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .map(|e| {
                (
                    e["type"].as_str().unwrap_or("").to_string(),
                    e["object"]["metadata"]["name"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    eventually("kubectl prints the initial ADDED", || async { !events().is_empty() }).await;
    cms.patch("w", &PatchParams::default(), &Patch::Merge(json!({"data": {"a": "b"}})))
        .await
        .unwrap();
    cms.delete("w", &DeleteParams::default()).await.unwrap();
    eventually("kubectl prints MODIFIED and DELETED", || async { events().len() >= 3 }).await;
    let kinds: Vec<String> = events().into_iter().map(|(t, _)| t).collect();
    assert_eq!(kinds, vec!["ADDED", "MODIFIED", "DELETED"]);
    child.kill().await.unwrap();
    reader.abort();
}

#[tokio::test]
async fn kubectl_chunk_size_paginates() {
    if !kubectl_available() {
        return;
    }
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    for i in 0..7 {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": format!("c{i}")}})).unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    let run = kubectl(&sim, &["get", "cm", "--chunk-size=2", "-o", "name"]).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 7);
    let pages = sim
        .request_log()
        .find(|r| r.verb == "list" && r.resource == "configmaps" && r.query.contains("limit=2"));
    assert_eq!(pages.len(), 4);
    assert!(pages[1].query.contains("continue="));
}

#[tokio::test]
async fn kubectl_reports_server_errors() {
    if !kubectl_available() {
        return;
    }
    let sim = start().await;
    let run = kubectl(&sim, &["get", "gizmos"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("the server doesn't have a resource type \"gizmos\""),
        "{}",
        run.stderr
    );

    let run = kubectl_with_input(
        &sim,
        &["create", "--raw", "/api/v1/namespaces/default/configmaps", "-f", "-"],
        Some("{\"metadata\": "),
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("BadRequest"), "{}", run.stderr);

    let unknown = CONFIGMAP.replace("\ndata:", "\nspec:\n  foo: 1\ndata:");
    let run = kubectl_with_input(&sim, &["create", "-f", "-"], Some(&unknown)).await;
    assert!(!run.ok, "strict validation is kubectl's default");
    assert!(run.stderr.contains("strict decoding error: unknown field \"spec\""), "{}", run.stderr);
    let run =
        kubectl_with_input(&sim, &["create", "--validate=warn", "-f", "-"], Some(&unknown)).await;
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("Warning: unknown field \"spec\""), "{}", run.stderr);
    let strict = sim.request_log().find(|r| r.query.contains("fieldValidation=Strict"));
    assert_eq!(strict.len(), 1);
}
