use serde_json::json;

use super::*;

/// A tiny encoder for the tests' bodies.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn bytes_field(tag: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(tag) << 3 | 2, &mut out);
    varint(data.len() as u64, &mut out);
    out.extend_from_slice(data);
    out
}

fn int_field(tag: u32, v: i64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(tag) << 3, &mut out);
    varint(v as u64, &mut out);
    out
}

fn message(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let type_meta =
        message(&[bytes_field(1, api_version.as_bytes()), bytes_field(2, kind.as_bytes())]);
    let mut body = b"k8s\0".to_vec();
    body.extend(message(&[
        bytes_field(1, &type_meta),
        bytes_field(2, raw),
        bytes_field(3, b""),
        bytes_field(4, b""),
    ]));
    body
}

fn map_entry(key: &str, value: &[u8]) -> Vec<u8> {
    message(&[bytes_field(1, key.as_bytes()), bytes_field(2, value)])
}

fn object_meta(name: &str) -> Vec<u8> {
    // Go writes every non-pointer field: empty strings, a zero creationTimestamp.
    let zero_time = message(&[int_field(1, -62_135_596_800), int_field(2, 0)]);
    message(&[
        bytes_field(1, name.as_bytes()),
        bytes_field(2, b""),
        bytes_field(3, b""),
        bytes_field(5, b""),
        int_field(7, 0),
        bytes_field(8, &zero_time),
        bytes_field(11, &map_entry("app", b"web")),
    ])
}

#[test]
fn a_config_map_decodes_like_its_json() {
    let raw = message(&[
        bytes_field(1, &object_meta("settings")),
        bytes_field(2, &map_entry("a", b"b")),
        bytes_field(3, &map_entry("bin", &[0, 1])),
    ]);
    let obj = decode(&envelope("v1", "ConfigMap", &raw)).unwrap();
    assert_eq!(
        obj,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "settings", "labels": {"app": "web"}},
               "data": {"a": "b"}, "binaryData": {"bin": "AAE="}})
    );
}

#[test]
fn a_deployment_keeps_pointer_zeros_and_inlines_embedded_structs() {
    let int_or_string =
        |v: &str| message(&[int_field(1, 1), int_field(2, 0), bytes_field(3, v.as_bytes())]);
    let port =
        message(&[bytes_field(1, b""), int_field(2, 0), int_field(3, 80), bytes_field(4, b"TCP")]);
    let limits = map_entry("cpu", &bytes_field(1, b"500m"));
    let resources = message(&[bytes_field(1, &limits)]);
    let container = message(&[
        bytes_field(1, b"web"),
        bytes_field(2, b"nginx"),
        bytes_field(3, b"sh"),
        bytes_field(3, b"-c"),
        bytes_field(6, &port),
        bytes_field(8, &resources),
        int_field(16, 0),
    ]);
    let volume_source = message(&[bytes_field(2, &message(&[bytes_field(1, b"")]))]);
    let volume = message(&[bytes_field(1, b"scratch"), bytes_field(2, &volume_source)]);
    let pod_spec =
        message(&[bytes_field(1, &volume), bytes_field(2, &container), bytes_field(3, b"Always")]);
    let template = message(&[bytes_field(1, &object_meta("")), bytes_field(2, &pod_spec)]);
    let selector = message(&[bytes_field(1, &map_entry("app", b"web"))]);
    let rolling = message(&[bytes_field(1, &int_or_string("25%"))]);
    let strategy = message(&[bytes_field(2, &rolling)]);
    let spec = message(&[
        int_field(1, 0),
        bytes_field(2, &selector),
        bytes_field(3, &template),
        bytes_field(4, &strategy),
        int_field(5, 0),
    ]);
    let raw =
        message(&[bytes_field(1, &object_meta("web")), bytes_field(2, &spec), bytes_field(3, b"")]);
    let obj = decode(&envelope("apps/v1", "Deployment", &raw)).unwrap();
    assert_eq!(obj["spec"]["replicas"], 0, "a pointer's zero is kept");
    assert!(obj["spec"].get("minReadySeconds").is_none(), "Go omits a plain zero");
    assert_eq!(obj["spec"]["strategy"], json!({"rollingUpdate": {"maxUnavailable": "25%"}}));
    let c = &obj["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["command"], json!(["sh", "-c"]));
    assert_eq!(c["ports"], json!([{"containerPort": 80, "protocol": "TCP"}]));
    assert_eq!(c["resources"], json!({"limits": {"cpu": "500m"}}));
    assert!(c.get("stdin").is_none());
    assert_eq!(
        obj["spec"]["template"]["spec"]["volumes"],
        json!([{"name": "scratch", "emptyDir": {}}])
    );
    assert_eq!(obj["status"], json!({}));
    assert!(obj["metadata"].get("creationTimestamp").is_none());
}

#[test]
fn times_and_unknown_kinds() {
    let time = message(&[int_field(1, 1_700_000_000), int_field(2, 0)]);
    assert_eq!(decode_time(&time, false).unwrap(), json!("2023-11-14T22:13:20Z"));
    let err = decode(&envelope("v1", "Node", &[])).unwrap_err();
    assert!(err.contains("Node"), "{err}");
    assert!(decode(b"{}").is_err());
}
