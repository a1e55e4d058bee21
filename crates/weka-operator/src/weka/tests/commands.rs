//! The exact argv each operation sends (these are what WEKA sees), run against the simulator.

use super::*;
use crate::weka::drives::DriveFilter;
use crate::weka::fs::FsParams;
use crate::weka::nfs::{NFS_INTERFACE_GROUP, NfsParams};
use crate::weka::s3::S3ClusterParams;

#[tokio::test]
async fn status_is_wekaauthcli_status_json_with_the_default_timeout() {
    let sim = Sim::formed(1, 0);
    sim.cli("drive-0").status().await.unwrap();
    let calls = sim.exec.calls();
    assert_eq!(calls[0].argv, strings(&["wekaauthcli", "status", "--json"]));
    assert_eq!(calls[0].timeout, DEFAULT_TIMEOUT);
    assert_eq!(calls[0].target, ExecTarget::weka(NAMESPACE, "drive-0"));
    assert_eq!(calls[0].target.container, "weka-container");
}

#[tokio::test]
async fn drive_operations_send_upstreams_command_lines() {
    let sim = Sim::formed(2, 0);
    let drive0 = sim.cli("drive-0");
    drive0.add_drive(0, "/dev/nvme0n1", None).await.unwrap();
    drive0.add_drive(0, "/dev/nvme1n1", Some("")).await.unwrap();
    sim.cli("drive-1").add_drive(1, "/dev/nvme0n1", Some("tlc")).await.unwrap();
    let filter = DriveFilter { container_id: Some(0), status: Some("ACTIVE".to_string()) };
    let drives = drive0.list_drives(&filter).await.unwrap();
    let uuid = drives[0].uuid.clone();
    drive0.list_container_drives(0).await.unwrap();
    drive0.get_drive(&uuid).await.unwrap();
    drive0.deactivate_drive(&uuid).await.unwrap();
    drive0.remove_drive(&uuid).await.unwrap();
    let expected = [
        vec!["weka", "cluster", "drive", "add", "0", "/dev/nvme0n1"],
        vec!["weka", "cluster", "drive", "add", "0", "/dev/nvme1n1"],
        vec!["weka", "cluster", "drive", "add", "1", "/dev/nvme0n1", "--pool", "tlc"],
        vec!["wekaauthcli", "cluster", "drive", "--json", "--filter", "host=0,status=ACTIVE"],
        vec!["wekaauthcli", "cluster", "drive", "--container", "0", "--json"],
        vec!["wekaauthcli", "cluster", "drive", &uuid, "--json"],
        vec!["wekaauthcli", "cluster", "drive", "deactivate", &uuid, "-f"],
        vec!["wekaauthcli", "cluster", "drive", "remove", &uuid, "-f"],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(sim.exec.argvs(), expected);
    assert_eq!(sim.exec.world().settled().cluster(&sim.guid).unwrap().drives.len(), 2);
}

#[tokio::test]
async fn container_operations_send_upstreams_command_lines() {
    let sim = Sim::formed(1, 1);
    let cli = sim.cli("drive-0");
    cli.get_container(1).await.unwrap();
    cli.list_processes(None).await.unwrap();
    cli.list_processes(Some(1)).await.unwrap();
    cli.deactivate_container(1).await.unwrap();
    cli.remove_container(1, true).await.unwrap();
    cli.remove_container(7, false).await.unwrap();
    let expected = [
        vec!["wekaauthcli", "cluster", "container", "1", "--json"],
        vec!["wekaauthcli", "cluster", "process", "--json"],
        vec!["wekaauthcli", "cluster", "process", "--json", "--filter", "containerId=1"],
        vec!["wekaauthcli", "cluster", "container", "deactivate", "1"],
        vec!["wekaauthcli", "cluster", "container", "remove", "1", "--no-unimprint"],
        vec!["wekaauthcli", "cluster", "container", "remove", "7"],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(sim.exec.argvs(), expected);
    assert!(matches!(cli.get_container(1).await, Err(WekaError::NotFound { .. })));
}

#[tokio::test]
async fn s3_operations_send_upstreams_command_lines() {
    let sim = Sim::with_s3_pods(6);
    let cli = sim.cli("drive-0");
    let params = S3ClusterParams {
        envoy_port: 32000,
        envoy_admin_port: 32001,
        s3_port: 32002,
        container_ids: vec![6],
        extra_args: strings(&["--max-buckets-limit", "100"]),
    };
    cli.create_s3_cluster(&params).await.unwrap();
    sim.cli("s3-1").join_s3_cluster(7).await.unwrap();
    assert_eq!(cli.list_s3_containers().await.unwrap(), vec![6, 7]);
    cli.remove_from_s3_cluster(7).await.unwrap();
    cli.get_s3_cluster().await.unwrap();
    cli.destroy_s3_cluster().await.unwrap();
    let expected = [
        vec![
            "wekaauthcli",
            "s3",
            "cluster",
            "create",
            "default",
            ".config_fs",
            "--port",
            "32000",
            "--envoy-admin-port",
            "32001",
            "--internal-port",
            "32002",
            "--container",
            "6",
            "--max-buckets-limit",
            "100",
        ],
        vec!["wekaauthcli", "s3", "cluster", "containers", "add", "7"],
        vec!["wekaauthcli", "s3", "cluster", "containers", "list", "--json"],
        vec!["wekaauthcli", "s3", "cluster", "containers", "remove", "7"],
        vec!["wekaauthcli", "s3", "cluster", "--json"],
        vec!["wekaauthcli", "s3", "cluster", "destroy", "-f"],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(sim.exec.argvs(), expected);
}

#[tokio::test]
async fn nfs_configuration_sets_only_what_is_given_then_creates_the_interface_group() {
    let sim = Sim::with_s3_pods(6);
    let cli = sim.cli("drive-0");
    let params = NfsParams {
        config_filesystem: ".config_fs".to_string(),
        supported_versions: strings(&["V3", "V4"]),
        mountd_port: 20048,
        lockmgr_port: 0,
        notify_port: 32767,
    };
    cli.configure_nfs(&params).await.unwrap();
    let expected = [
        vec!["wekaauthcli", "nfs", "global-config", "set", "--config-fs", ".config_fs"],
        vec!["wekaauthcli", "nfs", "global-config", "set", "--supported-versions", "V3,V4"],
        vec![
            "wekaauthcli",
            "nfs",
            "global-config",
            "set",
            "-f",
            "--mountd-port",
            "20048",
            "--notify-port",
            "32767",
        ],
        vec![
            "wekaauthcli",
            "nfs",
            "interface-group",
            "add",
            "MgmtInterfaceGroup",
            "NFS",
            "--subnet",
            "0.0.0.0",
        ],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(sim.exec.argvs(), expected);
    let minimal = NfsParams { config_filesystem: ".config_fs".to_string(), ..NfsParams::default() };
    cli.configure_nfs(&minimal).await.unwrap();
    assert_eq!(sim.exec.argvs().len(), expected.len() + 2);
    assert_eq!(cli.get_nfs_interface_group(NFS_INTERFACE_GROUP).await.unwrap().kind, "NFS");
}

#[tokio::test]
async fn nfs_ip_ranges_are_added_before_extra_ones_are_removed() {
    let sim = Sim::formed(1, 0);
    sim.line(
        "drive-0",
        "wekaauthcli nfs interface-group add MgmtInterfaceGroup NFS --subnet 0.0.0.0",
    );
    sim.line(
        "drive-0",
        "wekaauthcli nfs interface-group ip-range add MgmtInterfaceGroup 10.0.9.1-3",
    );
    let cli = sim.cli("drive-0");
    cli.ensure_nfs_ip_ranges("MgmtInterfaceGroup", &strings(&["10.0.9.3-5"])).await.unwrap();
    let expected = [
        vec!["weka", "nfs", "interface-group", "--name", "MgmtInterfaceGroup", "--json"],
        vec![
            "wekaauthcli",
            "nfs",
            "interface-group",
            "ip-range",
            "add",
            "MgmtInterfaceGroup",
            "10.0.9.4-5",
        ],
        vec![
            "weka",
            "nfs",
            "interface-group",
            "ip-range",
            "remove",
            "MgmtInterfaceGroup",
            "10.0.9.1-2",
            "-f",
        ],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(sim.exec.argvs(), expected);
    let group = cli.get_nfs_interface_group("MgmtInterfaceGroup").await.unwrap();
    assert_eq!(group.ips, strings(&["10.0.9.3", "10.0.9.4", "10.0.9.5"]));
    let before = sim.exec.argvs().len();
    cli.ensure_nfs_ip_ranges("MgmtInterfaceGroup", &strings(&["10.0.9.3-5"])).await.unwrap();
    assert_eq!(sim.exec.argvs().len(), before + 1, "converged: only the read");
}

#[tokio::test]
async fn nfs_ports_are_reconciled_per_container() {
    let sim = Sim::formed(2, 0);
    sim.line(
        "drive-0",
        "wekaauthcli nfs interface-group add MgmtInterfaceGroup NFS --subnet 0.0.0.0",
    );
    let cli = sim.cli("drive-0");
    cli.ensure_nfs_interface_group_ports("MgmtInterfaceGroup", 1, &strings(&["eth0"]))
        .await
        .unwrap();
    cli.ensure_nfs_interface_group_ports("MgmtInterfaceGroup", 1, &[]).await.unwrap();
    let argvs = sim.exec.argvs();
    assert_eq!(
        argvs[1],
        strings(&[
            "wekaauthcli",
            "nfs",
            "interface-group",
            "port",
            "add",
            "MgmtInterfaceGroup",
            "1",
            "eth0"
        ])
    );
    assert_eq!(
        argvs[3],
        strings(&[
            "wekaauthcli",
            "nfs",
            "interface-group",
            "port",
            "delete",
            "-f",
            "MgmtInterfaceGroup",
            "1",
            "eth0"
        ])
    );
    assert!(cli.get_nfs_interface_group("MgmtInterfaceGroup").await.unwrap().ports.is_empty());
}

#[tokio::test]
async fn filesystem_operations_send_upstreams_command_lines() {
    let sim = Sim::running(6, 0);
    let cli = sim.cli("drive-0");
    cli.create_filesystem_group("default").await.unwrap();
    let thin = FsParams {
        total_capacity: "100GiB".to_string(),
        thin_provisioning: true,
        thick_capacity: "10GiB".to_string(),
        encrypted: true,
        no_kms: true,
    };
    cli.create_filesystem(".config_fs", "default", &thin).await.unwrap();
    let thick = FsParams { total_capacity: "1TiB".to_string(), ..FsParams::default() };
    cli.create_filesystem("default", "default", &thick).await.unwrap();
    cli.configure_data_services().await.unwrap();
    cli.capacity().await.unwrap();
    let expected = [
        vec!["weka", "fs", "group", "create", "default"],
        vec![
            "wekaauthcli",
            "fs",
            "create",
            ".config_fs",
            "default",
            "100GiB",
            "--thin-provision-max-ssd",
            "100GiB",
            "--thin-provision-min-ssd",
            "10GiB",
            "--encrypted",
            "--allow-no-kms",
        ],
        vec!["wekaauthcli", "fs", "create", "default", "default", "1TiB"],
        vec!["weka", "dataservice", "global-config", "set", "--config-fs", ".config_fs"],
        vec!["weka", "fs", "--json"],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(sim.exec.argvs(), expected);
}

#[tokio::test]
async fn local_operations_send_upstreams_command_lines() {
    let sim = Sim::formed(1, 0);
    let cli = sim.cli("drive-0");
    cli.local_ps().await.unwrap();
    cli.stop_local(false).await.unwrap();
    cli.rejoin_with_ips(&strings(&["10.0.1.1:14000"])).await.unwrap();
    cli.stop_local(true).await.unwrap();
    let calls = sim.exec.calls();
    let argvs: Vec<Vec<String>> = calls.iter().map(|c| c.argv.clone()).collect();
    let expected = [
        vec!["weka", "local", "ps", "--json"],
        vec!["timeout", "10s", "weka", "local", "stop", "-g"],
        vec!["weka", "local", "resources", "join-ips", "10.0.1.1:14000"],
        vec!["weka", "local", "resources", "apply", "-f"],
        vec!["weka", "local", "restart", "--force"],
        vec!["timeout", "10s", "weka", "local", "stop", "--force"],
    ];
    let expected: Vec<Vec<String>> = expected.iter().map(|a| strings(a)).collect();
    assert_eq!(argvs, expected);
    assert_eq!(calls[1].timeout, Duration::from_secs(12));
}

#[tokio::test]
async fn cluster_settings_run_as_bash_scripts_in_the_simulator() {
    let sim = Sim::running(1, 0);
    let cli = sim.cli("drive-0");
    cli.set_cluster_name("my-cluster").await.unwrap();
    cli.set_hot_spare(0).await.unwrap();
    cli.set_parity_drives(2).await.unwrap();
    cli.set_data_drives(3).await.unwrap();
    cli.set_bucket_raft_size(5).await.unwrap();
    cli.force_aio().await.unwrap();
    cli.set_telemetry_info(false).await.unwrap();
    cli.disable_auto_start_telemetry_container().await.unwrap();
    let scripts: Vec<String> = sim.exec.argvs().into_iter().map(|a| a[2].clone()).collect();
    assert_eq!(
        scripts,
        strings(&[
            "weka cluster update --cluster-name my-cluster",
            "weka cluster hot-spare 0",
            "weka cluster update --parity-drives 2",
            "weka cluster update --data-drives 3",
            "weka cluster update --bucket-raft-size 5",
            "weka debug config override clusterInfo.nvmeEnabled false",
            "weka debug config override telemetryInfo.enabled false",
            "weka debug override add --key auto_start_telemetry_container --value false --force",
        ])
    );
    assert!(sim.exec.argvs().iter().all(|a| a[..2] == strings(&["bash", "-ce"])));
    let status = cli.status().await.unwrap();
    assert_eq!((status.stripe_data_drives, status.stripe_protection_drives), (3, 2));
}

#[tokio::test]
async fn start_io_is_allowed_ten_minutes_at_least() {
    let sim = Sim::formed(1, 0);
    sim.line("drive-0", "wekaauthcli cluster drive add 0 /dev/nvme0n1");
    sim.cli("drive-0").start_io().await.unwrap();
    let call = sim.exec.calls().pop().unwrap();
    assert_eq!(call.argv, strings(&["bash", "-ce", "wekaauthcli cluster start-io"]));
    assert_eq!(call.timeout, Duration::from_secs(600));
    let long = sim.cli("drive-0").with_timeout(Duration::from_secs(3600));
    long.start_io().await.unwrap();
    assert_eq!(sim.exec.calls().pop().unwrap().timeout, Duration::from_secs(3600));
}
