//! [`ClusterPlan`]: a cluster with its template resolved once, answering what the
//! WekaCluster controller asks about its containers.

use weka_api::wekacontainer::ContainerMode;
use weka_api::{WekaCluster, WekaContainer};

use super::counts;
use super::error::ClusterSpecError;
use super::factory;
use super::naming::ContainerName;
use super::roles::RoleCounts;
use super::scale_down;
use super::settings::ClusterSettings;
use super::template::{ClusterTemplate, resolve_template};

#[derive(Clone, Debug)]
pub struct ClusterPlan<'a> {
    cluster: &'a WekaCluster,
    template: ClusterTemplate,
    settings: &'a ClusterSettings,
}

impl<'a> ClusterPlan<'a> {
    /// Resolves the cluster's template; a spec that names no usable template is an error.
    pub fn new(
        cluster: &'a WekaCluster,
        settings: &'a ClusterSettings,
    ) -> Result<Self, ClusterSpecError> {
        let template = resolve_template(&cluster.spec, settings)?;
        Ok(ClusterPlan { cluster, template, settings })
    }

    pub fn template(&self) -> &ClusterTemplate {
        &self.template
    }

    /// Containers wanted per role (see [`counts::desired_counts`]).
    pub fn desired_counts(&self, cluster_created: bool) -> RoleCounts {
        counts::desired_counts(self.cluster, &self.template, cluster_created, self.settings)
    }

    /// The container of `role` with index `index`.
    pub fn build_container(
        &self,
        role: ContainerMode,
        index: usize,
    ) -> Result<WekaContainer, ClusterSpecError> {
        factory::build_container(
            self.cluster,
            &self.template,
            ContainerName { role, index },
            self.settings,
        )
    }

    /// The containers to create (see [`counts::missing_containers`]).
    pub fn missing_containers(
        &self,
        existing: &[WekaContainer],
        cluster_created: bool,
    ) -> Result<Vec<WekaContainer>, ClusterSpecError> {
        counts::missing_containers(
            self.cluster,
            &self.template,
            existing,
            cluster_created,
            self.settings,
        )
    }

    /// The containers to remove after a count shrank (only once the cluster is formed).
    pub fn excess_containers<'c>(&self, existing: &'c [WekaContainer]) -> Vec<&'c WekaContainer> {
        scale_down::excess_containers(self.cluster, &self.desired_counts(true), existing)
    }
}
