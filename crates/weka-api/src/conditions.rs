//! Helpers for `metav1.Condition` lists, following the Kubernetes conventions: one entry per
//! type, `lastTransitionTime` changes only when `status` changes, reason in CamelCase.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The three condition statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    True,
    False,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::True => "True",
            Status::False => "False",
            Status::Unknown => "Unknown",
        }
    }
}

impl From<bool> for Status {
    fn from(value: bool) -> Self {
        if value { Status::True } else { Status::False }
    }
}

/// A condition to record; the transition time is filled in by [`set`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired<'a> {
    pub type_: &'a str,
    pub status: Status,
    pub reason: &'a str,
    pub message: String,
    pub observed_generation: Option<i64>,
}

impl<'a> Desired<'a> {
    pub fn new(
        type_: &'a str,
        status: Status,
        reason: &'a str,
        message: impl Into<String>,
    ) -> Self {
        Desired { type_, status, reason, message: message.into(), observed_generation: None }
    }

    pub fn observed(mut self, generation: Option<i64>) -> Self {
        self.observed_generation = generation;
        self
    }
}

/// The condition of the given type, if any.
pub fn find<'c>(conditions: &'c [Condition], type_: &str) -> Option<&'c Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of the given type is present with status `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == Status::True.as_str())
}

/// Records `desired`; returns whether anything changed (so callers write status only then).
/// The transition time is `now` for a new condition or a status change, and kept otherwise.
pub fn set(conditions: &mut Vec<Condition>, desired: Desired<'_>, now: Time) -> bool {
    let status = desired.status.as_str();
    match conditions.iter_mut().find(|c| c.type_ == desired.type_) {
        Some(existing) => {
            let before = existing.clone();
            if existing.status != status {
                existing.status = status.to_string();
                existing.last_transition_time = now;
            }
            existing.reason = desired.reason.to_string();
            existing.message = desired.message;
            existing.observed_generation = desired.observed_generation;
            *existing != before
        }
        None => {
            conditions.push(Condition {
                type_: desired.type_.to_string(),
                status: status.to_string(),
                reason: desired.reason.to_string(),
                message: desired.message,
                observed_generation: desired.observed_generation,
                last_transition_time: now,
            });
            true
        }
    }
}

/// Removes the condition of the given type; returns whether it was present.
pub fn remove(conditions: &mut Vec<Condition>, type_: &str) -> bool {
    let before = conditions.len();
    conditions.retain(|c| c.type_ != type_);
    conditions.len() != before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(secs).unwrap())
    }

    #[test]
    fn a_new_condition_is_added_with_the_given_time() {
        let mut conds = Vec::new();
        assert!(set(&mut conds, Desired::new("Ready", Status::False, "Init", "starting"), at(1)));
        assert_eq!(conds.len(), 1);
        assert_eq!(conds[0].last_transition_time, at(1));
        assert!(!is_true(&conds, "Ready"));
    }

    #[test]
    fn transition_time_changes_only_when_status_changes() {
        let mut conds = Vec::new();
        set(&mut conds, Desired::new("Ready", Status::False, "Init", "a"), at(1));
        assert!(set(&mut conds, Desired::new("Ready", Status::False, "Waiting", "b"), at(2)));
        assert_eq!(conds[0].last_transition_time, at(1), "same status keeps the time");
        assert_eq!(conds[0].reason, "Waiting");
        assert!(set(&mut conds, Desired::new("Ready", Status::True, "Done", "c"), at(3)));
        assert_eq!(conds[0].last_transition_time, at(3));
        assert!(is_true(&conds, "Ready"));
    }

    #[test]
    fn setting_the_same_condition_again_reports_no_change() {
        let mut conds = Vec::new();
        let d = || Desired::new("Ready", Status::True, "Done", "ok").observed(Some(4));
        set(&mut conds, d(), at(1));
        assert!(!set(&mut conds, d(), at(9)));
        assert_eq!(conds[0].last_transition_time, at(1));
    }

    #[test]
    fn remove_reports_presence() {
        let mut conds = Vec::new();
        set(&mut conds, Desired::new("A", true.into(), "R", ""), at(1));
        assert!(remove(&mut conds, "A"));
        assert!(!remove(&mut conds, "A"));
    }
}
