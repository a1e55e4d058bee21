//! The real WEKA CRDs (fixtures/upstream-crds) against the upstream example objects.

use std::path::{Path, PathBuf};

use kubesim::schema::{CrdSchema, FieldErrorKind, invalid_status};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let in_repo = manifest.join("../../../shared/fixtures");
    if in_repo.exists() { in_repo } else { PathBuf::from("/work/shared/fixtures") }
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The compiled schema of a CRD fixture (its first version) and its kind.
fn crd(file: &str) -> (CrdSchema, String) {
    let crd = yaml(&fixtures().join("upstream-crds").join(file));
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let compiled = CrdSchema::compile(schema).unwrap_or_else(|e| panic!("{file}: {e}"));
    (compiled, crd["spec"]["names"]["kind"].as_str().unwrap_or_default().to_string())
}

fn crd_for_kind(kind: &str) -> CrdSchema {
    for file in [
        "wekaclusters.yaml",
        "wekacontainers.yaml",
        "wekaclients.yaml",
        "wekapolicies.yaml",
        "wekamanualoperations.yaml",
    ] {
        let (schema, k) = crd(file);
        if k == kind {
            return schema;
        }
    }
    panic!("no CRD for {kind}");
}

/// The documentation examples write the WEKA version as a placeholder (`<weka-version>`,
/// `WEKA_VERSION`), which the CRD's image pattern rightly rejects; tests use a real version.
fn concrete(text: &str) -> String {
    text.replace("<weka-version>", "4.4.2.157-k8s.2").replace("WEKA_VERSION", "4.4.2.157-k8s.2")
}

fn example_at(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&concrete(&text)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn example(file: &str) -> Value {
    example_at(&fixtures().join("examples").join(file))
}

/// What the apiserver does on create: prune, default, validate.
fn admit(
    schema: &CrdSchema,
    mut obj: Value,
) -> (Value, Vec<String>, Vec<kubesim::schema::FieldError>) {
    let pruned = schema.prune(&mut obj);
    schema.apply_defaults(&mut obj);
    let errs = schema.validate(&obj, None);
    (obj, pruned, errs)
}

#[test]
fn every_upstream_crd_compiles() {
    for file in [
        "wekaclusters.yaml",
        "wekacontainers.yaml",
        "wekaclients.yaml",
        "wekapolicies.yaml",
        "wekamanualoperations.yaml",
    ] {
        crd(file);
    }
}

#[test]
fn upstream_examples_are_accepted_except_where_the_crd_forbids_them() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures().join("examples")).expect("examples dir") {
        let path = entry.expect("entry").path();
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let obj = example_at(&path);
        let schema = crd_for_kind(obj["kind"].as_str().expect("kind"));
        let (_, pruned, errs) = admit(&schema, obj);
        // The WekaManualOperation CRD fixture predates `signDrivesPayload.shared`, so the
        // apiserver drops it (and `fieldValidation=Strict` would reject the example).
        let expected_pruned: &[&str] = if file == "16-wekamanualoperation-drive-sharing.yaml" {
            &["spec.payload.signDrivesPayload.shared"]
        } else {
            &[]
        };
        assert_eq!(pruned, expected_pruned, "{file}");
        let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
        match file.as_str() {
            "05-wekacluster-cluster-container-capacity.yaml" => {
                assert_eq!(errs.len(), 1, "{file}: {errs:?}")
            }
            // Against this older CRD the example also misses two required fields, so the real
            // apiserver rejects it too.
            "16-wekamanualoperation-drive-sharing.yaml" => {
                assert_eq!(
                    texts,
                    ["spec.image: Required value", "spec.imagePullSecret: Required value"]
                )
            }
            _ => assert!(errs.is_empty(), "{file}: {errs:#?}"),
        }
        checked += 1;
    }
    assert!(checked >= 16, "only {checked} examples");
}

#[test]
fn container_capacity_with_num_drives_is_rejected_with_the_rule_message() {
    let schema = crd_for_kind("WekaCluster");
    let (_, _, errs) = admit(&schema, example("05-wekacluster-cluster-container-capacity.yaml"));
    let message = "numDrives and containerCapacity are mutually exclusive; use numDrives with \
                   driveCapacity for TLC-only mode, or containerCapacity with driveTypesRatio for \
                   mixed drive types";
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].field, "spec.dynamicTemplate");
    assert_eq!(errs[0].kind, FieldErrorKind::Invalid);
    assert_eq!(errs[0].message, format!("Invalid value: \"object\": {message}"));
    let status = invalid_status("WekaCluster", "weka.weka.io", "my-cluster", &errs);
    assert_eq!(
        status["message"],
        format!(
            "WekaCluster.weka.weka.io \"my-cluster\" is invalid: spec.dynamicTemplate: Invalid value: \"object\": {message}"
        )
    );
    assert_eq!(
        status["details"]["causes"],
        json!([{"reason": "FieldValueInvalid", "message": format!("Invalid value: \"object\": {message}"), "field": "spec.dynamicTemplate"}])
    );
}

