//! The simulator's JSON (shaped after upstream's Go structs) parses into the typed results.

use super::*;
use crate::weka::local::ClusterIdentity;

#[tokio::test]
async fn status_of_a_running_cluster_parses() {
    let sim = Sim::running(2, 1);
    let status = sim.cli("compute-0").status().await.unwrap();
    assert_eq!(status.status, "OK");
    assert_eq!(status.io_status, "STARTED");
    assert_eq!((status.drives.active, status.drives.total), (4, 4));
    assert_eq!(status.containers.drives.total, 2);
    assert_eq!(status.containers.computes.total, 1);
    assert_eq!(status.containers.total, 3);
    assert!(status.capacity.total_bytes > 0);
    assert!(status.rebuild.is_fully_protected());
}

#[tokio::test]
async fn processes_carry_their_node_info() {
    let sim = Sim::formed(1, 1);
    let processes = sim.cli("drive-0").list_processes(Some(1)).await.unwrap();
    assert!(!processes.is_empty());
    for process in &processes {
        assert_eq!(process.container_id(), Some(1));
        assert_eq!(process.node_info.container_name, "compute");
        assert_eq!(process.node_info.mgmt_ips, strings(&["10.0.2.1"]));
        assert_eq!(process.node_info.mgmt_port, 14000);
        assert!(process.process_id().is_some());
        assert_eq!(process.status, "UP");
    }
    let roles: Vec<&str> =
        processes.iter().flat_map(|p| p.roles.iter().map(String::as_str)).collect();
    assert!(roles.contains(&"MANAGEMENT") && roles.contains(&"COMPUTE"), "{roles:?}");
}

#[tokio::test]
async fn drives_parse_with_their_container_and_trimmed_serials() {
    let sim = Sim::running(2, 0);
    let cli = sim.cli("drive-1");
    let drives = cli.list_container_drives(1).await.unwrap();
    let mut serials: Vec<&str> = drives.iter().map(|d| d.serial_number.as_str()).collect();
    serials.sort();
    assert_eq!(serials, ["SN-1-0", "SN-1-1"]);
    assert!(drives.iter().all(|d| d.container_id() == Some(1) && d.status == "ACTIVE"));
    assert_eq!(drives[0].size_bytes, Some(TIB as i64));
    assert!(drives[0].device_path.starts_with("/dev/nvme"));
    let one = cli.get_drive(&drives[0].uuid).await.unwrap();
    assert_eq!(one, drives[0]);
    let missing = cli.get_drive("00000000-dead-beef-0000-000000000000").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn local_ps_shows_stem_before_and_ready_after_clusterization() {
    let sim = Sim::pods(1, 0);
    let before = sim.cli("drive-0").local_ps().await.unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].name, "drive");
    assert_eq!(before[0].run_status, "Running");
    assert!(before[0].is_running);
    assert_eq!(before[0].internal_status.display_status, "STEM");
    sim.line("drive-0", "weka cluster create 10.0.1.1 --host-ips 10.0.1.1:14000");
    let after = sim.cli("drive-0").local_ps().await.unwrap();
    assert_eq!(after[0].internal_status.display_status, "READY");
}

/// The identity script reads the agent port with `$(cat ...)`, which the simulator does not
/// interpret: the reply is the simulator's answer to the command the script runs.
fn reply_identity(sim: &Sim, pod: &str, name: &str) {
    let argv = strings(&[
        "weka",
        "local",
        "run",
        "wapi",
        "-H",
        "localhost:13999/jrpc",
        "-W",
        "container-get-identity",
        "--container-name",
        name,
        "--json",
    ]);
    let stdout = sim.weka(pod, &argv);
    let script = format!(
        "weka local run wapi -H localhost:$(cat /opt/weka/k8s-runtime/vars/agent_port)/jrpc -W container-get-identity --container-name {name} --json"
    );
    sim.exec.reply_script(&script, ok(&stdout));
}

#[tokio::test]
async fn identity_of_a_joined_container_is_its_cluster_guid_and_id() {
    let sim = Sim::formed(2, 0);
    reply_identity(&sim, "drive-1", "drive");
    let identity = sim.cli("drive-1").container_identity("drive", false).await.unwrap();
    assert_eq!(identity, ClusterIdentity { cluster_guid: sim.guid.clone(), container_id: 1 });
    assert_eq!(sim.exec.calls()[0].timeout, Duration::from_secs(15));
}

#[tokio::test]
async fn identity_before_joining_is_not_joined() {
    let sim = Sim::pods(1, 0);
    reply_identity(&sim, "drive-0", "drive");
    let err = sim.cli("drive-0").container_identity("drive", false).await.unwrap_err();
    assert!(
        matches!(&err, WekaError::NotJoined { container, .. } if container == "drive"),
        "{err}"
    );
}

#[tokio::test]
async fn identity_of_an_unknown_container_reports_the_exception() {
    let sim = Sim::pods(1, 0);
    reply_identity(&sim, "drive-0", "nope");
    let err = sim.cli("drive-0").container_identity("nope", false).await.unwrap_err();
    assert!(
        matches!(&err, WekaError::NotJoined { reason, .. } if reason.contains("Container nope not found")),
        "{err}"
    );
}

