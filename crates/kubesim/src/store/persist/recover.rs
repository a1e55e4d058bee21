//! Reading the state file back: the snapshot at its start, then the changes after it, into
//! the objects and the resourceVersion to resume from. A torn tail (a crash in the middle of
//! a write) is reported, not an error: everything before it was acknowledged or is complete.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::record::{self, Next};
use crate::store::object::{self, ObjectKey};

#[derive(Debug, Default)]
pub struct Recovered {
    /// (storage key, object) as of the last good record.
    pub objects: Vec<(String, Value)>,
    /// The highest resourceVersion the records show.
    pub last_rv: u64,
    /// Where the counter resumes: at or above every version that may have been handed out.
    pub resume_rv: u64,
    /// Length of the good records.
    pub valid_len: u64,
    /// Bytes after the good records and why they were dropped.
    pub dropped: Option<(u64, &'static str)>,
}

/// A change record's event line.
#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    object: Value,
}

#[derive(Deserialize)]
struct Header {
    format: String,
    rv: u64,
}

pub fn read(bytes: &[u8]) -> Result<Recovered, String> {
    let mut state: HashMap<(String, ObjectKey), Value> = HashMap::new();
    let mut out = Recovered::default();
    let mut reserved = 0u64;
    let mut offset = 0usize;
    loop {
        let (tag, body, end) = match record::next(bytes, offset) {
            Next::End => break,
            Next::Bad(why) => {
                out.dropped = Some(((bytes.len() - offset) as u64, why));
                break;
            }
            Next::Record { tag, body, end } => (tag, body, end),
        };
        let at = |what: &str| format!("{what} at offset {offset}");
        if offset == 0 && tag != record::HEADER {
            return Err(at("the file does not start with a header"));
        }
        match tag {
            record::HEADER => {
                let header: Header = serde_json::from_slice(body)
                    .map_err(|e| at(&format!("unreadable header ({e})")))?;
                if header.format != record::FORMAT {
                    return Err(at(&format!("unknown format {:?}", header.format)));
                }
                if offset != 0 {
                    return Err(at("a second header"));
                }
                out.last_rv = header.rv;
            }
            record::OBJECT | record::CHANGE => {
                let (resource, json) =
                    record::split_named(body).ok_or_else(|| at("a record without a resource"))?;
                let (kind, obj) = if tag == record::OBJECT {
                    let obj: Value = serde_json::from_slice(json)
                        .map_err(|e| at(&format!("an unreadable object ({e})")))?;
                    ("ADDED".to_string(), obj)
                } else {
                    let line: Line = serde_json::from_slice(json)
                        .map_err(|e| at(&format!("an unreadable change ({e})")))?;
                    (line.kind, line.object)
                };
                if let Some(Ok(rv)) = object::resource_version(&obj) {
                    out.last_rv = out.last_rv.max(rv);
                }
                let key = (resource.to_string(), ObjectKey::of(&obj));
                match kind.as_str() {
                    "ADDED" | "MODIFIED" => {
                        state.insert(key, obj);
                    }
                    "DELETED" => {
                        state.remove(&key);
                    }
                    other => return Err(at(&format!("an unknown change type {other:?}"))),
                }
            }
            record::RESERVE | record::END => {
                let rv = std::str::from_utf8(body)
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| at("an unreadable resourceVersion"))?;
                if tag == record::RESERVE {
                    reserved = reserved.max(rv);
                } else {
                    // A clean shutdown: nothing above this version was handed out.
                    out.last_rv = out.last_rv.max(rv);
                    reserved = 0;
                }
            }
            other => return Err(at(&format!("an unknown record tag {other:#04x}"))),
        }
        offset = end;
    }
    out.valid_len = offset as u64;
    out.resume_rv = out.last_rv.max(reserved);
    let mut objects: Vec<(String, Value)> =
        state.into_iter().map(|((resource, _), obj)| (resource, obj)).collect();
    objects.sort_by(|a, b| a.0.cmp(&b.0));
    out.objects = objects;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(out: &mut Vec<u8>, rv: u64) {
        let body = json!({"format": record::FORMAT, "rv": rv}).to_string();
        record::append(out, record::HEADER, body.as_bytes(), b"");
    }

    fn change(out: &mut Vec<u8>, kind: &str, name: &str, rv: u64) {
        let line = json!({"type": kind, "object": {"metadata": {
            "name": name, "namespace": "default", "resourceVersion": rv.to_string()}}});
        record::append_named(out, record::CHANGE, "configmaps", line.to_string().as_bytes());
    }

    #[test]
    fn changes_after_the_snapshot_are_replayed() {
        let mut out = Vec::new();
        header(&mut out, 5);
        let snap = json!({"metadata": {"name": "a", "namespace": "default",
                                        "resourceVersion": "4"}});
        record::append_named(&mut out, record::OBJECT, "configmaps", snap.to_string().as_bytes());
        change(&mut out, "ADDED", "b", 6);
        change(&mut out, "MODIFIED", "b", 7);
        change(&mut out, "DELETED", "a", 8);
        let recovered = read(&out).unwrap();
        let names: Vec<&str> =
            recovered.objects.iter().map(|(_, o)| object::name(o).unwrap()).collect();
        assert_eq!(names, vec!["b"]);
        assert_eq!(recovered.objects[0].1["metadata"]["resourceVersion"], "7");
        assert_eq!((recovered.last_rv, recovered.resume_rv), (8, 8));
        assert_eq!(recovered.valid_len, out.len() as u64);
        assert!(recovered.dropped.is_none());
    }

    #[test]
    fn reservations_raise_the_resume_point_until_a_clean_end() {
        let mut out = Vec::new();
        header(&mut out, 0);
        record::append(&mut out, record::RESERVE, b"1000", b"");
        change(&mut out, "ADDED", "a", 1);
        assert_eq!(read(&out).unwrap().resume_rv, 1000);
        record::append(&mut out, record::END, b"1", b"");
        assert_eq!(read(&out).unwrap().resume_rv, 1);
    }

    #[test]
    fn a_torn_last_record_is_dropped() {
        let mut out = Vec::new();
        header(&mut out, 0);
        change(&mut out, "ADDED", "a", 1);
        let good = out.len();
        change(&mut out, "ADDED", "b", 2);
        let recovered = read(&out[..out.len() - 3]).unwrap();
        assert_eq!(recovered.objects.len(), 1);
        assert_eq!(recovered.valid_len, good as u64);
        assert_eq!(recovered.dropped.map(|d| d.1), Some("a record is cut short"));
    }
}
