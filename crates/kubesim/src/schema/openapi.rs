//! OpenAPI keyword validation, in the order and with the messages of kube-openapi's
//! `SchemaValidator` (type, anyOf/oneOf/allOf/not, string, format, number, array, enum, object),
//! converted to field errors as the apiextensions apiserver does (`kubeOpenAPIResultToFieldErrors`).
//!
//! With an old object (an update), a value equal to its correlated old value is not checked:
//! that is the apiserver's validation ratcheting (`CRDValidationRatcheting`, on since 1.30).

use serde_json::{Map, Value};

use super::correlate;
use super::field_error::{BadValue, FieldError};
use super::formats;
use super::go_format::{self, GoNumber, quote};
use super::node::{Additional, Node};

/// The kube-openapi error codes the apiserver distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    InvalidType,
    Required,
    TooLong,
    TooShort,
    Pattern,
    Enum,
    MultipleOf,
    Max,
    Min,
    Unique,
    MaxItems,
    MinItems,
    TooFewProperties,
    TooManyProperties,
    UnallowedProperty,
    MultipleOfMustBePositive,
}

/// A kube-openapi error: a `*errors.Validation` (with a code and the path `name`), or a plain
/// error (`code: None`, e.g. the anyOf failure) which the apiserver reports at the root path.
#[derive(Clone, Debug)]
pub(crate) struct OaError {
    code: Option<Code>,
    name: String,
    value: Option<BadValue>,
    valid: Option<i64>,
    values: Vec<Value>,
    message: String,
}

impl OaError {
    fn new(code: Code, name: &str, value: Option<BadValue>, message: String) -> Self {
        Self {
            code: Some(code),
            name: name.to_string(),
            value,
            valid: None,
            values: Vec::new(),
            message,
        }
    }

    fn composite(message: String) -> Self {
        Self {
            code: None,
            name: String::new(),
            value: None,
            valid: None,
            values: Vec::new(),
            message,
        }
    }

    fn invalid_type(name: &str, type_name: &str, value: &str) -> Self {
        let message = format!("{name} in body must be of type {type_name}: {}", quote(value));
        Self::new(Code::InvalidType, name, Some(BadValue::Str(value.into())), message)
    }
}

