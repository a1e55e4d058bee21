//! `x-kubernetes-validations` CEL rules: messages, reasons, field paths, transition rules and
//! ratcheting, with the apiserver's error texts.

use kubesim::schema::{CrdSchema, SchemaError};
use serde_json::{Value, json};

fn schema(spec_schema: Value) -> CrdSchema {
    let root = json!({
        "type": "object",
        "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}, "spec": spec_schema},
    });
    CrdSchema::compile(&root).unwrap_or_else(|e| panic!("{e}"))
}

fn object(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec})
}

fn texts(s: &CrdSchema, spec: Value, old: Option<Value>) -> Vec<String> {
    let old = old.map(object);
    s.validate(&object(spec), old.as_ref()).iter().map(ToString::to_string).collect()
}

/// `spec` = {a, b: integers} with the given rules on `spec`.
fn with_rules(rules: Value) -> CrdSchema {
    schema(json!({
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "x-kubernetes-validations": rules,
    }))
}

#[test]
fn a_failing_rule_reports_its_message_at_the_node() {
    let s = with_rules(
        json!([{"rule": "!has(self.a) || !has(self.b)", "message": "a and b are mutually exclusive"}]),
    );
    assert_eq!(
        texts(&s, json!({"a": 1, "b": 2}), None),
        [r#"spec: Invalid value: "object": a and b are mutually exclusive"#]
    );
    assert!(texts(&s, json!({"a": 1}), None).is_empty());
}

#[test]
fn a_rule_without_message_quotes_the_rule() {
    let s = with_rules(json!([{"rule": "  self.a > 0 "}]));
    assert_eq!(
        texts(&s, json!({"a": 0}), None),
        [r#"spec: Invalid value: "object": failed rule: self.a > 0"#]
    );
}

#[test]
fn message_expressions_are_evaluated_and_fall_back_when_empty() {
    let s = with_rules(json!([
        {"rule": "self.a < 10", "messageExpression": "'a is ' + string(self.a) + ', the limit is 10'"},
        {"rule": "self.b < 10", "message": "b is too big", "messageExpression": "''"},
    ]));
    assert_eq!(
        texts(&s, json!({"a": 12, "b": 11}), None),
        [
            r#"spec: Invalid value: "object": a is 12, the limit is 10"#,
            r#"spec: Invalid value: "object": b is too big"#,
        ]
    );
}

#[test]
fn reasons_choose_the_error_type() {
    let s = with_rules(json!([
        {"rule": "self.a != 1", "message": "one is forbidden", "reason": "FieldValueForbidden"},
        {"rule": "self.a != 1", "message": "needs b", "reason": "FieldValueRequired"},
        {"rule": "self.a != 1", "message": "dup", "reason": "FieldValueDuplicate"},
        {"rule": "self.a != 1", "message": "bad", "reason": "FieldValueInvalid"},
    ]));
    let errs = s.validate(&object(json!({"a": 1})), None);
    let got: Vec<(String, &str)> = errs.iter().map(|e| (e.to_string(), e.kind.reason())).collect();
    assert_eq!(
        got,
        [
            ("spec: Forbidden: one is forbidden".to_string(), "FieldValueForbidden"),
            ("spec: Required value: needs b".to_string(), "FieldValueRequired"),
            (r#"spec: Duplicate value: "object""#.to_string(), "FieldValueDuplicate"),
            (r#"spec: Invalid value: "object": bad"#.to_string(), "FieldValueInvalid"),
        ]
    );
}

#[test]
fn field_path_moves_the_error_to_the_named_field() {
    let s = schema(json!({
        "type": "object",
        "properties": {"limits": {"type": "object", "properties": {"max": {"type": "integer"}}}, "n": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.n <= self.limits.max", "message": "n over the limit", "fieldPath": ".limits.max"}],
    }));
    assert_eq!(
        texts(&s, json!({"n": 5, "limits": {"max": 3}}), None),
        [r#"spec.limits.max: Invalid value: "object": n over the limit"#]
    );
}

#[test]
fn transition_rules_compare_with_the_old_object_only_on_update() {
    let s = schema(json!({
        "type": "object",
        "properties": {
            "replicas": {"type": "integer", "x-kubernetes-validations": [{"rule": "self >= oldSelf", "message": "cannot scale down"}]},
            "name": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "name is immutable"}]},
        },
    }));
    assert!(
        texts(&s, json!({"replicas": 1, "name": "a"}), None).is_empty(),
        "no oldSelf on create"
    );
    assert_eq!(
        texts(&s, json!({"replicas": 1, "name": "b"}), Some(json!({"replicas": 3, "name": "a"}))),
        [
            r#"spec.replicas: Invalid value: "integer": cannot scale down"#,
            r#"spec.name: Invalid value: "string": name is immutable"#,
        ]
    );
    assert!(
        texts(&s, json!({"replicas": 5, "name": "a"}), Some(json!({"replicas": 3, "name": "a"})))
            .is_empty()
    );
    // A field absent from the old object has no oldSelf: the rule is skipped.
    assert!(texts(&s, json!({"replicas": 1, "name": "a"}), Some(json!({}))).is_empty());
}

#[test]
fn map_list_items_correlate_with_old_items_by_key() {
    let s = schema(json!({
        "type": "object",
        "properties": {"drives": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["serial"],
            "items": {
                "type": "object",
                "required": ["serial"],
                "properties": {"serial": {"type": "string"}, "size": {"type": "integer"}},
                "x-kubernetes-validations": [{"rule": "self.size == oldSelf.size", "message": "size is immutable"}],
            },
        }},
    }));
    let old = json!({"drives": [{"serial": "a", "size": 1}, {"serial": "b", "size": 2}]});
    let reordered = json!({"drives": [{"serial": "b", "size": 2}, {"serial": "a", "size": 1}, {"serial": "c", "size": 9}]});
    assert!(texts(&s, reordered, Some(old.clone())).is_empty());
    let resized = json!({"drives": [{"serial": "b", "size": 2}, {"serial": "a", "size": 5}]});
    assert_eq!(
        texts(&s, resized, Some(old)),
        [r#"spec.drives[1]: Invalid value: "object": size is immutable"#]
    );
}

#[test]
fn rules_on_map_values_report_the_key() {
    let s = schema(json!({
        "type": "object",
        "properties": {"limits": {
            "type": "object",
            "additionalProperties": {"type": "integer", "x-kubernetes-validations": [{"rule": "self > 0", "message": "must be positive"}]},
        }},
    }));
    assert_eq!(
        texts(&s, json!({"limits": {"cpu": 1, "weka.io/drives": 0}}), None),
        [r#"spec.limits[weka.io/drives]: Invalid value: "integer": must be positive"#]
    );
}

#[test]
fn root_rules_see_the_name_and_report_at_nil() {
    let root = json!({
        "type": "object",
        "properties": {"metadata": {"type": "object"}, "spec": {"type": "object", "properties": {"prefix": {"type": "string"}}}},
        "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith(self.spec.prefix)", "message": "name must start with the prefix"}],
    });
    let s = CrdSchema::compile(&root).expect("schema");
    let obj = |name: &str| json!({"apiVersion": "a/v1", "kind": "K", "metadata": {"name": name, "labels": {"x": "y"}}, "spec": {"prefix": "weka-"}});
    assert!(s.validate(&obj("weka-1"), None).is_empty());
    let errs: Vec<String> =
        s.validate(&obj("other"), None).iter().map(ToString::to_string).collect();
    assert_eq!(errs, [r#"<nil>: Invalid value: "object": name must start with the prefix"#]);
}

#[test]
fn unchanged_values_are_not_held_to_new_rules_on_update() {
    let s = schema(json!({
        "type": "object",
        "properties": {
            "a": {"type": "integer", "x-kubernetes-validations": [{"rule": "self < 10", "message": "a too big"}]},
            "b": {"type": "integer", "x-kubernetes-validations": [{"rule": "self < 10", "message": "b too big"}]},
        },
    }));
    assert_eq!(
        texts(&s, json!({"a": 20, "b": 20}), Some(json!({"a": 20, "b": 5}))),
        [r#"spec.b: Invalid value: "integer": b too big"#]
    );
}

#[test]
fn schema_errors_block_rules_with_a_note() {
    let s = with_rules(json!([{"rule": "self.a > 0", "message": "a must be positive"}]));
    assert_eq!(
        texts(&s, json!({"a": "x"}), None),
        [
            r#"spec.a: Invalid value: "string": spec.a in body must be of type integer: "string""#,
            r#"<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"#,
        ]
    );
}

#[test]
fn runtime_errors_name_the_rule() {
    let s = with_rules(json!([{"rule": "self.a == 1"}]));
    assert_eq!(
        texts(&s, json!({"b": 1}), None),
        [r#"spec: Invalid value: "object": no such key: a evaluating rule: self.a == 1"#]
    );
}

#[test]
fn rules_that_do_not_compile_are_refused_with_their_path() {
    let root = json!({"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-validations": [{"rule": "self.a >"}]}}});
    match CrdSchema::compile(&root) {
        Err(SchemaError::Rule { path, rule, .. }) => {
            assert_eq!(path, "openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule");
            assert_eq!(rule, "self.a >");
        }
        other => panic!("expected a rule error, got {other:?}"),
    }
    let bad_path = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}},
        "x-kubernetes-validations": [{"rule": "true", "fieldPath": ".nope"}]}}});
    let err = CrdSchema::compile(&bad_path).expect_err("bad fieldPath");
    assert_eq!(
        err.path(),
        "openAPIV3Schema.properties[spec].x-kubernetes-validations[0].fieldPath"
    );
    assert!(err.to_string().contains("does not refer to a valid field"), "{err}");
    let bad_message = json!({"type": "object", "x-kubernetes-validations": [{"rule": "true", "messageExpression": "'a' +"}]});
    let err = CrdSchema::compile(&bad_message).expect_err("bad messageExpression");
    assert_eq!(err.path(), "openAPIV3Schema.x-kubernetes-validations[0].messageExpression");
    assert!(
        err.to_string().contains("compilation failed: ERROR: <input>:1:6: Syntax error"),
        "{err}"
    );
    let bad_reason =
        json!({"type": "object", "x-kubernetes-validations": [{"rule": "true", "reason": "Nope"}]});
    assert!(CrdSchema::compile(&bad_reason).is_err());
}
