//! A new WekaCluster before WEKA is formed: finalizer and initial status, the Secrets with
//! upstream's names and keys, a committed port range (distinct per cluster, also when two
//! operators allocate at once), the WekaContainers of the template with their names, labels
//! and owner references, a bad template reported instead of a crash loop, and scaling.

mod cluster_support;

use std::collections::BTreeSet;
use std::time::Duration;

use cluster_support::*;
use kube::ResourceExt;
use serde_json::json;
use weka_api::constants::{conditions as cond, finalizers, labels};
use weka_api::wekacontainer::ContainerState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_cluster_gets_its_finalizer_secrets_port_range_and_containers() {
    let env = Env::with_backends(5).await;
    env.create_cluster(small_cluster("alpha", 5, 5, json!({}))).await;

    let cluster = env.wait_condition("alpha", cond::PODS_CREATED, "True", None).await;
    assert!(cluster.finalizers().iter().any(|f| f == finalizers::WEKA));
    let status = cluster.status.clone().unwrap();
    assert_eq!(status.status, "Init");
    assert_eq!(status.last_applied_image.as_deref(), Some(IMAGE));
    assert!(is_true(&cluster, cond::CLUSTER_SECRETS_CREATED));
    let ports = status.ports.unwrap();
    assert_eq!((ports.base_port, ports.port_range), (Some(35000), Some(500)));
    assert_eq!(ports.lb_port, Some(35300), "singletons from base + 300");
    assert_eq!(ports.lb_admin_port, Some(35301));
    assert_eq!(ports.s3_port, Some(35302));

    // Secrets: names and keys as upstream's.
    let uid = cluster.uid().unwrap();
    let last = uid.rsplit('-').next().unwrap().to_string();
    let operator = env.secrets().get(&format!("weka-operator-{uid}")).await.unwrap();
    assert_eq!(keys(&operator), ["join-secret", "org", "password", "username"]);
    assert_eq!(value(&operator, "username"), "admin");
    assert_eq!(value(&operator, "org"), "Root");
    assert_eq!(value(&operator, "password").len(), 32);
    assert_eq!(value(&operator, "join-secret").len(), 64);
    let user = env.secrets().get("weka-cluster-alpha").await.unwrap();
    assert_eq!(keys(&user), ["org", "password", "username"]);
    assert_eq!(value(&user, "username"), format!("weka{last}"));
    assert_ne!(value(&user, "password"), value(&operator, "password"));
    assert_eq!(operator.owner_references()[0].uid, uid);

    // Containers: 5 + 5 with deterministic names, owned, labelled, selecting the backends.
    let containers = env.owned_containers(&cluster).await;
    let names: Vec<String> = containers.iter().map(|c| c.name_any()).collect();
    let expected: Vec<String> = (0..5)
        .map(|i| format!("alpha-compute-{i}"))
        .chain((0..5).map(|i| format!("alpha-drive-{i}")))
        .collect();
    assert_eq!(names, expected);
    for c in &containers {
        let owner = &c.owner_references()[0];
        assert_eq!((owner.kind.as_str(), owner.controller), ("WekaCluster", Some(true)));
        assert_eq!(c.labels().get(labels::CLUSTER_ID), Some(&uid));
        assert_eq!(c.labels().get(labels::CLUSTER_NAME).map(String::as_str), Some("alpha"));
        assert_eq!(c.labels().get(labels::MODE).map(String::as_str), Some(c.spec.mode.as_str()));
        assert_eq!(c.spec.image, IMAGE);
        assert!(c.spec.join_ip_ports.is_none(), "no join IPs before the cluster exists");
        let selector = c.spec.node_selector.clone().unwrap_or_default();
        assert_eq!(selector.get(BACKEND_LABEL.0).map(String::as_str), Some(BACKEND_LABEL.1));
    }
    assert_eq!(containers[5].spec.name, "drivex0");
    assert_eq!(containers[5].spec.num_drives, Some(1));

    // Not formed yet: the flow waits for the containers, and says so.
    let progressing = condition(&cluster, cond::PROGRESSING).cloned();
    let ready = condition(&cluster, cond::READY).cloned().unwrap();
    assert_eq!(ready.status, "False");
    assert_eq!(progressing.map(|p| p.status).as_deref(), Some("True"));
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_naming_no_usable_template_says_so_and_recovers_when_fixed() {
    let env = Env::with_backends(0).await;
    env.create_cluster(small_cluster("beta", 5, 5, json!({"template": "huge"}))).await;

    let cluster = env.wait_condition("beta", cond::PODS_CREATED, "False", Some("InvalidTemplate")).await;
    assert!(condition(&cluster, cond::PODS_CREATED).unwrap().message.contains("\"huge\""));
    let ready = condition(&cluster, cond::READY).unwrap();
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "InvalidTemplate"));
    let event = env.wait_event("beta", "InvalidTemplate").await;
    assert!(event.contains("template \"huge\" not found"), "{event}");
    assert!(env.container_names().await.is_empty());

    env.patch_cluster("beta", json!({"spec": {"template": "dynamic"}})).await;
    env.wait_condition("beta", cond::PODS_CREATED, "True", None).await;
    assert_eq!(env.container_names().await.len(), 10);
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clusters_created_at_once_by_two_operators_get_distinct_port_ranges() {
    let mut env = Env::with_backends(0).await;
    // A second operator instance (no leader election): both reconcile every cluster.
    env.start_second_operator().await;
    let names = ["p1", "p2", "p3", "p4"];
    let creates = names.map(|n| env.create_cluster(small_cluster(n, 5, 5, json!({}))));
    futures::future::join_all(creates).await;

    let mut ranges = Vec::new();
    for name in names {
        let cluster = env.wait_condition(name, cond::PODS_CREATED, "True", None).await;
        let ports = cluster.status.unwrap().ports.unwrap();
        ranges.push((ports.base_port.unwrap(), ports.port_range.unwrap(), name));
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        let ((a, size, first), (b, _, second)) = (pair[0], pair[1]);
        assert!(a + size <= b, "{first} {a}+{size} overlaps {second} {b}: {ranges:?}");
    }
    let names = env.container_names().await;
    assert_eq!(names.len(), 40, "no duplicate containers: {names:?}");
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scaling_the_template_adds_and_removes_containers() {
    let env = Env::with_backends(7).await;
    env.create_cluster(small_cluster("gamma", 5, 5, json!({}))).await;
    env.wait_condition("gamma", cond::PODS_CREATED, "True", None).await;
    assert_eq!(env.container_names().await.len(), 10);

    let template = json!({"spec": {"dynamicTemplate": {"driveContainers": 7, "computeContainers": 6}}});
    env.patch_cluster("gamma", template).await;
    let grown = env
        .wait_for("13 containers", || async {
            let names = env.container_names().await;
            (names.len() == 13).then_some(names)
        })
        .await;
    for name in ["gamma-drive-5", "gamma-drive-6", "gamma-compute-5"] {
        assert!(grown.contains(&name.to_string()), "{grown:?}");
    }

    let template = json!({"spec": {"dynamicTemplate": {"driveContainers": 5, "computeContainers": 5}}});
    env.patch_cluster("gamma", template).await;
    // The newest go, through the container controller (state deleting, then gone).
    let leaving = env
        .wait_for("the excess marked deleting", || async {
            let list = env.containers().list(&Default::default()).await.ok()?;
            let leaving: BTreeSet<String> = list
                .items
                .iter()
                .filter(|c| c.spec.state == Some(ContainerState::Deleting))
                .map(|c| c.name_any())
                .collect();
            (leaving.len() == 3).then_some(leaving)
        })
        .await;
    let expected: BTreeSet<String> =
        ["gamma-compute-5", "gamma-drive-5", "gamma-drive-6"].map(String::from).into();
    assert_eq!(leaving, expected);
    wait_for("the excess removed", Duration::from_secs(90), || async {
        (env.container_names().await.len() == 10).then_some(())
    })
    .await;
    env.finish();
}

fn keys(secret: &k8s_openapi::api::core::v1::Secret) -> Vec<String> {
    let data = secret.data.iter().flatten().map(|(k, _)| k.clone());
    let string_data = secret.string_data.iter().flatten().map(|(k, _)| k.clone());
    let set: BTreeSet<String> = data.chain(string_data).collect();
    set.into_iter().collect()
}

fn value(secret: &k8s_openapi::api::core::v1::Secret, key: &str) -> String {
    if let Some(v) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return String::from_utf8(v.0.clone()).unwrap();
    }
    secret.string_data.as_ref().and_then(|d| d.get(key)).cloned().unwrap_or_default()
}
