//! Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`).
//!
//! Why decode them: since client-go 1.32 the generated typed clients send built-in kinds as
//! protobuf unconditionally (`UseProtobufAsDefault`), with no fallback on 415 (client-go
//! falls back only from CBOR) and no discovery or negotiation that a server could use to steer
//! them to JSON. So kubectl 1.32's `create configmap|namespace|deployment|...` and `drain`
//! would fail against a server without protobuf exactly as they do here without this module;
//! the only way to make them work is to read the body. The `k8s-pb` crate was considered: it
//! has the prost message types but no JSON mapping, so every message would still need a
//! hand-written conversion; a small field table ([`messages`]) driving one generic decoder is
//! less code. Responses stay JSON, which these clients also accept.
//!
//! The body is `k8s\0` followed by a `runtime.Unknown` (typeMeta, raw, contentEncoding,
//! contentType); `raw` is the object's message, decoded into the JSON the apiserver would
//! have read (Go's zero values left out, `Time` as RFC 3339, `IntOrString` and `Quantity` as
//! their JSON forms).

pub mod messages;
pub mod wire;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use messages::{Field, KINDS, Kind, message};
use wire::{Payload, Reader};

pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";

/// Decodes a protobuf request body into the JSON object it encodes.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let envelope = body.strip_prefix(MAGIC).ok_or("the protobuf body lacks the k8s prefix")?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    let mut reader = Reader::new(envelope);
    while let Some((tag, payload)) = reader.field()? {
        match (tag, payload) {
            (1, Payload::Bytes(type_meta)) => {
                let mut inner = Reader::new(type_meta);
                while let Some((t, p)) = inner.field()? {
                    match (t, p) {
                        (1, Payload::Bytes(v)) => api_version = utf8(v)?,
                        (2, Payload::Bytes(v)) => kind = utf8(v)?,
                        _ => {}
                    }
                }
            }
            (2, Payload::Bytes(bytes)) => raw = bytes,
            (3, Payload::Bytes(encoding)) if !encoding.is_empty() => {
                return Err(format!("unsupported content encoding {:?}", utf8(encoding)?));
            }
            _ => {}
        }
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(format!("no protobuf decoding for kind {kind:?}"));
    }
    let mut obj = decode_message(raw, &kind)?;
    if let Value::Object(map) = &mut obj {
        let mut out = Map::new();
        out.insert("apiVersion".into(), json!(api_version));
        out.insert("kind".into(), json!(kind));
        out.extend(std::mem::take(map));
        obj = Value::Object(out);
    }
    Ok(obj)
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "invalid UTF-8 in a string field".to_string())
}

fn decode_message(data: &[u8], name: &str) -> Result<Value, String> {
    match name {
        "Time" | "MicroTime" => return decode_time(data, name == "MicroTime"),
        "Quantity" => {
            let fields = scalar_fields(data)?;
            return Ok(fields.into_iter().find(|(t, _)| *t == 1).map_or(json!(""), |(_, v)| v));
        }
        "IntOrString" => return decode_int_or_string(data),
        "FieldsV1" => {
            let mut reader = Reader::new(data);
            while let Some((tag, payload)) = reader.field()? {
                if let (1, Payload::Bytes(raw)) = (tag, payload) {
                    return serde_json::from_slice(raw).map_err(|e| format!("fieldsV1: {e}"));
                }
            }
            return Ok(json!({}));
        }
        _ => {}
    }
    let fields = message(name).ok_or_else(|| format!("unknown message {name}"))?;
    let mut out = Map::new();
    let mut reader = Reader::new(data);
    while let Some((tag, payload)) = reader.field()? {
        let Some(field) = fields.get(&tag) else {
            tracing::debug!(message = name, tag, "protobuf field kubesim does not decode");
            continue;
        };
        add_field(&mut out, field, payload)?;
    }
    for field in fields.values() {
        if field.keep_zero || field.name.is_empty() {
            continue;
        }
        if out.get(&field.name).is_some_and(is_zero_scalar) {
            out.remove(&field.name);
        }
    }
    out.retain(|_, v| !v.is_null());
    Ok(Value::Object(out))
}

fn is_zero_scalar(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        _ => false,
    }
}

/// The (tag, value) pairs of a message of scalars (strings and integers).
fn scalar_fields(data: &[u8]) -> Result<Vec<(u32, Value)>, String> {
    let mut out = Vec::new();
    let mut reader = Reader::new(data);
    while let Some((tag, payload)) = reader.field()? {
        match payload {
            Payload::Varint(v) => out.push((tag, json!(v as i64))),
            Payload::Bytes(b) => out.push((tag, json!(utf8(b)?))),
            _ => {}
        }
    }
    Ok(out)
}

