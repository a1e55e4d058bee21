//! The simulated agent: the behaviour serving the router on its port, and `SimHost`'s answers
//! from wekasim's world (drives as `drives.json` has them, mounts, local JSON-RPC).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use kubesim::nodes::behaviour::{
    BehaviourRegistry, ContainerBehaviour, ContainerCtx, ContainerInfo, Fs, LogBuffer, Signal,
};
use kubesim::nodes::clock::Clock;
use serde_json::{Value, json};
use wekasim::runtime::{RuntimeConfig, WekaRuntime};
use wekasim::{
    AgentKey, ContainerKind, CreateCluster, Latencies, LocalContainerSpec, ManualClock, WekaWorld,
    WorldConfig,
};

use super::*;
use crate::node_agent::host::{LocalTarget, MountsInterface, NodeHost};
use crate::node_agent::protocol::*;

const TOKEN: &str = "sim-token";
const NODE: &str = "node-1";

fn runtime() -> WekaRuntime {
    let config = WorldConfig { latencies: Latencies::zero(), ..WorldConfig::default() };
    let world = WekaWorld::with_config(ManualClock::new().shared(), config);
    WekaRuntime::new(Arc::new(Mutex::new(world)), RuntimeConfig::default())
}

/// Starts local container `name` of `kind` for WekaContainer `uid` on `node`.
fn local(rt: &WekaRuntime, uid: &str, name: &str, kind: ContainerKind, node: &str, ip: &str) {
    let agent = AgentKey::from(format!("default/{uid}"));
    let mut spec = LocalContainerSpec::new(name, kind, ip, 14000);
    spec.hostname = node.to_string();
    let mut world = rt.lock_world();
    world.start_agent(&agent);
    world.bind_kubernetes_uid(uid, &agent);
    world.setup_local_container(&agent, spec).unwrap();
    world.start_local_container(&agent, name).unwrap();
}

fn fs_with_token() -> Fs {
    let fs = Fs::default();
    fs.mkdir_p("/var/run/secrets/kubernetes.io/token").unwrap();
    fs.write(TOKEN_FILE, TOKEN).unwrap();
    fs
}

fn agent_ctx(env: &[(&str, &str)], fs: Fs) -> ContainerCtx {
    let mut pod = Pod::default();
    pod.metadata.name = Some("weka-node-agent-x1".into());
    pod.metadata.uid = Some("agent-pod-uid".into());
    pod.metadata.labels =
        Some(BTreeMap::from([("app".to_string(), "weka-node-agent".to_string())]));
    let container = Container { name: CONTAINER_NAME.into(), ..Default::default() };
    let info = ContainerInfo {
        pod: Arc::new(pod),
        container,
        node_name: NODE.into(),
        pod_ip: "10.244.0.9".into(),
        host_ip: "10.0.0.1".into(),
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        restart_count: 0,
    };
    ContainerCtx::new(info, fs, Clock::virtual_now(), Arc::new(LogBuffer::default()))
}

async fn http(
    behaviour: &NodeAgentBehaviour,
    ctx: &ContainerCtx,
    port: u16,
    method: &str,
    path: &str,
    body: Value,
) -> Option<(u16, String)> {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", authorization_value(TOKEN))
        .body(axum::body::Bytes::from(body.to_string()))
        .unwrap();
    let response = behaviour.http(ctx, port, request)?.await;
    Some((response.status().as_u16(), String::from_utf8_lossy(response.body()).into_owned()))
}

async fn wait_ready(ctx: &ContainerCtx) {
    let mut ready = ctx.watch_ready();
    tokio::time::timeout(Duration::from_secs(5), ready.wait_for(|r| *r)).await.unwrap().unwrap();
}

#[tokio::test]
async fn the_behaviour_serves_the_agent_on_its_port_until_sigterm() {
    let rt = runtime();
    let registry = BehaviourRegistry::new();
    let behaviour = register(&registry, rt.clone());
    let ctx = agent_ctx(&[], fs_with_token());
    let picked = registry.pick(ctx.pod(), ctx.container());
    assert!(picked.http(&ctx, DEFAULT_PORT, http::Request::default()).is_none(), "not started");
    let main = tokio::spawn({
        let ctx = ctx.clone();
        async move { picked.run(ctx).await }
    });
    wait_ready(&ctx).await;
    assert!(http(&behaviour, &ctx, 9999, "GET", PATH_FIND_DRIVES, json!(null)).await.is_none());
    let (status, body) =
        http(&behaviour, &ctx, DEFAULT_PORT, "GET", PATH_FIND_DRIVES, json!(null)).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let drives: FindDrivesResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(drives.drives.len(), 8);
    ctx.signal(Signal::Terminate);
    assert_eq!(main.await.unwrap(), 0);
    assert!(behaviour.agent_of(&ctx).is_none());
    assert!(
        http(&behaviour, &ctx, DEFAULT_PORT, "GET", PATH_FIND_DRIVES, json!(null)).await.is_none()
    );
}

