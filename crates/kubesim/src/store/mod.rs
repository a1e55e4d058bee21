//! The object store: every object as a `serde_json::Value`, keyed by its storage key (the
//! resource type, e.g. `apps/deployments`) and its (namespace, name). Pure data, no HTTP.
//!
//! - One global, monotonic resourceVersion counter shared by all resource types.
//! - The store owns the metadata that only the server writes: uid, creationTimestamp,
//!   resourceVersion, generation, deletionTimestamp, names made from generateName.
//! - Each resource type keeps a bounded window of its recent changes; watches and lists at an
//!   older resourceVersion are served from it and get [`StoreError::Expired`] past it.
//! - Watchers share `Arc`'d events through one broadcast channel per resource type; every
//!   change of every type also goes, in resourceVersion order, to the change feed (the
//!   built-in controllers follow it) and, with durable state, to the [`persist`] journal.
//! - Deletion follows the apiserver: finalizers hold an object with a deletionTimestamp, and
//!   a propagation policy sets the garbage collector's `orphan` / `foregroundDeletion`
//!   finalizers.

mod event;
pub mod object;
pub mod persist;
mod table;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::broadcast;

pub use event::{EventKind, WatchEvent, encode_event};
pub use object::ObjectKey;
pub use persist::{PersistError, StateOptions};
use table::Table;

/// The finalizer of an owner deleted with `propagationPolicy=Foreground`: it stays until the
/// garbage collector has deleted its blocking dependents.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// The finalizer of an owner deleted with `propagationPolicy=Orphan`: it stays until the
/// garbage collector has removed the owner from its dependents' ownerReferences.
pub const ORPHAN_FINALIZER: &str = "orphan";

/// Changes buffered for a change-feed subscriber that falls behind (it then resyncs).
const CHANGE_FEED_CAPACITY: usize = 16 * 1024;

/// Why a store operation was refused. The API layer turns these into `Status` objects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    /// The object changed since the resourceVersion the writer read.
    #[error(
        "the object has been modified; please apply your changes to the latest version and try again"
    )]
    Conflict,
    /// A delete or update precondition (uid, resourceVersion) did not hold.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The request itself is wrong for the store (a field it owns).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The resourceVersion asked for is older than the kept history.
    #[error("too old resource version: {requested} ({oldest})")]
    Expired { requested: u64, oldest: u64 },
}

#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Changes kept per resource type for watches and lists at older versions.
    pub history_limit: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { history_limit: 10_000 }
    }
}

/// How generation is kept for a resource type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Generation {
    /// The kind has no generation; whatever clients send is replaced by the stored value.
    #[default]
    Untracked,
    /// Bumped when anything but metadata changes.
    AnyChange,
    /// Bumped when anything but metadata and status changes (kinds with a status subresource).
    SpecOnly,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub generation: Generation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteMode {
    /// Gone now, unless finalizers hold it.
    Immediate,
    /// Marked with deletionTimestamp now + seconds; something else (a kubelet) removes it.
    Graceful { seconds: i64 },
}

/// What happens to the dependents of a deleted object (`propagationPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// The object goes now; the garbage collector deletes the dependents afterwards.
    Background,
    /// The object waits (`foregroundDeletion`) until its blocking dependents are deleted.
    Foreground,
    /// The object waits (`orphan`) until its dependents no longer name it as an owner.
    Orphan,
}

impl Propagation {
    /// The object's finalizers under this policy, as the apiserver sets them on delete: the
    /// garbage collector's finalizers replaced by the one the policy asks for.
    fn finalizers(self, current: &[String]) -> Vec<String> {
        let mut out: Vec<String> = current
            .iter()
            .filter(|f| *f != FOREGROUND_FINALIZER && *f != ORPHAN_FINALIZER)
            .cloned()
            .collect();
        match self {
            Propagation::Background => {}
            Propagation::Foreground => out.push(FOREGROUND_FINALIZER.into()),
            Propagation::Orphan => out.push(ORPHAN_FINALIZER.into()),
        }
        out
    }
}

