//! Durable state (`kubesim serve --state FILE`): the store's changes appended to one file,
//! fsync'd before the write is acknowledged, compacted into a snapshot at the start of the
//! file when the log has grown. On start the file is read back (a torn last record is
//! dropped), the objects are restored and the resourceVersion resumes above every version
//! handed out before.
//!
//! - [`record`]: the framing (length, CRC-32, tagged payload);
//! - [`recover`]: reading a file back into objects and a resume point;
//! - [`journal`]: the writer thread (group commit, reservations, compaction).

mod journal;
mod record;
mod recover;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use journal::{Durable, Journal};

use super::object::ObjectKey;

/// Where and how the store keeps its state on disk.
#[derive(Clone, Debug)]
pub struct StateOptions {
    pub path: PathBuf,
    /// Bytes of changes after the snapshot beyond which the file is compacted (at least the
    /// snapshot's own size, so that compaction stays proportional to the writes).
    pub compact_after_bytes: u64,
}

impl StateOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StateOptions { path: path.into(), compact_after_bytes: 64 * 1024 * 1024 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot use the state file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("the state file {path} is in use by another kubesim")]
    Locked { path: PathBuf },
    #[error("the state file {path} is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// What a state file holds, and the journal that goes on writing to it.
pub(super) struct Opened {
    pub objects: Vec<super::Stored>,
    pub resume_rv: u64,
    pub journal: Journal,
}

/// How long a start waits for another process (or a server being dropped) to let go of the
/// file.
const LOCK_WAIT: Duration = Duration::from_secs(5);

pub(super) fn open(options: &StateOptions) -> Result<Opened, PersistError> {
    let path = options.path.clone();
    let io_error = |source: io::Error| PersistError::Io { path: path.clone(), source };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_error)?;
    lock(&file, &path).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock => PersistError::Locked { path: path.clone() },
        _ => io_error(e),
    })?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_error)?;
    let recovered = if bytes.is_empty() {
        let mut buf = Vec::new();
        journal::header(&mut buf, 0);
        file.write_all(&buf).map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        sync_dir(&path).map_err(io_error)?;
        recover::Recovered { valid_len: buf.len() as u64, ..Default::default() }
    } else {
        let recovered = recover::read(&bytes)
            .map_err(|reason| PersistError::Corrupt { path: path.clone(), reason })?;
        if let Some((dropped, why)) = recovered.dropped {
            tracing::warn!(
                path = %path.display(), dropped_bytes = dropped, reason = why,
                "dropping the torn end of the state file"
            );
            file.set_len(recovered.valid_len).map_err(io_error)?;
            file.sync_all().map_err(io_error)?;
        }
        recovered
    };
    drop(bytes);
    file.seek(SeekFrom::End(0)).map_err(io_error)?;
    let objects: Vec<super::Stored> = recovered
        .objects
        .into_iter()
        .map(|(resource, obj)| (Arc::from(resource.as_str()), Arc::new(obj)))
        .collect();
    let mirror: HashMap<(Arc<str>, ObjectKey), Arc<Value>> = objects
        .iter()
        .map(|(resource, obj)| ((resource.clone(), ObjectKey::of(obj)), obj.clone()))
        .collect();
    let resume_rv = recovered.resume_rv;
    let mut writer =
        journal::Writer::new(path.clone(), file, mirror, resume_rv, options.compact_after_bytes);
    writer.since_snapshot = recovered.valid_len;
    writer.reserve_from(resume_rv).map_err(io_error)?;
    tracing::info!(
        path = %path.display(), objects = objects.len(), resource_version = resume_rv,
        "state restored"
    );
    let journal = Journal::start(writer).map_err(io_error)?;
    Ok(Opened { objects, resume_rv, journal })
}

/// Takes the file's exclusive lock, waiting a little for a previous owner to let go.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{} is locked", path.display()),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// `FILE.suffix` next to `FILE`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// Makes a file's creation or rename durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}
