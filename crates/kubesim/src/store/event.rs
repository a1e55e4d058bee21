//! Watch events as the store keeps them: shared (`Arc`) between the history window and every
//! watcher, with the wire encoding computed at most once however many watchers send it.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Added,
    Modified,
    Deleted,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Added => "ADDED",
            EventKind::Modified => "MODIFIED",
            EventKind::Deleted => "DELETED",
        }
    }
}

/// One change to one object. `object` is the state after the change (for a deletion, the last
/// state, carrying the resourceVersion of the deletion); `previous` the state before it, which
/// lets watchers with selectors turn a change into ADDED/DELETED and lets lists be served at an
/// older resourceVersion.
#[derive(Debug)]
pub struct WatchEvent {
    pub kind: EventKind,
    pub rv: u64,
    pub object: Arc<Value>,
    pub previous: Option<Arc<Value>>,
    wire: OnceLock<Bytes>,
}

impl WatchEvent {
    pub fn new(kind: EventKind, rv: u64, object: Arc<Value>, previous: Option<Arc<Value>>) -> Self {
        WatchEvent { kind, rv, object, previous, wire: OnceLock::new() }
    }

    /// `{"type":...,"object":...}\n` for the stored form of the object, encoded once.
    pub fn wire(&self) -> &Bytes {
        self.wire.get_or_init(|| encode_event(self.kind.as_str(), &self.object))
    }
}

/// One line of a watch stream.
pub fn encode_event(kind: &str, object: &Value) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    // Serializing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut out, object);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}
