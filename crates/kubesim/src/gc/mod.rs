//! The garbage collector, a built-in controller: follows `metadata.ownerReferences` as the
//! kube-controller-manager's collector does.
//!
//! - Background: once an owner is gone, dependents whose owners are all gone (or never
//!   existed: a reference to a uid no object has) are deleted.
//! - Foreground: an owner with `deletionTimestamp` and the `foregroundDeletion` finalizer has
//!   its dependents deleted; the finalizer goes once no dependent with `blockOwnerDeletion`
//!   remains.
//! - Orphan: an owner with `deletionTimestamp` and the `orphan` finalizer is removed from its
//!   dependents' ownerReferences, then the finalizer goes.
//!
//! It runs in-process against the store's change feed ([`crate::store::Store::changes`]),
//! keeps an owner → dependents index ([`graph`]) and a queue of objects to look at
//! ([`collect`] decides what to do with each). It rebuilds everything from a full scan on
//! start and whenever it missed changes, so it needs no state of its own across restarts.

mod collect;
pub mod graph;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::registry::Resource;
use crate::server::ApiServer;
use crate::store::{Change, EventKind, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, ObjectKey, object};
use graph::{Graph, Located, OwnerRef, owner_refs};

/// How often objects that could not be handled (an owner kind not served yet, repeated
/// conflicts) are looked at again.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// Items handled before the task yields to the runtime.
const BATCH: usize = 256;

pub async fn run(api: Arc<ApiServer>) {
    let mut shutdown = api.shutdown.clone();
    let mut changes = api.store.changes();
    let mut collector = Collector::new(api);
    collector.resync();
    let mut retries = tokio::time::interval(RETRY_INTERVAL);
    loop {
        while collector.step() {
            tokio::task::yield_now().await;
        }
        tokio::select! {
            received = changes.recv() => match received {
                Ok(change) => {
                    collector.observe(&change);
                    loop {
                        match changes.try_recv() {
                            Ok(change) => collector.observe(&change),
                            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                                collector.resync();
                            }
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "garbage collector fell behind; resyncing");
                    collector.resync();
                }
                Err(RecvError::Closed) => return,
            },
            _ = retries.tick() => collector.retry(),
            _ = shutdown.changed() => return,
        }
    }
}

/// What handling an object came to.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Done,
    /// Look again later.
    Retry,
}

struct Collector {
    api: Arc<ApiServer>,
    graph: Graph,
    queue: VecDeque<Located>,
    queued: HashSet<Located>,
    retry: HashSet<Located>,
}

impl Collector {
    fn new(api: Arc<ApiServer>) -> Self {
        Collector {
            api,
            graph: Graph::default(),
            queue: VecDeque::new(),
            queued: HashSet::new(),
            retry: HashSet::new(),
        }
    }

    /// Rebuilds the index from the store and looks at every object that has owners or a
    /// garbage-collector finalizer.
    fn resync(&mut self) {
        self.graph.clear();
        let (_, objects) = self.api.store.all();
        for (resource, obj) in objects {
            let Some(at) = Located::of(&resource, &obj) else {
                continue;
            };
            let refs = owner_refs(&obj);
            let interesting = !refs.is_empty() || has_gc_finalizer(&obj);
            self.graph.observe(&at, refs);
            if interesting {
                self.enqueue(at);
            }
        }
    }

    fn observe(&mut self, change: &Change) {
        let event = &change.event;
        let Some(at) = Located::of(&change.resource, &event.object) else {
            return;
        };
        if event.kind == EventKind::Deleted {
            let owners = self.graph.forget(&at.uid);
            // Its dependents may be garbage now; an owner deleting in the foreground may be
            // waiting for it.
            for dependent in self.graph.dependents_of(&at.uid) {
                self.enqueue(dependent);
            }
            self.enqueue_owners(&at, &owners);
            return;
        }
        let refs = owner_refs(&event.object);
        if !refs.is_empty() || has_gc_finalizer(&event.object) {
            self.enqueue(at.clone());
        }
        let previous = self.graph.observe(&at, refs.clone());
        if previous != refs {
            // A dropped reference or blockOwnerDeletion may be what an owner waits for.
            self.enqueue_owners(&at, &previous);
        }
    }

    fn enqueue(&mut self, at: Located) {
        if self.queued.insert(at.clone()) {
            self.queue.push_back(at);
        }
    }

    fn enqueue_owners(&mut self, dependent: &Located, refs: &[OwnerRef]) {
        for r in refs {
            let Some(resource) = self.resolve(r) else {
                continue;
            };
            if let Some(key) = owner_key(&resource, dependent, r) {
                let storage = Arc::from(resource.storage.as_str());
                self.enqueue(Located { resource: storage, key, uid: r.uid.clone() });
            }
        }
    }

    /// Handles a batch of queued objects; true while more are queued.
    fn step(&mut self) -> bool {
        for _ in 0..BATCH {
            let Some(at) = self.queue.pop_front() else {
                return false;
            };
            self.queued.remove(&at);
            if collect::attempt(self, &at) == Step::Retry {
                self.retry.insert(at);
            }
        }
        !self.queue.is_empty()
    }

    fn retry(&mut self) {
        for at in std::mem::take(&mut self.retry) {
            self.enqueue(at);
        }
    }

    /// The served resource of an owner reference's kind (any version of its group).
    fn resolve(&self, r: &OwnerRef) -> Option<Arc<Resource>> {
        let (group, version) = match r.api_version.split_once('/') {
            Some((group, version)) => (group, version),
            None => ("", r.api_version.as_str()),
        };
        let all = self.api.registry.all();
        let candidates = all.iter().filter(|res| res.group == group && res.kind == r.kind);
        let mut fallback = None;
        for res in candidates {
            if res.version == version {
                return Some(res.clone());
            }
            fallback.get_or_insert_with(|| res.clone());
        }
        fallback
    }
}

/// Where a dependent's owner of `resource`'s kind would be: a namespaced owner in the
/// dependent's namespace, a cluster-scoped one at the top. `None` for a namespaced owner of a
/// cluster-scoped dependent, which the collector never resolves (as upstream).
fn owner_key(resource: &Resource, dependent: &Located, r: &OwnerRef) -> Option<ObjectKey> {
    if !resource.namespaced {
        return Some(ObjectKey::new("", r.name.as_str()));
    }
    if dependent.key.namespace.is_empty() {
        return None;
    }
    Some(ObjectKey::new(dependent.key.namespace.as_str(), r.name.as_str()))
}

fn has_gc_finalizer(obj: &serde_json::Value) -> bool {
    object::deletion_timestamp(obj).is_some()
        && object::finalizers(obj)
            .iter()
            .any(|f| f == FOREGROUND_FINALIZER || f == ORPHAN_FINALIZER)
}
