//! Upstream's settings that the controllers read (spec: wekaclient-and-ops.md section 5.2),
//! grouped by concern, each with upstream's environment variable and default. Booleans take a
//! value (`--cleanup-removed-nodes=true`), parsed as strictly as Go's `strconv.ParseBool`.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{ArgAction, Args};

use super::parse::{self, CommaList};

/// Maintenance and helper pods.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Maintenance pods")]
pub struct Maintenance {
    /// ServiceAccount of maintenance and helper pods.
    #[arg(
        long = "maintenance-sa-name",
        env = "WEKA_OPERATOR_MAINTENANCE_SA_NAME",
        default_value = ""
    )]
    pub service_account: String,
    /// Image of maintenance pods.
    #[arg(
        id = "maintenance_image",
        value_name = "IMAGE",
        long = "maintenance-image",
        env = "WEKA_MAINTENANCE_IMAGE",
        default_value = "quay.io/weka.io/busybox"
    )]
    pub image: String,
    #[arg(
        long = "maintenance-image-pull-secret",
        env = "WEKA_MAINTENANCE_IMAGE_PULL_SECRET",
        default_value = ""
    )]
    pub image_pull_secret: String,
    /// OpenShift driver-toolkit pull secret name.
    #[arg(long = "ocp-pull-secret", env = "WEKA_OCP_PULL_SECRET", default_value = "")]
    pub ocp_pull_secret: String,
    #[arg(
        long = "ocp-toolkit-image-base-url",
        env = "WEKA_OCP_TOOLKIT_IMAGE_BASE_URL",
        default_value = "quay.io/openshift-release-dev/ocp-v4.0-art-dev"
    )]
    pub ocp_toolkit_image_base_url: String,
    /// Image that installs the python OpenTelemetry packages (opt-in).
    #[arg(
        long = "otel-packages-installer-image",
        env = "WEKA_OTEL_PACKAGES_INSTALLER_IMAGE",
        default_value = ""
    )]
    pub otel_packages_installer_image: String,
    /// Image of the drive-signing tool.
    #[arg(long = "sign-drives-image", env = "SIGN_DRIVES_IMAGE", default_value = "")]
    pub sign_drives_image: String,
    #[arg(long = "taskmon-default-image", env = "TASKMON_DEFAULT_IMAGE", default_value = "")]
    pub taskmon_default_image: String,
}

/// Weka Home (the vendor's telemetry service).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Weka Home")]
pub struct WekaHome {
    #[arg(
        long = "weka-home-endpoint",
        env = "WEKA_OPERATOR_WEKA_HOME_ENDPOINT",
        default_value = "https://api.home.weka.io",
        hide_env_values = true
    )]
    pub endpoint: String,
    #[arg(long = "weka-home-insecure", env = "WEKA_OPERATOR_WEKA_HOME_INSECURE", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub insecure: bool,
    /// Secret holding the Weka Home CA certificate.
    #[arg(
        long = "weka-home-cacert-secret",
        env = "WEKA_OPERATOR_WEKA_HOME_CACERT_SECRET",
        default_value = ""
    )]
    pub cacert_secret: String,
    #[arg(long = "weka-home-enable-stats", env = "WEKA_OPERATOR_WEKA_HOME_ENABLE_STATS", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub enable_stats: bool,
}

/// Rolling upgrades.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Upgrades")]
pub struct Upgrade {
    /// Minimum percentage of healthy compute containers to continue a rolling upgrade.
    #[arg(long = "upgrade-compute-threshold-percent", env = "UPGRADE_COMPUTE_THRESHOLD_PERCENT", default_value = "90", value_parser = parse::percent, value_name = "PERCENT")]
    pub compute_threshold_percent: u8,
    /// Same for drive containers.
    #[arg(long = "upgrade-drive-threshold-percent", env = "UPGRADE_DRIVE_THRESHOLD_PERCENT", default_value = "90", value_parser = parse::percent, value_name = "PERCENT")]
    pub drive_threshold_percent: u8,
    /// Maximum percentage of containers deactivating at once.
    #[arg(long = "upgrade-max-deactivating-containers-percent", env = "UPGRADE_MAX_DEACTIVATING_CONTAINERS_PERCENT", default_value = "10", value_parser = parse::percent, value_name = "PERCENT")]
    pub max_deactivating_containers_percent: u8,
}