fn decode_time(data: &[u8], micro: bool) -> Result<Value, String> {
    let (mut seconds, mut nanos) = (0i64, 0i64);
    for (tag, v) in scalar_fields(data)? {
        match tag {
            1 => seconds = v.as_i64().unwrap_or(0),
            2 => nanos = v.as_i64().unwrap_or(0),
            _ => {}
        }
    }
    // Go's zero time (year 1) is JSON null.
    if seconds == -62_135_596_800 || (seconds == 0 && nanos == 0 && data.is_empty()) {
        return Ok(Value::Null);
    }
    let Some(t) = chrono::DateTime::from_timestamp(seconds, nanos as u32) else {
        return Err(format!("invalid time {seconds}s {nanos}ns"));
    };
    let format = if micro { chrono::SecondsFormat::Micros } else { chrono::SecondsFormat::Secs };
    Ok(json!(t.to_rfc3339_opts(format, true)))
}

fn decode_int_or_string(data: &[u8]) -> Result<Value, String> {
    let (mut kind, mut int, mut text) = (0i64, 0i64, String::new());
    for (tag, v) in scalar_fields(data)? {
        match tag {
            1 => kind = v.as_i64().unwrap_or(0),
            2 => int = v.as_i64().unwrap_or(0),
            3 => text = v.as_str().unwrap_or("").to_string(),
            _ => {}
        }
    }
    Ok(if kind == 1 { json!(text) } else { json!(int as i32) })
}

/// The value of one occurrence of a field.
fn value_of(field: &Field, payload: Payload) -> Result<Value, String> {
    Ok(match (&field.kind, payload) {
        (Kind::String, Payload::Bytes(b)) => json!(utf8(b)?),
        (Kind::Bytes, Payload::Bytes(b)) => json!(STANDARD.encode(b)),
        // int32 fields are sign-extended to 64 bits on the wire.
        (Kind::Int, Payload::Varint(v)) => json!(v as i64),
        (Kind::Bool, Payload::Varint(v)) => json!(v != 0),
        (Kind::Message(name), Payload::Bytes(b)) => decode_message(b, name)?,
        (kind, payload) => {
            return Err(format!("field {}: {kind:?} cannot be {payload:?}", field.name));
        }
    })
}

fn add_field(out: &mut Map<String, Value>, field: &Field, payload: Payload) -> Result<(), String> {
    match &field.kind {
        Kind::StringMap | Kind::BytesMap | Kind::QuantityMap => {
            let Payload::Bytes(entry) = payload else {
                return Err(format!("map {} entry is not a message", field.name));
            };
            let (mut key, mut value) = (String::new(), Value::String(String::new()));
            let mut reader = Reader::new(entry);
            while let Some((tag, p)) = reader.field()? {
                match (tag, p) {
                    (1, Payload::Bytes(k)) => key = utf8(k)?,
                    (2, Payload::Bytes(v)) => {
                        value = match field.kind {
                            Kind::StringMap => json!(utf8(v)?),
                            Kind::BytesMap => json!(STANDARD.encode(v)),
                            _ => decode_message(v, "Quantity")?,
                        }
                    }
                    _ => {}
                }
            }
            let map = out.entry(field.name.clone()).or_insert_with(|| json!({}));
            if let Value::Object(map) = map {
                map.insert(key, value);
            }
        }
        _ if field.name.is_empty() => {
            // An embedded struct: its fields belong to the parent.
            if let Value::Object(inner) = value_of(field, payload)? {
                out.extend(inner);
            }
        }
        Kind::Int if field.repeated => {
            // Repeated integers may come packed.
            let list = out.entry(field.name.clone()).or_insert_with(|| json!([]));
            match payload {
                Payload::Bytes(packed) => {
                    let mut reader = Reader::new(packed);
                    while reader_has_more(&reader, packed) {
                        let v = reader.varint()?;
                        push(list, json!(v as i64));
                    }
                }
                other => push(list, value_of(field, other)?),
            }
        }
        _ if field.repeated => {
            let value = value_of(field, payload)?;
            push(out.entry(field.name.clone()).or_insert_with(|| json!([])), value);
        }
        _ => {
            out.insert(field.name.clone(), value_of(field, payload)?);
        }
    }
    Ok(())
}

fn reader_has_more(reader: &Reader, data: &[u8]) -> bool {
    reader.position() < data.len()
}

fn push(list: &mut Value, value: Value) {
    if let Value::Array(items) = list {
        items.push(value);
    }
}

#[cfg(test)]
mod tests;
