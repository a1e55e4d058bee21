//! The desired state of a WekaCluster: the kind, its top-level spec and the small settings
//! that belong to no group of their own (ports, pod scheduling, overrides, catalog).

use k8s_openapi::api::core::v1::Toleration;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::dynamic_template::DynamicTemplate;
use super::roles::{
    AdditionalMemory, RoleAffinity, RoleAnnotations, RoleCoreIds, RoleNetworkSelector,
    RoleNodeSelector, RoleTopologySpreadConstraints,
};
use super::services::{
    CsiConfig, EncryptionConfig, NfsConfig, S3Config, SmbwConfig, TelemetryConfig, WekaHomeConfig,
};
use super::status::WekaClusterStatus;
use crate::common::{
    CpuPolicy, DURATION_PATTERN, FailureDomain, GoInt, Labels, Network, PvcConfig,
    TracesConfiguration,
};

/// A WEKA storage cluster, built from WekaContainers on the selected nodes.
// The printer columns repeat `type_ = "string"`, which clippy takes for duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[skip_serializing_none]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "weka.weka.io",
    version = "v1alpha1",
    kind = "WekaCluster",
    namespaced,
    status = "WekaClusterStatus",
    category = "weka",
    shortname = "wcl",
    printcolumn(name = "Status", type_ = "string", json_path = ".status.status"),
    printcolumn(name = "Cluster ID", type_ = "string", json_path = ".status.clusterID"),
    printcolumn(
        name = "CCT(A/C/D)",
        type_ = "string",
        json_path = ".status.printer.computeContainers"
    ),
    printcolumn(
        name = "DCT(A/C/D)",
        type_ = "string",
        json_path = ".status.printer.driveContainers"
    ),
    printcolumn(name = "DRVS(A/C/D)", type_ = "string", json_path = ".status.printer.drives"),
    printcolumn(
        name = "IOPS(R/W/M)",
        type_ = "string",
        json_path = ".status.printer.iops",
        priority = 1
    ),
    printcolumn(
        name = "THRPT(R/W)",
        type_ = "string",
        json_path = ".status.printer.throughput",
        priority = 1
    ),
    printcolumn(
        name = "FS(Capacity)",
        type_ = "string",
        json_path = ".status.printer.filesystemCapacity",
        priority = 1
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct WekaClusterSpec {
    // --- what runs ---------------------------------------------------------------------
    /// How the cluster layout is computed; only `dynamic` (from `dynamicTemplate`) exists.
    #[schemars(extend("default" = "dynamic"))]
    pub template: Option<String>,
    /// Container counts, cores, hugepages and drives per role.
    pub dynamic_template: Option<DynamicTemplate>,
    /// The weka-in-container image; its tag must carry the WEKA version (`...:4.4.2.157-k8s.2`).
    #[schemars(pattern(r"^.+:\d+\.\d+\.\d+.*$"))]
    pub image: String,
    /// Name of the Secret used to pull `image`.
    pub image_pull_secret: Option<String>,
    /// URL of the drivers distribution service the containers fetch kernel drivers from.
    pub drivers_dist_service: Option<String>,
    /// Service account of the WEKA container pods; the operator's default when unset.
    pub service_account_name: Option<String>,

    // --- where it runs ------------------------------------------------------------------
    /// Nodes that may run the cluster's containers.
    pub node_selector: Option<Labels>,
    /// Per-role node selectors, replacing `nodeSelector` for that role.
    pub role_node_selector: Option<RoleNodeSelector>,
    /// Per-role pod annotations.
    pub role_annotations: Option<RoleAnnotations>,
    /// Taint keys to tolerate (each with operator Exists, for NoSchedule and NoExecute).
    pub tolerations: Option<Vec<String>>,
    /// Standard Kubernetes tolerations, added to those derived from `tolerations`.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::tolerations")]
    pub raw_tolerations: Option<Vec<Toleration>>,
    /// Spreading of containers across failure domains taken from node labels.
    pub failure_domain: Option<FailureDomain>,
    /// Affinity and topology spread of the pods, cluster-wide or per role.
    pub pod_config: Option<PodConfig>,

    // --- CPU and memory -------------------------------------------------------------------
    /// How WEKA processes get their cores; keep `auto` unless told otherwise.
    #[schemars(extend("default" = "auto"))]
    pub cpu_policy: Option<CpuPolicy>,
    /// Explicit CPU IDs per role, for `cpuPolicy: manual`.
    pub role_core_ids: Option<RoleCoreIds>,
    /// CPU IDs per role for processes outside the datapath (`manual` or `shared` policy).
    pub role_non_datapath_core_ids: Option<RoleCoreIds>,
    /// Megabytes added to (or taken from) the computed memory of each role.
    pub additional_memory: Option<AdditionalMemory>,

    // --- networking and ports ---------------------------------------------------------
    /// Data and management networking of all containers.
    pub network: Option<Network>,
    /// Per-role networking, replacing `network` for that role.
    pub role_network_selector: Option<RoleNetworkSelector>,
    /// Configure the WEKA cluster for IPv6.
    pub ipv6: Option<bool>,
    /// Port ranges of the cluster; unset picks a free range (see `status.ports`).
    pub ports: Option<ClusterPorts>,

    // --- WEKA cluster settings -------------------------------------------------------------
    /// Failure domains' worth of capacity kept spare for rebuilds.
    #[schemars(extend("default" = 0))]
    pub hot_spare: Option<GoInt>,
    /// Protection level (2 or 4).
    pub redundancy_level: Option<GoInt>,
    /// Blocks per protection stripe (3 to 16).
    pub stripe_width: Option<GoInt>,
    /// Size of the leadership raft (5 or 9).
    pub leadership_raft_size: Option<GoInt>,
    /// Size of the bucket raft (5 or 9).
    pub bucket_raft_size: Option<GoInt>,
    /// What must hold before IO is started.
    pub start_io_conditions: Option<StartIoConditions>,
    /// How long a deleted cluster is kept before it is really destroyed (protection).
    #[schemars(pattern(DURATION_PATTERN), extend("default" = "24h"))]
    pub graceful_destroy_duration: Option<String>,
    /// Local trace retention of the containers.
    pub traces_configuration: Option<TracesConfiguration>,
    /// A PVC for the containers' persistent data, instead of host paths.
    #[serde(rename = "globalPVC")]
    pub global_pvc: Option<PvcConfig>,

    // --- migration of an existing cluster ------------------------------------------------
    /// Name of a Secret with the credentials the operator logs in with (migration).
    pub operator_secret_ref: Option<String>,
    /// Addresses of an existing WEKA cluster the new containers join (migration).
    pub expand_endpoints: Option<Vec<String>>,

    // --- services ----------------------------------------------------------------------
    /// WEKA Home (call-home) settings.
    pub weka_home: Option<WekaHomeConfig>,
    /// How the CSI driver finds and reaches this cluster.
    pub csi_config: Option<CsiConfig>,
    /// Encryption of data at rest.
    pub encryption: Option<EncryptionConfig>,
    /// NFS protocol settings.
    pub nfs: Option<NfsConfig>,
    /// S3 protocol settings.
    pub s3: Option<S3Config>,
    /// SMB-W protocol settings.
    pub smbw: Option<SmbwConfig>,
    /// Export of audit logs and other telemetry.
    pub telemetry: Option<TelemetryConfig>,
    /// Data catalog service settings.
    pub catalog: Option<CatalogConfig>,

    /// Expert switches; several are unsafe.
    pub overrides: Option<WekaClusterOverrides>,
}

impl WekaClusterSpec {
    /// `template` with its default applied.
    pub fn template_name(&self) -> &str {
        self.template.as_deref().unwrap_or("dynamic")
    }

    /// `gracefulDestroyDuration` with its default applied (Go duration syntax).
    pub fn graceful_destroy_duration_or_default(&self) -> &str {
        self.graceful_destroy_duration.as_deref().unwrap_or("24h")
    }
}

/// Port ranges of a cluster; 0 or unset means "pick one".
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPorts {
    /// First port of the range the WEKA containers use.
    pub base_port: Option<GoInt>,
    /// Number of ports in the range.
    pub port_range: Option<GoInt>,
    /// Port of the S3 load balancer.
    pub lb_port: Option<GoInt>,
    /// Admin port of the S3 load balancer.
    pub lb_admin_port: Option<GoInt>,
    /// Port of the S3 service.
    pub s3_port: Option<GoInt>,
    /// Port of the management proxy.
    pub management_proxy_port: Option<GoInt>,
    /// Port of the data services.
    pub data_services_port: Option<GoInt>,
}

/// Scheduling of the cluster's pods; the role-specific settings win over the global ones.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodConfig {
    /// A Kubernetes `affinity` object for every pod of the cluster.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub affinity: Option<serde_json::Value>,
    /// A Kubernetes `affinity` object per role.
    pub role_affinity: Option<RoleAffinity>,
    /// A list of Kubernetes topology spread constraints for every pod of the cluster.
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub topology_spread_constraints: Option<serde_json::Value>,
    /// Topology spread constraints per role.
    pub role_topology_spread_constraints: Option<RoleTopologySpreadConstraints>,
}

