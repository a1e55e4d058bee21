//! `LinuxHost` against a directory tree laid out like a node, and a JSON-RPC server on a
//! unix socket standing in for a local WEKA container.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use axum::Json;
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::drives::format_mixed_endian_guid;
use super::*;
use crate::node_agent::host::{HostError, LocalTarget, MountsInterface, NodeHost};

const SIGNATURE: [u8; 16] = [
    0x0c, 0x4d, 0x7a, 0x4e, 0x11, 0x22, 0x43, 0x44, 0x85, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
];

fn write(path: &Path, data: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// A partition file: 8 bytes, then the 16-byte signature.
fn partition_bytes(signature: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0u8; 8];
    bytes.extend_from_slice(signature);
    bytes.resize(64, 0);
    bytes
}

/// The GPT bytes of `type_guid` (text form) as stored on disk.
fn gpt_guid_bytes(text: &str) -> [u8; 16] {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let raw: Vec<u8> =
        (0..16).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
    out[4..6].copy_from_slice(&[raw[5], raw[4]]);
    out[6..8].copy_from_slice(&[raw[7], raw[6]]);
    out[8..].copy_from_slice(&raw[8..]);
    out
}

/// A disk image with a GPT whose entry 1 has `type_guid`.
fn gpt_disk(type_guid: &str) -> Vec<u8> {
    let mut disk = vec![0u8; 512 * 4];
    disk[512..520].copy_from_slice(b"EFI PART");
    disk[512 + 72..512 + 80].copy_from_slice(&2u64.to_le_bytes());
    disk[512 + 80..512 + 84].copy_from_slice(&128u32.to_le_bytes());
    disk[512 + 84..512 + 88].copy_from_slice(&128u32.to_le_bytes());
    disk[1024..1040].copy_from_slice(&gpt_guid_bytes(type_guid));
    disk
}

/// A node with:
/// - nvme0n1p1: WEKA partition (type from udev), signed;
/// - nvme1n1p1: WEKA partition (type from the GPT), blank signature;
/// - nvme2n1p1: another partition type;
/// - sdb1: WEKA partition of a SCSI disk, serial from udev.
fn node_tree(root: &Path) -> LinuxPaths {
    let paths = LinuxPaths::rooted(root);
    let pci = root.join("sys/devices/pci0000:00");
    for (k, sig, udev_type) in [
        (0, SIGNATURE.to_vec(), Some(WEKA_PARTITION_TYPE)),
        (1, hex(UNSIGNED_SIGNATURE), None),
        (2, SIGNATURE.to_vec(), Some("0fc63daf-8483-4772-8e79-3d69d8477de4")),
    ] {
        let ctrl = pci.join(format!("0000:0{k}:00.0/nvme/nvme{k}"));
        write(&ctrl.join("serial"), format!("  SERIAL{k}  \n"));
        let part = ctrl.join(format!("nvme{k}n1/nvme{k}n1p1"));
        write(&part.join("dev"), format!("259:{k}\n"));
        write(&part.join("partition"), "1\n");
        fs::create_dir_all(&paths.sys_class_block).unwrap();
        symlink(&part, paths.sys_class_block.join(format!("nvme{k}n1p1"))).unwrap();
        symlink(ctrl.join(format!("nvme{k}n1")), paths.sys_class_block.join(format!("nvme{k}n1")))
            .unwrap();
        write(&paths.dev.join(format!("nvme{k}n1p1")), partition_bytes(&sig));
        write(&paths.dev.join(format!("nvme{k}n1")), gpt_disk(WEKA_PARTITION_TYPE));
        if let Some(t) = udev_type {
            write(
                &paths.udev_data.join(format!("b259:{k}")),
                format!("S:x\nE:ID_PART_ENTRY_TYPE={t}\n"),
            );
        }
        fs::create_dir_all(paths.dev.join("disk/by-id")).unwrap();
        symlink(
            format!("../../nvme{k}n1p1"),
            paths.dev.join(format!("disk/by-id/nvme-SIM{k}-part1")),
        )
        .unwrap();
        symlink(format!("../../nvme{k}n1"), paths.dev.join(format!("disk/by-id/nvme-SIM{k}")))
            .unwrap();
    }
    let scsi = pci.join("0000:09:00.0/host0/target0:0:0/0:0:0:0/block/sdb");
    write(&scsi.join("sdb1/dev"), "8:17\n");
    symlink(scsi.join("sdb1"), paths.sys_class_block.join("sdb1")).unwrap();
    write(&paths.sys_block.join("sdb/dev"), "8:16\n");
    write(
        &paths.udev_data.join("b8:17"),
        format!("E:ID_PART_ENTRY_TYPE={}\n", WEKA_PARTITION_TYPE.to_uppercase()),
    );
    write(&paths.udev_data.join("b8:16"), "E:ID_SERIAL_SHORT=short\nE:ID_SERIAL=SCSI-SERIAL-1\n");
    write(&paths.dev.join("sdb1"), partition_bytes(&SIGNATURE));
    fs::create_dir_all(paths.dev.join("disk/by-path")).unwrap();
    symlink("../../sdb1", paths.dev.join("disk/by-path/pci-0000:09:00.0-scsi-0:0:0:0-part1"))
        .unwrap();
    paths
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap()).collect()
}

