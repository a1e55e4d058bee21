//! `x-kubernetes-validations` CEL rules: compiled once per schema with `kube-cel`, evaluated node
//! by node as the apiextensions apiserver does (`schema/cel/validation.go`): `self` is the node's
//! value, `oldSelf` its correlated old value (transition rules are skipped without one), failures
//! carry the rule's `message`, `messageExpression`, `reason` and `fieldPath`.
//!
//! Each rule is compiled as its own one-rule `kube_cel::CompiledSchema` (the node's schema with
//! every other rule removed), so a failure maps back to exactly one rule, and the value is still
//! converted with the node's schema (field-name escaping, formats, maps).

use std::borrow::Cow;

use kube_cel::cel::ExecutionError;
use kube_cel::{CompilationError, CompiledSchema, ErrorKind, ValidationError};
use serde_json::{Map, Value};

use super::SchemaError;
use super::correlate;
use super::field_error::{FieldError, FieldPath};
use super::go_format::quote;
use super::node::{Additional, Node};

/// The `reason` of a rule: the type of the field error it produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    Invalid,
    Forbidden,
    Required,
    Duplicate,
}

const REASONS: &[(&str, Reason)] = &[
    ("FieldValueRequired", Reason::Required),
    ("FieldValueForbidden", Reason::Forbidden),
    ("FieldValueInvalid", Reason::Invalid),
    ("FieldValueDuplicate", Reason::Duplicate),
];

/// Upstream's limit on an evaluated `messageExpression` (`MaxEvaluatedMessageExpressionSizeBytes`).
const MAX_MESSAGE_EXPRESSION_BYTES: usize = 5 * 1024;

/// One compiled rule.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    program: CompiledSchema,
    rule: String,
    message: String,
    has_message_expression: bool,
    reason: Option<Reason>,
    /// The rule's `fieldPath`, normalized to a field path (`foo.bar`, `labels[app]`).
    field_path: Option<String>,
    uses_old_self: bool,
    optional_old_self: bool,
}

/// Compiles the `x-kubernetes-validations` of one schema node; `path` names the node in errors.
pub(crate) fn compile_rules(
    schema: &Value,
    node: &Node,
    path: &str,
) -> Result<Vec<CompiledRule>, SchemaError> {
    let Some(rules) = schema.get("x-kubernetes-validations") else { return Ok(Vec::new()) };
    let rules_path = format!("{path}.x-kubernetes-validations");
    let Some(rules) = rules.as_array() else {
        return Err(SchemaError::invalid(&rules_path, "must be a list of validation rules"));
    };
    let mut stripped = schema.clone();
    strip_rules(&mut stripped);
    rules
        .iter()
        .enumerate()
        .map(|(i, raw)| compile_rule(&stripped, node, raw, &format!("{rules_path}[{i}]")))
        .collect()
}

fn compile_rule(
    stripped: &Value,
    node: &Node,
    raw: &Value,
    path: &str,
) -> Result<CompiledRule, SchemaError> {
    let text = |key: &str| -> Result<Option<String>, SchemaError> {
        match raw.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(SchemaError::invalid(&format!("{path}.{key}"), "must be a string")),
        }
    };
    if !raw.is_object() {
        return Err(SchemaError::invalid(path, "must be an object"));
    }
    let Some(rule) = text("rule")?.filter(|r| !r.trim().is_empty()) else {
        return Err(SchemaError::invalid(&format!("{path}.rule"), "Required value"));
    };
    let message = text("message")?.unwrap_or_default();
    let message_expression = text("messageExpression")?.filter(|m| !m.is_empty());
    let reason = match text("reason")? {
        None => None,
        Some(r) => match REASONS.iter().find(|(name, _)| *name == r) {
            Some((_, reason)) => Some(*reason),
            None => {
                let supported: Vec<String> = REASONS.iter().map(|(n, _)| quote(n)).collect();
                let msg = format!(
                    "Unsupported value: {}: supported values: {}",
                    quote(&r),
                    supported.join(", ")
                );
                return Err(SchemaError::invalid(&format!("{path}.reason"), &msg));
            }
        },
    };
    let field_path = match text("fieldPath")? {
        None => None,
        Some(fp) if fp.is_empty() => None,
        Some(fp) => Some(normalize_field_path(&fp, node).map_err(|e| {
            let msg = format!("Invalid value: {}: fieldPath must be a valid path: {e}", quote(&fp));
            SchemaError::invalid(&format!("{path}.fieldPath"), &msg)
        })?),
    };
    let optional_old_self = raw.get("optionalOldSelf").and_then(Value::as_bool).unwrap_or(false);

    let mut single = stripped.clone();
    if let Value::Object(obj) = &mut single {
        obj.insert("x-kubernetes-validations".into(), Value::Array(vec![raw.clone()]));
    }
    let program = kube_cel::compile_schema(&single);
    if let Some(err) = program.compilation_errors().first() {
        // The parser's own text (`ERROR: <input>:1:9: Syntax error: ...`), as cel-go prints it.
        let detail =
            std::error::Error::source(*err).map_or_else(|| err.to_string(), |s| s.to_string());
        let (field, source) = match err {
            CompilationError::MessageExpressionParse { message_expression, .. } => {
                ("messageExpression", message_expression.clone())
            }
            _ => ("rule", rule),
        };
        return Err(SchemaError::Rule {
            path: format!("{path}.{field}"),
            rule: source,
            message: format!("compilation failed: {detail}"),
        });
    }
    let uses_old_self = program
        .validations
        .first()
        .and_then(|r| r.as_ref().ok())
        .is_some_and(|r| r.is_transition_rule);
    Ok(CompiledRule {
        program,
        rule,
        message,
        has_message_expression: message_expression.is_some(),
        reason,
        field_path,
        uses_old_self,
        optional_old_self,
    })
}

