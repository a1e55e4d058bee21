//! Shared by the `container_domain_*` tests, on top of `container_support` (kubesim, wekasim,
//! the operator with the WekaContainer controller): what the WekaCluster controller and the
//! drive-signing operations would otherwise provide — a WekaCluster with its port range, drives
//! signed on a node, a WEKA cluster formed from running containers — and readers of what the
//! domain steps leave on nodes and containers.

#![allow(dead_code)] // each test binary uses a subset

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use weka_api::constants::annotations;
use weka_api::{WekaCluster, WekaContainer};
use wekasim::{AgentKey, CreateCluster};

use crate::support::*;

/// The base of the test cluster's port range.
pub const BASE_PORT: i64 = 35000;
/// Its size: room for 12 containers of 60 ports (the single ports start at +240).
pub const PORT_RANGE: i64 = 1000;
/// Waits that span a few polls of WEKA state (15 s each).
pub const LONG: Duration = Duration::from_secs(90);

/// A WekaCluster `name` whose status carries a port range from `base` (what the cluster
/// controller allocates first).
pub async fn create_cluster(env: &Env, name: &str, base: i64) -> WekaCluster {
    let api: Api<WekaCluster> = Api::namespaced(env.client.clone(), NS);
    let cluster: WekaCluster = serde_json::from_value(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaCluster",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"image": IMAGE},
    }))
    .expect("a WekaCluster");
    api.create(&PostParams::default(), &cluster).await.expect("WekaCluster created");
    let status =
        json!({"status": {"status": "Init", "ports": {"basePort": base, "portRange": PORT_RANGE}}});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("cluster ports set")
}

/// `spec` of a container owned (controller reference) by `cluster`, `extra` merged over the
/// bare container of `mode`; the JSON also carries the metadata to merge into the object.
pub fn owned_spec(mode: &str, name: &str, node: &str, extra: Value) -> Value {
    let mut more = json!({"name": name, "nodeAffinity": node, "dropAffinityConstraints": true});
    if let (Value::Object(base), Value::Object(extra)) = (&mut more, extra) {
        base.extend(extra);
    }
    spec(mode, more)
}

/// Creates a WekaContainer `name` owned by `cluster`.
pub async fn create_owned(
    env: &Env,
    cluster: &WekaCluster,
    name: &str,
    spec: Value,
) -> WekaContainer {
    let object: WekaContainer = serde_json::from_value(json!({
        "apiVersion": "weka.weka.io/v1alpha1",
        "kind": "WekaContainer",
        "metadata": {
            "name": name,
            "namespace": NS,
            "labels": {"weka.io/cluster-name": cluster.name_any()},
            "ownerReferences": [{
                "apiVersion": "weka.weka.io/v1alpha1",
                "kind": "WekaCluster",
                "name": cluster.name_any(),
                "uid": cluster.uid().expect("cluster uid"),
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": spec,
    }))
    .expect("a WekaContainer");
    env.containers().create(&PostParams::default(), &object).await.expect("WekaContainer created")
}

/// Signs the first `count` disks of `node` for WEKA, as the sign-drives operation leaves them:
/// `weka.io/weka-drives` and the `weka.io/drives` capacity. Returns their serials.
pub async fn offer_drives(env: &Env, node: &str, count: usize) -> Vec<String> {
    let serials: Vec<String> =
        env.runtime.node_disks(node).into_iter().take(count).map(|d| d.serial).collect();
    let body = json!({"metadata": {"annotations": {
        annotations::WEKA_DRIVES: serde_json::to_string(&serials).unwrap(),
    }}});
    env.nodes()
        .patch(node, &PatchParams::default(), &Patch::Merge(&body))
        .await
        .expect("drives annotated");
    let capacity = json!({"status": {
        "capacity": {"weka.io/drives": count.to_string()},
        "allocatable": {"weka.io/drives": count.to_string()},
    }});
    env.nodes()
        .patch_status(node, &PatchParams::default(), &Patch::Merge(&capacity))
        .await
        .expect("drive capacity set");
    serials
}

pub async fn node(env: &Env, name: &str) -> Node {
    env.nodes().get(name).await.expect("node")
}

pub fn annotation(node: &Node, key: &str) -> Option<String> {
    node.annotations().get(key).cloned()
}

/// The node's port claims: `(base, count)` → owner.
pub fn port_claims(node: &Node) -> BTreeMap<(i64, i64), String> {
    let text = annotation(node, annotations::PORT_CLAIMS).unwrap_or_else(|| "{}".into());
    let raw: BTreeMap<String, String> = serde_json::from_str(&text).expect("port claims parse");
    raw.into_iter()
        .map(|(key, owner)| {
            let (base, count) = key.split_once(',').expect("<base>,<count>");
            ((base.parse().unwrap(), count.parse().unwrap()), owner)
        })
        .collect()
}

/// The node's drive claims: serial → owner.
pub fn drive_claims(node: &Node) -> BTreeMap<String, String> {
    let text = annotation(node, annotations::DRIVE_CLAIMS).unwrap_or_else(|| "{}".into());
    serde_json::from_str(&text).expect("drive claims parse")
}

pub fn allocations(c: &WekaContainer) -> weka_api::wekacontainer::ContainerAllocations {
    c.status.as_ref().and_then(|s| s.allocations.clone()).unwrap_or_default()
}

/// Waits with the long deadline.
/// On timeout the container's last status is part of the message.
pub async fn wait_long(
    env: &Env,
    name: &str,
    what: &str,
    check: impl Fn(&WekaContainer) -> bool,
) -> WekaContainer {
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let current = env.get(name).await;
        if let Some(c) = current.as_ref().filter(|c| check(c)) {
            return c.clone();
        }
        if std::time::Instant::now() > deadline {
            let status =
                current.and_then(|c| c.status).map(|s| serde_json::to_string_pretty(&s).unwrap());
            panic!(
                "timed out after {LONG:?} waiting for {name}: {what}; status: {}",
                status.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Forms a WEKA cluster of the running containers `names` (as the cluster controller's
/// `weka cluster create` does, from the first one): their management IPs and weka ports.
pub async fn form_cluster(env: &Env, names: &[&str]) -> String {
    let mut hostnames = Vec::new();
    let mut host_ips = Vec::new();
    for name in names {
        let c = env.get(name).await.expect("container");
        let status = c.status.clone().unwrap_or_default();
        let ip = status
            .management_ips
            .clone()
            .unwrap_or_default()
            .first()
            .cloned()
            .expect("management IP");
        let port = allocations(&c).weka_port.expect("weka port");
        hostnames.push(ip.clone());
        host_ips.push(format!("{ip}:{port}"));
    }
    let from = AgentKey(format!("{NS}/{}", names[0]));
    let request = CreateCluster { hostnames, host_ips, ..CreateCluster::default() };
    env.runtime.with_world(|w| w.create_cluster(&from, request)).expect("WEKA cluster formed")
}