#[tokio::test]
async fn the_bind_address_picks_the_port_and_a_missing_token_stops_the_agent() {
    let behaviour = Arc::new(NodeAgentBehaviour::new(runtime()));
    let ctx = agent_ctx(&[("NODE_AGENT_BIND_ADDRESS", ":9100")], Fs::default());
    let main = tokio::spawn({
        let (ctx, behaviour) = (ctx.clone(), behaviour.clone());
        async move { behaviour.run(ctx).await }
    });
    wait_ready(&ctx).await;
    assert!(
        http(&behaviour, &ctx, DEFAULT_PORT, "GET", PATH_FIND_DRIVES, json!(null)).await.is_none()
    );
    let (status, _) =
        http(&behaviour, &ctx, 9100, "GET", PATH_FIND_DRIVES, json!(null)).await.unwrap();
    assert_eq!(status, 500);
    let code = tokio::time::timeout(Duration::from_secs(5), main).await.unwrap().unwrap();
    assert_eq!(code, 1);
}

fn host(rt: &WekaRuntime) -> SimHost {
    SimHost::new(rt.clone(), NODE, fs_with_token())
}

#[tokio::test]
async fn drives_are_the_runtimes_kernel_drives() {
    let rt = runtime();
    let drives = host(&rt).find_drives().await.unwrap();
    let kernel = rt.kernel_drives(NODE);
    assert_eq!(drives.len(), kernel.len());
    for (d, k) in drives.iter().zip(&kernel) {
        assert_eq!(
            (&d.serial_id, &d.device_path, &d.partition, d.is_signed, &d.weka_guid),
            (&k.serial_id, &k.block_device, &k.partition, k.is_signed, &k.weka_guid)
        );
    }
    assert_eq!(drives[0].device_path, "/dev/nvme0n1");
    assert!(!drives[0].is_signed, "no cluster uses the disks yet");
    assert_eq!(host(&rt).read_token().await.unwrap(), TOKEN);
}

