use kube::CustomResourceExt;
use serde_json::json;

use super::*;
use crate::parse::from_yaml;
use crate::wekacontainer::ContainerMode;

fn example(name: &str) -> String {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/examples");
    std::fs::read_to_string(dir.join(name)).expect("example readable")
}

const EXAMPLES: [&str; 7] = [
    "02-wekacluster-minimal.yaml",
    "03-wekacluster-with-s3.yaml",
    "05-wekacluster-cluster-container-capacity.yaml",
    "10-wekacluster-cluster-provisioning.yaml",
    "17-wekacluster-drive-sharing.yaml",
    "19-wekacluster-drive-sharing.yaml",
    "24-wekacluster-cluster.yaml",
];

#[test]
fn upstream_examples_parse_and_round_trip() {
    for name in EXAMPLES {
        let text = example(name);
        let parsed: WekaCluster = from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.spec.template_name(), "dynamic", "{name}");
        assert!(parsed.spec.dynamic_template.is_some(), "{name}");
        let original: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), original, "{name}");
    }
}

#[test]
fn example_fields_land_where_expected() {
    let s3: WekaCluster = from_yaml(&example("03-wekacluster-with-s3.yaml")).unwrap();
    let selector = s3.spec.role_node_selector.as_ref().unwrap();
    assert_eq!(
        selector.for_mode(ContainerMode::S3).and_then(|l| l.get("weka.io/s3-mode")),
        Some(&"true".to_string())
    );
    assert_eq!(s3.spec.dynamic_template.unwrap().s3_containers, Some(2));

    let mixed: WekaCluster = from_yaml(&example("19-wekacluster-drive-sharing.yaml")).unwrap();
    let template = mixed.spec.dynamic_template.unwrap();
    assert_eq!(template.container_capacity, Some(12000));
    assert_eq!(template.drive_types_ratio.map(|r| (r.tlc, r.qlc)), Some((4, 1)));

    let provisioning: WekaCluster =
        from_yaml(&example("10-wekacluster-cluster-provisioning.yaml")).unwrap();
    assert_eq!(provisioning.spec.graceful_destroy_duration.as_deref(), Some("0s"));
    assert_eq!(provisioning.spec.overrides, Some(WekaClusterOverrides::default()));
}

#[test]
fn tolerations_are_taint_keys_and_raw_tolerations_are_standard() {
    let spec: WekaClusterSpec = serde_json::from_value(json!({
        "image": "quay.io/weka.io/weka-in-container:4.4.2.157-k8s.2",
        "tolerations": ["weka.io/dedicated"],
        "rawTolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "podConfig": {"roleAffinity": {"drive": {"nodeAffinity": {}}}},
        "smbw": {"domainName": "ad.example", "domainJoinSecret": "join", "scaleOutMode": "full"},
        "encryption": {"vault": {"address": "https://vault:8200", "role": "weka", "method": "kubernetes"}}
    }))
    .unwrap();
    assert_eq!(spec.tolerations, Some(vec!["weka.io/dedicated".to_string()]));
    assert_eq!(spec.raw_tolerations.unwrap()[0].key.as_deref(), Some("gpu"));
    let affinity = spec.pod_config.unwrap().role_affinity.unwrap();
    assert_eq!(affinity.for_mode(ContainerMode::Drive), Some(&json!({"nodeAffinity": {}})));
    assert_eq!(spec.smbw.unwrap().scale_out_mode, Some(SmbwScaleOutMode::Full));
    assert_eq!(spec.encryption.unwrap().vault.unwrap().method, Some(VaultAuthMethod::Kubernetes));
    assert!(
        serde_json::from_value::<WekaClusterSpec>(json!({
            "image": "img:4.4.2", "tolerations": [{"key": "k"}]
        }))
        .is_err()
    );
}

#[test]
fn dynamic_template_carries_the_seven_capacity_rules() {
    assert_eq!(DynamicTemplate::default(), serde_json::from_value(json!({})).unwrap());
    let crd = serde_json::to_value(crate::crds::all()).unwrap();
    let crd = crd.as_array().unwrap().iter().find(|c| c["spec"]["names"]["kind"] == "WekaCluster");
    let spec = &crd.unwrap()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["properties"];
    let rules = spec["dynamicTemplate"]["x-kubernetes-validations"].as_array().unwrap();
    assert_eq!(rules.len(), 7);
    assert!(rules.iter().any(|r| {
        r["message"]
            .as_str()
            .unwrap()
            .starts_with("numDrives and containerCapacity are mutually exclusive")
    }));
    assert_eq!(spec["template"]["default"], "dynamic");
    assert_eq!(spec["gracefulDestroyDuration"]["default"], "24h");
    assert_eq!(WekaCluster::crd().spec.names.short_names, Some(vec!["wcl".to_string()]));
}

#[test]
fn status_is_a_free_form_string_and_required() {
    let status: WekaClusterStatus = serde_json::from_value(json!({
        "status": "SomethingNew",
        "clusterID": "abc",
        "stats": {
            "ioStats": {"iops": {"read": 1, "write": 2, "metadata": 3, "total": 6},
                        "throughput": {"read": 10, "write": 20}},
            "containers": {"drive": {"numContainers": {"active": 1, "created": 2, "desired": 3}}},
            "filesystem": {"totalAvailableSSDCapacity": 5},
            "numFailures": {"1h": "0.00"}
        },
        "printer": {"drives": "1/2/3"}
    }))
    .unwrap();
    assert_eq!(status.status, "SomethingNew");
    assert_eq!(status.cluster_id.as_deref(), Some("abc"));
    let stats = status.stats.unwrap();
    assert_eq!(stats.filesystem.unwrap().total_available_ssd_capacity, Some(5));
    assert_eq!(stats.io_stats.unwrap().iops.unwrap().total, 6);
    assert_eq!(WekaClusterStatus::default().status, WekaClusterStatus::INIT);
    assert!(serde_json::from_value::<WekaClusterStatus>(json!({"clusterID": "x"})).is_err());
}

#[test]
fn additional_memory_per_mode() {
    let memory = AdditionalMemory { drive: Some(512), envoy: Some(-64), ..Default::default() };
    assert_eq!(memory.for_mode(ContainerMode::Drive), 512);
    assert_eq!(memory.for_mode(ContainerMode::Envoy), -64);
    assert_eq!(memory.for_mode(ContainerMode::Compute), 0);
    assert_eq!(memory.for_mode(ContainerMode::Client), 0);
}
