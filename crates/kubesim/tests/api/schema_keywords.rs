//! OpenAPI keywords of structural schemas: validation messages, pruning and defaulting, each
//! compared with the text kube-apiserver 1.32 produces.

use kubesim::schema::{CrdSchema, FieldErrorKind, SchemaError};
use serde_json::{Value, json};

/// A CRD schema whose `spec` is `spec_schema`.
fn schema(spec_schema: Value) -> CrdSchema {
    let root = json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": {"type": "object", "properties": {"phase": {"type": "string", "maxLength": 5}}},
        },
    });
    CrdSchema::compile(&root).unwrap_or_else(|e| panic!("{e}"))
}

fn object(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec})
}

/// The error texts (`field: body`) for a created object.
fn errors(s: &CrdSchema, spec: Value) -> Vec<String> {
    s.validate(&object(spec), None).iter().map(ToString::to_string).collect()
}

fn props(p: Value) -> Value {
    json!({"type": "object", "properties": p})
}

#[test]
fn a_wrong_type_names_the_expected_and_the_actual_type() {
    let s = schema(props(
        json!({"n": {"type": "integer"}, "b": {"type": "boolean"}, "o": {"type": "object"}}),
    ));
    assert_eq!(
        errors(&s, json!({"n": "two", "b": 1, "o": []})),
        [
            r#"spec.n: Invalid value: "string": spec.n in body must be of type integer: "string""#,
            r#"spec.b: Invalid value: "integer": spec.b in body must be of type boolean: "integer""#,
            r#"spec.o: Invalid value: "array": spec.o in body must be of type object: "array""#,
        ]
    );
    let errs = s.validate(&object(json!({"n": 1.5})), None);
    assert_eq!(errs[0].kind, FieldErrorKind::TypeInvalid);
    assert_eq!(errs[0].kind.reason(), "FieldValueTypeInvalid");
    assert_eq!(
        errs[0].message,
        r#"Invalid value: "number": spec.n in body must be of type integer: "number""#
    );
    assert!(errors(&s, json!({"n": 2.0})).is_empty(), "a whole float is an integer");
}

#[test]
fn an_integer_format_reports_the_format_for_non_numbers() {
    let s = schema(props(json!({"n": {"type": "integer", "format": "int32"}})));
    assert_eq!(
        errors(&s, json!({"n": true})),
        [r#"spec.n: Invalid value: "": spec.n in body must be of type int32: """#]
    );
    assert!(errors(&s, json!({"n": 5})).is_empty());
}

#[test]
fn null_is_only_accepted_where_nullable() {
    let s = schema(props(json!({
        "l": {"type": "array", "items": {"type": "string"}},
        "n": {"type": "string", "nullable": true},
    })));
    assert_eq!(
        errors(&s, json!({"l": ["a", null], "n": null})),
        [r#"spec.l[1]: Invalid value: "null": spec.l[1] in body must be of type string: "null""#]
    );
}

#[test]
fn enum_rejections_list_the_supported_values() {
    let s = schema(props(json!({
        "mode": {"type": "string", "enum": ["drive", "compute"]},
        "level": {"type": "integer", "enum": [1, 2]},
    })));
    let errs = s.validate(&object(json!({"mode": "warp", "level": 3})), None);
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            r#"spec.mode: Unsupported value: "warp": supported values: "drive", "compute""#,
            r#"spec.level: Unsupported value: 3: supported values: "1", "2""#,
        ]
    );
    assert_eq!(errs[0].kind.reason(), "FieldValueNotSupported");
    assert!(errors(&s, json!({"mode": "drive", "level": 2.0})).is_empty());
}

