//! Conformance, through the real kubectl against `kubesim serve`: CustomResourceDefinitions
//! applied like on a real cluster (the WEKA operator's own, from deploy/crds, and a small
//! Widget kind): establishment, discovery with short names and categories, printer columns,
//! explain, defaulting, pruning, strict field validation, schema, enum and CEL rejections
//! with their messages, the status subresource, generation, client-side apply and diff, and
//! the garbage collection of custom resources.

use std::sync::OnceLock;

use crate::support::{Background, deploy_dir, eventually, kubectl, kubectl_in, namespace, uid};
use serde_json::json;

const WIDGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.conformance.example.com
spec:
  group: conformance.example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wdg]
    categories: [all, gadgets]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color}
    schema:
      openAPIV3Schema:
        type: object
        description: A widget of the conformance suite.
        properties:
          spec:
            type: object
            description: What the widget should be.
            x-kubernetes-validations:
            - rule: "!has(oldSelf.size) || self.size >= oldSelf.size"
              message: size may not shrink
            properties:
              size:
                type: integer
                description: How big the widget is.
                minimum: 1
                maximum: 10
              color:
                type: string
                default: blue
                enum: [blue, red, green]
              code:
                type: string
                pattern: '^[a-z]+$'
          status:
            type: object
            properties:
              ready: {type: boolean}
"#;

/// The Widget CRD, applied and established once per server.
fn widgets() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        kubectl_in(WIDGET_CRD, &["apply", "-f", "-"]).success();
        kubectl(&[
            "wait",
            "--for=condition=Established",
            "crd/widgets.conformance.example.com",
            "--timeout=20s",
        ])
        .success();
    });
}

/// The WEKA CRDs from deploy/crds, applied with kustomize and established once per server.
fn weka_crds() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let dir = deploy_dir().join("crds");
        kubectl(&["apply", "-k", dir.to_str().unwrap()]).success();
        kubectl(&["wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"])
            .success();
    });
}

fn widget(name: &str, ns: &str, spec: &str) -> String {
    format!(
        "apiVersion: conformance.example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}"
    )
}

#[test]
fn a_crd_is_established_and_its_kind_discovered() {
    require_kubectl!();
    widgets();
    let crd = kubectl(&["get", "crd", "widgets.conformance.example.com", "-o", "json"]).json();
    let conditions = crd["status"]["conditions"].as_array().unwrap();
    for wanted in ["NamesAccepted", "Established"] {
        assert!(
            conditions.iter().any(|c| c["type"] == wanted && c["status"] == "True"),
            "{wanted}: {conditions:?}"
        );
    }
    assert_eq!(crd["status"]["acceptedNames"]["kind"], "Widget");
    assert_eq!(crd["status"]["storedVersions"], json!(["v1"]));
    let resources =
        kubectl(&["api-resources", "--api-group=conformance.example.com", "--no-headers"]);
    let fields: Vec<String> =
        resources.success().stdout.split_whitespace().map(str::to_string).collect();
    assert_eq!(fields, vec!["widgets", "wdg", "conformance.example.com/v1", "true", "Widget"]);
}

#[test]
fn short_names_and_categories_find_custom_resources() {
    require_kubectl!();
    widgets();
    let ns = namespace("shortnames");
    kubectl_in(&widget("w", &ns, "  size: 2\n"), &["create", "-f", "-"]).success();
    let run = kubectl(&["get", "wdg", "-n", &ns, "-o", "name"]).success();
    assert_eq!(run.lines(), vec!["widget.conformance.example.com/w"]);
    let run = kubectl(&["get", "gadgets", "-n", &ns, "-o", "name"]).success();
    assert_eq!(run.lines(), vec!["widget.conformance.example.com/w"]);
    let all = kubectl(&["get", "all", "-n", &ns, "-o", "name"]).success();
    assert!(all.stdout.contains("widget.conformance.example.com/w"), "{}", all.stdout);
}

#[test]
fn printer_columns_are_served_as_a_table() {
    require_kubectl!();
    widgets();
    let ns = namespace("columns");
    kubectl_in(&widget("w", &ns, "  size: 4\n  color: red\n"), &["create", "-f", "-"]).success();
    let run = kubectl(&["get", "widgets", "-n", &ns]).success();
    let lines = run.lines();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, vec!["NAME", "SIZE", "COLOR"]);
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row, vec!["w", "4", "red"]);
}