/// A JSON value as Go's unstructured decoding types it.
enum Data<'a> {
    Null,
    Bool,
    Int(i64),
    Float(f64),
    Str(&'a str),
    Array(&'a [Value]),
    Object(&'a Map<String, Value>),
}

fn classify(v: &Value) -> Data<'_> {
    match v {
        Value::Null => Data::Null,
        Value::Bool(_) => Data::Bool,
        Value::Number(n) => match go_format::number(n) {
            GoNumber::Int(i) => Data::Int(i),
            GoNumber::Float(f) => Data::Float(f),
        },
        Value::String(s) => Data::Str(s),
        Value::Array(a) => Data::Array(a),
        Value::Object(m) => Data::Object(m),
    }
}

/// The JSON type and format kube-openapi infers for a value.
fn json_type(d: &Data<'_>) -> (&'static str, &'static str) {
    match d {
        Data::Null => ("null", ""),
        Data::Bool => ("boolean", ""),
        Data::Int(_) => ("integer", "int64"),
        Data::Float(_) => ("number", "float64"),
        Data::Str(_) => ("string", ""),
        Data::Array(_) => ("array", ""),
        Data::Object(_) => ("object", ""),
    }
}

/// `swag.IsFloat64AJSONInteger`.
fn is_json_integer(f: f64) -> bool {
    const MAX_JSON_FLOAT: f64 = 9_007_199_254_740_992.0;
    if !f.is_finite() || f.abs() > MAX_JSON_FLOAT {
        return false;
    }
    if f.fract() == 0.0 {
        return true;
    }
    let g = f.trunc();
    let diff = (f - g).abs();
    if g == 0.0 {
        return false;
    }
    diff / (f.abs() + g.abs()) < 1e-9
}

/// Validates `data` against `node`; `path` is kube-openapi's path (`spec.items[0].name`).
pub(crate) fn validate(
    node: &Node,
    data: &Value,
    path: &str,
    old: Option<&Value>,
    out: &mut Vec<OaError>,
) {
    if old.is_some_and(|o| o == data) {
        return; // ratcheting: an unchanged value keeps whatever it was
    }
    let d = classify(data);
    if let Data::Null = d {
        if !node.types.is_empty() && !node.nullable {
            out.push(OaError::invalid_type(path, &node.types.join(","), "null"));
        }
        check_enum(node, data, path, out);
        return;
    }
    if let Some(e) = check_type(node, &d, path) {
        out.push(e);
    }
    check_combinators(node, data, path, old, out);
    if let Data::Str(s) = d {
        check_string(node, s, path, out);
        if !node.format.is_empty() && !formats::is_valid(&node.format, s) {
            out.push(OaError::invalid_type(path, &node.format, s));
        }
    }
    match d {
        Data::Int(i) => check_int(node, i, path, out),
        Data::Float(f) => check_float(node, f, path, out),
        Data::Array(items) => check_array(node, items, path, old, out),
        _ => {}
    }
    check_enum(node, data, path, out);
    if let Data::Object(map) = d {
        check_object(node, map, path, old, out);
    }
}

fn check_type(node: &Node, d: &Data<'_>, path: &str) -> Option<OaError> {
    if node.types.is_empty() && node.format.is_empty() {
        return None;
    }
    let has = |t: &str| node.types.iter().any(|x| x == t);
    let (sch, fmt) = json_type(d);
    let float_int = matches!(d, Data::Float(f) if is_json_integer(*f)) && has("integer");
    let int_float = sch == "integer" && has("number");
    let string_or_slice = matches!(d, Data::Str(_) | Data::Array(_));
    let matches_type = has(sch) || float_int || int_float;
    let format_set = !node.format.is_empty();
    if format_set && !string_or_slice && !matches_type && fmt != node.format {
        return Some(OaError::invalid_type(path, &node.format, fmt));
    }
    // A formatted non-numeric schema accepts any string (or array) here; the format is
    // checked by the format validator.
    if format_set && string_or_slice && !has("number") && !has("integer") {
        return None;
    }
    if !matches_type {
        return Some(OaError::invalid_type(path, &node.types.join(","), sch));
    }
    None
}

fn validate_branch(node: &Node, data: &Value, path: &str, old: Option<&Value>) -> Vec<OaError> {
    let mut errs = Vec::new();
    validate(node, data, path, old, &mut errs);
    errs
}

/// anyOf / oneOf / allOf / not (kube-openapi's `schemaPropsValidator`).
fn check_combinators(
    node: &Node,
    data: &Value,
    path: &str,
    old: Option<&Value>,
    out: &mut Vec<OaError>,
) {
    if !node.any_of.is_empty() {
        let results: Vec<Vec<OaError>> =
            node.any_of.iter().map(|b| validate_branch(b, data, path, old)).collect();
        if !results.iter().any(Vec::is_empty) {
            out.push(OaError::composite(format!(
                "{} must validate at least one schema (anyOf)",
                quote(path)
            )));
            out.extend(results.into_iter().next().unwrap_or_default());
        }
    }
    if !node.one_of.is_empty() {
        let results: Vec<Vec<OaError>> =
            node.one_of.iter().map(|b| validate_branch(b, data, path, old)).collect();
        let valid = results.iter().filter(|r| r.is_empty()).count();
        if valid != 1 {
            let detail = if valid == 0 {
                "Found none valid".to_string()
            } else {
                format!("Found {valid} valid alternatives")
            };
            out.push(OaError::composite(format!(
                "{} must validate one and only one schema (oneOf). {detail}",
                quote(path)
            )));
            if valid == 0 {
                out.extend(results.into_iter().next().unwrap_or_default());
            }
        }
    }
    if !node.all_of.is_empty() {
        let mut valid = 0;
        for branch in &node.all_of {
            let errs = validate_branch(branch, data, path, old);
            if errs.is_empty() {
                valid += 1;
            }
            out.extend(errs);
        }
        if valid != node.all_of.len() {
            let detail = if valid == 0 { ". None validated" } else { "" };
            out.push(OaError::composite(format!(
                "{} must validate all the schemas (allOf){detail}",
                quote(path)
            )));
        }
    }
    if let Some(not) = &node.not
        && validate_branch(not, data, path, old).is_empty()
    {
        out.push(OaError::composite(format!("{} must not validate the schema (not)", quote(path))));
    }
}

fn check_string(node: &Node, s: &str, path: &str, out: &mut Vec<OaError>) {
    let len = s.chars().count() as i64;
    let value = || Some(BadValue::Str(s.to_string()));
    if let Some(max) = node.max_length
        && len > max
    {
        let mut e = OaError::new(
            Code::TooLong,
            path,
            value(),
            format!("{path} in body should be at most {max} chars long"),
        );
        e.valid = Some(max);
        out.push(e);
    } else if let Some(min) = node.min_length
        && len < min
    {
        out.push(OaError::new(
            Code::TooShort,
            path,
            value(),
            format!("{path} in body should be at least {min} chars long"),
        ));
    } else if let Some(p) = &node.pattern
        && !p.regex.is_match(s)
    {
        out.push(OaError::new(
            Code::Pattern,
            path,
            value(),
            format!("{path} in body should match '{}'", p.source),
        ));
    }
}

fn bound_message(path: &str, is_max: bool, exclusive: bool, bound: &str) -> String {
    let relation = match (is_max, exclusive) {
        (true, false) => "less than or equal to",
        (true, true) => "less than",
        (false, false) => "greater than or equal to",
        (false, true) => "greater than",
    };
    format!("{path} in body should be {relation} {bound}")
}

fn check_int(node: &Node, i: i64, path: &str, out: &mut Vec<OaError>) {
    let value = Some(BadValue::Int(i));
    if let Some(m) = node.multiple_of {
        let factor = m as i64;
        if factor <= 0 {
            let msg = format!("factor MultipleOf declared for {path} must be positive: {factor}");
            out.push(OaError::new(
                Code::MultipleOfMustBePositive,
                path,
                Some(BadValue::Int(factor)),
                msg,
            ));
        } else if i % factor != 0 {
            let msg = format!("{path} in body should be a multiple of {factor}");
            out.push(OaError::new(Code::MultipleOf, path, value.clone(), msg));
        }
    }
    if let Some(min) = node.minimum {
        let min = min as i64;
        if (!node.exclusive_minimum && i < min) || (node.exclusive_minimum && i <= min) {
            let msg = bound_message(path, false, node.exclusive_minimum, &min.to_string());
            out.push(OaError::new(Code::Min, path, value.clone(), msg));
        }
    }
    if let Some(max) = node.maximum {
        let max = max as i64;
        if (!node.exclusive_maximum && i > max) || (node.exclusive_maximum && i >= max) {
            let msg = bound_message(path, true, node.exclusive_maximum, &max.to_string());
            out.push(OaError::new(Code::Max, path, value, msg));
        }
    }
}

fn check_float(node: &Node, f: f64, path: &str, out: &mut Vec<OaError>) {
    let value = Some(BadValue::Float(f));
    if let Some(factor) = node.multiple_of {
        if factor <= 0.0 {
            let msg = format!(
                "factor MultipleOf declared for {path} must be positive: {}",
                go_format::float(factor)
            );
            out.push(OaError::new(
                Code::MultipleOfMustBePositive,
                path,
                Some(BadValue::Float(factor)),
                msg,
            ));
        } else {
            let mult = if factor < 1.0 { 1.0 / factor * f } else { f / factor };
            if !is_json_integer(mult) {
                let msg =
                    format!("{path} in body should be a multiple of {}", go_format::float(factor));
                out.push(OaError::new(Code::MultipleOf, path, value.clone(), msg));
            }
        }
    }
    if let Some(min) = node.minimum
        && ((!node.exclusive_minimum && f < min) || (node.exclusive_minimum && f <= min))
    {
        let msg = bound_message(path, false, node.exclusive_minimum, &go_format::float(min));
        out.push(OaError::new(Code::Min, path, value.clone(), msg));
    }
    if let Some(max) = node.maximum
        && ((!node.exclusive_maximum && f > max) || (node.exclusive_maximum && f >= max))
    {
        let msg = bound_message(path, true, node.exclusive_maximum, &go_format::float(max));
        out.push(OaError::new(Code::Max, path, value, msg));
    }
}

fn check_array(
    node: &Node,
    items: &[Value],
    path: &str,
    old: Option<&Value>,
    out: &mut Vec<OaError>,
) {
    if let Some(item_node) = node.items.as_deref() {
        for (i, item) in items.iter().enumerate() {
            let old_item = correlate::list_item(node, old, item);
            validate(item_node, item, &format!("{path}[{i}]"), old_item, out);
        }
    }
    let size = items.len() as i64;
    if let Some(min) = node.min_items
        && size < min
    {
        let msg = format!("{path} in body should have at least {min} items");
        out.push(OaError::new(Code::MinItems, path, Some(BadValue::Int(size)), msg));
    }
    if let Some(max) = node.max_items
        && size > max
    {
        let msg = format!("{path} in body should have at most {max} items");
        let mut e = OaError::new(Code::MaxItems, path, Some(BadValue::Int(size)), msg);
        e.valid = Some(max);
        out.push(e);
    }
    if node.unique_items && items.iter().enumerate().any(|(i, a)| items[..i].contains(a)) {
        let msg = format!("{path} in body shouldn't contain duplicates");
        out.push(OaError::new(Code::Unique, path, None, msg));
    }
}

/// Enum membership with Go's `reflect` conversion rules (an int matches a float enum value).
fn enum_matches(data: &Value, candidate: &Value) -> bool {
    match (data, candidate) {
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Number(a), Value::Number(b)) => {
            match (go_format::number(a), go_format::number(b)) {
                (GoNumber::Int(a), GoNumber::Int(b)) => a == b,
                (GoNumber::Int(a), GoNumber::Float(b)) => a as f64 == b,
                (GoNumber::Float(a), GoNumber::Int(b)) => a as i64 == b,
                (GoNumber::Float(a), GoNumber::Float(b)) => a == b,
            }
        }
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            data == candidate
        }
        _ => false,
    }
}

