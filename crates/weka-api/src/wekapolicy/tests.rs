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
        "04-wekapolicy-sign-drives-policy.yaml",
        "08-wekapolicy-remote-traces-policy.yaml",
        "14-wekapolicy-driver-distribution.yaml",
        "22-wekapolicy-drive-signing.yaml",
    ] {
        let text = example(name);
        let parsed: WekaPolicy = from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let original: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), original, "{name}");
    }
}

#[test]
fn manual_operation_example_still_parses() {
    let name = "16-wekamanualoperation-drive-sharing.yaml";
    let text = example(name);
    let parsed: crate::WekaManualOperation =
        from_yaml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let original: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), original, "{name}");
}

#[test]
fn driver_distribution_payload_is_typed() {
    let policy: WekaPolicy = from_yaml(&example("14-wekapolicy-driver-distribution.yaml")).unwrap();
    assert_eq!(policy.spec.type_, Some(PolicyType::EnableLocalDriversDistribution));
    assert_eq!(policy.spec.tolerations.as_ref().map(Vec::len), Some(1));
    let dist = policy.spec.payload.driver_dist_payload.unwrap();
    assert_eq!(dist.node_selectors.unwrap()[1]["custom-label"], "drivers-build-pool");
}

#[test]
fn type_spellings_and_unknown_type() {
    for (ty, text) in [
        (PolicyType::EnsureNics, "ensure-nics"),
        (PolicyType::CleanStaleVirtualDrives, "clean-stale-virtual-drives"),
        (PolicyType::EnableLocalDriversDistribution, "enable-local-drivers-distribution"),
    ] {
        assert_eq!(serde_json::to_value(ty).unwrap(), text);
    }
    let err = crate::parse::from_value::<WekaPolicySpec>(serde_json::json!({
        "type": "warp-drives", "payload": {}
    }))
    .unwrap_err();
    assert_eq!(err.path(), "type");
}

#[test]
fn status_without_a_run_yet() {
    let status: WekaPolicyStatus = serde_json::from_value(serde_json::json!({
        "status": "", "result": "", "progress": "0/2",
        "typedStatus": {"distService": {"serviceUrl": "https://dist:60002"}}
    }))
    .unwrap();
    assert!(status.last_run_time.is_none());
    let url = status.typed_status.and_then(|t| t.dist_service).and_then(|d| d.service_url);
    assert_eq!(url.as_deref(), Some("https://dist:60002"));
}
