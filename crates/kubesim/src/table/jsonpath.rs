//! The JSONPath subset of `additionalPrinterColumns` (kubectl's JSONPath on one object): field
//! steps (`.a.b`, `['a.b']`), indexes (`[0]`, `[-1]`), wildcards (`[*]`, `.*`), recursive
//! descent (`..name`) and filters (`[?(@.type=="Ready")]`, with `==`, `!=`, `<`, `<=`, `>`,
//! `>=`, or a bare path for existence).

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    Wildcard,
    Descend(String),
    Filter(Filter),
}

#[derive(Clone, Debug, PartialEq)]
struct Filter {
    path: Vec<Step>,
    op: Option<(String, Value)>,
}

/// A parsed JSONPath.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses `.status.conditions[?(@.type=="Ready")].status` (optionally wrapped in `{}` or
    /// starting with `$`).
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let mut s = text.trim();
        if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            s = inner.trim();
        }
        s = s.strip_prefix('$').unwrap_or(s);
        let chars: Vec<char> = s.chars().collect();
        let (steps, used) = parse_steps(&chars, 0, false)?;
        if used != chars.len() {
            return Err(format!(
                "unexpected {:?} in {text:?}",
                chars[used..].iter().collect::<String>()
            ));
        }
        Ok(JsonPath { steps })
    }

    /// Every value the path selects, in document order.
    pub fn find<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        eval(&self.steps, vec![root])
    }
}

fn ident_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && !matches!(chars[i], '.' | '[' | ' ' | '=' | '!' | '<' | '>' | ')') {
        i += 1;
    }
    i
}

/// Parses steps from `i`; inside a filter it stops at the operator or `)`.
fn parse_steps(
    chars: &[char],
    mut i: usize,
    in_filter: bool,
) -> Result<(Vec<Step>, usize), String> {
    let mut steps = Vec::new();
    while i < chars.len() {
        match chars[i] {
            '.' if chars.get(i + 1) == Some(&'.') => {
                let end = ident_end(chars, i + 2);
                steps.push(Step::Descend(chars[i + 2..end].iter().collect()));
                i = end;
            }
            '.' => {
                let end = ident_end(chars, i + 1);
                let name: String = chars[i + 1..end].iter().collect();
                match name.as_str() {
                    "" => {}
                    "*" => steps.push(Step::Wildcard),
                    _ => steps.push(Step::Field(name)),
                }
                i = end;
            }
            '[' => {
                let close = find_close(chars, i)?;
                let inner: String = chars[i + 1..close].iter().collect();
                steps.push(bracket(inner.trim())?);
                i = close + 1;
            }
            _ if in_filter => break,
            c if steps.is_empty() && c.is_alphanumeric() => {
                let end = ident_end(chars, i);
                steps.push(Step::Field(chars[i..end].iter().collect()));
                i = end;
            }
            c => return Err(format!("unexpected character {c:?}")),
        }
    }
    Ok((steps, i))
}

/// The index of the `]` closing the `[` at `open`, skipping quoted text and nested brackets.
fn find_close(chars: &[char], open: usize) -> Result<usize, String> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err("unclosed [".into())
}

fn unquote(s: &str) -> Option<String> {
    let first = s.chars().next()?;
    if (first == '\'' || first == '"') && s.len() >= 2 && s.ends_with(first) {
        return Some(s[1..s.len() - 1].to_string());
    }
    None
}

fn bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(name) = unquote(inner) {
        return Ok(Step::Field(name));
    }
    if let Ok(i) = inner.parse::<i64>() {
        return Ok(Step::Index(i));
    }
    let Some(expr) = inner.strip_prefix("?(").and_then(|r| r.strip_suffix(')')) else {
        return Err(format!("unsupported [{inner}]"));
    };
    let chars: Vec<char> = expr.trim().chars().collect();
    if chars.first() != Some(&'@') {
        return Err(format!("filter must start with @: {expr}"));
    }
    let (path, used) = parse_steps(&chars, 1, true)?;
    let rest: String = chars[used..].iter().collect();
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(Step::Filter(Filter { path, op: None }));
    }
    for op in ["==", "!=", "<=", ">=", "<", ">"] {
        if let Some(literal) = rest.strip_prefix(op) {
            return Ok(Step::Filter(Filter {
                path,
                op: Some((op.to_string(), literal_value(literal.trim())?)),
            }));
        }
    }
    Err(format!("unsupported filter {expr}"))
}

fn literal_value(text: &str) -> Result<Value, String> {
    if let Some(s) = unquote(text) {
        return Ok(Value::String(s));
    }
    serde_json::from_str(text).map_err(|_| format!("unsupported literal {text}"))
}