fn check_enum(node: &Node, data: &Value, path: &str, out: &mut Vec<OaError>) {
    let Some(values) = &node.enum_values else { return };
    if values.is_empty() || values.iter().any(|e| enum_matches(data, e)) {
        return;
    }
    let listed: Vec<String> = values.iter().map(go_format::json_marshal).collect();
    let mut e = OaError::new(
        Code::Enum,
        path,
        Some(BadValue::from(data)),
        format!("{path} in body should be one of [{}]", listed.join(" ")),
    );
    e.values = values.clone();
    out.push(e);
}

fn check_object(
    node: &Node,
    map: &Map<String, Value>,
    path: &str,
    old: Option<&Value>,
    out: &mut Vec<OaError>,
) {
    let n = map.len() as i64;
    if let Some(min) = node.min_properties
        && n < min
    {
        let msg = format!("{path} in body should have at least {min} properties");
        out.push(OaError::new(Code::TooFewProperties, path, Some(BadValue::Int(n)), msg));
    }
    if let Some(max) = node.max_properties
        && n > max
    {
        let msg = format!("{path} in body should have at most {max} properties");
        let mut e = OaError::new(Code::TooManyProperties, path, Some(BadValue::Int(n)), msg);
        e.valid = Some(max);
        out.push(e);
    }
    for (k, v) in map {
        if node.property(k).is_some() {
            continue;
        }
        match &node.additional {
            Additional::Allowed(false) => {
                let msg = format!("{path}.{k} in body is a forbidden property");
                out.push(OaError::new(
                    Code::UnallowedProperty,
                    path,
                    Some(BadValue::Str(k.clone())),
                    msg,
                ));
            }
            Additional::Schema(s) => {
                validate(s, v, &format!("{path}.{k}"), correlate::member(node, old, k), out);
            }
            _ => {}
        }
    }
    for (k, v) in map {
        if let Some(prop) = node.property(k) {
            let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            validate(prop, v, &child, correlate::member(node, old, k), out);
        }
    }
    for k in &node.required {
        if !map.contains_key(k) {
            let name = format!("{path}.{k}");
            let msg = format!("{name} in body is required");
            out.push(OaError::new(Code::Required, &name, None, msg));
        }
    }
}

