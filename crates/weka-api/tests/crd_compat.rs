//! Compares every generated CRD with upstream's (`shared/fixtures/upstream-crds`), field path
//! by field path. Each intentional difference must be listed, with its reason, in
//! `crd_compat_allowlist/<plural>.yaml`; any other difference, and any stale allowlist entry,
//! fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};

/// Schema keywords compared at every node.
const COMPARED: &[&str] = &[
    "type",
    "format",
    "enum",
    "required",
    "default",
    "nullable",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "anyOf",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];

#[derive(Debug, Deserialize)]
struct Allowed {
    crd: String,
    path: String,
    what: String,
    reason: String,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/upstream-crds")
}

/// One difference: (crd plural, path, what differs) → description.
type Diffs = BTreeMap<(String, String, String), String>;

/// Flattens a schema into path → node (without its children).
fn flatten(path: &str, node: &Value, out: &mut BTreeMap<String, Value>) {
    let mut own = serde_json::Map::new();
    for key in COMPARED {
        if let Some(v) = node.get(*key) {
            own.insert((*key).to_string(), normalise(key, v));
        }
    }
    out.insert(path.to_string(), Value::Object(own));
    let child = |suffix: &str| {
        if path.is_empty() { suffix.to_string() } else { format!("{path}.{suffix}") }
    };
    if let Some(Value::Object(props)) = node.get("properties") {
        for (name, sub) in props {
            flatten(&child(name), sub, out);
        }
    }
    if let Some(items) = node.get("items") {
        flatten(&child("[]"), items, out);
    }
    if let Some(add) = node.get("additionalProperties").filter(|v| v.is_object()) {
        flatten(&child("{}"), add, out);
    }
}

/// Order-insensitive forms for set-like keywords; numbers compared by value.
fn normalise(key: &str, v: &Value) -> Value {
    match (key, v) {
        ("required", Value::Array(items)) => {
            let set: BTreeSet<String> = items.iter().map(|i| i.to_string()).collect();
            json!(set)
        }
        (_, Value::Number(n)) => json!(n.as_f64()),
        _ => v.clone(),
    }
}

fn compare_schemas(crd: &str, upstream: &Value, ours: &Value, diffs: &mut Diffs) {
    let (mut up, mut our) = (BTreeMap::new(), BTreeMap::new());
    flatten("", upstream, &mut up);
    flatten("", ours, &mut our);
    let key = |path: &str, what: &str| (crd.to_string(), path.to_string(), what.to_string());
    for (path, node) in &up {
        let Some(mine) = our.get(path) else {
            if our.contains_key(parent(path)) {
                diffs.insert(key(path, "missing"), "field missing in ours".into());
            }
            continue;
        };
        for what in COMPARED {
            let (a, b) = (node.get(*what), mine.get(*what));
            if a != b {
                diffs.insert(key(path, what), format!("upstream {} / ours {}", show(a), show(b)));
            }
        }
    }
    for path in our.keys() {
        if !up.contains_key(path) && up.contains_key(parent(path)) {
            diffs.insert(key(path, "extra"), "field only in ours".into());
        }
    }
}

fn parent(path: &str) -> &str {
    path.rfind('.').map_or("", |i| &path[..i])
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "-".to_string(), Value::to_string)
}

fn compare_crd(upstream: &Value, ours: &Value, diffs: &mut Diffs) {
    let crd = upstream["spec"]["names"]["plural"].as_str().unwrap_or("?").to_string();
    let key = |path: &str, what: &str| (crd.clone(), path.to_string(), what.to_string());
    for field in ["group", "scope"] {
        if upstream["spec"][field] != ours["spec"][field] {
            diffs.insert(
                key(field, "value"),
                format!("{} / {}", upstream["spec"][field], ours["spec"][field]),
            );
        }
    }
    for field in ["kind", "listKind", "plural", "singular", "shortNames", "categories"] {
        let (a, b) = (&upstream["spec"]["names"][field], &ours["spec"]["names"][field]);
        if a != b {
            diffs.insert(
                key(&format!("names.{field}"), "value"),
                format!("upstream {a} / ours {b}"),
            );
        }
    }
    let (uv, ov) = (&upstream["spec"]["versions"][0], &ours["spec"]["versions"][0]);
    for field in ["name", "served", "storage", "subresources"] {
        if uv[field] != ov[field] {
            diffs.insert(
                key(&format!("versions.{field}"), "value"),
                format!("upstream {} / ours {}", uv[field], ov[field]),
            );
        }
    }
    compare_columns(&crd, uv, ov, diffs);
    compare_schemas(
        &crd,
        &uv["schema"]["openAPIV3Schema"],
        &ov["schema"]["openAPIV3Schema"],
        diffs,
    );
}

