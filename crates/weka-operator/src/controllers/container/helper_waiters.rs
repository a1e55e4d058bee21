//! Wake-ups for containers waiting on a helper container's result (drivers loader, feature
//! flags, umount): nothing about the helper's status change is an event of the waiting
//! container, so without this it would only see the result at its next poll. A waiting step
//! registers here; the reconcile of a helper that has its result wakes its waiters through
//! a trigger stream of the controller.
//!
//! In memory only, as a shortcut: the waiting steps still poll, so a restart (which forgets
//! the registrations) costs one poll interval, nothing else.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use kube::runtime::reflector::ObjectRef;

use super::object::ContainerObject;

type Key = ObjectRef<ContainerObject>;

#[derive(Default)]
pub struct HelperWaiters {
    waiting: Mutex<HashMap<Key, HashSet<Key>>>,
    trigger: Mutex<Option<UnboundedSender<Key>>>,
}

impl HelperWaiters {
    /// A new trigger stream for the controller (at each start; the previous one ends).
    pub fn triggers(&self) -> UnboundedReceiver<Key> {
        let (sender, receiver) = unbounded();
        *lock(&self.trigger) = Some(sender);
        receiver
    }

    /// `waiter` wants a reconcile once `helper` has its result.
    pub fn wait_for(&self, helper: Key, waiter: Key) {
        lock(&self.waiting).entry(helper).or_default().insert(waiter);
    }

    /// `helper` has its result: its waiters are reconciled. Cheap when nobody waits.
    pub fn helper_done(&self, helper: &Key) {
        let Some(waiters) = lock(&self.waiting).remove(helper) else { return };
        let trigger = lock(&self.trigger);
        let Some(sender) = trigger.as_ref() else { return };
        for waiter in waiters {
            tracing::debug!(waiter = %waiter.name, helper = %helper.name, "helper done: waking");
            if sender.unbounded_send(waiter).is_err() {
                return;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn key(name: &str) -> Key {
        ObjectRef::new(name).within("ns")
    }

    #[tokio::test]
    async fn the_waiters_of_a_helper_are_woken_once() {
        let waiters = HelperWaiters::default();
        let mut triggers = waiters.triggers();
        waiters.wait_for(key("loader"), key("compute-a"));
        waiters.wait_for(key("loader"), key("drive-a"));
        waiters.wait_for(key("flags"), key("compute-b"));
        waiters.helper_done(&key("loader"));
        waiters.helper_done(&key("loader"));
        let mut woken =
            vec![triggers.next().await.unwrap().name, triggers.next().await.unwrap().name];
        woken.sort();
        assert_eq!(woken, ["compute-a", "drive-a"]);
        waiters.helper_done(&key("flags"));
        assert_eq!(triggers.next().await.unwrap().name, "compute-b");
    }

    #[test]
    fn without_a_controller_started_nothing_is_sent() {
        let waiters = HelperWaiters::default();
        waiters.wait_for(key("loader"), key("compute-a"));
        waiters.helper_done(&key("loader"));
        assert!(lock(&waiters.waiting).is_empty());
    }
}
