//! Tables of custom resources: NAME, then the version's `additionalPrinterColumns` (AGE when
//! the CRD declares none, as CRD defaulting gives), each cell from the column's JSONPath and
//! typed as the apiextensions apiserver types it (`date` cells become ages).

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::columns::{NAME_DESCRIPTION, name, since};
use super::jsonpath::{JsonPath, to_text};
use crate::registry::CustomInfo;

fn default_columns() -> Vec<Value> {
    vec![json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"})]
}

fn printer_columns(info: &CustomInfo) -> Vec<Value> {
    if info.printer_columns.is_empty() { default_columns() } else { info.printer_columns.clone() }
}

fn field<'v>(column: &'v Value, key: &str) -> &'v str {
    column.get(key).and_then(Value::as_str).unwrap_or("")
}

pub fn columns(info: &CustomInfo) -> Vec<Value> {
    let mut out = vec![json!({"name": "Name", "type": "string", "format": "name",
                               "description": NAME_DESCRIPTION, "priority": 0})];
    for column in printer_columns(info) {
        let path = field(&column, "jsonPath");
        let description = match field(&column, "description") {
            "" => format!("Custom resource definition column (in JSONPath format): {path}"),
            d => d.to_string(),
        };
        out.push(json!({
            "name": field(&column, "name"),
            "type": field(&column, "type"),
            "format": field(&column, "format"),
            "description": description,
            "priority": column.get("priority").and_then(Value::as_i64).unwrap_or(0),
        }));
    }
    out
}

pub fn cells(info: &CustomInfo, obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut out = vec![name(obj)];
    for column in printer_columns(info) {
        let found = JsonPath::parse(field(&column, "jsonPath"))
            .ok()
            .and_then(|p| p.find(obj).first().map(|v| (*v).clone()));
        out.push(match found {
            None | Some(Value::Null) => Value::Null,
            Some(value) => cell(field(&column, "type"), &value, now),
        });
    }
    out
}

/// A cell of the column's type, or null when the value does not have it.
fn cell(kind: &str, value: &Value, now: Timestamp) -> Value {
    match kind {
        "string" => json!(to_text(value)),
        "integer" => match value {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map_or(Value::Null, |i| json!(i)),
            _ => Value::Null,
        },
        "number" => value.as_f64().map_or(Value::Null, |f| json!(f)),
        "boolean" => value.as_bool().map_or(Value::Null, |b| json!(b)),
        "date" => match value.as_str() {
            Some(text) if text.parse::<Timestamp>().is_ok() => json!(since(text, now)),
            Some(_) => json!("<invalid>"),
            None => Value::Null,
        },
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> CustomInfo {
        CustomInfo {
            printer_columns: vec![
                json!({"name": "Status", "type": "string", "jsonPath": ".status.status"}),
                json!({"name": "Ready", "type": "string",
                       "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"}),
                json!({"name": "Drives", "type": "integer", "jsonPath": ".spec.drives", "priority": 1}),
                json!({"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"}),
                json!({"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"}),
                json!({"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn columns_follow_the_crd() {
        let cols = columns(&info());
        let names: Vec<&str> = cols.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Name", "Status", "Ready", "Drives", "Ratio", "Paused", "Age"]);
        assert_eq!(cols[3]["priority"], 1);
        assert_eq!(
            cols[1]["description"],
            "Custom resource definition column (in JSONPath format): .status.status"
        );
        let default = columns(&CustomInfo::default());
        assert_eq!(default[1]["name"], "Age");
    }

    #[test]
    fn cells_are_typed_and_dates_become_ages() {
        let obj = json!({"metadata": {"name": "c1", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"drives": 6.0, "ratio": 1, "paused": "no"},
            "status": {"status": "Ready", "conditions": [{"type": "Ready", "status": "True"}]}});
        let now = "2024-01-03T05:00:00Z".parse().unwrap();
        assert_eq!(
            cells(&info(), &obj, now),
            vec![
                json!("c1"),
                json!("Ready"),
                json!("True"),
                json!(6),
                json!(1.0),
                Value::Null,
                json!("2d5h")
            ]
        );
    }
}
