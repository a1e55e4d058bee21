//! The structural schema, parsed once from `openAPIV3Schema` into a typed tree.

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use super::SchemaError;
use super::cel::{self, CompiledRule};

/// Formats the apiserver validates for strings (kube-openapi's registry, names without `-`).
const STRING_FORMATS: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
];

const TYPES: &[&str] = &["object", "array", "string", "integer", "number", "boolean"];

/// `additionalProperties` of an object node.
#[derive(Debug, Default)]
pub(crate) enum Additional {
    #[default]
    Absent,
    /// `additionalProperties: true|false`.
    Allowed(bool),
    Schema(Box<Node>),
}

/// A compiled `pattern`.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub source: String,
    pub regex: Regex,
}

/// One schema node with the keywords the apiserver acts on.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// The declared `type` ("" when absent), used as the bad value of CEL rule errors.
    pub ty: String,
    /// The types the value must have (`integer,string` for int-or-string).
    pub types: Vec<String>,
    /// The `format` the validator enforces (unsupported formats are dropped, as upstream does).
    pub format: String,
    pub nullable: bool,
    pub default: Option<Value>,
    pub enum_values: Option<Vec<Value>>,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub multiple_of: Option<f64>,
    pub max_length: Option<i64>,
    pub min_length: Option<i64>,
    pub pattern: Option<Pattern>,
    pub max_items: Option<i64>,
    pub min_items: Option<i64>,
    pub unique_items: bool,
    pub max_properties: Option<i64>,
    pub min_properties: Option<i64>,
    pub required: Vec<String>,
    properties: Vec<(String, Node)>,
    property_index: HashMap<String, usize>,
    pub additional: Additional,
    pub items: Option<Box<Node>>,
    pub all_of: Vec<Node>,
    pub any_of: Vec<Node>,
    pub one_of: Vec<Node>,
    pub not: Option<Box<Node>>,
    pub preserve_unknown: bool,
    pub embedded: bool,
    pub list_type: Option<String>,
    pub list_map_keys: Vec<String>,
    /// `x-kubernetes-validations` of this node (and of its `allOf` branches), compiled.
    pub rules: Vec<CompiledRule>,
    /// Whether this node or any node below it has rules.
    pub subtree_has_rules: bool,
}

impl Node {
    pub fn property(&self, name: &str) -> Option<&Node> {
        self.property_index.get(name).and_then(|i| self.properties.get(*i)).map(|(_, n)| n)
    }

    pub fn properties(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.properties.iter().map(|(k, n)| (k.as_str(), n))
    }

    pub fn has_properties(&self) -> bool {
        !self.properties.is_empty()
    }

    /// The schema of an object member `key`: its property, else `additionalProperties`.
    pub fn member(&self, key: &str) -> Option<&Node> {
        self.property(key).or(match &self.additional {
            Additional::Schema(s) => Some(s),
            _ => None,
        })
    }