/// Removes every rule from a schema subtree (only schema-valued keywords are visited).
fn strip_rules(schema: &mut Value) {
    let Value::Object(obj) = schema else { return };
    obj.remove("x-kubernetes-validations");
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        props.values_mut().for_each(strip_rules);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = obj.get_mut(key) {
            strip_rules(sub);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            list.iter_mut().for_each(strip_rules);
        }
    }
}

/// Tokens of a rule `fieldPath`: `.`, `[`, `]`, `'quoted'` strings and names.
fn tokens(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        let end = if bytes[0] == b'\'' {
            let mut end = rest.len();
            for i in 1..bytes.len() {
                if bytes[i] == b'\'' && bytes[i - 1] != b'\\' {
                    end = i + 1;
                    break;
                }
            }
            end
        } else if matches!(bytes[0], b'.' | b'[' | b']') {
            1
        } else {
            rest.find(['.', '[', ']']).unwrap_or(rest.len())
        };
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

fn unescape_single_quoted(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('v') => '\u{b}',
            Some('\'') => '\'',
            Some('\\') => '\\',
            other => {
                return Err(format!(
                    "invalid string literal: invalid escape char \\{}",
                    other.unwrap_or(' ')
                ));
            }
        });
    }
    Ok(out)
}

/// `ValidFieldPath`: checks a rule's `fieldPath` against the schema and normalizes it.
fn normalize_field_path(field_path: &str, node: &Node) -> Result<String, String> {
    let mut path = FieldPath::root();
    let mut current = node;
    let toks = tokens(field_path);
    let mut it = toks.into_iter();
    while let Some(tok) = it.next() {
        let name = match tok {
            "[" => {
                let quoted = it.next().ok_or("unexpected end of JSON path")?;
                if quoted.len() < 2 || !quoted.starts_with('\'') || !quoted.ends_with('\'') {
                    return Err(format!("expected single quoted string but got {quoted}"));
                }
                let name = unescape_single_quoted(&quoted[1..quoted.len() - 1])?;
                match it.next() {
                    Some("]") => {}
                    Some(t) => return Err(format!("expected ] but got {t}")),
                    None => return Err("unexpected end of JSON path".into()),
                }
                name
            }
            "." => it.next().ok_or("unexpected end of JSON path")?.to_string(),
            other => return Err(format!("expected [ or . but got: {other}")),
        };
        if current.has_properties() {
            current = current.property(&name).ok_or("does not refer to a valid field")?;
            path = path.child(&name);
        } else if let Additional::Schema(add) = &current.additional {
            current = add;
            path = path.key(&name);
        } else {
            return Err("does not refer to a valid field".into());
        }
    }
    Ok(path.to_string())
}

fn rule_error_string(rule: &CompiledRule) -> String {
    if rule.message.trim().is_empty() {
        rule.rule.trim().to_string()
    } else {
        rule.message.trim().to_string()
    }
}

fn rule_message_or_default(rule: &CompiledRule) -> String {
    if rule.message.is_empty() {
        format!("failed rule: {}", rule_error_string(rule))
    } else {
        rule.message.trim().to_string()
    }
}

/// The text cel-go would give for a runtime error.
fn go_error_text(err: &ValidationError) -> String {
    let source = std::error::Error::source(err).and_then(|s| s.downcast_ref::<ExecutionError>());
    match source {
        Some(ExecutionError::NoSuchKey(k)) => format!("no such key: {k}"),
        Some(ExecutionError::DivisionByZero(_)) => "division by zero".into(),
        Some(ExecutionError::RemainderByZero(_)) => "modulus by zero".into(),
        Some(ExecutionError::NoSuchOverload) => "no such overload".into(),
        Some(ExecutionError::Overflow(..)) => "integer overflow".into(),
        Some(ExecutionError::IndexOutOfBounds(kube_cel::cel::Value::Int(i))) => {
            format!("index out of bounds: {i}")
        }
        Some(other) => other.to_string(),
        None => err.message.clone(),
    }
}

