//! `metadata.managedFields`: one entry per manager, operation (Apply or Update), apiVersion
//! (Update entries only are told apart by it) and subresource, each with the fields it owns
//! (`fieldsV1`) and when it last changed them.

use serde_json::{Map, Value, json};

use super::fieldset::FieldSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: String,
    pub fields: FieldSet,
}

impl Entry {
    /// Whether `self` is the entry of this (manager, operation, subresource[, apiVersion]).
    pub fn is(
        &self,
        manager: &str,
        operation: Operation,
        subresource: &str,
        api_version: &str,
    ) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource == subresource
            && (operation == Operation::Apply || self.api_version == api_version)
    }

    /// How conflicts name the manager: `"kubectl"`, `"kube-rs" using v1`,
    /// `"x" with subresource "status" using v1`.
    pub fn describe(&self) -> String {
        let mut text = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            text.push_str(&format!(" with subresource {:?}", self.subresource));
        }
        if self.operation == Operation::Update {
            text.push_str(&format!(" using {}", self.api_version));
        }
        text
    }

    fn encode(&self) -> Value {
        let mut out = Map::new();
        out.insert("manager".into(), json!(self.manager));
        out.insert("operation".into(), json!(self.operation.as_str()));
        out.insert("apiVersion".into(), json!(self.api_version));
        if let Some(time) = &self.time {
            out.insert("time".into(), json!(time));
        }
        out.insert("fieldsType".into(), json!("FieldsV1"));
        out.insert("fieldsV1".into(), self.fields.to_fields_v1());
        if !self.subresource.is_empty() {
            out.insert("subresource".into(), json!(self.subresource));
        }
        Value::Object(out)
    }

    fn decode(value: &Value, index: usize) -> Result<Entry, String> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or("").to_string();
        let operation = match text("operation").as_str() {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return Err("operation must be `Apply` or `Update`".into()),
        };
        let api_version = text("apiVersion");
        if api_version.is_empty() {
            return Err("apiVersion must not be empty".into());
        }
        match text("fieldsType").as_str() {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {index}")),
            other => {
                return Err(format!(
                    "invalid fieldsType {other:?} in managed fields entry {index}"
                ));
            }
        }
        let fields = match value.get("fieldsV1") {
            None | Some(Value::Null) => FieldSet::new(),
            Some(v) => FieldSet::from_fields_v1(v)?,
        };
        Ok(Entry {
            manager: text("manager"),
            operation,
            api_version,
            time: value.get("time").and_then(Value::as_str).map(str::to_string),
            subresource: text("subresource"),
            fields,
        })
    }
}

/// All entries of an object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Managed {
    pub entries: Vec<Entry>,
}

impl Managed {
    /// The entries of `metadata.managedFields` (none when absent).
    pub fn decode(list: Option<&Value>) -> Result<Managed, String> {
        let entries = match list {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| Entry::decode(v, i))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("managedFields must be a list".into()),
        };
        Ok(Managed { entries })
    }

    /// The list to store, sorted as the apiserver sorts it; `None` when no one owns anything.
    pub fn encode(&self) -> Option<Value> {
        let mut entries: Vec<&Entry> =
            self.entries.iter().filter(|e| !e.fields.is_empty()).collect();
        if entries.is_empty() {
            return None;
        }
        entries.sort_by(|p, q| {
            p.operation
                .cmp(&q.operation)
                .then_with(|| p.time.cmp(&q.time))
                .then_with(|| p.manager.cmp(&q.manager))
                .then_with(|| p.api_version.cmp(&q.api_version))
                .then_with(|| p.subresource.cmp(&q.subresource))
        });
        Some(Value::Array(entries.into_iter().map(Entry::encode).collect()))
    }

    pub fn find(
        &self,
        manager: &str,
        operation: Operation,
        subresource: &str,
        api_version: &str,
    ) -> Option<usize> {
        self.entries.iter().position(|e| e.is(manager, operation, subresource, api_version))
    }

    /// Everything any manager owns.
    pub fn owned(&self) -> FieldSet {
        self.entries.iter().fold(FieldSet::new(), |acc, e| acc.union(&e.fields))
    }

    /// Equal but for the times.
    pub fn same_ownership(&self, other: &Managed) -> bool {
        let strip = |m: &Managed| {
            let mut entries: Vec<Entry> = m
                .entries
                .iter()
                .filter(|e| !e.fields.is_empty())
                .map(|e| Entry { time: None, ..e.clone() })
                .collect();
            entries.sort_by(|a, b| {
                (&a.manager, a.operation, &a.subresource, &a.api_version).cmp(&(
                    &b.manager,
                    b.operation,
                    &b.subresource,
                    &b.api_version,
                ))
            });
            entries
        };
        strip(self) == strip(other)
    }
}

/// The manager of a request that names none: the user agent up to its first `/`, printable
/// characters only, at most 128 bytes (as the apiserver derives it).
pub fn manager_from_user_agent(user_agent: &str) -> String {
    let prefix = user_agent.split('/').next().unwrap_or("");
    let mut out = String::new();
    for c in prefix.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > 128 {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_sort_apply_first() {
        let list = json!([
            {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1",
             "time": "2024-01-01T00:00:02Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {"f:b": {}}}},
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
             "time": "2024-01-01T00:00:01Z", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {"f:a": {}}}},
        ]);
        let managed = Managed::decode(Some(&list)).unwrap();
        let encoded = managed.encode().unwrap();
        assert_eq!(encoded[0]["manager"], "kubectl");
        assert_eq!(encoded[1], list[0]);
        assert!(managed.find("kubectl", Operation::Apply, "", "v2").is_some());
        assert!(managed.find("kubectl-edit", Operation::Update, "", "v2").is_none());
    }

    #[test]
    fn invalid_entries_are_refused() {
        let bad = json!([{"manager": "m", "operation": "Patch", "apiVersion": "v1"}]);
        assert!(Managed::decode(Some(&bad)).is_err());
        let bad = json!([{"manager": "m", "operation": "Update", "apiVersion": "v1"}]);
        assert_eq!(
            Managed::decode(Some(&bad)).unwrap_err(),
            "missing fieldsType in managed fields entry 0"
        );
    }

    #[test]
    fn managers_are_named_like_the_apiserver_does() {
        assert_eq!(
            manager_from_user_agent("kubectl/v1.32.5 (linux/amd64) kubernetes/abc"),
            "kubectl"
        );
        let entry = Entry {
            manager: "m".into(),
            operation: Operation::Update,
            api_version: "apps/v1".into(),
            time: None,
            subresource: "status".into(),
            fields: FieldSet::new(),
        };
        assert_eq!(entry.describe(), "\"m\" with subresource \"status\" using apps/v1");
    }
}