#[tokio::test]
async fn drives_are_found_from_links_udev_gpt_and_sysfs() {
    let dir = tempfile::tempdir().unwrap();
    let host = LinuxHost::new(node_tree(dir.path()));
    let mut drives = host.find_drives().await.unwrap();
    drives.sort();
    let guid = "0c4d7a4e-1122-4344-8566-778899aabbcc";
    let expected = vec![
        DriveInfo {
            serial_id: "SERIAL0".into(),
            device_path: "/dev/nvme0n1".into(),
            partition: "/dev/nvme0n1p1".into(),
            is_signed: true,
            weka_guid: guid.into(),
        },
        DriveInfo {
            serial_id: "SERIAL1".into(),
            device_path: "/dev/nvme1n1".into(),
            partition: "/dev/nvme1n1p1".into(),
            is_signed: false,
            weka_guid: String::new(),
        },
        DriveInfo {
            serial_id: "SCSI-SERIAL-1".into(),
            device_path: "/dev/sdb".into(),
            partition: "/dev/sdb1".into(),
            is_signed: true,
            weka_guid: guid.into(),
        },
    ];
    let mut expected = expected;
    expected.sort();
    assert_eq!(drives, expected);
}

#[tokio::test]
async fn a_node_without_disk_links_has_no_drives() {
    let dir = tempfile::tempdir().unwrap();
    let host = LinuxHost::new(LinuxPaths::rooted(dir.path()));
    assert!(host.find_drives().await.unwrap().is_empty());
}

#[test]
fn gpt_guids_are_mixed_endian() {
    assert_eq!(format_mixed_endian_guid(&gpt_guid_bytes(WEKA_PARTITION_TYPE)), WEKA_PARTITION_TYPE);
}

#[tokio::test]
async fn the_token_is_the_raw_file() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LinuxPaths::rooted(dir.path());
    let host = LinuxHost::new(paths.clone());
    assert!(host.read_token().await.is_err());
    write(&paths.token_file, "abc");
    assert_eq!(host.read_token().await.unwrap(), "abc");
    assert!(paths.token_file.ends_with("var/run/secrets/kubernetes.io/token/token"));
}

#[test]
fn active_mounts_parse_the_interface_line() {
    let text = "Driver version: 4.4\nActive mounts: 5\nSomething: 1\n";
    assert_eq!(parse_active_mounts(text).unwrap(), 5);
    assert_eq!(parse_active_mounts("nothing here\n").unwrap(), 0);
    assert!(matches!(parse_active_mounts("Active mounts: many\n"), Err(HostError::Parse(_))));
}