/// Evaluates one rule with `self` = `value`; returns the field error if it fails.
fn evaluate(
    rule: &CompiledRule,
    ty: &str,
    value: &Value,
    old: Option<&Value>,
    path: &FieldPath,
) -> Option<FieldError> {
    let errs = kube_cel::validate_compiled(&rule.program, value, old).err()?;
    let err = errs.first()?;
    match err.kind {
        ErrorKind::ValidationFailure | ErrorKind::InvalidResult => {
            let message = match err.message.trim() {
                m if rule.has_message_expression
                    && err.kind == ErrorKind::ValidationFailure
                    && !m.is_empty()
                    && !m.contains('\n')
                    && m.len() <= MAX_MESSAGE_EXPRESSION_BYTES =>
                {
                    m.to_string()
                }
                _ => rule_message_or_default(rule),
            };
            let field = match &rule.field_path {
                Some(fp) => path.child(fp),
                None => path.clone(),
            }
            .to_string();
            Some(match rule.reason {
                None | Some(Reason::Invalid) => FieldError::invalid(field, ty, &message),
                Some(Reason::Forbidden) => FieldError::forbidden(field, &message),
                Some(Reason::Required) => FieldError::required(field, &message),
                Some(Reason::Duplicate) => FieldError::duplicate(field, ty),
            })
        }
        _ => {
            let text = go_error_text(err);
            let detail = if text.starts_with("no such overload") {
                format!(
                    "'{text}': call arguments did not match a supported operator, function or macro signature for rule: {}",
                    rule_error_string(rule)
                )
            } else {
                format!("{text} evaluating rule: {}", rule_error_string(rule))
            };
            Some(FieldError::invalid(path.to_string(), ty, &detail))
        }
    }
}

/// What CEL sees of a resource: `metadata` only has `name` and `generateName`.
fn resource_view(value: &Value) -> Cow<'_, Value> {
    let Some(obj) = value.as_object() else { return Cow::Borrowed(value) };
    let Some(meta) = obj.get("metadata").and_then(Value::as_object) else {
        return Cow::Borrowed(value);
    };
    let mut restricted = Map::new();
    for key in ["name", "generateName"] {
        if let Some(v) = meta.get(key) {
            restricted.insert(key.to_string(), v.clone());
        }
    }
    let mut obj = obj.clone();
    obj.insert("metadata".into(), Value::Object(restricted));
    Cow::Owned(Value::Object(obj))
}

/// Walks the object and evaluates every rule. `ratchet` is `None` when ratcheting is off, else
/// whether an ancestor is unchanged; rules that do not use `oldSelf` are not enforced on values
/// equal to their old value.
pub(crate) fn validate(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    path: &FieldPath,
    resource: bool,
    ratchet: Option<bool>,
    out: &mut Vec<FieldError>,
) {
    if value.is_null() || !node.subtree_has_rules {
        return;
    }
    let unchanged = ratchet.map(|parent| parent || old.is_some_and(|o| o == value));
    if !node.rules.is_empty() {
        let (view, old_view) = if resource {
            (resource_view(value), old.map(resource_view))
        } else {
            (Cow::Borrowed(value), old.map(Cow::Borrowed))
        };
        for rule in &node.rules {
            if rule.uses_old_self && old.is_none() && !rule.optional_old_self {
                continue;
            }
            let Some(err) = evaluate(rule, &node.ty, &view, old_view.as_deref(), path) else {
                continue;
            };
            if !rule.uses_old_self && unchanged == Some(true) {
                continue; // ratcheted: upstream turns it into a warning
            }
            out.push(err);
        }
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let old_v = correlate::member(node, old, k);
                if let Some(prop) = node.property(k) {
                    validate(prop, v, old_v, &path.child(k), prop.embedded, unchanged, out);
                } else if let Additional::Schema(add) = &node.additional {
                    validate(add, v, old_v, &path.key(k), add.embedded, unchanged, out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = node.items.as_deref() {
                for (i, item) in items.iter().enumerate() {
                    let old_item = correlate::list_item(node, old, item);
                    validate(
                        item_node,
                        item,
                        old_item,
                        &path.index(i),
                        item_node.embedded,
                        unchanged,
                        out,
                    );
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(schema: Value) -> Node {
        Node::parse(&schema, "s", 0).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn field_paths_are_checked_and_normalized() {
        let n = node(json!({
            "type": "object",
            "properties": {
                "a.b": {"type": "object", "properties": {"c": {"type": "string"}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }));
        assert_eq!(normalize_field_path("['a.b'].c", &n).as_deref(), Ok("a.b.c"));
        assert_eq!(normalize_field_path(".labels['app']", &n).as_deref(), Ok("labels[app]"));
        assert_eq!(normalize_field_path(".labels.app", &n).as_deref(), Ok("labels[app]"));
        assert_eq!(
            normalize_field_path(".nope", &n),
            Err("does not refer to a valid field".to_string())
        );
        assert_eq!(
            normalize_field_path("nope", &n),
            Err("expected [ or . but got: nope".to_string())
        );
        assert!(normalize_field_path(".labels[app]", &n).is_err());
    }
}
