//! The local JSON-RPC API against a formed cluster.

use serde_json::{Map, Value, json};

use super::*;
use crate::cli::testkit::Kit;
use crate::world::local::LocalContainerSpec;

fn params(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn call(
    kit: &mut Kit,
    agent: &str,
    name: &str,
    method: &str,
    p: Value,
) -> Result<Value, LocalRpcError> {
    kit.world.local_rpc(&AgentKey::from(agent), name, method, &params(p))
}

#[test]
fn the_config_summary_counts_processes_per_role_and_lists_drives() {
    let mut kit = Kit::running(1, 1);
    let summary = call(&mut kit, "drive-0", "drive", GET_LOCAL_CONFIG_SUMMARY, json!({})).unwrap();
    assert_eq!(summary["has_lease"], true);
    assert_eq!(summary["host_id"], "HostId<0>");
    assert_eq!(summary["processes_summary"]["total"], json!({"up": 2, "total": 2}));
    assert_eq!(summary["processes_summary"]["drive"], json!({"up": 1, "total": 1}));
    assert_eq!(summary["processes_summary"]["management"], json!({"up": 1, "total": 1}));
    assert_eq!(summary["processes_summary"]["compute"], json!({"up": 0, "total": 0}));
    let disks = summary["disks_summary"].as_array().unwrap();
    assert_eq!(disks.len(), 2);
    assert_eq!(disks[0]["status"], "ACTIVE");
    assert_eq!(disks[0]["serial_number"], "SN-0-0");
    assert_eq!(disks[0]["isFailed"], false);
    assert!(disks[0]["disk_id"].as_str().unwrap().starts_with("DiskId<"));
    let compute =
        call(&mut kit, "compute-0", "compute", GET_LOCAL_CONFIG_SUMMARY, json!({})).unwrap();
    assert_eq!(compute["processes_summary"]["compute"], json!({"up": 1, "total": 1}));
    assert_eq!(compute["disks_summary"], json!([]));
}

#[test]
fn a_stem_container_has_no_lease() {
    let mut kit = Kit::pods(1, 0);
    let summary = call(&mut kit, "drive-0", "drive", GET_LOCAL_CONFIG_SUMMARY, json!({})).unwrap();
    assert_eq!(summary["has_lease"], false);
    assert_eq!(summary["processes_summary"]["total"], json!({"up": 0, "total": 0}));
    assert_eq!(
        call(&mut kit, "drive-0", "drive", FETCH_LOCAL_REALTIME_CPU_USAGE, json!({})).unwrap(),
        json!({})
    );
}

#[test]
fn cpu_is_reported_per_process_and_rises_with_io() {
    let mut kit = Kit::formed(1, 0);
    let idle =
        call(&mut kit, "drive-0", "drive", FETCH_LOCAL_REALTIME_CPU_USAGE, json!({})).unwrap();
    assert_eq!(idle["NodeId<0>"], json!({"value": CPU_IDLE, "err": null}));
    assert_eq!(idle["NodeId<1>"]["value"], CPU_IDLE);
    let mut kit = Kit::running(1, 0);
    let busy =
        call(&mut kit, "drive-0", "drive", FETCH_LOCAL_REALTIME_CPU_USAGE, json!({})).unwrap();
    assert_eq!(busy["NodeId<1>"]["value"], CPU_SERVING_IO);
    assert_eq!(
        call(&mut kit, "drive-0", "drive", FETCH_LOCAL_STATS, json!({})).unwrap(),
        json!([])
    );
}

#[test]
fn unknown_stopped_and_unsupported_targets_fail() {
    let mut kit = Kit::formed(1, 0);
    let err = call(&mut kit, "nobody", "drive", GET_LOCAL_CONFIG_SUMMARY, json!({})).unwrap_err();
    assert!(matches!(err, LocalRpcError::NoContainer { .. }));
    let err = call(&mut kit, "drive-0", "drive", "no_such_method", json!({})).unwrap_err();
    assert_eq!((err.code(), err.to_string()), (-32601, "Method not found: no_such_method".into()));
    let err =
        call(&mut kit, "drive-0", "drive", SSD_PROXY_LIST_PHYSICAL_DRIVES, json!({})).unwrap_err();
    assert!(matches!(err, LocalRpcError::MethodNotFound(_)), "only an ssdproxy has ssd_proxy_*");
    kit.world.stop_local_container(&AgentKey::from("drive-0"), "drive").unwrap();
    let err = call(&mut kit, "drive-0", "drive", GET_LOCAL_CONFIG_SUMMARY, json!({})).unwrap_err();
    assert_eq!(err, LocalRpcError::NotRunning("drive".into()));
}

/// A pod `proxy` on node `node-1` running an ssdproxy container.
fn with_proxy() -> Kit {
    let mut kit = Kit::pods(0, 0);
    let mut spec = LocalContainerSpec::new("ssdproxy", ContainerKind::SsdProxy, "10.0.3.1", 14500);
    spec.hostname = "node-1".into();
    kit.pod("proxy", spec);
    kit
}

#[test]
fn the_ssd_proxy_adds_lists_and_removes_virtual_drives() {
    let mut kit = with_proxy();
    let add = json!({"virtualUuid": "v1", "physicalUuid": "p1", "clusterGuid": "g", "sizeGB": 100});
    call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_ADD_VIRTUAL_DRIVE, add.clone()).unwrap();
    call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_ADD_VIRTUAL_DRIVE, add).unwrap();
    let listed = call(
        &mut kit,
        "proxy",
        "ssdproxy",
        SSD_PROXY_LIST_VIRTUAL_DRIVES,
        json!({"physicalUuid": "p1"}),
    )
    .unwrap();
    assert_eq!(listed, json!([{"uuid": "v1", "clusterGuid": "g", "sizeGB": 100}]));
    let other = call(
        &mut kit,
        "proxy",
        "ssdproxy",
        SSD_PROXY_LIST_VIRTUAL_DRIVES,
        json!({"physicalUuid": "p9"}),
    )
    .unwrap();
    assert_eq!(other, json!([]));
    let physical =
        call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_LIST_PHYSICAL_DRIVES, json!({})).unwrap();
    assert_eq!(physical[0]["physicalUuid"], "p1");
    assert_eq!(physical[0]["numVirtualDrives"], 1);
    let removed = call(
        &mut kit,
        "proxy",
        "ssdproxy",
        SSD_PROXY_REMOVE_VIRTUAL_DRIVE,
        json!({"virtualUuid": "v1"}),
    )
    .unwrap();
    assert_eq!(removed["removed"], true);
    let again = call(
        &mut kit,
        "proxy",
        "ssdproxy",
        SSD_PROXY_REMOVE_VIRTUAL_DRIVE,
        json!({"virtualUuid": "v1"}),
    )
    .unwrap();
    assert_eq!(again["removed"], false);
    assert!(kit.world.proxy_drives("node-1").unwrap().slices.is_empty());
}

