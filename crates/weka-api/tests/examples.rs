//! Every upstream example (`shared/fixtures/examples`) reads into our typed structs and writes
//! back to exactly the same JSON: nothing lost, nothing added.

use std::path::PathBuf;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use weka_api::parse;

fn examples() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/examples");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("examples present")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, serde_yaml::from_str(&text).expect("example is YAML"))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 16, "expected the 16 upstream examples, found {}", out.len());
    out
}

fn round_trip<T: DeserializeOwned + Serialize>(name: &str, doc: &Value) {
    let typed: T = parse::from_value(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(&back, doc, "{name}: JSON → typed → JSON changed the document");
    // Text is read straight into the type (no Value): the same object.
    let from_text: T = parse::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(serde_json::to_value(&from_text).unwrap(), back, "{name}: from text differs");
}

#[test]
fn every_example_round_trips_losslessly() {
    for (name, doc) in examples() {
        match doc["kind"].as_str() {
            Some("WekaCluster") => round_trip::<weka_api::WekaCluster>(&name, &doc),
            Some("WekaContainer") => round_trip::<weka_api::WekaContainer>(&name, &doc),
            Some("WekaClient") => round_trip::<weka_api::WekaClient>(&name, &doc),
            Some("WekaPolicy") => round_trip::<weka_api::WekaPolicy>(&name, &doc),
            Some("WekaManualOperation") => round_trip::<weka_api::WekaManualOperation>(&name, &doc),
            other => panic!("{name}: unexpected kind {other:?}"),
        }
    }
}
