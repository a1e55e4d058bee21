//! Go's text formatting of JSON values, as the apiserver's messages show them.
//!
//! Validation messages are produced by Go code (`fmt`, `strconv`, `encoding/json`), so numbers,
//! strings and objects must be printed the way those packages print them for messages to match
//! byte for byte: `1e+06` rather than `1000000.0`, `map[string]interface {}{"a":1}` for objects.

use serde_json::Value;

/// `strconv.Quote` / `%q`: a double-quoted Go string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Splits a finite float into its shortest decimal digits and decimal exponent, such that
/// `value = 0.d1d2d3... * 10^point` (the representation Go's strconv works with).
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest round-tripping digits, e.g. "1.2345e6".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0".to_string() } else { digits.to_string() };
    (digits, exp + 1)
}

/// Go's `%e` with the shortest precision: `1e+06`, `1.5e-07`.
fn format_e(neg: bool, digits: &str, point: i32) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    let mut chars = digits.chars();
    s.push(chars.next().unwrap_or('0'));
    let rest: String = chars.collect();
    if !rest.is_empty() {
        s.push('.');
        s.push_str(&rest);
    }
    let exp = if digits == "0" { 0 } else { point - 1 };
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let abs = exp.unsigned_abs();
    if abs < 10 {
        s.push('0');
    }
    s.push_str(&abs.to_string());
    s
}

/// Go's `%f` with exactly the shortest digits.
fn format_f(neg: bool, digits: &str, point: i32) -> String {
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if point <= 0 {
        s.push_str("0.");
        for _ in 0..(-point) {
            s.push('0');
        }
        s.push_str(digits);
    } else {
        let point = point as usize;
        if digits.len() <= point {
            s.push_str(digits);
            for _ in digits.len()..point {
                s.push('0');
            }
        } else {
            s.push_str(&digits[..point]);
            s.push('.');
            s.push_str(&digits[point..]);
        }
    }
    s
}

/// `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): `1`, `1.5`, `1e+06`, `1e-05`.
pub fn float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let (digits, point) = shortest_digits(f);
    let exp = point - 1;
    if !(-4..6).contains(&exp) {
        format_e(f < 0.0, &digits, point)
    } else {
        format_f(f < 0.0, &digits, point)
    }
}

/// `encoding/json` formatting of a float64: `1`, `1.5`, `1e+21`, `1e-7`.
fn json_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    if f == 0.0 {
        return "0".into();
    }
    let (digits, point) = shortest_digits(f);
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        let e = format_e(f < 0.0, &digits, point);
        // Go's encoder turns "e-07" into "e-7".
        match e.find("e-0") {
            Some(i) => format!("{}e-{}", &e[..i], &e[i + 3..]),
            None => e,
        }
    } else {
        format_f(f < 0.0, &digits, point)
    }
}

/// A JSON number as Go's unstructured decoding sees it: an int64 if it fits, else a float64.
pub enum GoNumber {
    Int(i64),
    Float(f64),
}

pub fn number(n: &serde_json::Number) -> GoNumber {
    match n.as_i64() {
        Some(i) => GoNumber::Int(i),
        None => GoNumber::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// `%v` of a scalar JSON value, `%#v` of objects and arrays (what `field.Error` prints).
pub fn go_value(v: &Value) -> String {
    match v {
        Value::Null => quote("null"),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match number(n) {
            GoNumber::Int(i) => i.to_string(),
            GoNumber::Float(f) => float(f),
        },
        Value::String(s) => quote(s),
        Value::Array(_) | Value::Object(_) => go_syntax(v),
    }
}

/// `%#v` of a value held in an `interface{}`: `map[string]interface {}{"a":1, "b":"x"}`.
pub fn go_syntax(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match number(n) {
            GoNumber::Int(i) => i.to_string(),
            GoNumber::Float(f) => float(f),
        },
        Value::String(s) => quote(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", quote(k), go_syntax(&map[k.as_str()])))
                .collect();
            format!("map[string]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// `json.Marshal` as Go does it: sorted object keys, Go number formats, HTML-safe strings.
pub fn json_marshal(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match number(n) {
            GoNumber::Int(i) => out.push_str(&i.to_string()),
            GoNumber::Float(f) => out.push_str(&json_float(f)),
        },
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(&map[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_go_percent_v() {
        assert_eq!(float(1.0), "1");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(123456.0), "123456");
        assert_eq!(float(1e6), "1e+06");
        assert_eq!(float(1234567.0), "1.234567e+06");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(0.00001), "1e-05");
        assert_eq!(float(-2.5), "-2.5");
    }

    #[test]
    fn json_marshal_sorts_keys_and_formats_numbers_like_go() {
        let v = json!({"b": 1.0, "a": [1, "x<y"], "c": 1e21, "d": 1e-7});
        assert_eq!(json_marshal(&v), r#"{"a":[1,"x\u003cy"],"b":1,"c":1e+21,"d":1e-7}"#);
    }

    #[test]
    fn objects_print_as_go_syntax() {
        assert_eq!(
            go_syntax(&json!({"name": "a", "port": 80})),
            r#"map[string]interface {}{"name":"a", "port":80}"#
        );
        assert_eq!(go_syntax(&json!(["a", null])), r#"[]interface {}{"a", interface {}(nil)}"#);
    }

    #[test]
    fn quote_escapes_like_strconv() {
        assert_eq!(quote("a\"b\\c\nd\u{1}é"), r#""a\"b\\c\nd\x01é""#);
    }
}
