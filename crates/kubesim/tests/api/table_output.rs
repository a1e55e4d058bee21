//! Server-side printing: `Table` answers with kubectl's columns for built-ins and the
//! `additionalPrinterColumns` of CRDs, as raw HTTP, kube-rs and the real kubectl see them.

use std::path::Path;

use crate::common::{eventually, start};
use crate::kubectl_support::{available, kubectl, kubectl_with_input};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, ListParams, PostParams};
use kubesim::KubesimHandle;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TABLE_V1: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// GET with an Accept header; (status, body).
async fn get_accept(sim: &KubesimHandle, path: &str, accept: &str) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nAccept: {accept}\r\n\r\n",
        sim.token()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || after.len() < n {
                break;
            }
            out.push_str(&after[..n]);
            rest = after[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        body.to_string()
    };
    (code, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")))
}

fn column_names(table: &Value) -> Vec<&str> {
    table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn pod_tables_have_kubectls_columns_and_metadata_rows() {
    let sim = start().await;
    let pods: Api<Pod> = Api::default_namespaced(sim.client());
    let pod = serde_json::from_value(json!({"metadata": {"name": "web"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]}}))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let (code, table) = get_accept(
        &sim,
        "/api/v1/namespaces/default/pods",
        &format!("{TABLE_V1},application/json"),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        (table["kind"].as_str(), table["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(
        column_names(&table),
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    assert_eq!(table["columnDefinitions"][5]["priority"], 1);
    let cells = table["rows"][0]["cells"].as_array().unwrap();
    assert_eq!(cells[..4], [json!("web"), json!("0/1"), json!("Pending"), json!("0")]);
    assert_eq!(cells[6], "n1");
    assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(table["rows"][0]["object"]["metadata"]["name"], "web");
    assert!(table["metadata"]["resourceVersion"].is_string());

    let (_, one) = get_accept(
        &sim,
        "/api/v1/namespaces/default/pods/web?includeObject=Object",
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
    )
    .await;
    assert_eq!(one["apiVersion"], "meta.k8s.io/v1beta1");
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    assert_eq!(one["rows"][0]["object"]["kind"], "Pod");
    let (code, status) = get_accept(
        &sim,
        "/api/v1/namespaces/default/pods",
        "application/json;as=Table;v=v9;g=meta.k8s.io",
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (406, Some("NotAcceptable")));
    let (code, status) =
        get_accept(&sim, "/api/v1/namespaces/default/pods?includeObject=All", TABLE_V1).await;
    assert_eq!((code, status["kind"].as_str()), (400, Some("Status")));
}

#[tokio::test]
async fn metadata_only_lists_for_kube_rs() {
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    for name in ["a", "b"] {
        cms.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": name},
            "data": {"big": "x"}}))
            .unwrap(),
        )
        .await
        .unwrap();
    }
    let list = cms.list_metadata(&ListParams::default()).await.unwrap();
    let names: Vec<_> = list.items.iter().map(|m| m.metadata.name.clone().unwrap()).collect();
    assert_eq!(names, ["a", "b"]);
    let one = cms.get_metadata("a").await.unwrap();
    assert_eq!(one.types.unwrap().kind, "PartialObjectMetadata");
}

#[tokio::test]
async fn kubectl_get_prints_built_in_columns() {
    if !available() {
        return;
    }
    let sim = start().await;
    let deployments: Api<Deployment> = Api::default_namespaced(sim.client());
    deployments
        .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}))
            .unwrap())
        .await
        .unwrap();
    let pods: Api<Pod> = Api::default_namespaced(sim.client());
    pods.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "p1"},
        "spec": {"containers": [{"name": "c", "image": "i"}]}}))
        .unwrap(),
    )
    .await
    .unwrap();

    let out = kubectl(&sim, &["get", "pods"]).await;
    let header: Vec<&str> = out.out().lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let row: Vec<&str> = out.stdout.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[..4], ["p1", "0/1", "Pending", "0"]);
    let wide = kubectl(&sim, &["get", "pods", "-o", "wide"]).await;
    let header = wide.out().lines().next().unwrap().to_string();
    assert!(
        header.contains("IP")
            && header.contains("NOMINATED NODE")
            && header.contains("READINESS GATES"),
        "{header}"
    );

    let out = kubectl(&sim, &["get", "deployments"]).await;
    let header: Vec<&str> = out.out().lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    let wide = kubectl(&sim, &["get", "deploy", "web", "-o", "wide", "--no-headers"]).await;
    let row: Vec<&str> = wide.out().split_whitespace().collect();
    assert_eq!(
        (row[0], row[1], row[5], row[6], row[7]),
        ("web", "0/2", "app", "nginx:1.27", "app=web")
    );

    let out = kubectl(&sim, &["get", "namespaces"]).await;
    assert!(out.out().starts_with("NAME"), "{}", out.stdout);
    assert!(
        out.stdout.lines().any(|l| l.starts_with("default") && l.contains("Active")),
        "{}",
        out.stdout
    );
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let cm = json!({"metadata": {"name": "settings"}, "data": {"a": "1", "b": "2"}});
    cms.create(&PostParams::default(), &serde_json::from_value(cm).unwrap()).await.unwrap();
    let out = kubectl(&sim, &["get", "configmaps", "-A"]).await;
    let header: Vec<&str> = out.out().lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAMESPACE", "NAME", "DATA", "AGE"]);
    let row: Vec<&str> = out.stdout.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(row[..3], ["default", "settings", "2"]);
    let tables = sim.request_log().find(|r| r.verb == "list" && r.resource == "pods");
    assert!(!tables.is_empty());
}