/// Deleting containers and pods that no longer belong.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Cleanup")]
pub struct Cleanup {
    #[arg(long = "cleanup-removed-nodes", env = "CLEANUP_REMOVED_NODES", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub removed_nodes: bool,
    #[arg(long = "cleanup-backends-on-node-selector-mismatch", env = "CLEANUP_BACKENDS_ON_NODE_SELECTOR_MISMATCH", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub backends_on_node_selector_mismatch: bool,
    #[arg(long = "cleanup-clients-on-node-selector-mismatch", env = "CLEANUP_CLIENTS_ON_NODE_SELECTOR_MISMATCH", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub clients_on_node_selector_mismatch: bool,
    #[arg(long = "cleanup-containers-on-tolerations-mismatch", env = "CLEANUP_CONTAINERS_ON_TOLERATIONS_MISMATCH", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub containers_on_tolerations_mismatch: bool,
    /// Evict (deactivate) a container before deleting it.
    #[arg(long = "evict-container-on-deletion", env = "EVICT_CONTAINER_ON_DELETION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub evict_container_on_deletion: bool,
    #[arg(long = "removal-throttling-enabled", env = "REMOVAL_THROTTLING_ENABLED", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub removal_throttling: bool,
    #[arg(long = "recreate-unhealthy-envoy-throttling-enabled", env = "RECREATE_UNHEALTHY_ENVOY_THROTTLING_ENABLED", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub recreate_unhealthy_envoy_throttling: bool,
    #[arg(long = "remove-failed-drives-from-weka", env = "REMOVE_FAILED_DRIVES_FROM_WEKA", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub remove_failed_drives_from_weka: bool,
    #[arg(long = "delete-envoy-without-s3-neighbor-timeout", env = "DELETE_ENVOY_WITHOUT_S3_NEIGHBOR_TIMEOUT", default_value = "5m", value_parser = parse::duration, value_name = "DURATION")]
    pub delete_envoy_without_s3_neighbor_after: Duration,
    #[arg(long = "delete-telemetry-without-compute-neighbor-timeout", env = "DELETE_TELEMETRY_WITHOUT_COMPUTE_NEIGHBOR_TIMEOUT", default_value = "5m", value_parser = parse::duration, value_name = "DURATION")]
    pub delete_telemetry_without_compute_neighbor_after: Duration,
    #[arg(long = "delete-unschedulable-pods-after", env = "DELETE_UNSCHEDULABLE_PODS_AFTER", default_value = "1m", value_parser = parse::duration, value_name = "DURATION")]
    pub delete_unschedulable_pods_after: Duration,
    /// Delete stale allocations after this long.
    #[arg(long = "alloc-zombie-delete-after", env = "WEKA_ALLOC_ZOMBIE_DELETE_AFTER", default_value = "5m", value_parser = parse::duration, value_name = "DURATION")]
    pub alloc_zombie_delete_after: Duration,
    #[arg(long = "evicted-pod-cleanup-enabled", env = "EVICTED_POD_CLEANUP_ENABLED", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub evicted_pod_cleanup_enabled: bool,
    #[arg(long = "evicted-pod-cleanup-interval", env = "EVICTED_POD_CLEANUP_INTERVAL", default_value = "2m", value_parser = parse::duration, value_name = "DURATION")]
    pub evicted_pod_cleanup_interval: Duration,
}

