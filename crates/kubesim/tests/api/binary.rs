//! The `kubesim serve` binary: writes a usable kubeconfig once ready, registers `--nodes`,
//! and exits on SIGTERM.

use std::time::Duration;

use crate::common::eventually;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

#[tokio::test]
async fn serve_writes_a_kubeconfig_registers_nodes_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("kubesim-bin-{}", std::process::id()));
    let kubeconfig = dir.join("kubeconfig");
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--nodes", "3", "--kubeconfig"])
        .arg(&kubeconfig)
        .kill_on_drop(true)
        .spawn()
        .expect("kubesim starts");
    eventually("the kubeconfig is written", || async { kubeconfig.exists() }).await;

    let text = std::fs::read_to_string(&kubeconfig).unwrap();
    let parsed = Kubeconfig::from_yaml(&text).unwrap();
    let config =
        kube::Config::from_custom_kubeconfig(parsed, &KubeConfigOptions::default()).await.unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let nodes: Api<Node> = Api::all(client);
    let ready_nodes = || async {
        let list = nodes.list(&ListParams::default()).await.unwrap();
        list.items
            .iter()
            .filter(|n| {
                n.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
                    .is_some_and(|c| c.status == "True")
            })
            .map(|n| n.metadata.name.clone().unwrap())
            .collect::<Vec<_>>()
    };
    eventually("three Ready nodes are registered", || async {
        ready_nodes().await == vec!["node-1", "node-2", "node-3"]
    })
    .await;

    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