fn compare_columns(crd: &str, uv: &Value, ov: &Value, diffs: &mut Diffs) {
    let columns = |v: &Value| -> Vec<Value> {
        v["additionalPrinterColumns"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                json!({"name": c["name"], "type": c["type"], "jsonPath": c["jsonPath"],
                       "priority": c.get("priority").cloned().unwrap_or(json!(0)),
                       "format": c.get("format").cloned().unwrap_or(Value::Null)})
            })
            .collect()
    };
    let (a, b) = (columns(uv), columns(ov));
    let names = |cols: &[Value]| {
        cols.iter().map(|c| c["name"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()
    };
    let key = |name: &str, what: &str| {
        (crd.to_string(), format!("printerColumns.{name}"), what.to_string())
    };
    for col in &a {
        let name = col["name"].as_str().unwrap_or("");
        match b.iter().find(|c| c["name"] == col["name"]) {
            None => {
                diffs.insert(key(name, "missing"), "column missing in ours".into());
            }
            Some(mine) if mine != col => {
                diffs.insert(key(name, "value"), format!("upstream {col} / ours {mine}"));
            }
            Some(_) => {}
        }
    }
    for col in &b {
        let name = col["name"].as_str().unwrap_or("");
        if !a.iter().any(|c| c["name"] == col["name"]) {
            diffs.insert(key(name, "extra"), "column only in ours".into());
        }
    }
    let shared = |x: &[String], y: &[String]| {
        x.iter().filter(|n| y.contains(n)).cloned().collect::<Vec<_>>()
    };
    let (na, nb) = (names(&a), names(&b));
    if shared(&na, &nb) != shared(&nb, &na) {
        diffs.insert(key("*", "order"), format!("upstream {na:?} / ours {nb:?}"));
    }
}

#[test]
fn generated_crds_match_upstream_except_for_listed_differences() {
    let allowlist_dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/crd_compat_allowlist");
    let mut allowed: Vec<Allowed> = Vec::new();
    for entry in std::fs::read_dir(&allowlist_dir).expect("allowlist directory readable") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let entries: Vec<Allowed> =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let plural = path.file_stem().unwrap().to_str().unwrap().to_string();
        for a in &entries {
            assert_eq!(a.crd, plural, "{}: entry for another CRD", path.display());
        }
        allowed.extend(entries);
    }
    for a in &allowed {
        assert!(!a.reason.trim().is_empty(), "allowlist entry {}:{} has no reason", a.crd, a.path);
    }
    let ours: BTreeMap<String, Value> = weka_api::crds::all()
        .into_iter()
        .map(|crd| {
            let v = serde_json::to_value(&crd).unwrap();
            (v["spec"]["names"]["plural"].as_str().unwrap().to_string(), v)
        })
        .collect();

    let mut diffs = Diffs::new();
    for entry in std::fs::read_dir(fixtures()).expect("fixtures present") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let upstream: Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let plural = upstream["spec"]["names"]["plural"].as_str().unwrap().to_string();
        let mine = ours.get(&plural).unwrap_or_else(|| panic!("no generated CRD for {plural}"));
        compare_crd(&upstream, mine, &mut diffs);
    }

    let is_allowed = |k: &(String, String, String)| {
        allowed.iter().any(|a| a.crd == k.0 && a.path == k.1 && (a.what == k.2 || a.what == "*"))
    };
    let unexpected: Vec<String> = diffs
        .iter()
        .filter(|(k, _)| !is_allowed(k))
        .map(|((crd, path, what), d)| format!("{crd}: {path} [{what}]: {d}"))
        .collect();
    let stale: Vec<String> = allowed
        .iter()
        .filter(|a| {
            !diffs.keys().any(|k| a.crd == k.0 && a.path == k.1 && (a.what == k.2 || a.what == "*"))
        })
        .map(|a| format!("{}: {} [{}]", a.crd, a.path, a.what))
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "{} unexpected difference(s):\n  {}\n{} stale allowlist entr(ies):\n  {}",
        unexpected.len(),
        unexpected.join("\n  "),
        stale.len(),
        stale.join("\n  ")
    );
}