#[test]
fn a_placeholder_image_fails_the_image_pattern() {
    let schema = crd_for_kind("WekaCluster");
    let obj = yaml(&fixtures().join("examples/02-wekacluster-minimal.yaml"));
    let (_, _, errs) = admit(&schema, obj);
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        vec![
            r#"spec.image: Invalid value: "quay.io/weka.io/weka-in-container:<weka-version>": spec.image in body should match '^.+:\d+\.\d+\.\d+.*$'"#
        ]
    );
}

#[test]
fn wekacontainer_defaults_are_applied() {
    let schema = crd_for_kind("WekaContainer");
    let mut obj = example("11-wekacontainer-driver-distribution.yaml");
    obj["status"] = json!({});
    let (obj, _, errs) = admit(&schema, obj);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(obj["spec"]["state"], "active");
    assert_eq!(obj["status"]["status"], "Init");
    // A status-less object gets no status.
    let (obj, _, _) = admit(&schema, example("11-wekacontainer-driver-distribution.yaml"));
    assert!(obj.get("status").is_none());
}

#[test]
fn unknown_fields_are_pruned_and_reported() {
    let schema = crd_for_kind("WekaContainer");
    let mut obj = example("11-wekacontainer-driver-distribution.yaml");
    obj["spec"]["bogus"] = json!(1);
    obj["spec"]["tolerations"] = json!([{"key": "k", "operator": "Exists", "colour": "red"}]);
    obj["metadata"]["extra"] = json!("x");
    obj["topLevel"] = json!(true);
    let (obj, pruned, errs) = admit(&schema, obj);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        pruned,
        vec!["metadata.extra", "spec.bogus", "spec.tolerations[0].colour", "topLevel"]
    );
    assert!(obj["spec"].get("bogus").is_none());
    assert_eq!(obj["spec"]["tolerations"][0], json!({"key": "k", "operator": "Exists"}));
    assert_eq!(obj["metadata"]["labels"]["app"], "weka-drivers-dist");
}

#[test]
fn an_unsupported_mode_lists_the_supported_values_and_blocks_cel() {
    let schema = crd_for_kind("WekaContainer");
    let mut obj = example("11-wekacontainer-driver-distribution.yaml");
    obj["spec"]["mode"] = json!("warp");
    let (_, _, errs) = admit(&schema, obj);
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        vec![
            "spec.mode: Unsupported value: \"warp\": supported values: \"drive\", \"compute\", \"client\", \
             \"dist\", \"drivers-dist\", \"drivers-loader\", \"drivers-builder\", \"discovery\", \"s3\", \
             \"adhoc-op-with-container\", \"adhoc-op\", \"envoy\", \"nfs\", \"smbw\", \"telemetry\", \
             \"ssdproxy\", \"data-services\", \"data-services-fe\""
                .to_string(),
            "<nil>: Invalid value: \"null\": some validation rules were not checked because the object \
             was invalid; correct the existing errors to complete validation"
                .to_string(),
        ]
    );
}

#[test]
fn wrong_types_and_missing_required_fields_are_reported() {
    let schema = crd_for_kind("WekaContainer");
    let mut obj = example("11-wekacontainer-driver-distribution.yaml");
    obj["spec"]["numCores"] = json!("two");
    obj["spec"].as_object_mut().expect("spec").remove("image");
    let (_, _, errs) = admit(&schema, obj);
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(
        texts.contains(&"spec.numCores: Invalid value: \"string\": spec.numCores in body must be of type integer: \"string\"".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"spec.image: Required value".to_string()), "{texts:?}");
    assert_eq!(
        errs.iter().find(|e| e.field == "spec.numCores").map(|e| e.kind),
        Some(FieldErrorKind::TypeInvalid)
    );
}

#[test]
fn drive_sharing_rules_of_wekapolicy_are_enforced_on_nested_items() {
    let schema = crd_for_kind("WekaPolicy");
    let mut obj = example("04-wekapolicy-sign-drives-policy.yaml");
    obj["spec"]["payload"]["signDrivesPayload"]["driveTypeOverrides"] =
        json!({"rules": [{"type": "TLC"}]});
    let (_, _, errs) = admit(&schema, obj.clone());
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        vec![
            "spec.payload.signDrivesPayload: Invalid value: \"object\": driveTypeOverrides is only supported when shared is true",
            "spec.payload.signDrivesPayload.driveTypeOverrides.rules[0]: Invalid value: \"object\": at least one of model or capacityGiB must be set",
        ]
    );
    obj["spec"]["payload"]["signDrivesPayload"]["shared"] = json!(true);
    obj["spec"]["payload"]["signDrivesPayload"]["driveTypeOverrides"]["rules"][0]["model"] =
        json!("X1");
    let (_, _, errs) = admit(&schema, obj);
    assert!(errs.is_empty(), "{errs:?}");
}
