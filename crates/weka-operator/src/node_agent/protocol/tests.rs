//! Wire compatibility with the JSON upstream's Go structs produce and accept.

use serde_json::json;

use super::*;

#[test]
fn register_request_reads_go_json_with_nulls() {
    let body = json!({
        "container_name": "demo-drive-0",
        "container_id": "3b0c5a1e-0000-4000-8000-000000000001",
        "weka_container_name": "drivex0",
        "labels": null,
        "mode": "drive",
        "scrape_targets": null,
        "pod_status": "Running",
        "pod_status_start_time": "2024-05-01T10:00:00.123456789Z"
    });
    let req: RegisterRequest = serde_json::from_value(body).unwrap();
    assert_eq!(req.weka_container_name, "drivex0");
    assert!(req.labels.is_empty());
    assert!(req.scrape_targets.is_empty());
    assert!(req.feature_flags.is_none());
    assert_eq!(req.pod_status_start_time.to_rfc3339(), "2024-05-01T10:00:00.123456789+00:00");
}

#[test]
fn register_request_writes_upstream_field_names() {
    let req = RegisterRequest {
        container_name: "c".into(),
        container_id: "uid".into(),
        weka_container_name: "client0".into(),
        mode: "client".into(),
        scrape_targets: vec![ScrapeTarget {
            port: 9901,
            path: "/stats/prometheus".into(),
            endpoint: String::new(),
            app_name: "weka_s3_envoy".into(),
        }],
        feature_flags: Some(FeatureFlags {
            allow_per_container_driver_interface: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(
        v["scrape_targets"][0],
        json!({"port": 9901, "path": "/stats/prometheus", "app_name": "weka_s3_envoy"})
    );
    assert_eq!(v["feature_flags"]["allow_per_container_driver_interface"], json!(true));
    assert_eq!(v["pod_status_start_time"], json!("1970-01-01T00:00:00Z"));
}

#[test]
fn drive_info_matches_domain_drive_info() {
    let unsigned = DriveInfo {
        serial_id: "S1".into(),
        device_path: "/dev/nvme0n1".into(),
        partition: "/dev/nvme0n1p1".into(),
        is_signed: false,
        weka_guid: String::new(),
    };
    assert_eq!(
        serde_json::to_value(&unsigned).unwrap(),
        json!({"serial_id": "S1", "block_device": "/dev/nvme0n1", "partition": "/dev/nvme0n1p1", "is_signed": false})
    );
    let resp: FindDrivesResponse =
        serde_json::from_value(json!({"drives": null, "error": "boom"})).unwrap();
    assert!(resp.drives.is_empty());
    assert_eq!(resp.error.as_deref(), Some("boom"));
}

#[test]
fn container_info_response_reads_go_metrics() {
    let body = json!({"container_metrics": {
        "processes": {"active": 3, "created": 4},
        "cpuUtilization": "12.50",
        "drives": {"counters": {"active": 1, "created": 2}, "failures": [{"serialId": "S2", "wekaDriveId": "u2"}]},
        "activeMounts": 0,
        "lastUpdate": null
    }});
    let resp: GetContainerInfoResponse = serde_json::from_value(body).unwrap();
    let m = resp.container_metrics;
    assert_eq!(m.processes.unwrap().active, Some(3));
    assert_eq!(m.cpu_utilization.as_deref(), Some("12.50"));
    let drives = m.drives.unwrap();
    assert_eq!(drives.counters.unwrap().created, Some(2));
    assert_eq!(drives.failures.unwrap()[0].serial_id.as_deref(), Some("S2"));
}

#[test]
fn local_config_summary_reads_weka_json() {
    let body = json!({
        "has_lease": true,
        "filesystems_summary": [{"filesystem_id": "FSId<0>", "name": ".config_fs"}],
        "disks_summary": [{"disk_id": "DiskId<1>", "uid": "u", "serial_number": "S", "dev_uuid": "d",
                           "status": "ACTIVE", "isFailed": false, "name": "/dev/nvme0n1"}],
        "host_name": "node-1", "host_id": "HostId<3>",
        "processes_summary": {"drive": {"up": 1, "total": 1}, "total": {"up": 2, "total": 2}}
    });
    let s: LocalConfigSummary = serde_json::from_value(body).unwrap();
    assert_eq!(s.processes_summary.total, ProcessSummary { up: 2, total: 2 });
    assert_eq!(s.processes_summary.compute, ProcessSummary::default());
    assert_eq!(s.disks_summary[0].disk_id, "DiskId<1>");
}

#[test]
fn ssd_proxy_shapes_use_camel_case_names() {
    let add = AddVirtualDriveParams {
        virtual_uuid: "v".into(),
        physical_uuid: "p".into(),
        cluster_guid: "g".into(),
        size_gb: 100,
    };
    assert_eq!(
        serde_json::to_value(&add).unwrap(),
        json!({"virtualUuid": "v", "physicalUuid": "p", "clusterGuid": "g", "sizeGB": 100})
    );
    let vd: SsdProxyVirtualDrive =
        serde_json::from_value(json!({"uuid": "v", "clusterGuid": "g", "sizeGB": 100})).unwrap();
    assert_eq!(vd.virtual_uuid, "v");
    let pd: SsdProxyPhysicalDrive = serde_json::from_value(json!({
        "numVirtualDrives": 2, "physicalUuid": "p", "sizeGB": 7000, "model": "m", "pciAddress": "0000:01:00.0"
    }))
    .unwrap();
    assert_eq!(pd.num_virtual_drives, 2);
}

#[test]
fn jsonrpc_proxy_request_accepts_null_params() {
    let req: JsonRpcProxyRequest =
        serde_json::from_value(json!({"container_id": "x", "method": "m", "params": null}))
            .unwrap();
    assert!(req.params.is_empty());
    assert_eq!(authorization_value("abc"), "Token abc");
}
