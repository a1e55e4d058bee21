//! Every upstream example validates against OUR generated CRD schemas, with the same
//! structural schema and CEL engine the simulated API server uses; upstream's own example 05
//! (numDrives together with containerCapacity) is rejected with upstream's CEL message.

use std::path::PathBuf;

use kubesim::schema::CrdSchema;
use serde_json::Value;

fn schema_for(kind: &str) -> CrdSchema {
    let crd = weka_api::crds::all()
        .into_iter()
        .find(|c| c.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD for {kind}"));
    let schema =
        serde_json::to_value(&crd.spec.versions[0].schema.as_ref().unwrap().open_api_v3_schema)
            .unwrap();
    CrdSchema::compile(&schema).unwrap_or_else(|e| panic!("{kind} schema does not compile: {e}"))
}

/// Upstream's examples carry placeholder tags (`<weka-version>`, `WEKA_VERSION`) that a user
/// replaces; the image pattern rejects them, so a real version is put in.
fn with_real_image_tag(mut doc: Value) -> Value {
    if let Some(image) = doc["spec"]["image"].as_str() {
        let fixed =
            image.replace("<weka-version>", "4.4.2.157").replace("WEKA_VERSION", "4.4.2.157");
        doc["spec"]["image"] = Value::String(fixed);
    }
    doc
}

#[test]
fn every_example_validates_and_example_05_is_rejected_by_cel() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut doc = with_real_image_tag(doc);
        let schema = schema_for(doc["kind"].as_str().unwrap());
        let pruned = schema.prune(&mut doc);
        assert!(pruned.is_empty(), "{name}: fields unknown to our schema: {pruned:?}");
        schema.apply_defaults(&mut doc);
        let errors: Vec<String> =
            schema.validate(&doc, None).iter().map(|e| e.to_string()).collect();
        if name.starts_with("05-") {
            assert_eq!(errors.len(), 1, "{name}: {errors:?}");
            assert_eq!(
                errors[0],
                "spec.dynamicTemplate: Invalid value: \"object\": numDrives and containerCapacity are mutually exclusive; use numDrives with driveCapacity for TLC-only mode, or containerCapacity with driveTypesRatio for mixed drive types"
            );
        } else {
            assert!(errors.is_empty(), "{name}: {errors:?}");
        }
        checked += 1;
    }
    assert_eq!(checked, 16);
}

#[test]
fn a_placeholder_image_tag_is_rejected_by_the_image_pattern() {
    let schema = schema_for("WekaCluster");
    let doc = serde_json::json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaCluster",
        "metadata": {"name": "c"}, "spec": {"image": "quay.io/weka.io/weka-in-container:<weka-version>"}});
    let errors = schema.validate(&doc, None);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "spec.image");
    assert!(errors[0].to_string().contains("should match"), "{}", errors[0]);
}