fn weka_crd() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds/wekaclusters.yaml");
    std::fs::read_to_string(path).unwrap()
}

const CLUSTER: &str = "apiVersion: weka.weka.io/v1alpha1
kind: WekaCluster
metadata:
  name: c1
spec:
  template: dynamic
  image: quay.io/weka.io/weka-in-container:4.4.2
";

#[tokio::test]
async fn kubectl_get_prints_printer_columns_of_a_crd() {
    if !available() {
        return;
    }
    let sim = start().await;
    kubectl_with_input(&sim, &["apply", "-f", "-"], Some(&weka_crd())).await.out();
    kubectl(&sim, &["wait", "--for=condition=Established", "crd/wekaclusters.weka.weka.io"])
        .await
        .out();
    let created = kubectl_with_input(&sim, &["create", "-f", "-"], Some(CLUSTER)).await;
    if !created.ok {
        // The schema may require more fields; apply a minimal valid spec through the API.
        panic!("cannot create the cluster: {}", created.stderr);
    }
    let status = json!({"status": {"status": "Ready", "clusterID": "abc",
        "printer": {"computeContainers": "6/6/6", "driveContainers": "6/6/6", "drives": "12/12/12",
                    "iops": "1/2/3", "throughput": "4/5", "filesystemCapacity": "10TiB"}}});
    let patched = kubectl(
        &sim,
        &[
            "patch",
            "wekacluster",
            "c1",
            "--subresource=status",
            "--type=merge",
            "-p",
            &status.to_string(),
        ],
    )
    .await;
    patched.out();
    let out = kubectl(&sim, &["get", "wekaclusters"]).await;
    let lines: Vec<&str> = out.out().lines().collect();
    let header: Vec<&str> = lines[0].split("  ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(
        header,
        ["NAME", "STATUS", "CLUSTER ID", "CCT(A/C/D)", "DCT(A/C/D)", "DRVS(A/C/D)", "AGE"]
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[..6], ["c1", "Ready", "abc", "6/6/6", "6/6/6", "12/12/12"]);
    assert!(row[6].ends_with('s'), "age {}", row[6]);
    let wide = kubectl(&sim, &["get", "wekaclusters", "-o", "wide"]).await;
    let header = wide.out().lines().next().unwrap();
    assert!(header.contains("IOPS(R/W/M)") && header.contains("FS(CAPACITY)"), "{header}");
    assert!(wide.stdout.contains("10TiB"), "{}", wide.stdout);
}

#[tokio::test]
async fn crd_tables_evaluate_filters_and_types() {
    let sim = start().await;
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(sim.client());
    let crd = serde_json::from_value(json!({
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                   "additionalPrinterColumns": [
                     {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
                     {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                     {"name": "Created", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
                   "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    eventually("widgets are served", || async {
        crate::common::raw(&sim, "GET", "/apis/example.com/v1", None, "").await.code == 200
    })
    .await;
    let body = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 3}, "status": {"conditions": [{"type": "Synced", "status": "False"},
                                                       {"type": "Ready", "status": "True"}]}});
    let r = crate::common::raw(
        &sim,
        "POST",
        "/apis/example.com/v1/namespaces/default/widgets",
        Some("application/json"),
        &body.to_string(),
    )
    .await;
    assert_eq!(r.code, 201, "{}", r.body);
    let (_, table) =
        get_accept(&sim, "/apis/example.com/v1/namespaces/default/widgets", TABLE_V1).await;
    assert_eq!(column_names(&table), ["Name", "Ready", "Size", "Created"]);
    assert_eq!(table["columnDefinitions"][3]["type"], "date");
    let cells = table["rows"][0]["cells"].as_array().unwrap();
    assert_eq!(cells[..3], [json!("w"), json!("True"), json!(3)]);
    assert!(cells[3].as_str().unwrap().ends_with('s'));
}

#[tokio::test]
async fn kubectl_get_watch_prints_rows_with_the_same_columns() {
    if !available() {
        return;
    }
    let sim = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(sim.client());
    let cm = |name: &str| {
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}})).unwrap()
    };
    cms.create(&PostParams::default(), &cm("first")).await.unwrap();
    let dir = sim.kubeconfig_path().parent().unwrap().to_path_buf();
    let mut child = tokio::process::Command::new("kubectl")
        .env("KUBECONFIG", sim.kubeconfig_path())
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["get", "configmaps", "-w"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
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
    eventually("the first row", || async { output.lock().unwrap().contains("first") }).await;
    cms.create(&PostParams::default(), &cm("second")).await.unwrap();
    eventually("the watched row", || async { output.lock().unwrap().contains("second") }).await;
    let text = output.lock().unwrap().clone();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines[0], ["NAME", "DATA", "AGE"], "{text}");
    assert_eq!(lines[1][..2], ["first", "1"], "{text}");
    let second = lines.iter().find(|l| l[0] == "second").unwrap();
    assert_eq!(second[1], "1", "watched rows have the same columns: {text}");
    assert_eq!(lines.iter().filter(|l| l[0] == "NAME").count(), 1, "{text}");
    child.kill().await.unwrap();
    reader.abort();
}
