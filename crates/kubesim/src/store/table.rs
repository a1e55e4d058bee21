//! One resource type's objects, its bounded history of changes and the broadcast channel its
//! watchers subscribe to.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use super::event::{EventKind, WatchEvent};
use super::object::ObjectKey;

pub(super) struct Table {
    /// The storage key, shared with every change this table publishes.
    pub name: Arc<str>,
    pub objects: BTreeMap<ObjectKey, Arc<Value>>,
    history: VecDeque<Arc<WatchEvent>>,
    history_limit: usize,
    /// Every change with a resourceVersion above this one is still in `history`.
    compacted_rv: u64,
    pub sender: broadcast::Sender<Arc<WatchEvent>>,
}

impl Table {
    /// A table whose history starts after `floor`: changes up to it (before a restart) are
    /// not kept, so watches from older versions expire.
    pub fn new(name: &str, history_limit: usize, floor: u64) -> Self {
        let history_limit = history_limit.max(1);
        let (sender, _) = broadcast::channel(history_limit.max(16));
        Table {
            name: Arc::from(name),
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit,
            compacted_rv: floor,
            sender,
        }
    }

    /// Records a change and sends it to the watchers.
    pub fn publish(&mut self, event: WatchEvent) -> Arc<WatchEvent> {
        let event = Arc::new(event);
        if self.history.len() == self.history_limit
            && let Some(old) = self.history.pop_front()
        {
            self.compacted_rv = old.rv;
        }
        self.history.push_back(event.clone());
        // No receivers is not an error for us.
        let _ = self.sender.send(event.clone());
        event
    }

    pub fn compacted_rv(&self) -> u64 {
        self.compacted_rv
    }

    /// Changes after `rv`, or `None` when some of them are no longer kept.
    pub fn events_after(&self, rv: u64) -> Option<Vec<Arc<WatchEvent>>> {
        if rv < self.compacted_rv {
            return None;
        }
        let start = self.history.partition_point(|e| e.rv <= rv);
        Some(self.history.range(start..).cloned().collect())
    }

    /// The objects of `namespace` (all when `None`) with a key after `after`, as they were at
    /// `rv`, rebuilt by undoing the newer changes; `None` when the history no longer reaches
    /// back to `rv`.
    pub fn state_at(
        &self,
        rv: u64,
        namespace: Option<&str>,
        after: Option<&ObjectKey>,
    ) -> Option<BTreeMap<ObjectKey, Arc<Value>>> {
        if rv < self.compacted_rv {
            return None;
        }
        let in_range = |key: &ObjectKey| {
            namespace.is_none_or(|ns| key.namespace == ns) && after.is_none_or(|a| key > a)
        };
        let mut items: BTreeMap<ObjectKey, Arc<Value>> =
            self.range(namespace, after).map(|(k, v)| (k.clone(), v.clone())).collect();
        for event in self.history.iter().rev().take_while(|e| e.rv > rv) {
            let key = ObjectKey::of(&event.object);
            if !in_range(&key) {
                continue;
            }
            match (event.kind, &event.previous) {
                (EventKind::Added, _) | (_, None) => {
                    items.remove(&key);
                }
                (_, Some(previous)) => {
                    items.insert(key, previous.clone());
                }
            }
        }
        Some(items)
    }

    /// Current objects of `namespace` (all when `None`) after `after`, in key order.
    pub fn range<'a>(
        &'a self,
        namespace: Option<&'a str>,
        after: Option<&'a ObjectKey>,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Arc<Value>)> + 'a {
        use std::ops::Bound;
        let lower = match (after, namespace) {
            (Some(a), Some(ns)) if a.namespace.as_str() < ns => {
                Bound::Included(ObjectKey::new(ns, ""))
            }
            (Some(a), _) => Bound::Excluded(a.clone()),
            (None, Some(ns)) => Bound::Included(ObjectKey::new(ns, "")),
            (None, None) => Bound::Unbounded,
        };
        self.objects
            .range((lower, Bound::Unbounded))
            .take_while(move |(k, _)| namespace.is_none_or(|ns| k.namespace == ns))
    }
}
