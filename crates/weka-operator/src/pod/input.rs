//! [`Input`]: the container, its context and the values several aspects share, checked once.

use weka_api::wekacontainer::{ContainerMode, WekaContainer, WekaContainerSpec};

use super::context::PodContext;
use super::error::PodBuildError;
use super::hugepages::{self, HugepagesPlan};
use super::profile::{self, ModeProfile};
use super::resources::{self, CpuPlan};
use super::settings::PodSettings;

/// What every aspect function of the builder reads.
pub struct Input<'a> {
    pub container: &'a WekaContainer,
    pub spec: &'a WekaContainerSpec,
    pub mode: ContainerMode,
    pub ctx: &'a PodContext<'a>,
    pub settings: &'a PodSettings,
    pub profile: ModeProfile,
    pub name: &'a str,
    /// The WekaContainer's UID: names its host directories and identifies it to the runtime.
    pub uid: &'a str,
    pub image: &'a str,
    pub hugepages: HugepagesPlan,
    pub cpu: CpuPlan,
}

impl<'a> Input<'a> {
    pub fn new(
        container: &'a WekaContainer,
        ctx: &'a PodContext<'a>,
    ) -> Result<Self, PodBuildError> {
        let spec = &container.spec;
        let profile = profile::profile(spec.mode)?;
        let name = container
            .metadata
            .name
            .as_deref()
            .ok_or(PodBuildError::MissingMetadata { field: "name" })?;
        let uid = container
            .metadata
            .uid
            .as_deref()
            .ok_or(PodBuildError::MissingMetadata { field: "uid" })?;
        if ctx.image.trim().is_empty() {
            return Err(PodBuildError::MissingImage);
        }
        Ok(Input {
            container,
            spec,
            mode: spec.mode,
            ctx,
            settings: ctx.settings,
            profile,
            name,
            uid,
            image: &ctx.image,
            hugepages: hugepages::plan(container, ctx.settings),
            cpu: resources::cpu_plan(spec, &ctx.node)?,
        })
    }

    /// The WEKA port: allocated, else the spec's (upstream `GetPort`).
    pub fn weka_port(&self) -> i64 {
        let allocated = self.allocations().and_then(|a| a.weka_port).unwrap_or(0);
        if allocated != 0 { allocated as i64 } else { self.spec.port.unwrap_or(0) as i64 }
    }

    /// The agent port: allocated, else the spec's (upstream `GetAgentPort`).
    pub fn agent_port(&self) -> i64 {
        let allocated = self.allocations().and_then(|a| a.agent_port).unwrap_or(0);
        if allocated != 0 { allocated as i64 } else { self.spec.agent_port.unwrap_or(0) as i64 }
    }

    /// The node the container is pinned to: the spec's, else the one recorded in status.
    pub fn node_affinity(&self) -> Option<&'a str> {
        let status = self.container.status.as_ref();
        [self.spec.node_affinity.as_deref(), status.and_then(|s| s.node_affinity.as_deref())]
            .into_iter()
            .flatten()
            .find(|node| !node.is_empty())
    }

    /// `spec.network.udpMode`.
    pub fn udp_mode(&self) -> bool {
        self.spec.network.as_ref().and_then(|n| n.udp_mode).unwrap_or(false)
    }

    fn allocations(&self) -> Option<&'a weka_api::wekacontainer::ContainerAllocations> {
        self.container.status.as_ref()?.allocations.as_ref()
    }
}