#[test]
fn explain_describes_custom_resource_fields() {
    require_kubectl!();
    widgets();
    let run = kubectl(&["explain", "widgets.spec"]).success();
    assert!(run.stdout.contains("What the widget should be."), "{}", run.stdout);
    assert!(run.stdout.contains("size\t<integer>") || run.stdout.contains("size <integer>"));
    let run = kubectl(&["explain", "widgets.spec.size"]).success();
    assert!(run.stdout.contains("How big the widget is."), "{}", run.stdout);
}

#[test]
fn defaults_are_filled_in() {
    require_kubectl!();
    widgets();
    let ns = namespace("defaults");
    let run = kubectl_in(&widget("w", &ns, "  size: 1\n"), &["create", "-f", "-", "-o", "json"]);
    assert_eq!(run.json()["spec"]["color"], "blue");
}

#[test]
fn unknown_fields_are_rejected_strictly_by_default() {
    require_kubectl!();
    widgets();
    let ns = namespace("strict");
    kubectl_in(&widget("w", &ns, "  size: 1\n  extra: 1\n"), &["create", "-f", "-"])
        .failure("strict decoding error: unknown field \"spec.extra\"");
    kubectl(&["get", "widget", "w", "-n", &ns]).failure("NotFound");
}

#[test]
fn unknown_fields_are_pruned_when_validation_is_off_or_warns() {
    require_kubectl!();
    widgets();
    let ns = namespace("prune");
    let manifest = widget("quiet", &ns, "  size: 1\n  extra: 1\n");
    kubectl_in(&manifest, &["create", "--validate=false", "-f", "-"]).success();
    let obj = kubectl(&["get", "widget", "quiet", "-n", &ns, "-o", "json"]).json();
    assert!(obj["spec"].get("extra").is_none(), "pruned: {obj}");
    assert_eq!(obj["spec"]["size"], 1);
    let manifest = widget("loud", &ns, "  size: 1\n  extra: 1\n");
    let run = kubectl_in(&manifest, &["create", "--validate=warn", "-f", "-"]).success();
    assert!(run.stderr.contains("Warning: unknown field \"spec.extra\""), "{}", run.stderr);
}

#[test]
fn schema_violations_name_each_field() {
    require_kubectl!();
    widgets();
    let ns = namespace("schema");
    let run = kubectl_in(
        &widget("w", &ns, "  size: 11\n  color: purple\n  code: \"A1\"\n"),
        &["create", "-f", "-"],
    );
    let run = run.failure("The Widget \"w\" is invalid:");
    for expected in [
        "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10",
        "spec.color: Unsupported value: \"purple\": supported values: \"blue\", \"red\", \"green\"",
        "spec.code: Invalid value: \"A1\": spec.code in body should match '^[a-z]+$'",
    ] {
        assert!(run.stderr.contains(expected), "{expected:?} missing from:\n{}", run.stderr);
    }
}

#[test]
fn a_cel_transition_rule_rejects_with_its_message() {
    require_kubectl!();
    widgets();
    let ns = namespace("cel");
    kubectl_in(&widget("w", &ns, "  size: 5\n"), &["create", "-f", "-"]).success();
    kubectl(&[
        "patch",
        "widget",
        "w",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"size":3}}"#,
    ])
    .failure("spec: Invalid value: \"object\": size may not shrink");
    kubectl(&[
        "patch",
        "widget",
        "w",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"size":6}}"#,
    ])
    .success();
}

#[test]
fn the_status_subresource_of_a_custom_resource() {
    require_kubectl!();
    widgets();
    let ns = namespace("crstatus");
    let run = kubectl_in(
        &format!("{}status:\n  ready: true\n", widget("w", &ns, "  size: 2\n")),
        &["create", "-f", "-", "-o", "json"],
    );
    assert!(run.json().get("status").is_none(), "create ignores the status");
    kubectl(&[
        "patch",
        "widget",
        "w",
        "-n",
        &ns,
        "--subresource=status",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"ready":true},"spec":{"size":9}}"#,
    ])
    .success();
    let obj = kubectl(&["get", "widget", "w", "-n", &ns, "-o", "json"]).json();
    assert_eq!(obj["status"]["ready"], true);
    assert_eq!(obj["spec"]["size"], 2, "/status ignores the spec");
    assert_eq!(obj["metadata"]["generation"], 1);
}

