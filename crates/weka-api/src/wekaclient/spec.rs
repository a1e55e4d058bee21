//! The desired state of a WekaClient.

use k8s_openapi::api::core::v1::{Toleration, VolumeMount};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::status::WekaClientStatus;
use crate::common::{
    CpuPolicy, CsiAdvanced, DURATION_PATTERN, GoInt, Labels, Network, ObjectReference,
    PodResourcesSpec, PortRange, PvcConfig, TracesConfiguration, UpgradePolicyType, WekaNuma,
};

/// WEKA client containers, one per selected node, joined to a WEKA cluster, plus CSI.
// The printer columns repeat `type_ = "string"`, which clippy takes for duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[skip_serializing_none]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaClient",
    namespaced,
    status = "WekaClientStatus",
    category = "weka",
    shortname = "wcli",
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Target Cluster", type_ = "string", json_path = ".spec.targetCluster.name"),
    printcolumn(name = "Cores", type_ = "integer", json_path = ".spec.coresNum"),
    printcolumn(
        name = "Containers(A/C/D)",
        type_ = "string",
        json_path = ".status.printer.containers"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct WekaClientSpec {
    // --- what runs ---------------------------------------------------------------------
    /// The weka-in-container image; its tag must carry the WEKA version (`...:4.4.2.157-k8s.2`).
    #[schemars(pattern(r"^.+:\d+\.\d+\.\d+.*$"))]
    pub image: String,
    /// Name of the Secret used to pull `image`.
    pub image_pull_secret: Option<String>,
    /// How a new image is rolled out to the client containers.
    pub upgrade_policy: Option<UpgradePolicy>,
    /// Allow replacing the image without a full stop of the WEKA client.
    pub allow_hot_upgrade: Option<bool>,
    /// URL of the drivers distribution service the containers fetch kernel drivers from.
    pub drivers_dist_service: Option<String>,
    /// Service account of the client pods.
    pub service_account_name: Option<String>,

    // --- which cluster ----------------------------------------------------------------
    /// The WekaCluster to join; its join IPs and client credentials are taken from it.
    pub target_cluster: Option<ObjectReference>,
    /// Explicit `ip:port` join addresses, for a cluster not managed by this operator.
    pub join_ip_ports: Option<Vec<String>>,
    /// Name of the Secret holding the credentials the clients log in with.
    pub weka_secret_ref: Option<String>,
    /// How long a client may stay away before WEKA removes it from the cluster configuration.
    #[schemars(pattern(DURATION_PATTERN), extend("default" = "24h"))]
    pub auto_remove_timeout: Option<String>,
    /// WEKA Home settings of the clients.
    pub weka_home: Option<WekaHomeClientConfig>,

    // --- where it runs ------------------------------------------------------------------
    /// Nodes that get a client container.
    pub node_selector: Option<Labels>,
    /// Taint keys to tolerate (each with operator Exists, for NoSchedule and NoExecute).
    pub tolerations: Option<Vec<String>>,
    /// Standard Kubernetes tolerations, added to those derived from `tolerations`.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub raw_tolerations: Option<Vec<Toleration>>,
    /// NUMA confinement of the client containers.
    pub numa: Option<WekaNuma>,

    // --- CPU and memory -------------------------------------------------------------------
    /// How WEKA processes get their cores.
    #[schemars(extend("default" = "auto"))]
    pub cpu_policy: Option<CpuPolicy>,
    /// CPU request of the client pod (a Kubernetes quantity string).
    pub cpu_request: Option<String>,
    /// Number of WEKA frontend cores per client container.
    #[serde(rename = "coresNum")]
    pub cores_num: Option<GoInt>,
    /// Cores reserved for the pod on top of the frontend cores.
    #[schemars(range(min = 0))]
    pub extra_cores: Option<GoInt>,
    /// Explicit CPU IDs of the frontend cores (`cpuPolicy: manual`).
    pub core_ids: Option<Vec<GoInt>>,
    /// CPU IDs for processes outside the datapath.
    pub non_datapath_core_ids: Option<Vec<GoInt>>,
    /// Megabytes added to (or, if negative, taken from) the computed memory.
    pub additional_memory: Option<GoInt>,
    /// Hugepages in megabytes, instead of the computed amount.
    pub hugepages: Option<GoInt>,
    /// Megabytes added to the hugepages requested from Kubernetes.
    pub hugepages_offset: Option<GoInt>,
    /// Pod requests and limits, passed to the pod spec as they are (experimental).
    pub resources: Option<PodResourcesSpec>,

    // --- networking and ports ---------------------------------------------------------
    /// Data and management networking.
    pub network: Option<Network>,
    /// Fixed WEKA port; 0 or unset picks a free one from `portRange`.
    pub port: Option<GoInt>,
    /// Fixed agent port; 0 or unset picks a free one from `portRange`.
    pub agent_port: Option<GoInt>,
    /// Range in which free ports are looked for.
    pub port_range: Option<PortRange>,

    // --- storage ----------------------------------------------------------------------
    /// Extra pod volumes, in the shape of a PodSpec's `volumes`.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub extra_volumes: Option<serde_json::Value>,
    /// Mounts of `extraVolumes` in the WEKA container.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::volume_mounts")]
    pub extra_volume_mounts: Option<Vec<VolumeMount>>,
    /// A PVC for the containers' persistent data, instead of host paths.
    #[serde(rename = "globalPVC")]
    pub global_pvc: Option<PvcConfig>,
    /// Local trace retention.
    pub traces_configuration: Option<TracesConfiguration>,

    // --- CSI --------------------------------------------------------------------------
    /// CSI deployment settings (experimental).
    pub csi_config: Option<ClientCsiConfig>,
    /// Deploy only CSI, mounting over NFS, and no WEKA client containers.
    pub use_nfs: Option<bool>,

    /// Expert switches; several are unsafe.
    pub overrides: Option<WekaClientOverrides>,
}

/// How a new image reaches the client containers.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct UpgradePolicy {
    /// The rollout strategy.
    #[serde(rename = "type")]
    #[schemars(extend("default" = "all-at-once"))]
    pub type_: Option<UpgradePolicyType>,
}

