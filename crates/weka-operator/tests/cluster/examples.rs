//! Upstream's example WekaClusters (`../shared/fixtures/examples`), applied with `kubectl
//! apply` on nodes that satisfy them (labels, device subnets, drives), placeholder image tags
//! replaced by a real version: each reaches `Ready`, waited on with `kubectl wait
//! --for=condition=Ready`, with `status.status` Ready and the printer columns filled.
//! Example 05 is rejected at admission by the CRD's CEL rules.

use std::time::Duration;

use crate::support::*;
use serde_json::{Value, json};
use weka_api::constants::conditions as cond;

/// How long an example gets to become Ready (`CLUSTER_READY_SECS` overrides).
fn ready_within() -> Duration {
    let secs = std::env::var("CLUSTER_READY_SECS").ok().and_then(|s| s.parse().ok());
    Duration::from_secs(secs.unwrap_or(240))
}

/// Applies `object` with `kubectl apply -f` (a real client, as a user would).
async fn kubectl_apply(env: &Env, object: &Value) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("cluster-example-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cluster.json");
    std::fs::write(&file, serde_json::to_vec_pretty(object).unwrap()).unwrap();
    env.kubectl(&["apply", "-f", file.to_str().unwrap()]).await
}

/// The pull secret the examples name, as a user creates it first.
async fn create_pull_secret(env: &Env, name: &str) {
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": name, "namespace": NS},
        "stringData": {".dockerconfigjson": "{\"auths\":{\"quay.io\":{\"auth\":\"dGVzdDp0ZXN0\"}}}"},
    });
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(secret).unwrap();
    env.secrets().create(&Default::default(), &secret).await.expect("pull secret created");
}

/// Applies the example on `nodes` and waits for `Ready` with kubectl; returns its name.
async fn example_reaches_ready(file: &str, nodes: Vec<NodeSpec>) {
    let mut env = Env::new().await;
    for node in nodes {
        env.add_node(node).await;
    }
    env.start_operator().await;
    let object = example(file);
    if let Some(secret) = object["spec"]["imagePullSecret"].as_str() {
        create_pull_secret(&env, secret).await;
    }
    let name = object["metadata"]["name"].as_str().unwrap().to_string();
    let applied = kubectl_apply(&env, &object).await;
    assert!(applied.status.success(), "{}", String::from_utf8_lossy(&applied.stderr));

    env.kubectl_wait_ready(&name, ready_within()).await;
    let cluster = env.cluster(&name).await.unwrap();
    let status = cluster.status.clone().unwrap();
    assert_eq!(status.status, "Ready");
    assert!(status.cluster_id.is_some_and(|id| !id.is_empty()));
    for type_ in [cond::CLUSTER_CREATED, cond::DRIVES_ADDED, cond::IO_STARTED, cond::CLUSTER_READY]
    {
        assert!(is_true(&cluster, type_), "{type_}");
    }
    let printer = status.printer.unwrap();
    let template = &object["spec"]["dynamicTemplate"];
    let drives = template["driveContainers"].as_u64().unwrap_or(6);
    assert_eq!(printer.drive_containers, Some(format!("{drives}/{drives}/{drives}")));
    let jsonpath = env
        .kubectl(&["get", "-n", NS, "wekacluster", &name, "-o", "jsonpath={.status.status}"])
        .await;
    assert_eq!(String::from_utf8_lossy(&jsonpath.stdout), "Ready");
    assert_virtual_drives_on_the_proxies(&env).await;
    env.finish();
}

/// With drive sharing, every virtual drive allocated to a drive container exists on the SSD
/// proxy of its node, created there through the node agent with the cluster's GUID.
async fn assert_virtual_drives_on_the_proxies(env: &Env) {
    let api: kube::Api<weka_api::WekaContainer> = kube::Api::namespaced(env.client.clone(), NS);
    for c in api.list(&Default::default()).await.unwrap() {
        let status = c.status.clone().unwrap_or_default();
        let allocated = status.allocations.and_then(|a| a.virtual_drives).unwrap_or_default();
        if allocated.is_empty() {
            continue;
        }
        let node = c.spec.node_affinity.clone().or(status.node_affinity).expect("node");
        let slices: Vec<String> = env.runtime.with_world(|w| {
            w.proxy_drives(&node).map(|d| d.slices.keys().cloned().collect()).unwrap_or_default()
        });
        for drive in allocated {
            assert!(
                slices.contains(&drive.virtual_uuid),
                "virtual drive {} of {} is not on the SSD proxy of {node}",
                drive.virtual_uuid,
                c.metadata.name.as_deref().unwrap_or_default()
            );
        }
    }
}

fn nodes(count: usize, make: impl Fn(usize) -> NodeSpec) -> Vec<NodeSpec> {
    (0..count).map(make).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_02_minimal_reaches_ready() {
    let nodes = nodes(6, |i| {
        NodeSpec::backend(&format!("backend-{i}"))
            .label("weka.io/role", "backend")
            .ip(&format!("10.0.0.{}", i + 10))
    });
    example_reaches_ready("02-wekacluster-minimal.yaml", nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_03_with_s3_reaches_ready() {
    let nodes = nodes(6, |i| {
        let node = NodeSpec::backend(&format!("backend-{i}"))
            .label("weka.io/role", "backend")
            .ip(&format!("10.0.0.{}", i + 10));
        if i < 2 { node.label("weka.io/s3-mode", "true") } else { node }
    });
    example_reaches_ready("03-wekacluster-with-s3.yaml", nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_05_is_rejected_at_admission() {
    let env = Env::new().await;
    let applied =
        kubectl_apply(&env, &example("05-wekacluster-cluster-container-capacity.yaml")).await;
    assert!(!applied.status.success());
    let stderr = String::from_utf8_lossy(&applied.stderr);
    assert!(stderr.contains("spec.dynamicTemplate"), "{stderr}");
    assert!(stderr.contains("numDrives and containerCapacity are mutually exclusive"), "{stderr}");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_10_provisioning_reaches_ready() {
    let nodes = nodes(10, |i| {
        NodeSpec::backend(&format!("backend-{i}")).label("weka.io/dedicated", "dedicated-group")
    });
    example_reaches_ready("10-wekacluster-cluster-provisioning.yaml", nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_17_drive_sharing_reaches_ready() {
    let nodes = nodes(6, |i| {
        NodeSpec::backend(&format!("backend-{i}")).ip(&format!("10.100.0.{}", i + 10))
    });
    example_reaches_ready("17-wekacluster-drive-sharing.yaml", nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_19_mixed_drive_sharing_reaches_ready() {
    let nodes = nodes(6, |i| {
        NodeSpec::backend(&format!("backend-{i}")).ip(&format!("10.100.0.{}", i + 10))
    });
    example_reaches_ready("19-wekacluster-drive-sharing.yaml", nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_24_test_cluster_reaches_ready() {
    let nodes = nodes(6, |i| NodeSpec::backend(&format!("backend-{i}")));
    example_reaches_ready("24-wekacluster-cluster.yaml", nodes).await;
}