/// Tolerations the operator adds to WEKA pods, and taint checks.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Tolerations")]
pub struct Tolerations {
    #[arg(long = "skip-unhealthy-toleration", env = "SKIP_UNHEALTHY_TOLERATION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub skip_unhealthy: bool,
    #[arg(long = "skip-client-no-schedule-toleration", env = "SKIP_CLIENT_NO_SCHEDULE_TOLERATION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub skip_client_no_schedule: bool,
    #[arg(long = "skip-aux-no-schedule-toleration", env = "SKIP_AUX_NO_SCHEDULE_TOLERATION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub skip_aux_no_schedule: bool,
    #[arg(long = "skip-clients-toleration-validation", env = "SKIP_CLIENTS_TOLERATION_VALIDATION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub skip_clients_validation: bool,
    #[arg(long = "tolerations-mismatch-enable-ignored-taints", env = "TOLERATIONS_MISMATCH_SETTINGS_ENABLE_IGNORED_TAINTS", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub mismatch_enable_ignored_taints: bool,
    /// Comma-separated taint keys ignored by the mismatch checks.
    #[arg(long = "tolerations-mismatch-ignored-taints", env = "TOLERATIONS_MISMATCH_SETTINGS_IGNORED_TAINTS", default_value = "", value_parser = parse::comma_list)]
    pub mismatch_ignored_taints: CommaList,
}

/// Per-cluster and per-container metrics collection.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "WEKA metrics collection")]
pub struct MetricsCollection {
    #[arg(long = "metrics-clusters-enabled", env = "METRICS_CLUSTERS_ENABLED", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub clusters_enabled: bool,
    #[arg(long = "metrics-clusters-polling-rate", env = "METRICS_CLUSTERS_POLLING_RATE", default_value = "60s", value_parser = parse::duration, value_name = "DURATION")]
    pub clusters_polling_rate: Duration,
    /// Image of the per-cluster metrics-serving pod.
    #[arg(
        long = "metrics-clusters-image",
        env = "METRICS_CLUSTERS_IMAGE",
        default_value = "nginx:1.27.3"
    )]
    pub clusters_image: String,
    /// Node selector (a JSON object) of the per-cluster metrics pod.
    #[arg(long = "metrics-clusters-node-selector", env = "METRICS_CLUSTERS_NODE_SELECTOR", default_value = "", value_parser = parse::string_map)]
    pub clusters_node_selector: BTreeMap<String, String>,
    #[arg(long = "metrics-containers-enabled", env = "METRICS_CONTAINERS_ENABLED", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub containers_enabled: bool,
    #[arg(long = "metrics-containers-polling-rate", env = "METRICS_CONTAINERS_POLLING_RATE", default_value = "60s", value_parser = parse::duration, value_name = "DURATION")]
    pub containers_polling_rate: Duration,
    #[arg(long = "metrics-containers-request-timeout-register", env = "METRICS_CONTAINERS_REQUEST_TIMEOUT_REGISTER", default_value = "3s", value_parser = parse::duration, value_name = "DURATION")]
    pub containers_register_timeout: Duration,
    #[arg(long = "metrics-containers-request-timeout-get-container-info", env = "METRICS_CONTAINERS_REQUEST_TIMEOUT_GET_CONTAINER_INFO", default_value = "10s", value_parser = parse::duration, value_name = "DURATION")]
    pub containers_info_timeout: Duration,
    /// Name of the node-agent token Secret.
    #[arg(
        long = "metrics-node-agent-token",
        env = "METRICS_NODE_AGENT_TOKEN",
        default_value = "weka-node-agent-secret"
    )]
    pub node_agent_token_secret: String,
    /// HTTP proxy for the calls to node-agent pods (`http://<pod IP>:8090/...`), for an
    /// operator outside the pod network. Empty: the standard HTTP_PROXY / NO_PROXY variables.
    #[arg(long = "node-agent-proxy", env = "NODE_AGENT_PROXY", default_value = "")]
    pub node_agent_proxy: String,
}