/// Converts kube-openapi errors to field errors under `prefix` (`None` for the object root).
pub(crate) fn to_field_errors(errs: Vec<OaError>, prefix: Option<&str>) -> Vec<FieldError> {
    let root = prefix.unwrap_or("<nil>").to_string();
    errs.into_iter()
        .map(|e| {
            let Some(code) = e.code else {
                return FieldError::invalid(root.clone(), "", &e.message);
            };
            let field = if e.name.is_empty() || e.name == "." {
                root.clone()
            } else {
                let name = e.name.strip_prefix('.').unwrap_or(&e.name);
                match prefix {
                    Some(p) => format!("{p}.{name}"),
                    None => name.to_string(),
                }
            };
            let value = e.value.unwrap_or(BadValue::Str(String::new()));
            match code {
                Code::Required => FieldError::required(field, ""),
                Code::Enum => {
                    let supported: Vec<String> = e
                        .values
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            other => go_format::json_marshal(other),
                        })
                        .collect();
                    FieldError::not_supported(field, value, &supported)
                }
                Code::TooLong => FieldError::too_long(field, e.valid.unwrap_or(-1)),
                Code::MaxItems | Code::TooManyProperties => {
                    let actual = match value {
                        BadValue::Int(i) => Some(i),
                        _ => None,
                    };
                    FieldError::too_many(field, actual, e.valid.unwrap_or(-1))
                }
                Code::InvalidType => FieldError::type_invalid(field, value, &e.message),
                _ => FieldError::invalid(field, value, &e.message),
            }
        })
        .collect()
}
