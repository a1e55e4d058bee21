//! Upstream's stderr rules: repeating an operation is success, or a typed "already" error the
//! caller can accept.

use super::*;
use crate::weka::AlreadyDone;
use crate::weka::fs::FsParams;
use crate::weka::nfs::NfsParams;
use crate::weka::s3::S3ClusterParams;

#[tokio::test]
async fn adding_a_drive_twice_is_device_in_use() {
    let sim = Sim::formed(1, 0);
    let cli = sim.cli("drive-0");
    cli.add_drive(0, "/dev/nvme0n1", None).await.unwrap();
    let again = cli.add_drive(0, "/dev/nvme0n1", None).await;
    assert!(
        matches!(&again, Err(WekaError::DeviceInUse { container_id: 0, device }) if device == "/dev/nvme0n1"),
        "{again:?}"
    );
    again.or_already_done().unwrap();
    let unknown = cli.add_drive(0, "/dev/nvme7n1", None).await.unwrap_err();
    assert!(matches!(unknown, WekaError::CommandFailed { exit_code: 1, .. }), "{unknown}");
}

#[tokio::test]
async fn removing_a_drive_that_does_not_exist_is_done() {
    let sim = Sim::formed(1, 0);
    sim.cli("drive-0").remove_drive("3b265a18-3e1a-45ab-abe3-a7729497cb1a").await.unwrap();
}

#[tokio::test]
async fn deactivating_and_removing_a_removed_container_is_done() {
    let sim = Sim::formed(1, 1);
    let cli = sim.cli("drive-0");
    cli.deactivate_container(1).await.unwrap();
    cli.remove_container(1, false).await.unwrap();
    cli.deactivate_container(1).await.unwrap();
    cli.remove_container(1, false).await.unwrap();
    assert_eq!(sim.exec.calls().len(), 4);
}

#[tokio::test]
async fn removing_an_active_container_fails_with_wekas_reason() {
    let sim = Sim::formed(1, 1);
    let err = sim.cli("drive-0").remove_container(1, false).await.unwrap_err();
    let WekaError::CommandFailed { stderr, .. } = &err else { panic!("{err}") };
    assert!(stderr.contains("deactivate it first"), "{stderr}");
}

#[tokio::test]
async fn s3_membership_changes_are_idempotent() {
    let sim = Sim::with_s3_pods(6);
    let cli = sim.cli("drive-0");
    let params = S3ClusterParams {
        envoy_port: 32000,
        envoy_admin_port: 32001,
        s3_port: 32002,
        container_ids: vec![6],
        extra_args: Vec::new(),
    };
    cli.create_s3_cluster(&params).await.unwrap();
    let again = cli.create_s3_cluster(&params).await;
    assert!(
        matches!(&again, Err(WekaError::AlreadyExists { what }) if what == "S3 cluster"),
        "{again:?}"
    );
    cli.join_s3_cluster(7).await.unwrap();
    cli.join_s3_cluster(7).await.unwrap();
    cli.remove_from_s3_cluster(7).await.unwrap();
    cli.remove_from_s3_cluster(7).await.unwrap();
    cli.remove_from_s3_cluster(42).await.unwrap();
    cli.destroy_s3_cluster().await.unwrap();
    cli.remove_from_s3_cluster(6).await.unwrap();
    assert!(cli.destroy_s3_cluster().await.is_err(), "destroying twice is not accepted upstream");
}

#[tokio::test]
async fn s3_removal_accepts_the_bare_unrecognized_id_too() {
    let sim = Sim::formed(1, 0);
    let argv = ["wekaauthcli", "s3", "cluster", "containers", "remove", "5"];
    sim.exec.reply(&argv, exit(1, "error: Unrecognized host ID 5\n"));
    sim.cli("drive-0").remove_from_s3_cluster(5).await.unwrap();
}

#[tokio::test]
async fn filesystems_and_groups_that_exist_are_already_exists() {
    let sim = Sim::running(6, 0);
    let cli = sim.cli("drive-0");
    cli.create_filesystem_group("default").await.unwrap();
    let group = cli.create_filesystem_group("default").await.unwrap_err();
    assert!(group.is_already_done(), "{group}");
    let params = FsParams { total_capacity: "1TiB".to_string(), ..FsParams::default() };
    cli.create_filesystem("default", "default", &params).await.unwrap();
    let fs = cli.create_filesystem("default", "default", &params).await;
    assert!(
        matches!(&fs, Err(WekaError::AlreadyExists { what }) if what == "filesystem default"),
        "{fs:?}"
    );
    fs.or_already_done().unwrap();
}