#[test]
fn generation_of_a_custom_resource_counts_spec_changes() {
    require_kubectl!();
    widgets();
    let ns = namespace("crgen");
    kubectl_in(&widget("w", &ns, "  size: 2\n"), &["create", "-f", "-"]).success();
    let generation = || {
        kubectl(&["get", "widget", "w", "-n", &ns, "-o", "jsonpath={.metadata.generation}"])
            .success()
            .stdout
    };
    assert_eq!(generation(), "1");
    kubectl(&[
        "patch",
        "widget",
        "w",
        "-n",
        &ns,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"size":3}}"#,
    ])
    .success();
    assert_eq!(generation(), "2");
    kubectl(&["annotate", "widget", "w", "-n", &ns, "note=x"]).success();
    assert_eq!(generation(), "2");
}

#[test]
fn client_side_apply_and_diff_of_a_custom_resource() {
    require_kubectl!();
    widgets();
    let ns = namespace("crapply");
    let run = kubectl_in(&widget("w", &ns, "  size: 2\n"), &["apply", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "widget.conformance.example.com/w created");
    let changed = widget("w", &ns, "  size: 3\n");
    let diff = kubectl_in(&changed, &["diff", "-f", "-"]);
    assert_eq!(diff.code, Some(1), "differences found: {}", diff.stderr);
    assert!(
        diff.stdout.contains("-  size: 2") && diff.stdout.contains("+  size: 3"),
        "{}",
        diff.stdout
    );
    let run = kubectl_in(&changed, &["apply", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "widget.conformance.example.com/w configured");
    assert_eq!(kubectl_in(&changed, &["diff", "-f", "-"]).code, Some(0));
    let run = kubectl_in(&changed, &["apply", "-f", "-"]).success();
    assert_eq!(run.stdout.trim(), "widget.conformance.example.com/w unchanged");
}

#[test]
fn server_side_apply_of_a_custom_resource() {
    require_kubectl!();
    widgets();
    let ns = namespace("crssa");
    let run = kubectl_in(&widget("w", &ns, "  size: 2\n"), &["apply", "--server-side", "-f", "-"])
        .success();
    assert_eq!(run.stdout.trim(), "widget.conformance.example.com/w serverside-applied");
}

#[test]
fn watching_custom_resources() {
    require_kubectl!();
    widgets();
    let ns = namespace("crwatch");
    let watch = Background::start(&[
        "get",
        "widgets",
        "-n",
        &ns,
        "-w",
        "--output-watch-events",
        "-o",
        "json",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    kubectl_in(&widget("w", &ns, "  size: 2\n"), &["create", "-f", "-"]).success();
    kubectl(&["delete", "widget", "w", "-n", &ns]).success();
    eventually("ADDED and DELETED are printed", || watch.documents().len() >= 2);
    let docs = watch.documents();
    assert_eq!(
        (docs[0]["type"].as_str(), docs[1]["type"].as_str()),
        (Some("ADDED"), Some("DELETED"))
    );
    assert_eq!(docs[0]["object"]["spec"]["color"], "blue");
}

#[test]
fn custom_resources_are_garbage_collected() {
    require_kubectl!();
    widgets();
    let ns = namespace("crgc");
    kubectl_in(&widget("owner", &ns, "  size: 2\n"), &["create", "-f", "-"]).success();
    let owner_uid = uid(&["widget", "owner", "-n", &ns]);
    let child = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n  namespace: {ns}\n  ownerReferences:\n  - apiVersion: conformance.example.com/v1\n    kind: Widget\n    name: owner\n    uid: {owner_uid}\n    blockOwnerDeletion: true\n"
    );
    kubectl_in(&child, &["create", "-f", "-"]).success();
    kubectl(&["delete", "widget", "owner", "-n", &ns, "--cascade=foreground"]).success();
    kubectl(&["get", "cm", "child", "-n", &ns]).failure("NotFound");
}

#[test]
fn deleting_a_crd_deletes_its_custom_resources() {
    require_kubectl!();
    let crd = WIDGET_CRD
        .replace("widgets.conformance.example.com", "doomeds.conformance.example.com")
        .replace("plural: widgets", "plural: doomeds")
        .replace("singular: widget", "singular: doomed")
        .replace("kind: Widget", "kind: Doomed")
        .replace("shortNames: [wdg]", "shortNames: [dmd]")
        .replace("categories: [all, gadgets]", "categories: []");
    kubectl_in(&crd, &["apply", "-f", "-"]).success();
    kubectl(&["wait", "--for=condition=Established", "crd/doomeds.conformance.example.com"])
        .success();
    let ns = namespace("crddelete");
    let manifest = widget("d", &ns, "  size: 1\n").replace("kind: Widget", "kind: Doomed");
    kubectl_in(&manifest, &["create", "-f", "-"]).success();
    kubectl(&["delete", "crd", "doomeds.conformance.example.com"]).success();
    eventually("the kind is no longer served", || {
        kubectl(&[
            "get",
            "--raw",
            &format!("/apis/conformance.example.com/v1/namespaces/{ns}/doomeds"),
        ])
        .stderr
        .contains("NotFound")
    });
}

fn weka_container(name: &str, ns: &str, spec: serde_json::Value) -> String {
    let mut full = json!({"name": "dist", "mode": "compute", "image": "img:4.4.2", "numCores": 1});
    for (k, v) in spec.as_object().unwrap() {
        if v.is_null() {
            full.as_object_mut().unwrap().remove(k);
        } else {
            full[k] = v.clone();
        }
    }
    json!({"apiVersion": "weka.weka.io/v1alpha1", "kind": "WekaContainer",
           "metadata": {"name": name, "namespace": ns}, "spec": full})
    .to_string()
}

#[test]
fn the_weka_crds_apply_and_serve_their_kinds() {
    require_kubectl!();
    weka_crds();
    let run = kubectl(&["api-resources", "--api-group=weka.weka.io", "-o", "name"]).success();
    let mut names = run.lines();
    names.sort();
    assert_eq!(
        names,
        vec![
            "wekaclients.weka.weka.io",
            "wekaclusters.weka.weka.io",
            "wekacontainers.weka.weka.io",
            "wekamanualoperations.weka.weka.io",
            "wekapolicies.weka.weka.io"
        ]
    );
    let ns = namespace("weka");
    let run =
        kubectl_in(&weka_container("c1", &ns, json!({})), &["create", "-f", "-", "-o", "json"]);
    let obj = run.json();
    assert_eq!(obj["spec"]["cpuPolicy"], "auto", "defaulted from the schema");
    assert_eq!(obj["spec"]["state"], "active");
    let run = kubectl(&["get", "wcn", "-n", &ns, "-o", "name"]).success();
    assert_eq!(run.lines(), vec!["wekacontainer.weka.weka.io/c1"]);
    let run = kubectl(&["get", "weka", "-n", &ns, "-o", "name"]).success();
    assert!(run.stdout.contains("wekacontainer.weka.weka.io/c1"), "category weka");
}

#[test]
fn a_weka_container_with_an_unknown_mode_is_rejected_with_the_enum() {
    require_kubectl!();
    weka_crds();
    let ns = namespace("wekaenum");
    let run =
        kubectl_in(&weka_container("bad", &ns, json!({"mode": "bogus"})), &["create", "-f", "-"]);
    let run = run.failure("The WekaContainer \"bad\" is invalid:");
    assert!(
        run.stderr.contains(
            "spec.mode: Unsupported value: \"bogus\": supported values: \"drive\", \"compute\""
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_weka_container_breaking_a_cel_rule_gets_its_message() {
    require_kubectl!();
    weka_crds();
    let ns = namespace("wekacel");
    let spec =
        json!({"mode": "drive", "driveCapacity": 1000, "driveTypesRatio": {"tlc": 1, "qlc": 1}});
    let run = kubectl_in(&weka_container("cel", &ns, spec), &["create", "-f", "-"]);
    run.failure("The WekaContainer \"cel\" is invalid:").failure(
        "spec: Invalid value: \"object\": driveCapacity and driveTypesRatio are mutually exclusive",
    );
}

#[test]
fn a_weka_container_missing_required_fields_names_them() {
    require_kubectl!();
    weka_crds();
    let ns = namespace("wekarequired");
    let spec = json!({"numCores": null, "image": null});
    let run = kubectl_in(&weka_container("req", &ns, spec), &["create", "-f", "-"]);
    run.failure("spec.image: Required value").failure("spec.numCores: Required value");
}
