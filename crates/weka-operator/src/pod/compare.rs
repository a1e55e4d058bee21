//! What a live pod needs to match the pod the builder wants: nothing, an in-place patch of its
//! metadata or tolerations (the only parts of a running pod Kubernetes lets the operator
//! change), or a replacement through the stop protocol.
//!
//! Only what the builder sets is compared, after undoing what the API server and kubelet add
//! ([`super::normalize`]). Some differences are not grounds for stopping a storage process:
//! - values derived from state that legitimately changes after the pod exists: the ports in
//!   `PORT`/`WEKA_PORT`/`AGENT_PORT` (0 until allocation; the runtime then reads them from the
//!   resources file the operator writes), `JOIN_IPS` (refreshed when the pod is created), and
//!   the node pin and priority class that follow from `status.nodeAffinity`, recorded after
//!   the scheduler placed the pod, when the pod already runs on that node;
//! - operator-wide settings (operator version, telemetry endpoint and installer, syslog
//!   package, debug sleep, DNS policy, priority classes): every pod of every cluster would be
//!   replaced at once, taking the clusters down; they apply when a pod is next created, as
//!   upstream does.
//!
//! Everything that comes from the WekaContainer (its spec, the image the controller chose,
//! the node's facts) is compared; the cluster controller paces such changes container by
//! container.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, Toleration};

use super::MAIN_CONTAINER;
use super::metadata::updated_annotations;
use super::normalize::{self, hostname_pin};

/// What the controller must do with a live pod.
#[derive(Clone, Debug, PartialEq)]
pub enum PodDrift {
    /// The pod is as desired.
    None,
    /// Patch the pod in place.
    Patch {
        metadata: Option<MetadataPatch>,
        /// The pod's complete new toleration list (the live ones, updated, plus the missing).
        tolerations: Option<Vec<Toleration>>,
    },
    /// Stop the pod through the stop protocol and create it again.
    Replace { reasons: Vec<ReplaceReason> },
}

/// Label and annotation changes, as a JSON merge patch would carry them (None removes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataPatch {
    pub labels: BTreeMap<String, Option<String>>,
    pub annotations: BTreeMap<String, Option<String>>,
}

impl MetadataPatch {
    /// `{"metadata": {"labels": {...}, "annotations": {...}}}`.
    pub fn to_merge_patch(&self) -> serde_json::Value {
        let mut metadata = serde_json::Map::new();
        for (field, changes) in [("labels", &self.labels), ("annotations", &self.annotations)] {
            if !changes.is_empty() {
                metadata.insert(field.to_string(), serde_json::json!(changes));
            }
        }
        serde_json::json!({ "metadata": metadata })
    }
}

/// Why a pod must be replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaceReason {
    /// The main container's image changed (an upgrade).
    ImageChanged { from: String, to: String },
    /// A field Kubernetes does not let change on a running pod.
    SpecChanged { field: String },
}

impl fmt::Display for ReplaceReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplaceReason::ImageChanged { from, to } => {
                write!(f, "image changed from {from} to {to}")
            }
            ReplaceReason::SpecChanged { field } => write!(f, "{field} changed"),
        }
    }
}

/// Decides what `actual` needs to become `desired` (a pod from [`super::build_pod`]).
pub fn compare(desired: &Pod, actual: &Pod) -> PodDrift {
    let empty = PodSpec::default();
    let want = desired.spec.as_ref().unwrap_or(&empty);
    let have = actual.spec.as_ref().unwrap_or(&empty);
    let reasons = replace_reasons(want, have);
    if !reasons.is_empty() {
        return PodDrift::Replace { reasons };
    }
    let metadata = metadata_patch(desired, actual);
    let tolerations = tolerations_patch(
        want.tolerations.as_deref().unwrap_or_default(),
        have.tolerations.as_deref().unwrap_or_default(),
    );
    match (metadata, tolerations) {
        (None, None) => PodDrift::None,
        (metadata, tolerations) => PodDrift::Patch { metadata, tolerations },
    }
}

fn replace_reasons(want: &PodSpec, have: &PodSpec) -> Vec<ReplaceReason> {
    let mut reasons: Vec<ReplaceReason> = image_change(want, have).into_iter().collect();
    let mut check = |field: &str, same: bool| {
        if !same {
            reasons.push(ReplaceReason::SpecChanged { field: format!("spec.{field}") });
        }
    };
    let host_network = want.host_network.unwrap_or(false);
    check("hostNetwork", host_network == have.host_network.unwrap_or(false));
    check("hostPID", want.host_pid.unwrap_or(false) == have.host_pid.unwrap_or(false));
    check(
        "serviceAccountName",
        normalize::service_account(want) == normalize::service_account(have),
    );
    check("imagePullSecrets", normalize::pull_secrets(want) == normalize::pull_secrets(have));
    check(
        "terminationGracePeriodSeconds",
        want.termination_grace_period_seconds.unwrap_or(30)
            == have.termination_grace_period_seconds.unwrap_or(30),
    );
    check("topologySpreadConstraints", normalize::topology(want) == normalize::topology(have));
    // Pinned, after scheduling, to the node the pod already runs on: the same placement.
    let pinned_where_it_runs = hostname_pin(want).is_some()
        && hostname_pin(have).is_none()
        && hostname_pin(want) == have.node_name.as_deref();
    let (want_affinity, have_affinity) = match pinned_where_it_runs {
        true => (normalize::affinity_without_pin(want), normalize::affinity_without_pin(have)),
        false => (normalize::affinity(want), normalize::affinity(have)),
    };
    check("affinity", want_affinity == have_affinity);
    check("volumes", normalize::volumes(want, false) == normalize::volumes(have, true));
    let mut container_fields =
        containers_changes("containers", &want.containers, &have.containers, host_network);
    container_fields.extend(containers_changes(
        "initContainers",
        &normalize::init_containers(want),
        &normalize::init_containers(have),
        host_network,
    ));
    reasons.extend(container_fields.into_iter().map(|field| ReplaceReason::SpecChanged { field }));
    reasons
}

