//! The DaemonSet's status as upstream's `updateDaemonSetStatus` counts it: per node that should
//! run a daemon pod, whether it has one, whether its oldest is Ready, available (Ready for
//! minReadySeconds) and made from the current template; pods on nodes that should not run one
//! are misscheduled. `kubectl get ds` and `kubectl rollout status ds/NAME` read these.

use serde_json::{Value, json};

use super::plan::{View, is_ready};
use super::revision::is_updated;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub desired: i32,
    pub current: i32,
    pub misscheduled: i32,
    pub ready: i32,
    pub available: i32,
    pub updated: i32,
}

impl Counts {
    pub fn of(view: &View) -> Counts {
        let by_node = view.pods_by_node();
        let mut counts = Counts::default();
        for (node, (run, _)) in &view.placement {
            let oldest = by_node.get(node).and_then(|pods| pods.first());
            if !run {
                if oldest.is_some() {
                    counts.misscheduled += 1;
                }
                continue;
            }
            counts.desired += 1;
            let Some(pod) = oldest else {
                continue;
            };
            counts.current += 1;
            if is_ready(pod) {
                counts.ready += 1;
                if view.is_available(pod) {
                    counts.available += 1;
                }
            }
            if is_updated(pod, &view.hash, view.generation) {
                counts.updated += 1;
            }
        }
        counts
    }

    /// The status fields this controller owns, as a merge patch (`numberUnavailable` is
    /// omitted at zero, as upstream's omitempty does, hence removed by `null`).
    pub fn to_status(self, observed_generation: Option<i64>) -> Value {
        let unavailable = self.desired - self.available;
        let mut status = json!({
            "desiredNumberScheduled": self.desired,
            "currentNumberScheduled": self.current,
            "numberMisscheduled": self.misscheduled,
            "numberReady": self.ready,
            "numberAvailable": self.available,
            "updatedNumberScheduled": self.updated,
            "numberUnavailable": if unavailable > 0 { json!(unavailable) } else { Value::Null },
        });
        if let Some(generation) = observed_generation {
            status["observedGeneration"] = json!(generation);
        }
        status
    }
}

/// Whether the stored status already says what `patch` would write.
pub fn is_current(stored: Option<&Value>, patch: &Value) -> bool {
    let Some(patch) = patch.as_object() else {
        return false;
    };
    patch.iter().all(|(key, want)| {
        let have = stored.and_then(|s| s.get(key)).filter(|v| !v.is_null());
        match (want, have) {
            (Value::Null, None) => true,
            (want, Some(have)) => want == have,
            _ => false,
        }
    })
}
