//! The flows of a WekaContainer, as tables of steps (upstream `flow_*_state.go`, spec
//! `wekacontainer-flows.md` §3), and which one runs: chosen from `spec.state` alone (a
//! deletionTimestamp moves an active container to `deleting` first, see `ensureStateDeleting`).
//!
//! Every step of upstream's tables is here; where ours differs (an extra step, a step left
//! out), a comment at its place in the table says why.

mod active;
mod deleting;
mod destroying;
pub(super) mod groups;
mod paused;
mod predicates;

use weka_api::wekacontainer::ContainerState as State;

use super::state::ContainerState;
use crate::engine::Step;

/// A flow: its name (for logs) and its steps.
pub struct Flow {
    pub name: &'static str,
    pub steps: &'static [Step<ContainerState>],
}

pub const ACTIVE: Flow = Flow { name: "active", steps: active::STEPS };
pub const DELETING: Flow = Flow { name: "deleting", steps: deleting::STEPS };
pub const DESTROYING: Flow = Flow { name: "destroying", steps: destroying::STEPS };
pub const PAUSED: Flow = Flow { name: "paused", steps: paused::STEPS };

/// The flow for `spec.state`.
pub fn select(state: Option<State>) -> Flow {
    match state.unwrap_or_default() {
        State::Paused => PAUSED,
        State::Destroying => DESTROYING,
        State::Deleting => DELETING,
        State::Active => ACTIVE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(flow: &Flow) -> Vec<&'static str> {
        flow.steps.iter().map(|s| s.name).collect()
    }

    #[test]
    fn the_flow_follows_spec_state() {
        assert_eq!(select(None).name, "active");
        assert_eq!(select(Some(State::Paused)).name, "paused");
        assert_eq!(select(Some(State::Deleting)).name, "deleting");
        assert_eq!(select(Some(State::Destroying)).name, "destroying");
    }

    #[test]
    fn the_finalizer_is_added_before_the_pod_and_removed_last() {
        let active = names(&ACTIVE);
        let finalizer = active.iter().position(|n| *n == "ensureFinalizer").unwrap();
        let pod = active.iter().position(|n| *n == "ensurePod").unwrap();
        assert!(finalizer < pod);
        for flow in [DELETING, DESTROYING] {
            assert_eq!(names(&flow).last(), Some(&"HandleDeletion"), "{}", flow.name);
        }
    }

    #[test]
    fn the_deleting_flow_deactivates_before_it_stops_and_removes_after() {
        let steps = names(&DELETING);
        let at = |name| steps.iter().position(|n| *n == name).unwrap();
        assert!(at("DeactivateWekaContainer") < at("stopAndEnsureNoPod"));
        assert!(at("stopAndEnsureNoPod") < at("RemoveDeactivatedContainers"));
    }

    #[test]
    fn the_csi_group_follows_metrics_when_active_precedes_them_when_deleting() {
        for flow in [ACTIVE, DELETING] {
            let steps = names(&flow);
            let at = |name| steps.iter().position(|n| *n == name).unwrap();
            assert!(at("GetNode") < at("GetWekaClient"), "{}", flow.name);
            assert!(at("GetWekaClient") < at("FetchTargetCluster"), "{}", flow.name);
            assert!(at("FetchTargetCluster") < at("ManageCsiTopologyLabels"), "{}", flow.name);
            let csi = at("ManageCsiTopologyLabels");
            let metrics = at("SetStatusMetrics");
            assert_eq!(csi > metrics, flow.name == "active", "{}", flow.name);
        }
        let destroying = names(&DESTROYING);
        assert!(destroying.contains(&"FetchTargetCluster"));
        assert!(!destroying.contains(&"ManageCsiTopologyLabels"));
    }

    #[test]
    fn the_destroying_flow_never_deactivates() {
        let steps = names(&DESTROYING);
        assert!(!steps.contains(&"DeactivateWekaContainer"));
        assert!(steps.contains(&"stopForceAndEnsureNoPod"));
    }
}
