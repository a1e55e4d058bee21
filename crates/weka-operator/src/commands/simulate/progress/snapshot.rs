//! What the progress display shows, as plain data taken from the watched objects: the
//! clusters waited for, every WekaContainer's role and phase, every pod's state. Pure, so
//! that rendering and readiness are tested without a server.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use weka_api::constants::conditions::CLUSTER_READY;
use weka_api::{WekaCluster, WekaContainer, WekaContainerStatus};

use crate::commands::simulate::manifests::{Target, Targets};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The target clusters, in order; `None` status while the object is not there.
    pub clusters: Vec<ClusterView>,
    pub containers: Vec<ContainerView>,
    pub pods: Vec<PodView>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterView {
    pub target: Target,
    pub exists: bool,
    /// `status.status`, empty before the operator wrote one.
    pub status: String,
    pub conditions: Vec<ConditionView>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConditionView {
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContainerView {
    pub target: Target,
    /// `spec.mode`.
    pub role: String,
    /// `status.status`, `New` before the operator wrote one.
    pub phase: String,
    /// The first False condition: `Type (Reason): message`.
    pub waiting: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodView {
    pub target: Target,
    /// Running, Pending, ...; `Terminating` once deleted.
    pub phase: String,
    /// Why the scheduler could not place it (PodScheduled=False).
    pub unschedulable: Option<String>,
}

fn target_of<K: ResourceExt>(object: &K) -> Target {
    Target { namespace: object.namespace().unwrap_or_default(), name: object.name_any() }
}

impl Snapshot {
    pub fn observe<'a>(
        targets: &Targets,
        clusters: impl IntoIterator<Item = &'a WekaCluster>,
        containers: impl IntoIterator<Item = &'a WekaContainer>,
        pods: impl IntoIterator<Item = &'a Pod>,
    ) -> Snapshot {
        let by_target: BTreeMap<Target, &WekaCluster> =
            clusters.into_iter().map(|c| (target_of(c), c)).collect();
        let mut containers: Vec<ContainerView> =
            containers.into_iter().map(ContainerView::of).collect();
        containers.sort_by(|a, b| a.target.cmp(&b.target));
        let mut pods: Vec<PodView> = pods.into_iter().map(PodView::of).collect();
        pods.sort_by(|a, b| a.target.cmp(&b.target));
        Snapshot {
            clusters: targets
                .clusters
                .iter()
                .map(|t| ClusterView::of(t, by_target.get(t).copied()))
                .collect(),
            containers,
            pods,
        }
    }

    /// Containers per role, per phase.
    pub fn roles(&self) -> BTreeMap<&str, BTreeMap<&str, usize>> {
        let mut roles: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for c in &self.containers {
            *roles.entry(&c.role).or_default().entry(&c.phase).or_default() += 1;
        }
        roles
    }

    /// Pods per phase.
    pub fn pod_phases(&self) -> BTreeMap<&str, usize> {
        let mut phases = BTreeMap::new();
        for pod in &self.pods {
            *phases.entry(pod.phase.as_str()).or_default() += 1;
        }
        phases
    }

    pub fn unschedulable(&self) -> impl Iterator<Item = (&Target, &str)> {
        self.pods.iter().filter_map(|p| Some((&p.target, p.unschedulable.as_deref()?)))
    }

    pub fn container(&self, target: &Target) -> Option<&ContainerView> {
        self.containers.iter().find(|c| c.target == *target)
    }

    /// Every target cluster Ready and every target container Running.
    pub fn all_ready(&self, targets: &Targets) -> bool {
        self.clusters.iter().all(ClusterView::is_ready)
            && targets
                .containers
                .iter()
                .all(|t| self.container(t).is_some_and(|c| c.phase == WekaContainerStatus::RUNNING))
    }
}

impl ClusterView {
    fn of(target: &Target, cluster: Option<&WekaCluster>) -> ClusterView {
        let status = cluster.and_then(|c| c.status.as_ref());
        ClusterView {
            target: target.clone(),
            exists: cluster.is_some(),
            status: status.map(|s| s.status.clone()).unwrap_or_default(),
            conditions: status
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
                .map(|c| ConditionView {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                })
                .collect(),
        }
    }

    /// `ClusterIsReady` is True (what `kubectl wait --for=condition=...` sees).
    pub fn is_ready(&self) -> bool {
        self.conditions.iter().any(|c| c.type_ == CLUSTER_READY && c.status == "True")
    }

    /// The first condition that is not True: what the cluster waits for (none once Ready;
    /// `Progressing` only says whether a reconcile is under way).
    pub fn waiting_on(&self) -> Option<&ConditionView> {
        if self.is_ready() {
            return None;
        }
        self.conditions.iter().find(|c| c.status != "True" && c.type_ != "Progressing")
    }

    pub fn true_conditions(&self) -> usize {
        self.conditions.iter().filter(|c| c.status == "True").count()
    }
}

impl ContainerView {
    fn of(container: &WekaContainer) -> ContainerView {
        let phase = container.status.as_ref().map(|s| s.status.clone()).filter(|s| !s.is_empty());
        let waiting = container
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.status == "False")
            .map(|c| format!("{} ({}): {}", c.type_, c.reason, c.message));
        ContainerView {
            target: target_of(container),
            role: container.spec.mode.as_str().to_string(),
            phase: phase.unwrap_or_else(|| "New".into()),
            waiting,
        }
    }
}

impl PodView {
    fn of(pod: &Pod) -> PodView {
        let status = pod.status.as_ref();
        let phase = if pod.metadata.deletion_timestamp.is_some() {
            "Terminating".to_string()
        } else {
            status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into())
        };
        let unschedulable = status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False")
            .map(|c| c.message.clone().unwrap_or_else(|| c.reason.clone().unwrap_or_default()));
        PodView { target: target_of(pod), phase, unschedulable }
    }
}
