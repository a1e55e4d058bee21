//! OpenAPI as kubectl consumes it: `kubectl explain` on CRD and built-in fields, `kubectl
//! diff` and client-side apply reading the v3 schemas, and the v2/v3 documents themselves.

use std::path::Path;

use crate::common::{raw, start};
use crate::kubectl_support::{available, kubectl, kubectl_with_input};
use serde_json::Value;

fn weka_crd() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds/wekaclusters.yaml");
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn v3_documents_describe_builtins_and_crds_with_their_kinds() {
    let sim = start().await;
    let index = raw(&sim, "GET", "/openapi/v3", None, "").await.json();
    let url = index["paths"]["apis/apps/v1"]["serverRelativeURL"].as_str().unwrap().to_string();
    assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="), "{url}");
    let apps = raw(&sim, "GET", &url, None, "").await.json();
    let deployment = &apps["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deployment["x-kubernetes-group-version-kind"],
        serde_json::json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    let containers =
        &apps["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");

    let crd: Value = serde_yaml::from_str(&weka_crd()).unwrap();
    let r = raw(
        &sim,
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        Some("application/json"),
        &crd.to_string(),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.body);
    crate::common::eventually("the CRD's group-version is indexed", || async {
        raw(&sim, "GET", "/openapi/v3", None, "").await.json()["paths"]["apis/weka.weka.io/v1alpha1"].is_object()
    })
    .await;
    let index = raw(&sim, "GET", "/openapi/v3", None, "").await.json();
    let url = index["paths"]["apis/weka.weka.io/v1alpha1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let weka = raw(&sim, "GET", &url, None, "").await.json();
    let cluster = &weka["components"]["schemas"]["io.weka.weka.v1alpha1.WekaCluster"];
    assert_eq!(cluster["x-kubernetes-group-version-kind"][0]["kind"], "WekaCluster");
    assert!(cluster["properties"]["spec"]["properties"]["dynamicTemplate"].is_object());
    assert!(
        weka["components"]["schemas"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]
            .is_object()
    );

    let v2 = raw(&sim, "GET", "/openapi/v2", None, "").await;
    assert_eq!(v2.code, 200);
    let v2 = v2.json();
    assert_eq!(v2["swagger"], "2.0");
    assert!(
        v2["definitions"]["io.weka.weka.v1alpha1.WekaCluster"]["properties"]["spec"].is_object()
    );
}

#[tokio::test]
async fn kubectl_explain_describes_crd_and_builtin_fields() {
    if !available() {
        return;
    }
    let sim = start().await;
    kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&weka_crd())).await.out();
    kubectl(&sim, &["wait", "--for=condition=Established", "crd/wekaclusters.weka.weka.io"])
        .await
        .out();
    let run = kubectl(&sim, &["explain", "wekacluster.spec.dynamicTemplate"]).await;
    let out = run.out();
    assert!(out.contains("KIND:       WekaCluster"), "{out}");
    assert!(out.contains("FIELD: dynamicTemplate <Object>"), "{out}");
    assert!(out.contains("Container counts, cores, hugepages and drives per role."), "{out}");
    assert!(out.contains("computeContainers\t<integer>"), "{out}");
    let run = kubectl(&sim, &["explain", "deployment.spec.replicas"]).await;
    let out = run.out();
    assert!(out.contains("FIELD: replicas <integer>"), "{out}");
    assert!(out.contains("Number of desired pods"), "{out}");
    let run = kubectl(&sim, &["explain", "pods.spec.containers", "--recursive"]).await;
    assert!(run.out().contains("imagePullPolicy\t<string>"), "{}", run.stdout);
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
";

#[tokio::test]
async fn kubectl_diff_reports_changes_through_a_server_dry_run() {
    if !available() {
        return;
    }
    let sim = start().await;
    let first = DEPLOYMENT.replace("REPLICAS", "1");
    kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&first)).await.out();
    let same = kubectl_with_input(&sim, &["diff", "-f", "-"], Some(&first)).await;
    assert!(same.ok, "no difference exits 0: {}", same.stderr);
    assert!(same.stdout.is_empty(), "{}", same.stdout);
    let changed =
        kubectl_with_input(&sim, &["diff", "-f", "-"], Some(&DEPLOYMENT.replace("REPLICAS", "3")))
            .await;
    assert!(!changed.ok, "a difference exits 1");
    assert!(
        changed.stdout.contains("-  replicas: 1") && changed.stdout.contains("+  replicas: 3"),
        "{}",
        changed.stdout
    );
    assert!(!changed.stderr.contains("error"), "{}", changed.stderr);
    let dry = sim.request_log().find(|r| r.verb == "patch" && r.dry_run);
    assert!(!dry.is_empty());
    let live =
        kubectl(&sim, &["get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"]).await;
    assert_eq!(live.out(), "1");
    // kubectl read the schemas of apps/v1 from /openapi/v3.
    assert!(!sim.request_log().find(|r| r.path == "/openapi/v3/apis/apps/v1").is_empty());
}
