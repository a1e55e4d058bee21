//! The writer of the state file. Changes are queued in resourceVersion order under the
//! store's lock; one thread appends them, fsyncs, and then tells waiting requests how far the
//! file is durable (group commit: the writes that arrive during one fsync share the next).
//! The thread keeps a mirror of the objects (sharing the store's `Arc`s) from which it writes
//! a snapshot when the log has grown, so compaction never takes the store's lock.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::record;
use crate::store::Change;
use crate::store::event::EventKind;
use crate::store::object::ObjectKey;

/// How far ahead of the last written version a reservation reaches. Changes are visible
/// (to watchers, to reads) before they are durable; after a crash the counter resumes above
/// the reservation so that no version anyone may have seen is handed out again.
pub(super) const RESERVE_AHEAD: u64 = 1 << 20;

/// Batches larger than this are written out before the buffer grows further.
const FLUSH_BYTES: usize = 4 * 1024 * 1024;

/// How far the state file is durable.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    pub rv: u64,
    /// Set when a write or fsync failed: nothing after it is acknowledged.
    pub failed: Option<String>,
}

#[derive(Default)]
struct Pending {
    changes: Vec<Change>,
    closed: bool,
    failed: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    durable: watch::Sender<Durable>,
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Journal {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Journal {
    pub(super) fn start(writer: Writer) -> io::Result<Journal> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            durable: watch::Sender::new(Durable { rv: writer.last_rv, failed: None }),
        });
        let thread = std::thread::Builder::new().name("kubesim-state".into()).spawn({
            let shared = shared.clone();
            move || run(&shared, writer)
        })?;
        Ok(Journal { shared, thread: Some(thread) })
    }

    /// Queues a change (called under the store's lock, so in resourceVersion order).
    pub fn append(&self, change: Change) {
        let mut pending = self.shared.pending();
        if pending.failed {
            return;
        }
        pending.changes.push(change);
        if pending.changes.len() == 1 {
            self.shared.wake.notify_one();
        }
    }

    /// Waits until every change up to `rv` is on disk.
    pub async fn wait(&self, rv: u64) -> Result<(), String> {
        let mut receiver = self.shared.durable.subscribe();
        let durable = receiver
            .wait_for(|d| d.rv >= rv || d.failed.is_some())
            .await
            .map_err(|_| "the state file writer stopped".to_string())?;
        match &durable.failed {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

impl Drop for Journal {
    /// Writes what is queued and a clean-shutdown mark, then closes the file.
    fn drop(&mut self) {
        self.shared.pending().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared, mut writer: Writer) {
    let mut batch = Vec::new();
    loop {
        let closed = {
            let mut pending = shared.pending();
            while pending.changes.is_empty() && !pending.closed {
                pending = shared.wake.wait(pending).unwrap_or_else(|e| e.into_inner());
            }
            std::mem::swap(&mut batch, &mut pending.changes);
            pending.closed
        };
        if batch.is_empty() && closed {
            if let Err(error) = writer.close() {
                tracing::warn!(%error, "cannot mark the state file cleanly closed");
            }
            return;
        }
        let written = writer.write(&batch);
        batch.clear();
        match written {
            Ok(rv) => shared.durable.send_modify(|d| d.rv = rv),
            Err(error) => {
                let message =
                    format!("cannot write the state file {}: {error}", writer.path.display());
                tracing::error!("{message}");
                shared.pending().failed = true;
                shared.durable.send_modify(|d| d.failed = Some(message));
                return;
            }
        }
        if writer.wants_compaction()
            && let Err(error) = writer.compact()
        {
            tracing::warn!(%error, "compacting the state file failed; the log goes on");
        }
    }
}

/// The state file and what the writer knows about it.
pub(super) struct Writer {
    pub path: PathBuf,
    pub file: File,
    pub mirror: HashMap<(Arc<str>, ObjectKey), Arc<Value>>,
    pub last_rv: u64,
    pub reserved: u64,
    /// Bytes appended since the snapshot at the start of the file.
    pub since_snapshot: u64,
    pub snapshot_bytes: u64,
    pub compact_after: u64,
    buf: Vec<u8>,
}

impl Writer {
    pub fn new(
        path: PathBuf,
        file: File,
        mirror: HashMap<(Arc<str>, ObjectKey), Arc<Value>>,
        last_rv: u64,
        compact_after: u64,
    ) -> Self {
        Writer {
            path,
            file,
            mirror,
            last_rv,
            reserved: 0,
            since_snapshot: 0,
            snapshot_bytes: 0,
            compact_after,
            buf: Vec::new(),
        }
    }

    /// Writes and syncs a reservation ahead of `rv`, before anything is served.
    pub fn reserve_from(&mut self, rv: u64) -> io::Result<()> {
        self.reserved = rv + RESERVE_AHEAD;
        let mut buf = Vec::new();
        record::append(&mut buf, record::RESERVE, self.reserved.to_string().as_bytes(), b"");
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        self.since_snapshot += buf.len() as u64;
        Ok(())
    }

    /// Appends a batch of changes and syncs; the resourceVersion now durable.
    fn write(&mut self, batch: &[Change]) -> io::Result<u64> {
        for change in batch {
            record::append_named(
                &mut self.buf,
                record::CHANGE,
                &change.resource,
                change.event.wire(),
            );
            self.apply(change);
            if self.buf.len() >= FLUSH_BYTES {
                self.flush_buf()?;
            }
        }
        if self.last_rv + RESERVE_AHEAD / 2 > self.reserved {
            self.reserved = self.last_rv + RESERVE_AHEAD;
            let text = self.reserved.to_string();
            record::append(&mut self.buf, record::RESERVE, text.as_bytes(), b"");
        }
        self.flush_buf()?;
        self.file.sync_data()?;
        if self.buf.capacity() > FLUSH_BYTES * 2 {
            self.buf = Vec::new();
        }
        Ok(self.last_rv)
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buf)?;
        self.since_snapshot += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn apply(&mut self, change: &Change) {
        let event = &change.event;
        let key = (change.resource.clone(), ObjectKey::of(&event.object));
        if event.kind == EventKind::Deleted {
            self.mirror.remove(&key);
        } else {
            self.mirror.insert(key, event.object.clone());
        }
        self.last_rv = self.last_rv.max(event.rv);
    }

    fn wants_compaction(&self) -> bool {
        self.since_snapshot >= self.compact_after.max(self.snapshot_bytes)
    }

    /// Replaces the file with a snapshot of the objects: written beside it, synced, renamed
    /// over it. Until the rename the old file stays complete.
    pub fn compact(&mut self) -> io::Result<()> {
        let tmp = super::sibling(&self.path, "compacting");
        let result = self.write_snapshot(&tmp);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn write_snapshot(&mut self, tmp: &std::path::Path) -> io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(tmp)?;
        super::lock(&file, tmp)?;
        let mut buf = Vec::new();
        let mut total = 0u64;
        header(&mut buf, self.last_rv);
        for ((resource, _), obj) in &self.mirror {
            let body = serde_json::to_vec(obj.as_ref()).map_err(io::Error::other)?;
            record::append_named(&mut buf, record::OBJECT, resource, &body);
            if buf.len() >= FLUSH_BYTES {
                file.write_all(&buf)?;
                total += buf.len() as u64;
                buf.clear();
            }
        }
        record::append(&mut buf, record::RESERVE, self.reserved.to_string().as_bytes(), b"");
        file.write_all(&buf)?;
        total += buf.len() as u64;
        file.sync_all()?;
        std::fs::rename(tmp, &self.path)?;
        self.file = file;
        self.snapshot_bytes = total;
        self.since_snapshot = 0;
        super::sync_dir(&self.path)?;
        tracing::debug!(bytes = total, objects = self.mirror.len(), "state file compacted");
        Ok(())
    }

    /// Marks a clean shutdown: the next start resumes right after the last version.
    fn close(&mut self) -> io::Result<()> {
        let mut buf = Vec::new();
        record::append(&mut buf, record::END, self.last_rv.to_string().as_bytes(), b"");
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }
}

/// The header that starts a file: a snapshot at `rv` follows.
pub(super) fn header(out: &mut Vec<u8>, rv: u64) {
    let body = json!({"format": record::FORMAT, "rv": rv}).to_string();
    record::append(out, record::HEADER, body.as_bytes(), b"");
}
