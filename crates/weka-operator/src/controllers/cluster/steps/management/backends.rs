//! Which containers the management proxy fronts (spec `wekacluster-services.md` §3.2) and
//! whether an existing proxy configuration must follow a new selection (§3.4).

use kube::ResourceExt;
use weka_api::WekaContainer;
use weka_api::wekacontainer::{ContainerMode, WekaContainerStatus};

use crate::controllers::cluster::selection::{is_operational, weka_port};

/// At most this many backends.
pub const MAX_ENDPOINTS: usize = 10;

/// Drive and compute containers that are operational on the cluster's base port (those on
/// another port range, e.g. mid-migration, are left out): the running ones first, then the
/// other operational ones, in the given order, at most [`MAX_ENDPOINTS`]. Empty while the
/// cluster has no base port.
pub fn select(containers: &[WekaContainer], base_port: i64) -> Vec<&WekaContainer> {
    if base_port == 0 {
        return Vec::new();
    }
    let eligible: Vec<&WekaContainer> =
        containers.iter().filter(|c| eligible(c, base_port)).collect();
    let running = |c: &&&WekaContainer| {
        c.status.as_ref().is_some_and(|s| s.status == WekaContainerStatus::RUNNING)
    };
    let mut selected: Vec<&WekaContainer> =
        eligible.iter().filter(running).take(MAX_ENDPOINTS).copied().collect();
    for container in &eligible {
        if selected.len() >= MAX_ENDPOINTS {
            break;
        }
        if !selected.iter().any(|s| s.name_any() == container.name_any()) {
            selected.push(container);
        }
    }
    selected
}

fn eligible(container: &WekaContainer, base_port: i64) -> bool {
    matches!(container.spec.mode, ContainerMode::Drive | ContainerMode::Compute)
        && is_operational(container)
        && weka_port(container) == base_port
}

/// Whether the proxy configuration listing `listed` (the annotation of the ConfigMap, `None`
/// when it has none) must be regenerated for `selected`. A full list whose containers are
/// all still eligible stays; a short list is regenerated when more backends are available;
/// otherwise it stays unless one of its containers is no longer selected. This keeps the
/// backends stable instead of following every reordering.
pub fn config_outdated(
    listed: Option<&str>,
    selected: &[&WekaContainer],
    containers: &[WekaContainer],
    base_port: i64,
) -> bool {
    let Some(listed) = listed else { return true };
    let names: Vec<&str> = listed.split(',').filter(|n| !n.is_empty()).collect();
    if names.len() >= MAX_ENDPOINTS {
        let still_eligible = |name: &&str| {
            containers.iter().any(|c| c.name_any() == *name && eligible(c, base_port))
        };
        return !names.iter().all(still_eligible);
    }
    if selected.len() > names.len() {
        return true;
    }
    names.iter().any(|name| !selected.iter().any(|s| s.name_any() == *name))
}

/// The annotation value naming `selected`.
pub fn names(selected: &[&WekaContainer]) -> String {
    selected.iter().map(|c| c.name_any()).collect::<Vec<_>>().join(",")
}
