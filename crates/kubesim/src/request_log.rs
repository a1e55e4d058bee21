//! Every request the server answered, for tests to assert on ("no pod was ever deleted with
//! gracePeriodSeconds=0", "the operator patched status with field manager X").

use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection),
    /// empty for non-resource paths.
    pub verb: String,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    /// From the URL; for a create, the name the object was stored under.
    pub name: Option<String>,
    pub user_agent: Option<String>,
    pub field_manager: Option<String>,
    pub dry_run: bool,
    /// From the query or the DeleteOptions body.
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    /// For patches: the media type (merge, json, strategic, apply).
    pub content_type: Option<String>,
    pub code: u16,
    pub duration: Duration,
}

/// The request log. Holds at most `capacity` records, dropping the oldest.
pub struct RequestLog {
    records: Mutex<Vec<RequestRecord>>,
    capacity: usize,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        RequestLog { records: Mutex::new(Vec::new()), capacity: capacity.max(1) }
    }

    pub(crate) fn record(&self, record: RequestRecord) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() >= self.capacity {
            let excess = records.len() + 1 - self.capacity;
            records.drain(..excess);
        }
        records.push(record);
    }

    /// All records, oldest first.
    pub fn entries(&self) -> Vec<RequestRecord> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The records that satisfy `predicate`, oldest first.
    pub fn find(&self, predicate: impl Fn(&RequestRecord) -> bool) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|r| predicate(r))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