fn main_image(spec: &PodSpec) -> Option<&str> {
    let main = spec.containers.iter().find(|c| c.name == MAIN_CONTAINER)?;
    main.image.as_deref()
}

fn image_change(want: &PodSpec, have: &PodSpec) -> Option<ReplaceReason> {
    let (to, from) = (main_image(want)?, main_image(have)?);
    (to != from).then(|| ReplaceReason::ImageChanged { from: from.to_string(), to: to.to_string() })
}

/// Field paths (`spec.containers[weka-container].env`) that differ between two container lists.
fn containers_changes(
    list: &str,
    want: &[Container],
    have: &[Container],
    host_network: bool,
) -> Vec<String> {
    let names =
        |containers: &[Container]| containers.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    if names(want) != names(have) {
        return vec![format!("spec.{list}")];
    }
    let mut fields = Vec::new();
    for (w, h) in want.iter().zip(have) {
        let mut check = |field: &str, same: bool| {
            if !same {
                fields.push(format!("spec.{list}[{}].{field}", w.name));
            }
        };
        if w.name != MAIN_CONTAINER {
            check("image", w.image == h.image);
        }
        if w.image_pull_policy.is_some() {
            check("imagePullPolicy", w.image_pull_policy == h.image_pull_policy);
        }
        check(
            "command",
            w.command.as_deref().unwrap_or_default() == h.command.as_deref().unwrap_or_default(),
        );
        check(
            "args",
            w.args.as_deref().unwrap_or_default() == h.args.as_deref().unwrap_or_default(),
        );
        check("env", normalize::env(w) == normalize::env(h));
        check("ports", normalize::ports(w, host_network) == normalize::ports(h, host_network));
        check("volumeMounts", normalize::mounts(w) == normalize::mounts(h));
        check("securityContext", normalize::privileged(w) == normalize::privileged(h));
        check("resources", normalize::same_resources(w, h));
    }
    fields
}

fn map_changes(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> BTreeMap<String, Option<String>> {
    let mut changes: BTreeMap<String, Option<String>> = want
        .iter()
        .filter(|(key, value)| have.get(*key) != Some(value))
        .map(|(key, value)| (key.clone(), Some(value.clone())))
        .collect();
    for key in have.keys().filter(|key| !want.contains_key(*key)) {
        changes.insert(key.clone(), None);
    }
    changes
}

/// Labels as desired exactly (upstream sets the whole map); annotations through the
/// applied-annotations bookkeeping, keeping foreign ones.
fn metadata_patch(desired: &Pod, actual: &Pod) -> Option<MetadataPatch> {
    let empty = BTreeMap::new();
    let labels = map_changes(
        actual.metadata.labels.as_ref().unwrap_or(&empty),
        desired.metadata.labels.as_ref().unwrap_or(&empty),
    );
    let live_annotations = actual.metadata.annotations.as_ref().unwrap_or(&empty);
    let target = updated_annotations(
        live_annotations,
        desired.metadata.annotations.as_ref().unwrap_or(&empty),
    );
    let annotations = map_changes(live_annotations, &target);
    let patch = MetadataPatch { labels, annotations };
    (patch != MetadataPatch::default()).then_some(patch)
}

/// Kubernetes lets a running pod gain tolerations and change their `tolerationSeconds`, not
/// lose any: missing ones are added, changed seconds updated, extra ones stay until the pod
/// is next recreated (upstream `updatePodTolerationsOnChange` does the same).
fn tolerations_patch(want: &[Toleration], have: &[Toleration]) -> Option<Vec<Toleration>> {
    let mut result = have.to_vec();
    let mut changed = false;
    for desired in want {
        let found =
            result.iter().position(|live| normalize::same_toleration_except_seconds(live, desired));
        match found {
            Some(i) if result[i].toleration_seconds == desired.toleration_seconds => {}
            Some(i) => {
                result[i].toleration_seconds = desired.toleration_seconds;
                changed = true;
            }
            None => {
                result.push(desired.clone());
                changed = true;
            }
        }
    }
    changed.then_some(result)
}