    /// Parses a schema node; `path` names it in errors (`openAPIV3Schema.properties[spec]`).
    pub fn parse(schema: &Value, path: &str, depth: usize) -> Result<Node, SchemaError> {
        if depth > MAX_DEPTH {
            return Err(SchemaError::invalid(path, "schema is nested too deeply"));
        }
        let Some(obj) = schema.as_object() else {
            return Err(SchemaError::invalid(path, "must be an object"));
        };
        let mut node = Node {
            ty: str_field(obj, "type", path)?.unwrap_or_default(),
            nullable: bool_field(obj, "nullable", path)?,
            default: obj.get("default").cloned(),
            maximum: num_field(obj, "maximum", path)?,
            exclusive_maximum: bool_field(obj, "exclusiveMaximum", path)?,
            minimum: num_field(obj, "minimum", path)?,
            exclusive_minimum: bool_field(obj, "exclusiveMinimum", path)?,
            multiple_of: num_field(obj, "multipleOf", path)?,
            max_length: int_field(obj, "maxLength", path)?,
            min_length: int_field(obj, "minLength", path)?,
            max_items: int_field(obj, "maxItems", path)?,
            min_items: int_field(obj, "minItems", path)?,
            unique_items: bool_field(obj, "uniqueItems", path)?,
            max_properties: int_field(obj, "maxProperties", path)?,
            min_properties: int_field(obj, "minProperties", path)?,
            preserve_unknown: bool_field(obj, "x-kubernetes-preserve-unknown-fields", path)?,
            embedded: bool_field(obj, "x-kubernetes-embedded-resource", path)?,
            list_type: str_field(obj, "x-kubernetes-list-type", path)?,
            ..Node::default()
        };
        if !node.ty.is_empty() && !TYPES.contains(&node.ty.as_str()) {
            return Err(SchemaError::invalid(
                &format!("{path}.type"),
                &format!("Unsupported value: {:?}", node.ty),
            ));
        }
        if let Some(list_type) = &node.list_type
            && !["atomic", "set", "map"].contains(&list_type.as_str())
        {
            let msg = format!(
                "Unsupported value: {list_type:?}: supported values: \"atomic\", \"set\", \"map\""
            );
            return Err(SchemaError::invalid(&format!("{path}.x-kubernetes-list-type"), &msg));
        }
        let int_or_string = bool_field(obj, "x-kubernetes-int-or-string", path)?;
        node.types = if int_or_string {
            vec!["integer".into(), "string".into()]
        } else if node.ty.is_empty() {
            Vec::new()
        } else {
            vec![node.ty.clone()]
        };
        let format = str_field(obj, "format", path)?.unwrap_or_default();
        node.format = validated_format(&format, &node.types);
        if let Some(values) = obj.get("enum") {
            let Some(values) = values.as_array() else {
                return Err(SchemaError::invalid(&format!("{path}.enum"), "must be an array"));
            };
            node.enum_values = Some(values.clone());
        }
        if let Some(source) = str_field(obj, "pattern", path)? {
            let regex =
                regex::RegexBuilder::new(&source).size_limit(1 << 24).build().map_err(|e| {
                    let msg = format!(
                        "Invalid value: {:?}: must be a valid regular expression, but isn't: {e}",
                        source
                    );
                    SchemaError::invalid(&format!("{path}.pattern"), &msg)
                })?;
            node.pattern = Some(Pattern { source, regex });
        }
        if let Some(req) = obj.get("required") {
            let names = req
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_str()).collect::<Option<Vec<_>>>());
            let Some(names) = names else {
                return Err(SchemaError::invalid(
                    &format!("{path}.required"),
                    "must be a list of strings",
                ));
            };
            node.required = names.into_iter().map(str::to_string).collect();
        }
        if let Some(keys) = obj.get("x-kubernetes-list-map-keys") {
            let names = keys
                .as_array()
                .and_then(|a| a.iter().map(|v| v.as_str()).collect::<Option<Vec<_>>>());
            let Some(names) = names else {
                return Err(SchemaError::invalid(
                    &format!("{path}.x-kubernetes-list-map-keys"),
                    "must be a list of strings",
                ));
            };
            node.list_map_keys = names.into_iter().map(str::to_string).collect();
        }
        if node.list_type.as_deref() == Some("map") && node.list_map_keys.is_empty() {
            return Err(SchemaError::invalid(
                &format!("{path}.x-kubernetes-list-map-keys"),
                "Required value: must not be empty if x-kubernetes-list-type is map",
            ));
        }
        if let Some(props) = obj.get("properties") {
            let Some(props) = props.as_object() else {
                return Err(SchemaError::invalid(
                    &format!("{path}.properties"),
                    "must be an object",
                ));
            };
            for (name, sub) in props {
                let child = Node::parse(sub, &format!("{path}.properties[{name}]"), depth + 1)?;
                node.property_index.insert(name.clone(), node.properties.len());
                node.properties.push((name.clone(), child));
            }
        }
        node.additional = match obj.get("additionalProperties") {
            None | Some(Value::Null) => Additional::Absent,
            Some(Value::Bool(b)) => Additional::Allowed(*b),
            Some(sub) => Additional::Schema(Box::new(Node::parse(
                sub,
                &format!("{path}.additionalProperties"),
                depth + 1,
            )?)),
        };
        if let Some(items) = obj.get("items") {
            node.items = Some(Box::new(Node::parse(items, &format!("{path}.items"), depth + 1)?));
        }
        node.all_of = parse_list(obj, "allOf", path, depth)?;
        node.any_of = parse_list(obj, "anyOf", path, depth)?;
        node.one_of = parse_list(obj, "oneOf", path, depth)?;
        if let Some(not) = obj.get("not") {
            node.not = Some(Box::new(Node::parse(not, &format!("{path}.not"), depth + 1)?));
        }
        node.rules = cel::compile_rules(schema, &node, path)?;
        // Rules of allOf branches apply to this node's value (upstream's `AllOfValidators`).
        for branch in &mut node.all_of {
            node.rules.append(&mut branch.rules);
        }
        node.subtree_has_rules = !node.rules.is_empty()
            || node.properties.iter().any(|(_, n)| n.subtree_has_rules)
            || node.items.as_ref().is_some_and(|n| n.subtree_has_rules)
            || matches!(&node.additional, Additional::Schema(n) if n.subtree_has_rules);
        Ok(node)
    }
}

const MAX_DEPTH: usize = 64;

fn parse_list(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    depth: usize,
) -> Result<Vec<Node>, SchemaError> {
    let Some(list) = obj.get(key) else { return Ok(Vec::new()) };
    let Some(list) = list.as_array() else {
        return Err(SchemaError::invalid(&format!("{path}.{key}"), "must be an array"));
    };
    list.iter()
        .enumerate()
        .map(|(i, s)| Node::parse(s, &format!("{path}.{key}[{i}]"), depth + 1))
        .collect()
}

/// Keeps `format` only where the apiserver enforces it (`StripUnsupportedFormatsPostProcess`).
fn validated_format(format: &str, types: &[String]) -> String {
    if format.is_empty() {
        return String::new();
    }
    let single = if types.len() == 1 { types[0].as_str() } else { "" };
    let keep = match single {
        "" | "string" => STRING_FORMATS.contains(&format.replace('-', "").as_str()),
        "integer" => format == "int32" || format == "int64",
        "number" => format == "float" || format == "double",
        _ => false,
    };
    if keep { format.to_string() } else { String::new() }
}

fn str_field(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, SchemaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SchemaError::invalid(&format!("{path}.{key}"), "must be a string")),
    }
}

fn bool_field(obj: &Map<String, Value>, key: &str, path: &str) -> Result<bool, SchemaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(SchemaError::invalid(&format!("{path}.{key}"), "must be a boolean")),
    }
}

fn num_field(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<f64>, SchemaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(SchemaError::invalid(&format!("{path}.{key}"), "must be a number")),
    }
}

fn int_field(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<i64>, SchemaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(_) => Err(SchemaError::invalid(&format!("{path}.{key}"), "must be an integer")),
    }
}