/// How WEKA pods are built.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "WEKA pods")]
pub struct Pods {
    /// PVC for persistent data instead of hostPath.
    #[arg(long = "local-data-pvc", env = "LOCAL_DATA_PVC", default_value = "")]
    pub local_data_pvc: String,
    #[arg(long = "dns-policy-k8s-network", env = "DNS_POLICY_K8S_NETWORK", default_value = "")]
    pub dns_policy_k8s_network: String,
    #[arg(long = "dns-policy-host-network", env = "DNS_POLICY_HOST_NETWORK", default_value = "")]
    pub dns_policy_host_network: String,
    #[arg(long = "syslog-package", env = "SYSLOG_PACKAGE", default_value = "auto")]
    pub syslog_package: String,
    /// HTTP proxy for WEKA containers (a URL may carry credentials: never shown in help).
    #[arg(long = "proxy", env = "PROXY", default_value = "", hide_env_values = true)]
    pub proxy: String,
    #[arg(
        long = "priority-class-initial",
        env = "PRIORITY_CLASS_INITIAL",
        default_value = "weka-initial-no-evict"
    )]
    pub priority_class_initial: String,
    #[arg(
        long = "priority-class-targeted",
        env = "PRIORITY_CLASS_TARGETED",
        default_value = "weka-targeted-no-evict"
    )]
    pub priority_class_targeted: String,
    /// Debug sleep (seconds) in WEKA pods.
    #[arg(long = "debug-sleep", env = "WEKA_OPERATOR_DEBUG_SLEEP", default_value = "3")]
    pub debug_sleep_seconds: u32,
    #[arg(long = "allow-multiple-protocols-per-node", env = "ALLOW_MULTIPLE_PROTOCOLS_PER_NODE", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub allow_multiple_protocols_per_node: bool,
    #[arg(long = "management-proxy-host-network", env = "MANAGEMENT_PROXY_HOST_NETWORK", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub management_proxy_host_network: bool,
    #[arg(
        long = "management-proxy-ingress-base-domain",
        env = "MANAGEMENT_PROXY_INGRESS_BASE_DOMAIN",
        default_value = ""
    )]
    pub management_proxy_ingress_base_domain: String,
    #[arg(
        long = "management-proxy-ingress-class",
        env = "MANAGEMENT_PROXY_INGRESS_CLASS",
        default_value = ""
    )]
    pub management_proxy_ingress_class: String,
    #[arg(long = "oke-enable-nics-allocation", env = "OKE_ENABLE_NICS_ALLOCATION", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub oke_enable_nics_allocation: bool,
    /// Fixed NFS ports (0: unset).
    #[arg(long = "nfs-mountd-port", env = "NFS_MOUNTD_PORT", default_value = "0")]
    pub nfs_mountd_port: u16,
    #[arg(long = "nfs-lockmanager-port", env = "NFS_LOCKMANAGER_PORT", default_value = "0")]
    pub nfs_lockmanager_port: u16,
    #[arg(long = "nfs-notify-port", env = "NFS_NOTIFY_PORT", default_value = "0")]
    pub nfs_notify_port: u16,
    #[arg(
        long = "port-allocation-starting-port",
        env = "PORT_ALLOCATION_STARTING_PORT",
        default_value = "35000"
    )]
    pub port_allocation_starting_port: u16,
    /// GKE COS: allow disabling kernel module signing.
    #[arg(long = "cos-allow-disable-driver-signing", env = "WEKA_COS_ALLOW_DISABLE_DRIVER_SIGNING", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub cos_allow_disable_driver_signing: bool,
    /// GKE COS: the operator configures hugepages.
    #[arg(long = "cos-allow-hugepage-config", env = "WEKA_COS_ALLOW_HUGEPAGE_CONFIG", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub cos_allow_hugepage_config: bool,
    #[arg(
        long = "cos-global-hugepage-size",
        env = "WEKA_COS_GLOBAL_HUGEPAGE_SIZE",
        default_value = "2m"
    )]
    pub cos_global_hugepage_size: String,
    #[arg(
        long = "cos-global-hugepage-count",
        env = "WEKA_COS_GLOBAL_HUGEPAGE_COUNT",
        default_value = "4000"
    )]
    pub cos_global_hugepage_count: u32,
    #[arg(
        long = "cos-service-account-secret",
        env = "WEKA_COS_SERVICE_ACCOUNT_SECRET",
        default_value = ""
    )]
    pub cos_service_account_secret: String,
}

