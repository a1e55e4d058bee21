//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!`exists) and field selectors
//! (`=`, `==`, `!=` on the field labels a resource supports), parsed and matched against
//! objects held as JSON.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
enum LabelOp {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct LabelRequirement {
    key: String,
    op: LabelOp,
    values: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<LabelRequirement>,
}

/// Splits on commas outside parentheses.
fn split_terms(s: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&s[start..]);
    terms.into_iter().map(str::trim).filter(|t| !t.is_empty()).collect()
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 317
        && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
}

fn valid_value(value: &str) -> bool {
    value.len() <= 63
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for term in split_terms(s) {
            requirements.push(parse_label_term(term)?);
        }
        Ok(LabelSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels.and_then(|l| l.get(&r.key)).and_then(Value::as_str);
            match r.op {
                LabelOp::Exists => value.is_some(),
                LabelOp::DoesNotExist => value.is_none(),
                LabelOp::Equals | LabelOp::In => {
                    value.is_some_and(|v| r.values.iter().any(|x| x == v))
                }
                LabelOp::NotEquals | LabelOp::NotIn => {
                    value.is_none_or(|v| r.values.iter().all(|x| x != v))
                }
            }
        })
    }
}

fn parse_label_term(term: &str) -> Result<LabelRequirement, String> {
    let fail = |why: &str| format!("unable to parse requirement: {why}: {term:?}");
    if let Some(key) = term.strip_prefix('!') {
        let key = key.trim();
        if !valid_key(key) {
            return Err(fail("invalid label key"));
        }
        return Ok(LabelRequirement { key: key.into(), op: LabelOp::DoesNotExist, values: vec![] });
    }
    if let Some(open) = term.find('(') {
        let close = term
            .rfind(')')
            .filter(|c| *c > open && term[c + 1..].trim().is_empty())
            .ok_or_else(|| fail("expected ')'"))?;
        let mut head = term[..open].split_whitespace();
        let key = head.next().unwrap_or("");
        let op = match head.next() {
            Some("in") => LabelOp::In,
            Some("notin") => LabelOp::NotIn,
            _ => return Err(fail("expected 'in' or 'notin'")),
        };
        if head.next().is_some() || !valid_key(key) {
            return Err(fail("invalid label key"));
        }
        let values: Vec<String> =
            term[open + 1..close].split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(|v| !valid_value(v)) {
            return Err(fail("invalid label value"));
        }
        return Ok(LabelRequirement { key: key.into(), op, values });
    }
    for (token, op) in [("!=", LabelOp::NotEquals), ("==", LabelOp::Equals), ("=", LabelOp::Equals)]
    {
        if let Some((key, value)) = term.split_once(token) {
            let (key, value) = (key.trim(), value.trim());
            if !valid_key(key) {
                return Err(fail("invalid label key"));
            }
            if !valid_value(value) {
                return Err(fail("invalid label value"));
            }
            return Ok(LabelRequirement { key: key.into(), op, values: vec![value.into()] });
        }
    }
    if !valid_key(term) {
        return Err(fail("invalid label key"));
    }
    Ok(LabelRequirement { key: term.into(), op: LabelOp::Exists, values: vec![] })
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldRequirement {
    field: String,
    equals: bool,
    value: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for term in split_terms(s) {
            let (field, equals, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!("invalid selector: '{s}'; can't understand '{term}'"));
            };
            requirements.push(FieldRequirement {
                field: field.trim().into(),
                equals,
                value: value.trim().replace("\\,", ",").replace("\\=", "="),
            });
        }
        Ok(FieldSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The field labels this selector uses, to check them against the resource.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.field.as_str())
    }

    /// The name this selector pins with `metadata.name=`, if any (a get in disguise).
    pub fn pinned_name(&self) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.equals && r.field == "metadata.name")
            .map(|r| r.value.as_str())
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.requirements.iter().all(|r| (field_value(obj, &r.field) == r.value) == r.equals)
    }
}

/// A field label's value as the apiserver compares it: strings as they are, booleans and
/// numbers printed, missing fields as "".
fn field_value(obj: &Value, label: &str) -> String {
    let path = match label {
        "source" => "source.component",
        other => other,
    };
    let mut v = obj;
    for part in path.split('.') {
        match v.get(part) {
            Some(next) => v = next,
            None => return String::new(),
        }
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn label_selectors_cover_every_operator() {
        let l = labels(json!({"app": "web", "tier": "front"}));
        let yes = [
            "app=web",
            "app==web",
            "app!=db",
            "app in (web, db)",
            "tier notin (back)",
            "app",
            "!missing",
            "app=web,tier=front",
        ];
        for s in yes {
            assert!(LabelSelector::parse(s).unwrap().matches(Some(&l)), "{s}");
        }
        let no = ["app=db", "app!=web", "app in (db)", "tier notin (front)", "missing", "!app"];
        for s in no {
            assert!(!LabelSelector::parse(s).unwrap().matches(Some(&l)), "{s}");
        }
        assert!(LabelSelector::parse("missing!=x").unwrap().matches(None));
    }

    #[test]
    fn malformed_label_selectors_are_rejected() {
        for s in ["app in (a", "a b c", "=x", "app=in valid"] {
            assert!(LabelSelector::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn field_selectors_compare_printed_values() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1", "hostNetwork": true},
                         "status": {"phase": "Running"}});
        let sel = FieldSelector::parse("spec.nodeName=n1,status.phase!=Pending").unwrap();
        assert!(sel.matches(&pod));
        assert!(FieldSelector::parse("spec.hostNetwork=true").unwrap().matches(&pod));
        assert!(FieldSelector::parse("spec.schedulerName=").unwrap().matches(&pod));
        assert_eq!(FieldSelector::parse("metadata.name=p").unwrap().pinned_name(), Some("p"));
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