#[tokio::test]
async fn identity_edge_cases_follow_upstream() {
    let sim = Sim::pods(1, 0);
    let cli = sim.cli("drive-0");
    let script = "weka local run wapi -H localhost:$(cat /opt/weka/k8s-runtime/vars/agent_port)/jrpc -W container-get-identity --container-name drive --json";
    let cases = [
        (r#"{"has_value": true, "value": {"cluster_guid": "", "host_id": 3}}"#, false),
        (r#"{"has_value": true, "value": null}"#, false),
        (
            r#"{"has_value": true, "value": {"cluster_guid": "00000000-0000-0000-0000-000000000000", "host_id": -1}}"#,
            false,
        ),
        (
            r#"{"has_value": true, "value": {"cluster_guid": "6c1c8c6e-1111-2222-3333-444455556666", "host_id": "HostId<4>"}}"#,
            true,
        ),
    ];
    for (json, joined) in cases {
        sim.exec.reply_script(script, ok(json));
        let result = cli.container_identity("drive", false).await;
        assert_eq!(result.is_ok(), joined, "{json}: {result:?}");
    }
    sim.exec.reply_script(script, ok("not json"));
    assert!(matches!(cli.container_identity("drive", false).await, Err(WekaError::BadJson { .. })));
}

#[tokio::test]
async fn s3_cluster_and_members_parse() {
    let sim = Sim::with_s3_pods(6);
    let cli = sim.cli("drive-0");
    assert!(!cli.get_s3_cluster().await.unwrap().active);
    sim.line("drive-0", "wekaauthcli s3 cluster create default .config_fs --port 32000 --envoy-admin-port 32001 --internal-port 32002 --container 6,7");
    let s3 = cli.get_s3_cluster().await.unwrap();
    assert!(s3.active);
    assert_eq!(s3.s3_hosts, strings(&["HostId<6>", "HostId<7>"]));
    assert_eq!(s3.container_ids(), vec![6, 7]);
    assert_eq!((s3.port.as_str(), s3.internal_port.as_str()), ("32000", "32002"));
    assert_eq!(s3.filesystem, "default");
    assert_eq!(cli.list_s3_containers().await.unwrap(), vec![6, 7]);
}

#[tokio::test]
async fn nfs_interface_group_parses_with_its_ports() {
    let sim = Sim::formed(2, 0);
    sim.line(
        "drive-0",
        "wekaauthcli nfs interface-group add MgmtInterfaceGroup NFS --subnet 0.0.0.0",
    );
    sim.line("drive-0", "wekaauthcli nfs interface-group port add MgmtInterfaceGroup 1 eth1");
    sim.line(
        "drive-0",
        "wekaauthcli nfs interface-group ip-range add MgmtInterfaceGroup 10.0.9.1-2",
    );
    let group = sim.cli("drive-0").get_nfs_interface_group("MgmtInterfaceGroup").await.unwrap();
    assert_eq!((group.name.as_str(), group.kind.as_str()), ("MgmtInterfaceGroup", "NFS"));
    assert_eq!(group.ips, strings(&["10.0.9.1", "10.0.9.2"]));
    assert_eq!(group.ports.len(), 1);
    assert_eq!(
        (group.ports[0].host_id.as_str(), group.ports[0].port.as_str()),
        ("HostId<1>", "eth1")
    );
    let missing = sim.cli("drive-0").get_nfs_interface_group("Other").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}

#[tokio::test]
async fn capacity_sums_ready_filesystems() {
    let sim = Sim::with_s3_pods(6);
    let capacity = sim.cli("drive-0").capacity().await.unwrap();
    assert_eq!(capacity.filesystems.len(), 2);
    let ready: Vec<_> = capacity.filesystems.iter().filter(|f| f.is_ready).collect();
    assert_eq!(capacity.total_provisioned, ready.iter().map(|f| f.total_budget).sum::<i64>());
    assert_eq!(capacity.total_provisioned_ssd, ready.iter().map(|f| f.ssd_budget).sum::<i64>());
    assert_eq!(capacity.total_available, capacity.total_provisioned - capacity.total_used);
    assert!(!capacity.has_tiered_filesystems);
}

#[tokio::test]
async fn users_exports_and_join_tokens_parse() {
    let sim = Sim::formed(1, 0);
    let cli = sim.cli("drive-0");
    let users = cli.list_users().await.unwrap();
    assert_eq!(users[0].username, "admin");
    sim.line("drive-0", "weka telemetry exports add splunk operator-main --sources events --target https://splunk:8088 --auth-token t0k3n");
    let exports = cli.list_telemetry_exports().await.unwrap();
    assert_eq!(exports.len(), 1);
    assert!(exports[0].is_operator_owned());
    assert_eq!(exports[0].numeric_id(), "0");
    assert_eq!(exports[0].sources, strings(&["events"]));
    let token = cli.generate_join_token().await.unwrap();
    assert!(token.starts_with("wekajt-"), "{token}");
}