#[test]
fn missing_required_fields_are_reported_after_the_present_ones() {
    let s = schema(json!({
        "type": "object",
        "required": ["image", "name"],
        "properties": {"image": {"type": "string"}, "name": {"type": "string"}, "n": {"type": "integer"}},
    }));
    assert_eq!(
        errors(&s, json!({"n": "x"})),
        [
            r#"spec.n: Invalid value: "string": spec.n in body must be of type integer: "string""#,
            "spec.image: Required value",
            "spec.name: Required value",
        ]
    );
    let root = CrdSchema::compile(&json!({"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}))
        .expect("schema");
    let errs = root.validate(&json!({"apiVersion": "a/v1", "kind": "K", "metadata": {}}), None);
    assert_eq!(errs[0].to_string(), "spec: Required value");
    assert_eq!(errs[0].kind.reason(), "FieldValueRequired");
}

#[test]
fn numeric_bounds_and_multiples() {
    let s = schema(props(json!({
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "count": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "multipleOf": 5},
        "ratio": {"type": "number", "maximum": 1, "minimum": 0.5},
        "big": {"type": "number", "maximum": 1000000},
    })));
    assert_eq!(
        errors(&s, json!({"port": 70000, "count": 0, "ratio": 1.5, "big": 2e6})),
        [
            "spec.port: Invalid value: 70000: spec.port in body should be less than or equal to 65535",
            "spec.count: Invalid value: 0: spec.count in body should be greater than 0",
            "spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than or equal to 1",
            "spec.big: Invalid value: 2e+06: spec.big in body should be less than or equal to 1e+06",
        ]
    );
    assert_eq!(
        errors(&s, json!({"count": 7, "ratio": 0.25})),
        [
            "spec.count: Invalid value: 7: spec.count in body should be a multiple of 5",
            "spec.ratio: Invalid value: 0.25: spec.ratio in body should be greater than or equal to 0.5",
        ]
    );
    assert!(errors(&s, json!({"port": 443, "count": 10, "ratio": 1})).is_empty());
}

#[test]
fn string_lengths_count_characters_and_patterns_must_match() {
    let s = schema(props(json!({
        "short": {"type": "string", "maxLength": 3},
        "long": {"type": "string", "minLength": 2},
        "hex": {"type": "string", "pattern": "^[0-9a-f]+$"},
    })));
    let errs = s.validate(&object(json!({"short": "abcd", "long": "a", "hex": "xyz"})), None);
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "spec.short: Too long: may not be more than 3 bytes",
            r#"spec.long: Invalid value: "a": spec.long in body should be at least 2 chars long"#,
            r#"spec.hex: Invalid value: "xyz": spec.hex in body should match '^[0-9a-f]+$'"#,
        ]
    );
    assert_eq!(errs[0].kind.reason(), "FieldValueTooLong");
    assert!(errors(&s, json!({"short": "äöü", "long": "µs", "hex": "c0ffee"})).is_empty());
}

#[test]
fn array_and_object_sizes() {
    let s = schema(props(json!({
        "l": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}},
        "m": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
        "o": {"type": "object", "minProperties": 2, "additionalProperties": {"type": "string"}},
    })));
    let errs =
        s.validate(&object(json!({"l": [1, 2, 3], "m": {"a": "1", "b": "2"}, "o": {}})), None);
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            "spec.l: Too many: 3: must have at most 2 items",
            "spec.m: Too many: 2: must have at most 1 items",
            "spec.o: Invalid value: 0: spec.o in body should have at least 2 properties",
        ]
    );
    assert_eq!(errs[0].kind.reason(), "FieldValueTooMany");
    assert_eq!(
        errors(&s, json!({"l": []})),
        ["spec.l: Invalid value: 0: spec.l in body should have at least 1 items"]
    );
}

#[test]
fn map_values_are_validated_with_additional_properties() {
    let s = schema(props(
        json!({"labels": {"type": "object", "additionalProperties": {"type": "string"}}}),
    ));
    assert_eq!(
        errors(&s, json!({"labels": {"weka.io/role": 5}})),
        [
            r#"spec.labels.weka.io/role: Invalid value: "integer": spec.labels.weka.io/role in body must be of type string: "integer""#
        ]
    );
}

