//! Taints and tolerations, shared by the scheduler (NoSchedule / NoExecute filter,
//! PreferNoSchedule score) and the node lifecycle (NoExecute eviction).

use k8s_openapi::api::core::v1::{Taint, Toleration};

pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

/// Whether one toleration tolerates one taint.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or("");
    let operator = toleration.operator.as_deref().unwrap_or("Equal");
    if key.is_empty() {
        // An empty key with Exists tolerates everything.
        return operator == "Exists";
    }
    if key != taint.key {
        return false;
    }
    match operator {
        "Exists" => true,
        "Equal" | "" => {
            toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
        }
        _ => false,
    }
}

pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

/// The first NoSchedule or NoExecute taint the tolerations do not tolerate.
pub fn first_untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints.iter().find(|t| {
        (t.effect == "NoSchedule" || t.effect == "NoExecute") && !tolerated(tolerations, t)
    })
}

/// How long a pod may stay on a node with these NoExecute taints: `None` = forever (every
/// taint tolerated without tolerationSeconds), `Some(0)` = evict now (one is not tolerated),
/// otherwise the smallest tolerationSeconds of the matching tolerations.
pub fn no_execute_grace(taints: &[Taint], tolerations: &[Toleration]) -> Option<i64> {
    let mut grace: Option<i64> = None;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        let matching: Vec<_> = tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return Some(0);
        }
        // A toleration without seconds tolerates forever; the smallest bound wins otherwise.
        let bound = matching
            .iter()
            .filter_map(|t| t.toleration_seconds)
            .min()
            .filter(|_| matching.iter().all(|t| t.toleration_seconds.is_some()));
        if let Some(seconds) = bound {
            grace = Some(grace.map_or(seconds.max(0), |g| g.min(seconds.max(0))));
        }
    }
    grace
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: (!value.is_empty()).then(|| value.into()),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn toleration(key: &str, op: &str, value: &str, effect: &str, secs: Option<i64>) -> Toleration {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Toleration {
            key: opt(key),
            operator: opt(op),
            value: opt(value),
            effect: opt(effect),
            toleration_seconds: secs,
        }
    }

    #[test]
    fn toleration_matching_follows_upstream_rules() {
        let t = taint("dedicated", "weka", "NoSchedule");
        assert!(tolerates(&toleration("dedicated", "Equal", "weka", "NoSchedule", None), &t));
        assert!(tolerates(&toleration("dedicated", "", "weka", "", None), &t));
        assert!(!tolerates(&toleration("dedicated", "Equal", "other", "", None), &t));
        assert!(tolerates(&toleration("dedicated", "Exists", "", "", None), &t));
        assert!(!tolerates(&toleration("dedicated", "Exists", "", "NoExecute", None), &t));
        assert!(tolerates(&toleration("", "Exists", "", "", None), &t));
        assert!(!tolerates(&toleration("", "Equal", "", "", None), &t));
    }

    #[test]
    fn prefer_no_schedule_taints_never_block() {
        let taints = [taint("soft", "", "PreferNoSchedule"), taint("hard", "x", "NoSchedule")];
        assert_eq!(first_untolerated(&taints, &[]).unwrap().key, "hard");
        let tol = [toleration("hard", "Exists", "", "", None)];
        assert!(first_untolerated(&taints, &tol).is_none());
    }

    #[test]
    fn no_execute_grace_takes_toleration_seconds() {
        let taints = [taint(UNREACHABLE_TAINT, "", "NoExecute")];
        assert_eq!(no_execute_grace(&taints, &[]), Some(0));
        let tol = [toleration(UNREACHABLE_TAINT, "Exists", "", "NoExecute", Some(300))];
        assert_eq!(no_execute_grace(&taints, &tol), Some(300));
        let forever = [toleration(UNREACHABLE_TAINT, "Exists", "", "NoExecute", None)];
        assert_eq!(no_execute_grace(&taints, &forever), None);
        assert_eq!(no_execute_grace(&[taint("x", "", "NoSchedule")], &[]), None);
    }
}
