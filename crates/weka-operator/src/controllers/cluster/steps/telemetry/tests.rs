//! The configuration hash (upstream's format, checked against independently computed
//! digests), secret references and how spec exports become CLI exports.

use std::collections::BTreeMap;

use weka_api::wekacluster::TelemetryConfig;

use super::{
    EMPTY_HASH, SecretError, SecretValues, TelemetryError, config_hash, parse_secret_ref, resolve,
};

fn config(yaml: &str) -> TelemetryConfig {
    serde_yaml::from_str(yaml).unwrap()
}

const TWO_EXPORTS: &str = "
exports:
- name: ops
  sources: [ops]
  splunk: {endpoint: 'https://b:1', authTokenSecretRef: missing.token, caCertSecretRef: ca.pem}
- name: audit
  sources: [audit, events]
  splunk: {endpoint: 'https://splunk:8088', authTokenSecretRef: hec.token, allowUnverifiedCertificate: true}
";

fn secrets(reference: &str) -> Option<String> {
    match reference {
        "hec.token" => Some("T0K".to_string()),
        "ca.pem" => Some("PEM".to_string()),
        _ => None,
    }
}

#[test]
fn no_exports_hash_as_empty() {
    assert_eq!(config_hash(None, &secrets), EMPTY_HASH);
    assert_eq!(config_hash(Some(&config("{}")), &secrets), EMPTY_HASH);
    assert_eq!(config_hash(Some(&config("exports: []")), &secrets), EMPTY_HASH);
}

#[test]
fn the_hash_is_upstreams_sorted_parts_with_secret_values_and_unreadable_ones_empty() {
    // sha256 of "audit:audit,events:splunk:https://splunk:8088:token=T0K:cacert=:
    // allowUnverified=true:clusterCACert=false|ops:ops:splunk:https://b:1:token=:cacert=PEM:
    // allowUnverified=false:clusterCACert=false" (without the line breaks).
    assert_eq!(
        config_hash(Some(&config(TWO_EXPORTS)), &secrets),
        "4713e1cb48df986048f6ce08ec05ab560f17c28d154feca47bd76114adbe3ed4"
    );
    // An export without a sink hashes its name and sources only.
    let no_sink = config("exports: [{name: nosink, sources: [a]}]");
    assert_eq!(
        config_hash(Some(&no_sink), &secrets),
        "d390e4632e174133268e898346b2980f8d842dfd90bdc9eb6e22d1cf5236b2f6"
    );
}

#[test]
fn a_rotated_token_or_a_changed_endpoint_changes_the_hash_and_order_does_not() {
    let base = config_hash(Some(&config(TWO_EXPORTS)), &secrets);
    let rotated = |r: &str| if r == "hec.token" { Some("NEW".to_string()) } else { secrets(r) };
    assert_ne!(config_hash(Some(&config(TWO_EXPORTS)), &rotated), base);
    let moved = TWO_EXPORTS.replace("https://b:1", "https://b:2");
    assert_ne!(config_hash(Some(&config(&moved)), &secrets), base);
    let mut reordered = config(TWO_EXPORTS);
    reordered.exports.as_mut().unwrap().reverse();
    assert_eq!(config_hash(Some(&reordered), &secrets), base);
}

#[test]
fn secret_references_split_on_the_first_dot() {
    assert_eq!(parse_secret_ref("hec.token").unwrap(), ("hec", "token"));
    assert_eq!(parse_secret_ref("hec.tls.crt").unwrap(), ("hec", "tls.crt"));
    for bad in ["hec", ".token", "hec.", ""] {
        assert_eq!(
            parse_secret_ref(bad).unwrap_err(),
            SecretError::BadRef { reference: bad.to_string() }
        );
    }
}

fn values() -> SecretValues {
    BTreeMap::from([
        ("hec.token".to_string(), Ok("T0K".to_string())),
        ("ca.pem".to_string(), Ok("PEM".to_string())),
        ("missing.token".to_string(), Err(SecretError::Missing { secret: "missing".to_string() })),
    ])
}

#[test]
fn spec_exports_become_prefixed_splunk_exports_with_trimmed_endpoints() {
    let config = config(
        "exports: [{name: audit, sources: [audit, events], splunk: {endpoint: ' https://splunk:8088 ', authTokenSecretRef: hec.token, caCertSecretRef: ca.pem, allowUnverifiedCertificate: true}}]",
    );
    let values = values();
    let resolved = resolve(&config.exports.unwrap()[0], &values).unwrap();
    assert_eq!(resolved.name, "operator-audit");
    assert_eq!(resolved.export.endpoint, "https://splunk:8088");
    assert_eq!(resolved.export.sources, ["audit", "events"]);
    assert!(resolved.export.allow_unverified_certificate);
    assert!(!resolved.export.verify_with_cluster_cacert);
    assert_eq!((resolved.token, resolved.ca_cert), ("T0K", Some("PEM")));
}

#[test]
fn exports_without_splunk_with_two_cas_or_unreadable_secrets_are_refused() {
    let values = values();
    let refused = |yaml: &str| {
        let exports = config(yaml).exports.unwrap();
        resolve(&exports[0], &values).err().expect("refused")
    };
    assert!(matches!(refused("exports: [{name: a, sources: [x]}]"), TelemetryError::NoSink { .. }));
    assert!(matches!(
        refused(
            "exports: [{name: a, sources: [x], splunk: {endpoint: e, authTokenSecretRef: hec.token, caCertSecretRef: ca.pem, verifyWithClusterCACert: true}}]"
        ),
        TelemetryError::ConflictingCa { .. }
    ));
    let missing = refused(
        "exports: [{name: a, sources: [x], splunk: {endpoint: e, authTokenSecretRef: missing.token}}]",
    );
    assert_eq!(missing.to_string(), "Secret \"missing\" not found");
}
