//! What this process already did to the current pod of each container, so that a pass does
//! not redo it: the stop permission it handed the pod (while the pod terminates, every pass
//! would otherwise exec into it again), and the management IPs the pod's runtime wrote
//! (read once per pod: the runtime writes them once, at start). Kept in memory and tied to the pod's UID: a new pod under the same name
//! starts with no notes, and after a restart each thing is simply done once more (all of
//! them are idempotent).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::steps::termination::Stop;

#[derive(Default)]
pub struct PodNotes {
    /// Keyed by the container's UID; one pod per container at a time.
    notes: Mutex<HashMap<String, Note>>,
}

#[derive(Default)]
struct Note {
    pod_uid: String,
    stop_allowed: Option<(Stop, Instant)>,
    management_ips: Option<Vec<String>>,
}

impl PodNotes {
    /// Whether the pod was allowed to stop at least as hard as `stop` (force covers graceful)
    /// less than `within` ago.
    pub fn stop_allowed(&self, container: &str, pod: &str, stop: Stop, within: Duration) -> bool {
        self.read(container, pod, |note| {
            note.stop_allowed.is_some_and(|(allowed, at)| allowed >= stop && at.elapsed() < within)
        })
    }

    pub fn allowed_stop(&self, container: &str, pod: &str, stop: Stop) {
        self.write(container, pod, |note| note.stop_allowed = Some((stop, Instant::now())));
    }

    /// The management IPs read from this pod, if they were.
    pub fn management_ips(&self, container: &str, pod: &str) -> Option<Vec<String>> {
        let notes = self.lock();
        let note = notes.get(container).filter(|note| note.pod_uid == pod)?;
        note.management_ips.clone()
    }

    pub fn read_management_ips(&self, container: &str, pod: &str, ips: &[String]) {
        self.write(container, pod, |note| note.management_ips = Some(ips.to_vec()));
    }

    /// Forgets a container that is gone.
    pub fn forget(&self, container: &str) {
        self.lock().remove(container);
    }

    fn read(&self, container: &str, pod: &str, f: impl FnOnce(&Note) -> bool) -> bool {
        self.lock().get(container).is_some_and(|note| note.pod_uid == pod && f(note))
    }

    fn write(&self, container: &str, pod: &str, f: impl FnOnce(&mut Note)) {
        if pod.is_empty() {
            return;
        }
        let mut notes = self.lock();
        let note = notes.entry(container.to_string()).or_default();
        if note.pod_uid != pod {
            *note = Note { pod_uid: pod.to_string(), ..Note::default() };
        }
        f(note);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Note>> {
        self.notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn notes_belong_to_one_pod() {
        let notes = PodNotes::default();
        let ips = ["10.0.0.1".to_string()];
        notes.allowed_stop("c", "pod-1", Stop::Graceful);
        notes.read_management_ips("c", "pod-1", &ips);
        assert!(notes.stop_allowed("c", "pod-1", Stop::Graceful, MINUTE));
        assert_eq!(notes.management_ips("c", "pod-1").as_deref(), Some(&ips[..]));
        assert!(!notes.stop_allowed("c", "pod-2", Stop::Graceful, MINUTE), "another pod");
        assert_eq!(notes.management_ips("other", "pod-1"), None, "another container");
        notes.read_management_ips("c", "pod-2", &ips);
        assert!(!notes.stop_allowed("c", "pod-2", Stop::Graceful, MINUTE), "replaced pod");
        assert_eq!(notes.management_ips("c", "pod-1"), None, "the old pod's notes are gone");
        notes.forget("c");
        assert_eq!(notes.management_ips("c", "pod-2"), None);
    }

    #[test]
    fn a_force_stop_covers_a_graceful_one_but_not_the_reverse_and_notes_age() {
        let notes = PodNotes::default();
        notes.allowed_stop("c", "pod", Stop::Graceful);
        assert!(!notes.stop_allowed("c", "pod", Stop::Force, MINUTE));
        notes.allowed_stop("c", "pod", Stop::Force);
        assert!(notes.stop_allowed("c", "pod", Stop::Graceful, MINUTE));
        assert!(!notes.stop_allowed("c", "pod", Stop::Force, Duration::ZERO), "too old");
    }

    #[test]
    fn a_pod_without_uid_gets_no_notes() {
        let notes = PodNotes::default();
        notes.allowed_stop("c", "", Stop::Force);
        assert!(!notes.stop_allowed("c", "", Stop::Force, MINUTE));
    }
}