#[tokio::test]
async fn active_mounts_come_from_the_node_or_the_container_interface() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LinuxPaths::rooted(dir.path());
    let host = LinuxHost::new(paths.clone());
    let err = host.active_mounts(MountsInterface::Global).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    write(&paths.proc_wekafs.join("interface"), "Active mounts: 2\n");
    write(&paths.proc_wekafs.join("client0/interface"), "Active mounts: 9\n");
    assert_eq!(host.active_mounts(MountsInterface::Global).await.unwrap(), 2);
    let per = MountsInterface::Container { name: "client0", uuid: "u" };
    assert_eq!(host.active_mounts(per).await.unwrap(), 9);
    let missing = MountsInterface::Container { name: "other", uuid: "u" };
    assert!(host.active_mounts(missing).await.unwrap_err().is_not_found());
}

fn target() -> LocalTarget {
    LocalTarget {
        container_id: "6f1c2d3e-4a5b-4c6d-8e7f-000000000001".into(),
        weka_container_name: "drivex0".into(),
        container_name: "demo-drive-0".into(),
    }
}

/// Serves a JSON-RPC endpoint on the target's socket; answers by method.
async fn rpc_server(paths: &LinuxPaths) -> tokio::task::JoinHandle<()> {
    let socket = jsonrpc::socket_path(paths, &target());
    fs::create_dir_all(socket.parent().unwrap()).unwrap();
    fs::create_dir_all(&paths.tmp).unwrap();
    // The socket itself may be too long to bind to; bind through a short link of the dir.
    let short = std::env::temp_dir().join(format!("na-{}", std::process::id()));
    let _ = fs::remove_file(&short);
    symlink(socket.parent().unwrap(), &short).unwrap();
    let listener = tokio::net::UnixListener::bind(short.join("container.sock")).unwrap();
    let app = axum::Router::new().route(
        "/api/v1",
        post(|Json(request): Json<Value>| async move {
            let id = request["id"].clone();
            assert_eq!(request["jsonrpc"], "2.0");
            Json(match request["method"].as_str() {
                Some("echo") => json!({"jsonrpc": "2.0", "id": id, "result": request["params"]}),
                Some("nothing") => json!({"jsonrpc": "2.0", "id": id}),
                Some("slow") => {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    json!({"jsonrpc": "2.0", "id": id, "result": 1})
                }
                _ => json!({"jsonrpc": "2.0", "id": id,
                            "error": {"code": -32601, "message": "Method not found"}}),
            })
        }),
    );
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    })
}

#[tokio::test]
async fn jsonrpc_goes_over_the_containers_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let paths = LinuxPaths::rooted(dir.path());
    let host = LinuxHost::new(paths.clone()).with_rpc_timeout(Duration::from_millis(500));
    let err = host.local_rpc(&target(), "echo", Map::new()).await.unwrap_err();
    assert!(err.is_not_found() && err.to_string().contains("socket not found"), "{err}");

    let server = rpc_server(&paths).await;
    let params = json!({"virtualUuid": "v"}).as_object().unwrap().clone();
    let result = host.local_rpc(&target(), "echo", params).await.unwrap();
    assert_eq!(result, json!({"virtualUuid": "v"}));
    assert_eq!(host.local_rpc(&target(), "nothing", Map::new()).await.unwrap(), Value::Null);
    let err = host.local_rpc(&target(), "nope", Map::new()).await.unwrap_err();
    assert!(matches!(err, HostError::Rpc { code: -32601, .. }), "{err}");
    assert_eq!(err.to_string(), "JSONRPC error -32601: Method not found");
    let err = host.local_rpc(&target(), "slow", Map::new()).await.unwrap_err();
    assert!(matches!(err, HostError::Timeout(_)), "{err}");
    server.abort();
    let _ = fs::remove_file(std::env::temp_dir().join(format!("na-{}", std::process::id())));
}
