//! Everything a pod depends on that is not in the WekaContainer: what discovery found on the
//! node, the parent cluster, the image to run, refreshed join IPs and the operator settings.

use weka_api::WekaContainer;

use super::settings::PodSettings;

/// Host persistence base on standard Linux nodes.
pub const PERSISTENCE_BASE: &str = "/opt/k8s-weka";
/// Host persistence base on GKE Container-Optimized OS.
pub const PERSISTENCE_BASE_COS: &str = "/mnt/stateful_partition/k8s-weka";
/// Host persistence base on OpenShift (RHCOS).
pub const PERSISTENCE_BASE_RHCOS: &str = "/root/k8s-weka";

/// The operating system flavour of a node, as discovery reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NodeOs {
    /// Any ordinary Linux distribution.
    #[default]
    Standard,
    /// GKE Container-Optimized OS (`cos`).
    Cos,
    /// OpenShift's Red Hat CoreOS (`rhcos`).
    Rhcos,
}

/// The cloud a node runs in, as discovery reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloudProvider {
    #[default]
    Unknown,
    Aws,
    Oci,
}

/// What discovery found on the pod's node (upstream `DiscoveryNodeInfo`). Discovery pods
/// themselves are built with the default (nothing known yet).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeInfo {
    pub os: NodeOs,
    /// The node has hyper-threading (the `auto` CPU policy becomes `dedicated_ht`).
    pub is_ht: bool,
    /// The node's boot ID (shutdown instructions are keyed by it).
    pub boot_id: String,
    /// OpenShift driver toolkit image for drivers builders on RHCOS.
    pub init_container_image: Option<String>,
    pub provider: CloudProvider,
}

impl NodeInfo {
    /// Where WEKA keeps its host-side state on this node.
    pub fn persistence_base(&self) -> &'static str {
        match self.os {
            NodeOs::Standard => PERSISTENCE_BASE,
            NodeOs::Cos => PERSISTENCE_BASE_COS,
            NodeOs::Rhcos => PERSISTENCE_BASE_RHCOS,
        }
    }

    /// Host directory of one container's private state.
    pub fn container_persistence_path(&self, container_uid: &str) -> String {
        format!("{}/containers/{container_uid}", self.persistence_base())
    }

    /// Host directory one container shares with the node agent.
    pub fn container_shared_path(&self, container_uid: &str) -> String {
        format!("{}/shared/containers/{container_uid}", self.persistence_base())
    }

    /// Host directory shared by the containers of one cluster (or of none).
    pub fn cluster_persistence_path(&self, cluster_uid: Option<&str>) -> String {
        let cluster = cluster_uid.unwrap_or("cluster-less");
        format!("{}/clusters/{cluster}", self.persistence_base())
    }

    /// Pods on this node must request the `weka.io/nics` device-plugin resource.
    pub fn should_request_nics(&self, settings: &PodSettings) -> bool {
        match self.provider {
            CloudProvider::Aws => true,
            CloudProvider::Oci => settings.oke_nics_allocation,
            CloudProvider::Unknown => false,
        }
    }
}

/// Inputs of [`super::build_pod`] besides the WekaContainer.
#[derive(Clone, Debug)]
pub struct PodContext<'a> {
    /// Discovery info of the node the pod goes to.
    pub node: NodeInfo,
    /// UID of the parent WekaCluster, if any.
    pub cluster_uid: Option<String>,
    /// The image to run: `spec.image`, or the last applied image while an upgrade is held.
    pub image: String,
    /// Join IPs for the runtime (`spec.joinIpPorts`, refreshed from the cluster when known).
    pub join_ips: Vec<String>,
    pub settings: &'a PodSettings,
}

impl<'a> PodContext<'a> {
    /// The context as the container alone gives it: its own image and join IPs, the parent
    /// cluster from its owner references. The controller then overrides what it knows better.
    pub fn new(container: &WekaContainer, node: NodeInfo, settings: &'a PodSettings) -> Self {
        PodContext {
            node,
            cluster_uid: parent_cluster_uid(container),
            image: container.spec.image.clone(),
            join_ips: container.spec.join_ip_ports.clone().unwrap_or_default(),
            settings,
        }
    }

    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.image = image.into();
        self
    }

    pub fn with_join_ips(mut self, join_ips: Vec<String>) -> Self {
        self.join_ips = join_ips;
        self
    }
}

/// UID of the owner reference of kind WekaCluster (upstream `GetParentClusterId`).
pub fn parent_cluster_uid(container: &WekaContainer) -> Option<String> {
    container
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|owner| owner.kind == "WekaCluster")
        .map(|owner| owner.uid.clone())
}

/// In-pod path of the shutdown instructions the node agent reads for one pod incarnation
/// (upstream `GetPodShutdownInstructionPathOnAgent`).
pub fn shutdown_instructions_path(container_uid: &str, pod_uid: &str, boot_id: &str) -> String {
    format!("/host-binds/shared/containers/{container_uid}/instructions/{pod_uid}/{boot_id}")
}
