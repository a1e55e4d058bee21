//! Reading WEKA's JSON as leniently as upstream's Go decoding does: missing fields and `null`
//! take the zero value, unknown fields are ignored. And WEKA's typed ids (`HostId<3>`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `null` or missing reads as the type's default (Go's zero value).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An id printed as a number or as `Prefix<N>`; `None` when absent or unreadable.
pub fn weka_id<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => parse_weka_id(&s),
        _ => None,
    })
}

/// The number in `HostId<3>`, `NodeId<301>`, `TelemetrySinkId<0>`, or a bare `3`.
pub fn parse_weka_id(text: &str) -> Option<i64> {
    let text = text.trim();
    let inner = match (text.find('<'), text.ends_with('>')) {
        (Some(open), true) => &text[open + 1..text.len() - 1],
        _ => text,
    };
    inner.parse().ok()
}

/// How the CLI prints a container id.
pub fn host_id(id: i64) -> String {
    format!("HostId<{id}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_ids_read_in_both_forms() {
        assert_eq!(parse_weka_id("HostId<3>"), Some(3));
        assert_eq!(parse_weka_id("NodeId<301>"), Some(301));
        assert_eq!(parse_weka_id("7"), Some(7));
        assert_eq!(parse_weka_id("HostId<x>"), None);
        assert_eq!(host_id(12), "HostId<12>");
    }
}
