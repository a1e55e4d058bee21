//! The node agents of the install (one per node, kubesim's DaemonSet, reached over kubesim's
//! pod network): what the WekaContainer steps ask them — a frontend's active mounts before
//! it may go, the counts behind `status.stats`, and the stop instructions for the runtime.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::ListParams;
use serde_json::json;
use wekasim::AgentKey;

use crate::domain_support::*;
use crate::support::*;

/// The name of the node's agent pod.
async fn agent_pod(env: &Env, node: &str) -> Pod {
    let pods = kube::Api::<Pod>::namespaced(env.client.clone(), OPERATOR_NS);
    let list = pods.list(&ListParams::default().labels("app=weka-node-agent")).await.unwrap();
    list.items
        .into_iter()
        .find(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
        .expect("an agent pod on the node")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_with_active_mounts_is_drained_before_it_goes() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    let spec = owned_spec("client", "client", "node-1", json!({"portRange": {"basePort": 45000}}));
    create_owned(&env, &cluster, "c-client", spec).await;
    env.wait_pod_running("c-client").await;
    // The runtime has set up its local container; something mounts two filesystems through it.
    let key = AgentKey(format!("{NS}/c-client"));
    wait_for("the client's local container", TIMEOUT, || async {
        env.runtime.with_world(|w| w.set_active_mounts(&key, "client", 2)).ok()
    })
    .await;

    env.containers().delete("c-client", &Default::default()).await.unwrap();
    let draining =
        env.wait_container("c-client", "status Draining", |c| status_of(c) == "Draining").await;
    let stats = draining.status.unwrap().stats.unwrap();
    assert_eq!(stats.active_mounts, Some(2));
    let warning = env.wait_event("c-client", "ActiveMounts").await;
    assert!(warning.contains("2 mounts are still active"), "{warning}");
    // While mounted, the pod stays.
    assert!(env.pods().get_opt("c-client").await.unwrap().is_some());

    env.runtime.with_world(|w| w.set_active_mounts(&key, "client", 0)).unwrap();
    env.wait_gone("c-client").await;
    env.wait_no_pod("c-client").await;
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_force_drained_client_with_umount_on_host_has_its_mounts_unmounted_and_goes() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    let extra = json!({
        "portRange": {"basePort": 45000},
        "overrides": {"forceDrain": true, "umountOnHost": true},
    });
    create_owned(&env, &cluster, "c-client", owned_spec("client", "client", "node-1", extra)).await;
    env.wait_pod_running("c-client").await;
    let key = AgentKey(format!("{NS}/c-client"));
    wait_for("the client's local container", TIMEOUT, || async {
        env.runtime.with_world(|w| w.set_active_mounts(&key, "client", 2)).ok()
    })
    .await;

    env.containers().delete("c-client", &Default::default()).await.unwrap();
    // Drained, then the node's mounts are unmounted by an ad-hoc container on the node, which
    // is deleted once it reported; the client then goes.
    env.wait_for("the umount container", || async {
        let helper = env.get("weka-umount-node-1").await?;
        let spec = &helper.spec;
        let instructions = spec.instructions.as_ref()?;
        assert_eq!(instructions.type_, "umount");
        assert_eq!(spec.node_affinity.as_deref(), Some("node-1"));
        Some(())
    })
    .await;
    env.wait_gone("c-client").await;
    env.wait_no_pod("c-client").await;
    assert_eq!(env.runtime.with_world(|w| w.node_active_mounts("node-1")), 0);
    assert!(env.execs_in("c-client").iter().any(|argv| argv.join(" ").contains("drain")));
    env.wait_gone("weka-umount-node-1").await;
    assert!(env.events("c-client", "UmountOnHostFailed").await.is_empty());
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_counts_reach_the_status_and_the_printer_columns() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    let spec = owned_spec("compute", "compute0", "node-1", json!({"numCores": 2}));
    create_owned(&env, &cluster, "compute-0", spec).await;
    let c = wait_long(&env, "compute-0", "stats from the node agent", |c| {
        c.status.as_ref().and_then(|s| s.stats.as_ref()).is_some_and(|s| s.processes.is_some())
    })
    .await;
    let status = c.status.unwrap();
    let processes = status.stats.unwrap().processes.unwrap();
    // numCores compute processes and the management process.
    assert_eq!(processes.desired, Some(3));
    let printer = status.printer.unwrap().processes.unwrap();
    let a = processes.active.unwrap_or(0);
    let cr = processes.created.unwrap_or(0);
    assert_eq!(printer, format!("{a}/{cr}/3"));
    env.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pod_gets_its_stop_instructions_through_the_agent_too() {
    let env = Env::started(1).await;
    let cluster = create_cluster(&env, "cluster-a", BASE_PORT).await;
    let spec = owned_spec("compute", "compute0", "node-1", json!({}));
    let container = create_owned(&env, &cluster, "compute-0", spec).await;
    let pod = env.wait_pod_running("compute-0").await;
    env.pods().delete("compute-0", &Default::default()).await.unwrap();
    // The agent pod mounts the node's shared WEKA directory: the instruction is there, under
    // the container's UID, the pod's UID and the node's boot ID.
    let node = env.nodes().get("node-1").await.unwrap();
    let boot = node.status.unwrap().node_info.unwrap().boot_id;
    let path = format!(
        "/host-binds/shared/containers/{}/instructions/{}/{boot}/shutdown_instructions.json",
        container.uid().unwrap(),
        pod.uid().unwrap()
    );
    let agent = agent_pod(&env, "node-1").await.name_any();
    let content = wait_for("the stop instructions", Duration::from_secs(30), || {
        let (agent, path) = (agent.clone(), path.clone());
        let env = &env;
        async move {
            let (out, code) = env.exec_in(OPERATOR_NS, &agent, "node-agent", &["cat", &path]).await;
            (code == 0).then_some(out)
        }
    })
    .await;
    let instructions: serde_json::Value = serde_json::from_str(content.trim()).unwrap();
    let allowed = |k: &str| instructions[k].as_bool().unwrap();
    assert!(allowed("allow_stop") != allowed("allow_force_stop"), "{instructions}");
    env.wait_pod("compute-0", "recreated", |p| p.uid() != pod.uid()).await;
    env.finish();
}