#[derive(Clone, Debug)]
pub struct DeleteOptions {
    pub dry_run: bool,
    /// `None` keeps the garbage collector's finalizers the object has.
    pub propagation: Option<Propagation>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub mode: DeleteMode,
    /// Mark even without finalizers or grace period: the caller finishes the deletion with
    /// [`Store::remove`] (namespaces, whose contents go first).
    pub hold: bool,
    /// Applied to the object when it is marked (e.g. a namespace's phase).
    pub on_mark: Option<fn(&mut Value)>,
}

impl Default for DeleteOptions {
    fn default() -> Self {
        DeleteOptions {
            dry_run: false,
            propagation: None,
            uid: None,
            resource_version: None,
            mode: DeleteMode::Immediate,
            hold: false,
            on_mark: None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum DeleteOutcome {
    /// Removed; the last state, with the resourceVersion of the deletion.
    Deleted(Arc<Value>),
    /// Still present with deletionTimestamp set (finalizers or a grace period hold it).
    Marked(Arc<Value>),
}

#[derive(Clone, Debug)]
pub struct UpdateOutcome {
    pub object: Arc<Value>,
    /// The update removed the last finalizer of an object being deleted, so it is gone.
    pub deleted: bool,
}

/// A consistent read of one resource type.
#[derive(Debug)]
pub struct Snapshot {
    pub resource_version: u64,
    pub items: Vec<Arc<Value>>,
}

/// What a new watcher gets: either the current state (to be sent as ADDED events) or the
/// changes after the asked resourceVersion; then `receiver` for what follows.
pub struct Subscription {
    pub initial: Vec<Arc<Value>>,
    pub backlog: Vec<Arc<WatchEvent>>,
    /// The resourceVersion the watcher is at once it has sent `initial` and `backlog`.
    pub resource_version: u64,
    pub receiver: broadcast::Receiver<Arc<WatchEvent>>,
}

pub enum WatchFrom {
    /// The current state first, then changes.
    Now,
    /// Changes after this resourceVersion.
    After(u64),
}

/// An object with the storage key of its resource type.
pub type Stored = (Arc<str>, Arc<Value>);

/// One change of any resource type, as the change feed and the journal carry it.
#[derive(Clone, Debug)]
pub struct Change {
    /// The storage key of the resource type.
    pub resource: Arc<str>,
    pub event: Arc<WatchEvent>,
}

struct Inner {
    rv: u64,
    /// The resourceVersion the store started from (restored state): history begins after it.
    floor: u64,
    tables: HashMap<String, Table>,
}

pub struct Store {
    inner: Mutex<Inner>,
    config: StoreConfig,
    changes: broadcast::Sender<Change>,
    journal: Option<persist::Journal>,
}

impl Store {
    /// An empty store in memory.
    pub fn new(config: StoreConfig) -> Self {
        let (changes, _) = broadcast::channel(CHANGE_FEED_CAPACITY);
        Store {
            inner: Mutex::new(Inner { rv: 0, floor: 0, tables: HashMap::new() }),
            config,
            changes,
            journal: None,
        }
    }

    /// A store kept in a state file: what the file holds is restored, and every change is
    /// appended to it (see [`Store::durable`]).
    pub fn open(config: StoreConfig, state: &StateOptions) -> Result<Self, PersistError> {
        let opened = persist::open(state)?;
        let store = Store::new(config);
        {
            let mut inner = store.lock();
            let limit = store.config.history_limit;
            let floor = opened.resume_rv;
            inner.rv = floor;
            inner.floor = floor;
            for (resource, obj) in opened.objects {
                let table = inner
                    .tables
                    .entry(resource.to_string())
                    .or_insert_with(|| Table::new(&resource, limit, floor));
                table.objects.insert(ObjectKey::of(&obj), obj);
            }
        }
        Ok(Store { journal: Some(opened.journal), ..store })
    }

    /// Resolves once every change up to `rv` is on disk (at once for a store in memory): what
    /// a write waits for before it is acknowledged. The error says why the state file
    /// cannot be written.
    pub async fn durable(&self, rv: u64) -> Result<(), String> {
        match &self.journal {
            Some(journal) => journal.wait(rv).await,
            None => Ok(()),
        }
    }

    /// Every change from now on, of every resource type, in resourceVersion order. A
    /// subscriber that falls behind gets `Lagged` and must resync from [`Store::all`].
    pub fn changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// Every object of every resource type, with the resourceVersion of that state.
    pub fn all(&self) -> (u64, Vec<Stored>) {
        let inner = self.lock();
        let objects = inner
            .tables
            .values()
            .flat_map(|t| t.objects.values().map(|o| (t.name.clone(), o.clone())))
            .collect();
        (inner.rv, objects)
    }

    /// Records a change: history and watchers of its type, the journal, the change feed.
    /// Called under the lock, so changes reach all of them in resourceVersion order.
    fn commit(&self, table: &mut Table, event: WatchEvent) {
        let event = table.publish(event);
        let change = Change { resource: table.name.clone(), event };
        if let Some(journal) = &self.journal {
            journal.append(change.clone());
        }
        // No subscriber is not an error.
        let _ = self.changes.send(change);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every write is applied at its
        // end), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    pub fn get(&self, resource: &str, key: &ObjectKey) -> Option<Arc<Value>> {
        self.lock().tables.get(resource)?.objects.get(key).cloned()
    }

    /// The current objects of one resource type, in one namespace or all.
    pub fn list(&self, resource: &str, namespace: Option<&str>) -> Snapshot {
        let inner = self.lock();
        let items = inner
            .tables
            .get(resource)
            .map(|t| t.range(namespace, None).map(|(_, v)| v.clone()).collect())
            .unwrap_or_default();
        Snapshot { resource_version: inner.rv, items }
    }

    /// Objects as they were at `rv`, with keys after `after`: the consistent snapshot behind
    /// paginated lists and `resourceVersionMatch=Exact`.
    pub fn list_at(
        &self,
        resource: &str,
        namespace: Option<&str>,
        rv: u64,
        after: Option<&ObjectKey>,
    ) -> Result<Vec<Arc<Value>>, StoreError> {
        let inner = self.lock();
        let Some(table) = inner.tables.get(resource) else {
            return Ok(Vec::new());
        };
        let state = table
            .state_at(rv, namespace, after)
            .ok_or(StoreError::Expired { requested: rv, oldest: table.compacted_rv() })?;
        Ok(state.into_values().collect())
    }

    /// Names of namespaced objects in `namespace`, per resource type.
    pub fn keys_in_namespace(&self, namespace: &str) -> BTreeMap<String, Vec<ObjectKey>> {
        let inner = self.lock();
        inner
            .tables
            .iter()
            .map(|(resource, table)| {
                let keys: Vec<ObjectKey> =
                    table.range(Some(namespace), None).map(|(k, _)| k.clone()).collect();
                (resource.clone(), keys)
            })
            .filter(|(_, keys)| !keys.is_empty())
            .collect()
    }

    pub fn watch(&self, resource: &str, from: WatchFrom) -> Result<Subscription, StoreError> {
        let mut inner = self.lock();
        let rv = inner.rv;
        let (limit, floor) = (self.config.history_limit, inner.floor);
        let table = inner
            .tables
            .entry(resource.to_string())
            .or_insert_with(|| Table::new(resource, limit, floor));
        let receiver = table.sender.subscribe();
        match from {
            WatchFrom::Now => Ok(Subscription {
                initial: table.objects.values().cloned().collect(),
                backlog: Vec::new(),
                resource_version: rv,
                receiver,
            }),
            WatchFrom::After(after) => {
                let backlog = table.events_after(after).ok_or(StoreError::Expired {
                    requested: after,
                    oldest: table.compacted_rv(),
                })?;
                Ok(Subscription {
                    initial: Vec::new(),
                    resource_version: backlog.last().map_or(after, |e| e.rv),
                    backlog,
                    receiver,
                })
            }
        }
    }

    /// The changes after `rv` from the history window: how a watcher that fell behind the
    /// broadcast channel catches up.
    pub fn events_after(
        &self,
        resource: &str,
        rv: u64,
    ) -> Result<Vec<Arc<WatchEvent>>, StoreError> {
        let inner = self.lock();
        let Some(table) = inner.tables.get(resource) else {
            return Ok(Vec::new());
        };
        table
            .events_after(rv)
            .ok_or(StoreError::Expired { requested: rv, oldest: table.compacted_rv() })
    }

    pub fn create(
        &self,
        resource: &str,
        mut obj: Value,
        options: WriteOptions,
    ) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let (limit, floor) = (self.config.history_limit, inner.floor);
        let next_rv = inner.rv + 1;
        let table = inner
            .tables
            .entry(resource.to_string())
            .or_insert_with(|| Table::new(resource, limit, floor));
        let namespace = object::namespace(&obj).unwrap_or("").to_string();
        let name = match (object::name(&obj), object::generate_name(&obj)) {
            (Some(name), _) => name.to_string(),
            (None, Some(prefix)) => {
                let prefix = prefix.to_string();
                loop {
                    let candidate = format!("{prefix}{}", random_suffix());
                    if !table
                        .objects
                        .contains_key(&ObjectKey::new(namespace.clone(), candidate.clone()))
                    {
                        break candidate;
                    }
                }
            }
            (None, None) => {
                return Err(StoreError::Invalid {
                    field: "metadata.name".into(),
                    message: "Required value: name or generateName is required".into(),
                });
            }
        };
        let key = ObjectKey::new(namespace, name.clone());
        if table.objects.contains_key(&key) {
            return Err(StoreError::AlreadyExists);
        }
        let meta = object::metadata_mut(&mut obj);
        meta.insert("name".into(), Value::String(name));
        meta.insert("uid".into(), Value::String(uuid::Uuid::new_v4().to_string()));
        meta.insert("creationTimestamp".into(), Value::String(object::now_timestamp()));
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        meta.remove("resourceVersion");
        if options.generation == Generation::Untracked {
            meta.remove("generation");
        } else {
            meta.insert("generation".into(), Value::from(1));
        }
        if options.dry_run {
            return Ok(Arc::new(obj));
        }
        object::set_resource_version(&mut obj, next_rv);
        let obj = Arc::new(obj);
        table.objects.insert(key, obj.clone());
        self.commit(table, WatchEvent::new(EventKind::Added, next_rv, obj.clone(), None));
        inner.rv = next_rv;
        Ok(obj)
    }

    /// Replaces an object. A resourceVersion in `obj` is a precondition; without one the
    /// update is unconditional. Fields only the server writes are kept from the stored object.
    pub fn update(
        &self,
        resource: &str,
        mut obj: Value,
        options: WriteOptions,
    ) -> Result<UpdateOutcome, StoreError> {
        let key = ObjectKey::of(&obj);
        let mut inner = self.lock();
        let next_rv = inner.rv + 1;
        let table = inner.tables.get_mut(resource).ok_or(StoreError::NotFound)?;
        let old = table.objects.get(&key).ok_or(StoreError::NotFound)?.clone();
        let old_rv = object::resource_version(&old).and_then(Result::ok).unwrap_or(0);
        match object::resource_version(&obj) {
            Some(Ok(rv)) if rv == old_rv => {}
            Some(_) => return Err(StoreError::Conflict),
            None => {}
        }
        if let (Some(new_uid), Some(old_uid)) = (object::uid(&obj), object::uid(&old))
            && new_uid != old_uid
        {
            return Err(StoreError::PreconditionFailed(format!(
                "Precondition failed: UID in precondition: {new_uid}, UID in object meta: {old_uid}"
            )));
        }
        let being_deleted = object::deletion_timestamp(&old).is_some();
        if being_deleted {
            let old_finalizers = object::finalizers(&old);
            if object::finalizers(&obj).iter().any(|f| !old_finalizers.contains(f)) {
                return Err(StoreError::Invalid {
                    field: "metadata.finalizers".into(),
                    message:
                        "Forbidden: no new finalizers can be added if the object is being deleted"
                            .into(),
                });
            }
        }
        let old_meta = object::metadata(&old).cloned().unwrap_or_default();
        let generation = match options.generation {
            Generation::Untracked => old_meta.get("generation").cloned(),
            mode => {
                let old_generation = object::generation(&old).unwrap_or(1);
                let same = object::spec_part_equal(&old, &obj, mode == Generation::SpecOnly);
                Some(Value::from(if same { old_generation } else { old_generation + 1 }))
            }
        };
        let meta = object::metadata_mut(&mut obj);
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"]
        {
            match old_meta.get(field) {
                Some(v) => meta.insert(field.into(), v.clone()),
                None => meta.remove(field),
            };
        }
        match generation {
            Some(g) => meta.insert("generation".into(), g),
            None => meta.remove("generation"),
        };
        meta.insert("resourceVersion".into(), Value::String(old_rv.to_string()));
        if obj == *old {
            return Ok(UpdateOutcome { object: old, deleted: false });
        }
        // As the apiserver: an update that removes the last finalizer of an object whose
        // deletion waits for nothing else completes the deletion.
        let no_grace_left = old_meta
            .get("deletionGracePeriodSeconds")
            .and_then(Value::as_i64)
            .is_none_or(|g| g == 0);
        let deleted = being_deleted
            && no_grace_left
            && !object::finalizers(&old).is_empty()
            && object::finalizers(&obj).is_empty()
            && !held_by_spec_finalizers(resource, &obj);
        if options.dry_run {
            return Ok(UpdateOutcome { object: Arc::new(obj), deleted });
        }
        object::set_resource_version(&mut obj, next_rv);
        let obj = Arc::new(obj);
        if deleted {
            table.objects.remove(&key);
            self.commit(
                table,
                WatchEvent::new(EventKind::Deleted, next_rv, obj.clone(), Some(old)),
            );
        } else {
            table.objects.insert(key, obj.clone());
            self.commit(
                table,
                WatchEvent::new(EventKind::Modified, next_rv, obj.clone(), Some(old)),
            );
        }
        inner.rv = next_rv;
        Ok(UpdateOutcome { object: obj, deleted })
    }

    pub fn delete(
        &self,
        resource: &str,
        key: &ObjectKey,
        options: &DeleteOptions,
    ) -> Result<DeleteOutcome, StoreError> {
        let mut inner = self.lock();
        let next_rv = inner.rv + 1;
        let table = inner.tables.get_mut(resource).ok_or(StoreError::NotFound)?;
        let old = table.objects.get(key).ok_or(StoreError::NotFound)?.clone();
        if let Some(uid) = &options.uid
            && object::uid(&old) != Some(uid.as_str())
        {
            return Err(StoreError::PreconditionFailed(format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                object::uid(&old).unwrap_or("")
            )));
        }
        if let Some(rv) = &options.resource_version {
            let current = object::metadata(&old)
                .and_then(|m| m.get("resourceVersion"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if rv != current {
                return Err(StoreError::PreconditionFailed(format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {current}"
                )));
            }
        }
        let old_finalizers = object::finalizers(&old);
        let finalizers = match options.propagation {
            Some(policy) => policy.finalizers(&old_finalizers),
            None => old_finalizers.clone(),
        };
        let has_finalizers = !finalizers.is_empty();
        let grace = match options.mode {
            DeleteMode::Graceful { seconds } if seconds > 0 => Some(seconds),
            _ => None,
        };
        if !has_finalizers && grace.is_none() && !options.hold {
            let mut last = (*old).clone();
            if options.dry_run {
                return Ok(DeleteOutcome::Deleted(Arc::new(last)));
            }
            object::set_resource_version(&mut last, next_rv);
            let last = Arc::new(last);
            table.objects.remove(key);
            self.commit(
                table,
                WatchEvent::new(EventKind::Deleted, next_rv, last.clone(), Some(old)),
            );
            inner.rv = next_rv;
            return Ok(DeleteOutcome::Deleted(last));
        }
        // Marked: set (or shorten) the deletion timestamp and grace period.
        let grace_seconds = grace.unwrap_or(0);
        let current_grace = object::metadata(&old)
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_i64);
        let already_marked = object::deletion_timestamp(&old).is_some();
        let keep_mark = already_marked && current_grace.is_some_and(|g| g <= grace_seconds);
        if keep_mark && finalizers == old_finalizers {
            return Ok(DeleteOutcome::Marked(old));
        }
        let mut marked = (*old).clone();
        let meta = object::metadata_mut(&mut marked);
        if !keep_mark {
            let at = object::timestamp_in(grace_seconds);
            meta.insert("deletionTimestamp".into(), Value::String(at));
            meta.insert("deletionGracePeriodSeconds".into(), Value::from(grace_seconds));
        }
        if finalizers != old_finalizers {
            meta.insert("finalizers".into(), Value::from(finalizers));
        }
        if let Some(on_mark) = options.on_mark {
            on_mark(&mut marked);
        }
        if options.dry_run {
            return Ok(DeleteOutcome::Marked(Arc::new(marked)));
        }
        object::set_resource_version(&mut marked, next_rv);
        let marked = Arc::new(marked);
        table.objects.insert(key.clone(), marked.clone());
        self.commit(
            table,
            WatchEvent::new(EventKind::Modified, next_rv, marked.clone(), Some(old)),
        );
        inner.rv = next_rv;
        Ok(DeleteOutcome::Marked(marked))
    }

    /// Removes an object whatever holds it (grace period; not finalizers, which an update must
    /// clear): what a kubelet does once a pod's containers are gone.
    pub fn remove(&self, resource: &str, key: &ObjectKey) -> Result<Arc<Value>, StoreError> {
        let mut inner = self.lock();
        let next_rv = inner.rv + 1;
        let table = inner.tables.get_mut(resource).ok_or(StoreError::NotFound)?;
        let old = table.objects.get(key).ok_or(StoreError::NotFound)?.clone();
        if !object::finalizers(&old).is_empty() {
            return Err(StoreError::Invalid {
                field: "metadata.finalizers".into(),
                message: "the object still has finalizers".into(),
            });
        }
        let mut last = (*old).clone();
        object::set_resource_version(&mut last, next_rv);
        let last = Arc::new(last);
        table.objects.remove(key);
        self.commit(table, WatchEvent::new(EventKind::Deleted, next_rv, last.clone(), Some(old)));
        inner.rv = next_rv;
        Ok(last)
    }
}

/// A namespace also waits for its `spec.finalizers` (the namespace controller's
/// `kubernetes`), whatever happens to its metadata finalizers.
fn held_by_spec_finalizers(resource: &str, obj: &Value) -> bool {
    resource == "namespaces"
        && obj.pointer("/spec/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty())
}

/// Five characters from the alphabet the apiserver uses for generateName suffixes.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bits = uuid::Uuid::new_v4().as_u128();
    (0..5)
        .map(|i| ALPHABET[((bits >> (i * 8)) % ALPHABET.len() as u128) as usize] as char)
        .collect()
}