#[tokio::test]
async fn mounts_come_from_the_world_while_drivers_are_loaded() {
    let rt = runtime();
    local(&rt, "c1", "clientx0", ContainerKind::Client, NODE, "10.0.0.11");
    local(&rt, "c2", "clientx1", ContainerKind::Client, NODE, "10.0.0.12");
    local(&rt, "c3", "clientx0", ContainerKind::Client, "node-2", "10.0.0.13");
    {
        let mut world = rt.lock_world();
        world.set_active_mounts(&AgentKey::from("default/c1"), "clientx0", 2).unwrap();
        world.set_active_mounts(&AgentKey::from("default/c2"), "clientx1", 1).unwrap();
        world.set_active_mounts(&AgentKey::from("default/c3"), "clientx0", 9).unwrap();
    }
    let host = host(&rt);
    assert_eq!(host.active_mounts(MountsInterface::Global).await.unwrap(), 3);
    let c1 = MountsInterface::Container { name: "clientx0", uuid: "c1" };
    assert_eq!(host.active_mounts(c1).await.unwrap(), 2);
    let other_node = MountsInterface::Container { name: "clientx0", uuid: "c3" };
    assert!(host.active_mounts(other_node).await.unwrap_err().is_not_found());
    let unknown = MountsInterface::Container { name: "clientx0", uuid: "nobody" };
    assert!(host.active_mounts(unknown).await.unwrap_err().is_not_found());
    rt.set_drivers_loaded(NODE, false);
    assert!(host.active_mounts(MountsInterface::Global).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn local_rpc_reaches_only_this_nodes_running_containers() {
    let rt = runtime();
    local(&rt, "p1", "ssdproxy", ContainerKind::SsdProxy, NODE, "10.0.0.21");
    local(&rt, "p2", "ssdproxy", ContainerKind::SsdProxy, "node-2", "10.0.0.22");
    let host = host(&rt);
    let target = |id: &str| LocalTarget {
        container_id: id.into(),
        weka_container_name: "ssdproxy".into(),
        container_name: format!("demo-{id}"),
    };
    let list = host
        .local_rpc(&target("p1"), methods::SSD_PROXY_LIST_PHYSICAL_DRIVES, Default::default())
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    let err = host
        .local_rpc(&target("p2"), methods::SSD_PROXY_LIST_PHYSICAL_DRIVES, Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("socket not found"), "{err}");
    let err = host.local_rpc(&target("p1"), "bogus", Default::default()).await.unwrap_err();
    assert_eq!(err.to_string(), "JSONRPC error -32601: Method not found: bogus");
    rt.lock_world().stop_local_container(&AgentKey::from("default/p1"), "ssdproxy").unwrap();
    let err = host
        .local_rpc(&target("p1"), methods::SSD_PROXY_LIST_PHYSICAL_DRIVES, Default::default())
        .await
        .unwrap_err();
    assert!(!err.is_not_found(), "a stopped container refuses connections: {err}");
}

/// Starts the behaviour for an agent pod on [`NODE`]; returns it with its context.
async fn running_agent(rt: &WekaRuntime) -> (Arc<NodeAgentBehaviour>, ContainerCtx) {
    let registry = BehaviourRegistry::new();
    let behaviour = register(&registry, rt.clone());
    let ctx = agent_ctx(&[], fs_with_token());
    let picked = registry.pick(ctx.pod(), ctx.container());
    tokio::spawn({
        let ctx = ctx.clone();
        async move { picked.run(ctx).await }
    });
    wait_ready(&ctx).await;
    (behaviour, ctx)
}

fn register_body(id: &str, name: &str, mode: &str) -> Value {
    json!({"container_name": format!("demo-{mode}"), "container_id": id,
           "weka_container_name": name, "labels": {}, "mode": mode, "scrape_targets": [],
           "pod_status": "Running", "pod_status_start_time": "2024-01-01T00:00:00Z"})
}

#[tokio::test]
async fn the_operator_adds_virtual_drives_through_the_agent() {
    let rt = runtime();
    local(&rt, "p1", "ssdproxy", ContainerKind::SsdProxy, NODE, "10.0.0.21");
    let (agent, ctx) = running_agent(&rt).await;
    let send = |path: &'static str, body: Value| {
        let (agent, ctx) = (agent.clone(), ctx.clone());
        async move { http(&agent, &ctx, DEFAULT_PORT, "POST", path, body).await.unwrap() }
    };
    let (status, _) = send(PATH_REGISTER, register_body("p1", "ssdproxy", "ssdproxy")).await;
    assert_eq!(status, 200);
    let add = json!({"container_id": "p1", "method": methods::SSD_PROXY_ADD_VIRTUAL_DRIVE,
                     "params": {"virtualUuid": "v1", "physicalUuid": "phys-1",
                                "clusterGuid": "g", "sizeGB": 500}});
    let (status, body) = send(PATH_JSONRPC, add.clone()).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(PATH_JSONRPC, add).await;
    assert_eq!(status, 200, "adding again is fine");
    let list = json!({"container_id": "p1", "method": methods::SSD_PROXY_LIST_VIRTUAL_DRIVES,
                      "params": {"physicalUuid": "phys-1"}});
    let (_, body) = send(PATH_JSONRPC, list).await;
    let answer: JsonRpcProxyResponse = serde_json::from_str(&body).unwrap();
    let slices: Vec<SsdProxyVirtualDrive> = serde_json::from_value(answer.result).unwrap();
    assert_eq!(slices.len(), 1);
    assert_eq!((slices[0].virtual_uuid.as_str(), slices[0].size_gb), ("v1", 500));
    let physical = json!({"container_id": "p1", "method": methods::SSD_PROXY_LIST_PHYSICAL_DRIVES,
                          "params": {}});
    let (_, body) = send(PATH_JSONRPC, physical).await;
    let answer: JsonRpcProxyResponse = serde_json::from_str(&body).unwrap();
    let drives: Vec<SsdProxyPhysicalDrive> = serde_json::from_value(answer.result).unwrap();
    assert_eq!(drives[0].num_virtual_drives, 1);
    let remove = json!({"container_id": "p1", "method": methods::SSD_PROXY_REMOVE_VIRTUAL_DRIVE,
                        "params": {"virtualUuid": "v1"}});
    assert_eq!(send(PATH_JSONRPC, remove.clone()).await.0, 200);
    assert_eq!(send(PATH_JSONRPC, remove).await.0, 200, "removing twice is fine");
    assert!(rt.with_world(|w| w.proxy_drives(NODE).unwrap().slices.is_empty()));
}

#[tokio::test]
async fn container_info_of_a_drive_member_counts_its_processes_and_drives() {
    let rt = runtime();
    local(&rt, "d1", "drivex0", ContainerKind::Drive, NODE, "10.0.0.31");
    {
        let mut world = rt.lock_world();
        let request = CreateCluster {
            hostnames: vec!["10.0.0.31".into()],
            host_ips: vec!["10.0.0.31:14000".into()],
            ..Default::default()
        };
        world.create_cluster(&AgentKey::from("default/d1"), request).unwrap();
        world.settle();
    }
    let (agent, ctx) = running_agent(&rt).await;
    let (status, _) = http(
        &agent,
        &ctx,
        DEFAULT_PORT,
        "POST",
        PATH_REGISTER,
        register_body("d1", "drivex0", "drive"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let (status, body) = http(
        &agent,
        &ctx,
        DEFAULT_PORT,
        "POST",
        PATH_GET_CONTAINER_INFO,
        json!({"container_id": "d1"}),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let info: GetContainerInfoResponse = serde_json::from_str(&body).unwrap();
    let processes = info.container_metrics.processes.unwrap();
    assert_eq!((processes.active, processes.created), (Some(2), Some(2)));
    assert_eq!(info.container_metrics.cpu_utilization.as_deref(), Some("2.50"));
    let drives = info.container_metrics.drives.unwrap().counters.unwrap();
    assert_eq!((drives.active, drives.created), (Some(0), Some(0)));
    let (status, body) = http(
        &agent,
        &ctx,
        DEFAULT_PORT,
        "POST",
        PATH_GET_CONTAINER_INFO,
        json!({"container_id": "unregistered"}),
    )
    .await
    .unwrap();
    assert_eq!((status, body.as_str()), (404, "container not found\n"));
}