#[test]
fn formats_are_checked() {
    let s = schema(props(json!({
        "at": {"type": "string", "format": "date-time"},
        "id": {"type": "string", "format": "uuid"},
        "free": {"type": "string", "format": "no-such-format"},
    })));
    assert_eq!(
        errors(&s, json!({"at": "yesterday", "id": "x", "free": "anything"})),
        [
            r#"spec.at: Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday""#,
            r#"spec.id: Invalid value: "x": spec.id in body must be of type uuid: "x""#,
        ]
    );
    assert!(
        errors(
            &s,
            json!({"at": "2025-01-01T00:00:00Z", "id": "123e4567-e89b-12d3-a456-426614174000"})
        )
        .is_empty()
    );
}

#[test]
fn int_or_string_accepts_both_and_reports_like_upstream() {
    let s = schema(props(json!({
        "plain": {"x-kubernetes-int-or-string": true},
        "gen": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
    })));
    assert!(errors(&s, json!({"plain": "10%", "gen": 3})).is_empty());
    assert_eq!(
        errors(&s, json!({"plain": true})),
        [
            r#"spec.plain: Invalid value: "boolean": spec.plain in body must be of type integer,string: "boolean""#
        ]
    );
    assert_eq!(
        errors(&s, json!({"gen": 1.5})),
        [
            r#"spec.gen: Invalid value: "number": spec.gen in body must be of type integer,string: "number""#,
            r#"<nil>: Invalid value: "": "spec.gen" must validate at least one schema (anyOf)"#,
            r#"spec.gen: Invalid value: "number": spec.gen in body must be of type integer: "number""#,
        ]
    );
}

#[test]
fn set_and_map_lists_reject_duplicates() {
    let s = schema(props(json!({
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}},
        },
    })));
    let errs = s.validate(
        &object(json!({
            "tags": ["a", "b", "a", "a"],
            "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 8080}],
        })),
        None,
    );
    let texts: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        [
            r#"spec.tags[2]: Duplicate value: "a""#,
            r#"spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}"#,
        ]
    );
    assert_eq!(errs[0].kind.reason(), "FieldValueDuplicate");
}

#[test]
fn embedded_resources_need_api_version_and_kind() {
    let s = schema(props(json!({
        "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
    })));
    assert_eq!(
        errors(&s, json!({"template": {"apiVersion": "v1", "metadata": {"name": "x"}}})),
        ["spec.template.kind: Required value: must not be empty"]
    );
    assert!(errors(&s, json!({"template": {"apiVersion": "v1", "kind": "Pod"}})).is_empty());
}

#[test]
fn pruning_keeps_what_the_schema_allows() {
    let s = schema(props(json!({
        "known": {"type": "string"},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"typed": {"type": "object", "properties": {"a": {"type": "string"}}}}},
        "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"v": {"type": "string"}}}},
        "list": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "embedded": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}},
    })));
    let mut obj = object(json!({
        "known": "k",
        "zzz": 1,
        "free": {"anything": {"deep": true}, "typed": {"a": "x", "b": "y"}},
        "map": {"k1": {"v": "1", "w": "2"}},
        "list": [{"name": "a", "extra": 1}],
        "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "junk": 1}, "spec": {}, "other": 1},
    }));
    obj["status"] = json!({"phase": "ok", "unknown": 1});
    obj["metadata"]["bogus"] = json!(1);
    let pruned = s.prune(&mut obj);
    assert_eq!(
        pruned,
        [
            "metadata.bogus",
            "spec.embedded.other",
            "spec.free.typed.b",
            "spec.list[0].extra",
            "spec.map.k1.w",
            "spec.zzz",
            "status.unknown",
            "spec.embedded.metadata.junk",
        ]
    );
    assert_eq!(
        obj,
        json!({
            "apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
            "spec": {
                "known": "k",
                "free": {"anything": {"deep": true}, "typed": {"a": "x"}},
                "map": {"k1": {"v": "1"}},
                "list": [{"name": "a"}],
                "embedded": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
            },
            "status": {"phase": "ok"},
        })
    );
}