#[tokio::test]
async fn configuring_nfs_twice_accepts_the_existing_interface_group() {
    let sim = Sim::with_s3_pods(6);
    let cli = sim.cli("drive-0");
    let params = NfsParams { config_filesystem: ".config_fs".to_string(), ..NfsParams::default() };
    cli.configure_nfs(&params).await.unwrap();
    cli.configure_nfs(&params).await.unwrap();
    let err = cli.create_nfs_interface_group("MgmtInterfaceGroup").await.unwrap_err();
    assert!(err.is_already_done(), "{err}");
}

#[tokio::test]
async fn nfs_port_rules_accept_repeats_and_refuse_a_second_interface() {
    let sim = Sim::formed(2, 0);
    sim.line(
        "drive-0",
        "wekaauthcli nfs interface-group add MgmtInterfaceGroup NFS --subnet 0.0.0.0",
    );
    let cli = sim.cli("drive-0");
    let add =
        ["wekaauthcli", "nfs", "interface-group", "port", "add", "MgmtInterfaceGroup", "1", "eth0"];
    sim.exec.reply(
        &add,
        exit(1, "error: The host 1 with port eth0 is already part of group MgmtInterfaceGroup.\n"),
    );
    cli.ensure_nfs_interface_group_ports("MgmtInterfaceGroup", 1, &strings(&["eth0"]))
        .await
        .unwrap();

    sim.line("drive-0", "wekaauthcli nfs interface-group port add MgmtInterfaceGroup 1 eth1");
    let conflict = cli
        .ensure_nfs_interface_group_ports("MgmtInterfaceGroup", 1, &strings(&["eth1", "eth2"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&conflict, WekaError::InterfaceGroupConflict { container_id: 1, .. }),
        "{conflict}"
    );

    let delete = [
        "wekaauthcli",
        "nfs",
        "interface-group",
        "port",
        "delete",
        "-f",
        "MgmtInterfaceGroup",
        "1",
        "eth1",
    ];
    sim.exec.reply(
        &delete,
        exit(1, "error: The host 1 with port eth1 is not part of group MgmtInterfaceGroup.\n"),
    );
    cli.ensure_nfs_interface_group_ports("MgmtInterfaceGroup", 1, &[]).await.unwrap();
}

#[tokio::test]
async fn audit_and_telemetry_repeats_are_done() {
    let sim = Sim::running(2, 0);
    sim.line("drive-0", "weka fs group create default");
    sim.line("drive-0", "weka fs create default default 100GiB");
    let cli = sim.cli("drive-0");
    cli.disable_cluster_audit().await.unwrap();
    cli.enable_cluster_audit().await.unwrap();
    cli.enable_cluster_audit().await.unwrap();
    cli.disable_cluster_audit().await.unwrap();
    cli.enable_default_fs_audit().await.unwrap();
    cli.enable_default_fs_audit().await.unwrap();
    cli.disable_auto_start_telemetry_container().await.unwrap();
    cli.disable_auto_start_telemetry_container().await.unwrap();
    let remove = ["bash", "-c", "weka telemetry exports remove 3 --force"];
    assert_eq!(sim.exec.argvs().len(), 8);
    cli.remove_telemetry_export("TelemetrySinkId<3>").await.unwrap();
    assert_eq!(sim.exec.last_argv(), strings(&remove));
}

#[tokio::test]
async fn users_are_added_and_deleted_only_when_needed() {
    let sim = Sim::formed(1, 0);
    let cli = sim.cli("drive-0");
    cli.ensure_user("operator", "Op3ratorPassw0rd", "clusteradmin").await.unwrap();
    cli.ensure_user("operator", "Op3ratorPassw0rd", "clusteradmin").await.unwrap();
    cli.ensure_no_user("operator").await.unwrap();
    cli.ensure_no_user("operator").await.unwrap();
    let scripts: Vec<String> = sim.exec.argvs().into_iter().map(|a| a[2].clone()).collect();
    assert_eq!(
        scripts,
        strings(&[
            "wekaauthcli user -J",
            "wekaauthcli user add operator clusteradmin Op3ratorPassw0rd",
            "wekaauthcli user -J",
            "wekaauthcli user -J",
            "wekaauthcli user delete operator",
            "wekaauthcli user -J",
        ])
    );
    let users = cli.list_users().await.unwrap();
    assert!(users.iter().all(|u| u.username != "operator"));
}