/// WEKA Home settings of clients.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaHomeClientConfig {
    /// Name of a Secret with the CA certificate of the WEKA Home endpoint.
    pub cacert_secret: Option<String>,
}

/// CSI settings of a WekaClient.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientCsiConfig {
    /// Group name that lets several clients share one set of CSI resources.
    pub csi_group: Option<String>,
    /// Do not create the CSI controller (another client of the group provides it).
    pub disable_controller_creation: Option<bool>,
    /// Labels, tolerations and behaviour of the CSI pods.
    pub advanced: Option<CsiAdvanced>,
}

/// Expert switches of a WekaClient; the unsafe ones can drop IO or leave leftovers.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaClientOverrides {
    /// Build ID of the drivers to fetch from the distribution service; unset detects it.
    pub drivers_build_id: Option<String>,
    /// Image of the drivers loader, instead of the default.
    pub drivers_loader_image: Option<String>,
    /// Node whose machine identifier the client containers reuse.
    pub machine_identifier_node_ref: Option<String>,
    /// Force a drain of the client, dropping in-flight IO and mounts (unsafe).
    pub force_drain: Option<bool>,
    /// Delete client containers even while they have active mounts.
    pub skip_active_mounts_check: Option<bool>,
    /// Unmount every wekafs mount on the host from the root namespace (unsafe).
    pub umount_on_host: Option<bool>,
    /// Allow more than one client pod per node (no anti-affinity; not for production).
    pub drop_affinity_constraints: Option<bool>,
    /// Name of the container in the local WEKA setup (integration with a host client).
    pub weka_container_name: Option<String>,
    /// DPDK base memory in megabytes.
    pub dpdk_base_memory_mb: Option<GoInt>,
    /// Wait this long after the IO processes are up before the image counts as applied.
    #[schemars(pattern(DURATION_PATTERN))]
    pub wait_since_io_processes_up_timeout: Option<String>,
    /// Create the containers with the agent's reserved-space allocation disabled.
    pub no_reserve_space: Option<bool>,
}