fn children(v: &Value) -> Vec<&Value> {
    match v {
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        _ => Vec::new(),
    }
}

fn descend<'v>(v: &'v Value, name: &str, out: &mut Vec<&'v Value>) {
    if let Some(found) = v.as_object().and_then(|m| m.get(name)) {
        out.push(found);
    }
    for child in children(v) {
        descend(child, name, out);
    }
}

fn eval<'v>(steps: &[Step], mut current: Vec<&'v Value>) -> Vec<&'v Value> {
    for step in steps {
        let mut next = Vec::new();
        for v in current {
            match step {
                Step::Field(name) => next.extend(v.as_object().and_then(|m| m.get(name))),
                Step::Index(i) => {
                    if let Some(items) = v.as_array() {
                        let idx = if *i < 0 { items.len() as i64 + i } else { *i };
                        next.extend(usize::try_from(idx).ok().and_then(|i| items.get(i)));
                    }
                }
                Step::Wildcard => next.extend(children(v)),
                Step::Descend(name) => descend(v, name, &mut next),
                Step::Filter(filter) => {
                    for item in
                        v.as_array().map(|a| a.iter().collect()).unwrap_or_else(|| children(v))
                    {
                        if matches(filter, item) {
                            next.push(item);
                        }
                    }
                }
            }
        }
        current = next;
    }
    current
}

fn matches(filter: &Filter, item: &Value) -> bool {
    let found = eval(&filter.path, vec![item]);
    let Some((op, literal)) = &filter.op else { return !found.is_empty() };
    let Some(left) = found.first() else { return false };
    match (op.as_str(), left.as_f64(), literal.as_f64()) {
        ("==", _, _) => {
            *left == literal || (left.as_f64().is_some() && left.as_f64() == literal.as_f64())
        }
        ("!=", _, _) => *left != literal,
        ("<", Some(a), Some(b)) => a < b,
        ("<=", Some(a), Some(b)) => a <= b,
        (">", Some(a), Some(b)) => a > b,
        (">=", Some(a), Some(b)) => a >= b,
        _ => false,
    }
}

/// A value as kubectl's JSONPath printer writes it: strings bare, numbers and booleans as
/// text, maps and lists in Go's `fmt` form.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> =
                keys.iter().map(|k| format!("{k}:{}", to_text(&map[k.as_str()]))).collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Array(items) => {
            format!("[{}]", items.iter().map(to_text).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(path: &str, v: &Value) -> Option<Value> {
        JsonPath::parse(path).unwrap().find(v).first().map(|v| (*v).clone())
    }

    #[test]
    fn fields_indexes_and_quoted_names() {
        let v = json!({"spec": {"replicas": 3, "items": [{"n": "a"}, {"n": "b"}]},
                       "metadata": {"labels": {"app.kubernetes.io/name": "x"}}});
        assert_eq!(first(".spec.replicas", &v), Some(json!(3)));
        assert_eq!(first("{.spec.items[1].n}", &v), Some(json!("b")));
        assert_eq!(first(".spec.items[-1].n", &v), Some(json!("b")));
        assert_eq!(first(".metadata.labels['app.kubernetes.io/name']", &v), Some(json!("x")));
        let all = JsonPath::parse(".spec.items[*].n").unwrap();
        assert_eq!(all.find(&v), vec![&json!("a"), &json!("b")]);
        assert_eq!(first(".spec.missing", &v), None);
        assert_eq!(first("..n", &v), Some(json!("a")));
    }

    #[test]
    fn filters_select_conditions() {
        let v = json!({"status": {"conditions": [
            {"type": "Progressing", "status": "True", "n": 1},
            {"type": "Ready", "status": "False", "n": 2}]}});
        assert_eq!(
            first(r#".status.conditions[?(@.type=="Ready")].status"#, &v),
            Some(json!("False"))
        );
        assert_eq!(first(".status.conditions[?(@.type=='Ready')].n", &v), Some(json!(2)));
        assert_eq!(first(".status.conditions[?(@.n > 1)].type", &v), Some(json!("Ready")));
        assert_eq!(first(".status.conditions[?(@.missing)].type", &v), None);
        assert!(JsonPath::parse(".a[?(x)]").is_err());
    }

    #[test]
    fn text_is_printed_like_kubectl() {
        assert_eq!(to_text(&json!("x")), "x");
        assert_eq!(to_text(&json!(1.5)), "1.5");
        assert_eq!(to_text(&json!({"b": 1, "a": [true]})), "map[a:[true] b:1]");
    }
}