/// What must hold before the cluster starts IO.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartIoConditions {
    /// Drives that must be in the cluster first.
    pub min_num_drives: Option<GoInt>,
}

/// Settings of the data catalog service (intervals such as `1d`, `10m`).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogConfig {
    /// How often the catalog index is refreshed.
    #[schemars(extend("default" = "1d"))]
    pub index_interval: Option<String>,
    /// How long catalog data is kept.
    #[schemars(extend("default" = "30d"))]
    pub retention_period: Option<String>,
}

/// Expert switches of a WekaCluster; the unsafe ones can lose data or drop IO.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaClusterOverrides {
    /// Allow deleting the cluster while an S3 cluster exists (erases the S3 data).
    pub allow_s3_cluster_destroy: Option<bool>,
    /// Allow deleting the cluster while an SMB-W cluster exists.
    pub allow_smbw_cluster_destroy: Option<bool>,
    /// Stop a deletion during its graceful-destroy period (disaster recovery).
    pub cancel_deletion: Option<bool>,
    /// Ignore failure-domain redundancy constraints (testing only).
    pub disregard_redundancy: Option<bool>,
    /// Build ID of the drivers to fetch from the distribution service; unset detects it.
    pub drivers_build_id: Option<String>,
    /// Image of the drivers loader, instead of the default.
    pub drivers_loader_image: Option<String>,
    /// Use drives in AIO mode instead of direct NVMe (slower; a fallback).
    pub force_aio: Option<bool>,
    /// Stop every container (true), resume paused ones (false), or leave them alone (unset).
    pub paused: Option<bool>,
    /// Deactivate pods that terminate for longer than this; `0` disables it (default 5m).
    #[schemars(pattern(DURATION_PATTERN))]
    pub pod_termination_deactivation_timeout: Option<String>,
    /// Script run after the cluster is formed, before IO starts.
    pub post_form_cluster_script: Option<String>,
    /// Upgrade every container at once (unsafe).
    pub upgrade_all_at_once: Option<bool>,
    /// Replace containers on upgrade without a graceful stop (unsafe).
    pub upgrade_force_replace: Option<bool>,
    /// Replace drive containers on upgrade without a graceful stop (unsafe).
    pub upgrade_force_replace_drives: Option<bool>,
    /// Hold an upgrade before it reaches the compute containers.
    pub upgrade_pause_pre_compute: Option<bool>,
    /// Hold an upgrade.
    pub upgrade_paused: Option<bool>,
    /// DPDK base memory in megabytes per role, instead of the default.
    pub dpdk_base_memory_mb: Option<DpdkBaseMemoryMb>,
    /// Node whose machine identifier the backend containers reuse.
    pub machine_identifier_node_ref: Option<String>,
}

/// DPDK base memory in megabytes per role; 0 or unset keeps the default.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DpdkBaseMemoryMb {
    pub drive: Option<GoInt>,
    pub compute: Option<GoInt>,
    pub s3: Option<GoInt>,
    pub nfs: Option<GoInt>,
    pub smbw: Option<GoInt>,
    pub data_services: Option<GoInt>,
}