#[test]
fn the_ssd_proxy_checks_its_params() {
    let mut kit = with_proxy();
    let missing = json!({"virtualUuid": "v1", "physicalUuid": "p1", "sizeGB": 1});
    let err =
        call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_ADD_VIRTUAL_DRIVE, missing).unwrap_err();
    assert_eq!(err.code(), -32602);
    let bad_size =
        json!({"virtualUuid": "v1", "physicalUuid": "p1", "clusterGuid": "g", "sizeGB": "x"});
    assert!(call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_ADD_VIRTUAL_DRIVE, bad_size).is_err());
    let err =
        call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_LIST_VIRTUAL_DRIVES, json!({})).unwrap_err();
    assert_eq!(err.code(), -32602);
    let add = json!({"virtualUuid": "v1", "physicalUuid": "p1", "clusterGuid": "g", "sizeGB": 1});
    call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_ADD_VIRTUAL_DRIVE, add).unwrap();
    let moved = json!({"virtualUuid": "v1", "physicalUuid": "p2", "clusterGuid": "g", "sizeGB": 1});
    let err = call(&mut kit, "proxy", "ssdproxy", SSD_PROXY_ADD_VIRTUAL_DRIVE, moved).unwrap_err();
    assert_eq!(err.code(), -32000);
    assert!(err.to_string().contains("already exists on physical drive p1"), "{err}");
}
