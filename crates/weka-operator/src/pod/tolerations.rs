//! Tolerations of WEKA pods (upstream `GetWekaPodTolerations`, `tolerations.go`) and the
//! string shorthand that WekaCluster and WekaClient use for theirs.

use k8s_openapi::api::core::v1::Toleration;
use weka_api::constants::annotations::SHUTDOWN_NODE;
use weka_api::wekacontainer::ContainerMode;

use super::settings::PodSettings;

const NO_SCHEDULE: &str = "NoSchedule";
const NO_EXECUTE: &str = "NoExecute";
const PREFER_NO_SCHEDULE: &str = "PreferNoSchedule";

/// Node conditions a WEKA pod rides out instead of being evicted: WEKA itself decides.
const UNHEALTHY_TAINTS: [&str; 4] = [
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
    "node.kubernetes.io/network-unavailable",
    "node.kubernetes.io/unschedulable",
];
const PRESSURE_TAINTS: [&str; 3] = [
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/cpu-pressure",
    "node.kubernetes.io/memory-pressure",
];

/// `key` Exists with `effect`; a None key tolerates every taint of that effect.
pub fn exists(key: Option<&str>, effect: &str) -> Toleration {
    Toleration {
        key: key.map(str::to_string),
        operator: Some("Exists".to_string()),
        effect: Some(effect.to_string()),
        value: None,
        toleration_seconds: None,
    }
}

/// Tolerations for every NoSchedule and PreferNoSchedule taint (upstream
/// `ExpandNoScheduleTolerations`): the pod schedules anywhere it is not evicted from.
pub fn tolerate_all_no_schedule() -> [Toleration; 2] {
    [exists(None, NO_SCHEDULE), exists(None, PREFER_NO_SCHEDULE)]
}

/// The WekaCluster/WekaClient shorthand: each taint key tolerated (Exists) for NoSchedule and
/// NoExecute, followed by the raw tolerations (upstream `ExpandTolerations`).
pub fn expand_string_tolerations(keys: &[String], raw: &[Toleration]) -> Vec<Toleration> {
    keys.iter()
        .flat_map(|key| [exists(Some(key), NO_SCHEDULE), exists(Some(key), NO_EXECUTE)])
        .chain(raw.iter().cloned())
        .collect()
}

/// Modes that get the key-less NoSchedule tolerations: clients (they must run wherever
/// workloads run) and the node helpers.
fn tolerates_all_no_schedule(mode: ContainerMode, settings: &PodSettings) -> bool {
    use ContainerMode::*;
    match mode {
        Client => !settings.skip_client_no_schedule_toleration,
        AdhocOp | AdhocOpWithContainer | DriversLoader | Discovery => {
            !settings.skip_aux_no_schedule_toleration
        }
        _ => false,
    }
}

/// The pod's tolerations, in upstream's order, each once; the spec's come last.
pub fn pod_tolerations(
    mode: ContainerMode,
    spec_tolerations: &[Toleration],
    settings: &PodSettings,
) -> Vec<Toleration> {
    let mut tolerations = vec![exists(Some(SHUTDOWN_NODE), NO_EXECUTE)];
    if !settings.skip_unhealthy_toleration {
        tolerations.extend(UNHEALTHY_TAINTS.map(|key| exists(Some(key), NO_EXECUTE)));
    }
    for key in PRESSURE_TAINTS {
        tolerations.extend([exists(Some(key), NO_SCHEDULE), exists(Some(key), NO_EXECUTE)]);
    }
    if tolerates_all_no_schedule(mode, settings) {
        tolerations.extend(tolerate_all_no_schedule());
    }
    for toleration in spec_tolerations {
        if !tolerations.contains(toleration) {
            tolerations.push(toleration.clone());
        }
    }
    tolerations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyless_no_schedule(tolerations: &[Toleration]) -> usize {
        tolerations
            .iter()
            .filter(|t| t.key.is_none() && t.effect.as_deref() == Some(NO_SCHEDULE))
            .count()
    }

    #[test]
    fn backends_tolerate_shutdown_unhealthy_and_pressure_taints_only() {
        let tolerations = pod_tolerations(ContainerMode::Compute, &[], &PodSettings::default());
        assert_eq!(tolerations.len(), 1 + 4 + 6);
        assert_eq!(tolerations[0], exists(Some("weka.io/shutdown-node"), NO_EXECUTE));
        assert_eq!(keyless_no_schedule(&tolerations), 0);
    }

    #[test]
    fn skipping_unhealthy_tolerations_leaves_pressure_ones() {
        let settings = PodSettings { skip_unhealthy_toleration: true, ..PodSettings::default() };
        let tolerations = pod_tolerations(ContainerMode::Drive, &[], &settings);
        assert_eq!(tolerations.len(), 1 + 6);
        assert!(!tolerations.iter().any(|t| t.key.as_deref() == Some(UNHEALTHY_TAINTS[0])));
    }

    #[test]
    fn clients_and_helpers_tolerate_every_no_schedule_taint_once() {
        for mode in [
            ContainerMode::Client,
            ContainerMode::AdhocOp,
            ContainerMode::AdhocOpWithContainer,
            ContainerMode::DriversLoader,
            ContainerMode::Discovery,
        ] {
            let tolerations = pod_tolerations(mode, &[], &PodSettings::default());
            assert_eq!(keyless_no_schedule(&tolerations), 1, "{mode}");
            assert!(tolerations.contains(&exists(None, PREFER_NO_SCHEDULE)), "{mode}");
        }
    }

    #[test]
    fn the_skip_settings_turn_the_no_schedule_expansion_off() {
        let settings = PodSettings {
            skip_client_no_schedule_toleration: true,
            skip_aux_no_schedule_toleration: true,
            ..PodSettings::default()
        };
        for mode in [ContainerMode::Client, ContainerMode::Discovery] {
            let tolerations = pod_tolerations(mode, &[], &settings);
            assert_eq!(keyless_no_schedule(&tolerations), 0, "{mode}");
        }
    }

    #[test]
    fn spec_tolerations_come_last_and_duplicates_are_dropped() {
        let custom = Toleration {
            key: Some("dedicated".into()),
            operator: Some("Equal".into()),
            value: Some("weka".into()),
            effect: Some(NO_SCHEDULE.into()),
            toleration_seconds: None,
        };
        let duplicate = exists(Some("weka.io/shutdown-node"), NO_EXECUTE);
        let tolerations = pod_tolerations(
            ContainerMode::Compute,
            &[custom.clone(), duplicate],
            &PodSettings::default(),
        );
        assert_eq!(tolerations.last(), Some(&custom));
        assert_eq!(tolerations.len(), 1 + 4 + 6 + 1);
    }

    #[test]
    fn string_tolerations_expand_to_no_schedule_and_no_execute() {
        let raw = Toleration {
            key: Some("gpu".into()),
            operator: Some("Exists".into()),
            ..Toleration::default()
        };
        let expanded =
            expand_string_tolerations(&["weka-only".to_string()], std::slice::from_ref(&raw));
        assert_eq!(
            expanded,
            vec![
                exists(Some("weka-only"), NO_SCHEDULE),
                exists(Some("weka-only"), NO_EXECUTE),
                raw
            ]
        );
    }
}
