use super::*;
use crate::parse::from_yaml;

fn example(name: &str) -> String {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/examples");
    std::fs::read_to_string(dir.join(name)).expect("example readable")
}

#[test]
fn upstream_examples_round_trip() {
    for name in [
        "11-wekacontainer-driver-distribution.yaml",
        "12-wekacontainer-driver-distribution.yaml",
        "25-wekacontainer-cluster.yaml",
    ] {
        let text = example(name);
        let parsed: WekaContainer = from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), original, "{name}");
    }
}

#[test]
fn modes_round_trip_through_strings() {
    for mode in ContainerMode::ALL {
        assert_eq!(mode.as_str().parse::<ContainerMode>(), Ok(mode));
        assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
    }
    assert!("warp".parse::<ContainerMode>().is_err());
}

#[test]
fn status_defaults_to_init_and_names_fields_like_upstream() {
    let status: WekaContainerStatus = serde_json::from_value(serde_json::json!({
        "status": "Running",
        "managementIPs": ["10.0.0.1"],
        "containerID": 7,
        "printer": {"managementIPs": "10.0.0.1", "nodeAffinity": "n1"},
        "allocations": {"virtualDrives": [
            {"virtualUUID": "v", "physicalUUID": "p", "capacityGiB": 100, "serial": "s"}
        ]},
        "addedDrives": [{"uuid": "u", "added_time": "t", "device_path": "/dev/x",
                         "serial_number": "s", "status": "ACTIVE"}],
        "timestamps": {"started": "2024-01-01T00:00:00Z"}
    }))
    .unwrap();
    assert_eq!(status.container_id, Some(7));
    assert_eq!(WekaContainerStatus::default().status, WekaContainerStatus::INIT);
}

#[test]
fn spec_keeps_state_and_secret_ref_shapes() {
    let spec: WekaContainerSpec = serde_json::from_value(serde_json::json!({
        "name": "drive0", "mode": "drive", "image": "img", "numCores": 1,
        "state": "deleting", "nodeAffinity": "node-1", "hostPID": true,
        "wekaSecretRef": {"secretKeyRef": {"name": "s", "key": "k"}},
        "resources": {"limits": {"cpu": 2, "memory": "1Gi", "hugepages-2Mi": "2Gi"}}
    }))
    .unwrap();
    assert_eq!(spec.state, Some(ContainerState::Deleting));
    assert_eq!(spec.node_affinity.as_deref(), Some("node-1"));
    assert!(spec.weka_secret_ref.and_then(|r| r.secret_key_ref).is_some());
}