/// Drive sharing and hugepages.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Drives")]
pub struct Drives {
    #[arg(long = "drive-types-ratio-tlc", env = "DRIVE_TYPES_RATIO_TLC", default_value = "1")]
    pub types_ratio_tlc: u32,
    #[arg(long = "drive-types-ratio-qlc", env = "DRIVE_TYPES_RATIO_QLC", default_value = "0")]
    pub types_ratio_qlc: u32,
    #[arg(
        long = "max-virtual-drives-per-core",
        env = "MAX_VIRTUAL_DRIVES_PER_CORE",
        default_value = "8"
    )]
    pub max_virtual_drives_per_core: u32,
    #[arg(long = "enforce-min-drives-per-type-per-core", env = "ENFORCE_MIN_DRIVES_PER_TYPE_PER_CORE", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub enforce_min_drives_per_type_per_core: bool,
    #[arg(long = "enable-dynamic-drive-scaling-for-shared-drives", env = "ENABLE_DYNAMIC_DRIVE_SCALING_FOR_SHARED_DRIVES", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub dynamic_scaling_for_shared_drives: bool,
    #[arg(
        long = "ssd-proxy-hugepages-offset-mib",
        env = "SSD_PROXY_HUGEPAGES_OFFSET_MIB",
        default_value = "2048"
    )]
    pub ssd_proxy_hugepages_offset_mib: u32,
    #[arg(long = "hugepages-tlc-ratio", env = "HUGEPAGES_TLC_RATIO", default_value = "1000")]
    pub hugepages_tlc_ratio: u32,
    #[arg(long = "hugepages-qlc-ratio", env = "HUGEPAGES_QLC_RATIO", default_value = "6000")]
    pub hugepages_qlc_ratio: u32,
}

/// The CSI driver the operator may deploy.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "CSI")]
pub struct Csi {
    #[arg(long = "csi-installation-enabled", env = "CSI_INSTALLATION_ENABLED", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub installation_enabled: bool,
    #[arg(long = "csi-storage-class-creation-disabled", env = "CSI_STORAGE_CLASS_CREATION_DISABLED", default_value = "false", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub storage_class_creation_disabled: bool,
    #[arg(long = "csi-prevent-new-workload-on-client-container-not-running", env = "CSI_PREVENT_NEW_WORKLOAD_ON_CLIENT_CONTAINER_NOT_RUNNING", default_value = "true", value_parser = parse::boolean, action = ArgAction::Set, value_name = "BOOL")]
    pub prevent_new_workload_on_client_container_not_running: bool,
    /// `--v` of the CSI plugin.
    #[arg(long = "csi-log-level", env = "CSI_LOG_LEVEL", default_value = "5")]
    pub log_level: u8,
    #[arg(
        id = "csi_image",
        value_name = "IMAGE",
        long = "csi-image",
        env = "CSI_IMAGE",
        default_value = ""
    )]
    pub image: String,
    #[arg(long = "csi-provisioner-image", env = "CSI_PROVISIONER_IMAGE", default_value = "")]
    pub provisioner_image: String,
    #[arg(long = "csi-attacher-image", env = "CSI_ATTACHER_IMAGE", default_value = "")]
    pub attacher_image: String,
    #[arg(long = "csi-livenessprobe-image", env = "CSI_LIVENESSPROBE_IMAGE", default_value = "")]
    pub livenessprobe_image: String,
    #[arg(long = "csi-resizer-image", env = "CSI_RESIZER_IMAGE", default_value = "")]
    pub resizer_image: String,
    #[arg(long = "csi-snapshotter-image", env = "CSI_SNAPSHOTTER_IMAGE", default_value = "")]
    pub snapshotter_image: String,
    #[arg(long = "csi-registrar-image", env = "CSI_REGISTRAR_IMAGE", default_value = "")]
    pub registrar_image: String,
}