#[test]
fn defaults_fill_missing_and_null_fields_recursively() {
    let s = schema(props(json!({
        "state": {"type": "string", "default": "active"},
        "ports": {
            "type": "object",
            "default": {},
            "properties": {"base": {"type": "integer", "default": 45000}, "range": {"type": "integer", "default": 0}},
        },
        "gone": {"type": "string"},
        "kept": {"type": "string", "nullable": true},
        "given": {"type": "string", "default": "d"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"protocol": {"type": "string", "default": "TCP"}}}},
    })));
    let mut obj = object(
        json!({"gone": null, "kept": null, "given": null, "items": [{}, {"protocol": "UDP"}]}),
    );
    s.apply_defaults(&mut obj);
    assert_eq!(
        obj["spec"],
        json!({
            "kept": null,
            "given": "d",
            "items": [{"protocol": "TCP"}, {"protocol": "UDP"}],
            "state": "active",
            "ports": {"base": 45000, "range": 0},
        })
    );
    assert!(s.validate(&obj, None).is_empty());
}

#[test]
fn unchanged_invalid_values_are_ratcheted_on_update() {
    let s = schema(props(
        json!({"a": {"type": "string", "maxLength": 2}, "b": {"type": "string", "maxLength": 2}}),
    ));
    let old = object(json!({"a": "too long", "b": "ok"}));
    let new = object(json!({"a": "too long", "b": "ok!"}));
    let errs: Vec<String> = s.validate(&new, Some(&old)).iter().map(ToString::to_string).collect();
    assert_eq!(errs, ["spec.b: Too long: may not be more than 2 bytes"]);
    assert_eq!(s.validate(&new, None).len(), 2, "without an old object nothing is ratcheted");
}

#[test]
fn status_writes_validate_status_with_status_paths() {
    let s = schema(props(json!({})));
    let old = object(json!({}));
    let mut new = old.clone();
    new["status"] = json!({"phase": "running"});
    let errs: Vec<String> = s.validate_status(&new, &old).iter().map(ToString::to_string).collect();
    assert_eq!(errs, ["status.phase: Too long: may not be more than 5 bytes"]);
    new["status"] = json!({"phase": 1});
    let errs: Vec<String> = s.validate_status(&new, &old).iter().map(ToString::to_string).collect();
    assert_eq!(
        errs,
        [
            r#"status.phase: Invalid value: "integer": phase in body must be of type string: "integer""#
        ]
    );
}

#[test]
fn malformed_schemas_are_refused_at_compile_time() {
    let bad_pattern = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string", "pattern": "("}}}}});
    let err = CrdSchema::compile(&bad_pattern).expect_err("bad pattern");
    assert_eq!(err.path(), "openAPIV3Schema.properties[spec].properties[x].pattern");
    assert!(err.to_string().contains("must be a valid regular expression"), "{err}");

    let bad_type = json!({"type": "object", "properties": {"spec": {"type": "thing"}}});
    assert!(matches!(CrdSchema::compile(&bad_type), Err(SchemaError::Invalid { .. })));
    assert!(CrdSchema::compile(&json!("not a schema")).is_err());
    assert!(
        CrdSchema::compile(&json!({"type": "object", "properties": {"a": {"maxLength": "ten"}}}))
            .is_err()
    );
}

#[test]
fn malformed_objects_never_panic() {
    let s = schema(props(
        json!({"a": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"], "items": {"type": "object"}}}),
    ));
    for mut obj in [
        json!(null),
        json!([1, 2]),
        json!("x"),
        object(json!([1])),
        object(json!({"a": [1, null, {"k": 1}, {"k": 1}]})),
    ] {
        s.prune(&mut obj);
        s.apply_defaults(&mut obj);
        let _ = s.validate(&obj, Some(&json!(5)));
    }
}
