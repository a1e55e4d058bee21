use super::*;
use crate::parse::from_yaml;

fn example(name: &str) -> String {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/examples");
    std::fs::read_to_string(dir.join(name)).expect("example readable")
}

#[test]
fn upstream_example_round_trips() {
    let name = "09-wekaclient-wekaclient-and-workload.yaml";
    let text = example(name);
    let parsed: WekaClient = from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(parsed.spec.weka_secret_ref.as_deref(), Some("weka-client-CLUSTER_NAME"));
    assert_eq!(parsed.spec.cores_num, Some(1));
    let original: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), original, "{name}");
}

#[test]
fn tolerations_are_taint_keys_and_raw_tolerations_are_standard() {
    let spec: WekaClientSpec = serde_json::from_value(serde_json::json!({
        "image": "quay.io/weka.io/weka-in-container:4.4.2.157-k8s.2",
        "tolerations": ["weka.io/dedicated"],
        "rawTolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "upgradePolicy": {"type": "all-at-once-force"},
        "numa": {"single": true, "method": "dra"},
        "extraVolumes": [{"name": "x", "emptyDir": {}}],
        "globalPVC": {"name": "pvc"},
        "csiConfig": {"csiGroup": "g", "advanced": {"enforceTrustedHttps": true}}
    }))
    .unwrap();
    assert_eq!(spec.tolerations, Some(vec!["weka.io/dedicated".to_string()]));
    assert_eq!(spec.raw_tolerations.unwrap()[0].key.as_deref(), Some("gpu"));
    assert_eq!(
        spec.upgrade_policy.and_then(|p| p.type_),
        Some(crate::common::UpgradePolicyType::AllAtOnceForce)
    );
    assert!(
        serde_json::from_value::<WekaClientSpec>(serde_json::json!({
            "image": "img:4.4.2", "tolerations": [{"key": "k"}]
        }))
        .is_err()
    );
}

#[test]
fn status_phase_spellings() {
    let status: WekaClientStatus = serde_json::from_value(serde_json::json!({
        "status": "Destroying",
        "stats": {"containers": {"active": 1, "created": 2, "desired": 3}},
        "printer": {"containers": "1/2/3"}
    }))
    .unwrap();
    assert_eq!(status.status, Some(WekaClientPhase::Destroying));
    assert_eq!(WekaClientPhase::default(), WekaClientPhase::Init);
    assert!(
        serde_json::from_value::<WekaClientStatus>(serde_json::json!({"status": "Ready"})).is_err()
    );
}
