//! Operator settings the pod depends on, with upstream's defaults (`internal/config/env.go`).
//!
//! The operator's configuration module maps its own `Config` onto [`PodSettings`]; the pod
//! builder reads nothing else from the environment.

/// A DNS policy the operator may put on a pod. `None` (Kubernetes' own value) is left out on
/// purpose: it needs a `dnsConfig`, which the builder never sets, so the API server would reject
/// the pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsPolicy {
    ClusterFirst,
    ClusterFirstWithHostNet,
    Default,
}

impl DnsPolicy {
    /// The value as written in `spec.dnsPolicy`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DnsPolicy::ClusterFirst => "ClusterFirst",
            DnsPolicy::ClusterFirstWithHostNet => "ClusterFirstWithHostNet",
            DnsPolicy::Default => "Default",
        }
    }
}

/// Hugepage settings the discovery pod passes to the runtime on GKE Container-Optimized OS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosHugepages {
    /// `WEKA_COS_ALLOW_HUGEPAGE_CONFIG`.
    pub enabled: bool,
    /// `WEKA_COS_GLOBAL_HUGEPAGE_SIZE`.
    pub size: String,
    /// `WEKA_COS_GLOBAL_HUGEPAGE_COUNT`.
    pub count: i64,
}

impl Default for CosHugepages {
    fn default() -> Self {
        CosHugepages { enabled: false, size: "2m".to_string(), count: 4000 }
    }
}

/// GKE (Container-Optimized OS) compatibility settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GkeSettings {
    /// Let the runtime disable driver signing on COS (`WEKA_COS_ALLOW_DISABLE_DRIVER_SIGNING`).
    pub disable_driver_signing: bool,
    /// Hugepage configuration done by the discovery pod on COS.
    pub hugepages: CosHugepages,
    /// Secret with the Google service account that drivers builders use on COS.
    pub service_account_secret: Option<String>,
}

/// Every operator setting the pod builder reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSettings {
    /// DNS policy of pods on the Kubernetes pod network (unset: Kubernetes' default).
    pub dns_policy_k8s_network: Option<DnsPolicy>,
    /// DNS policy of host-network pods (unset: Kubernetes' default).
    pub dns_policy_host_network: Option<DnsPolicy>,
    /// Priority class of pods whose node is not known yet.
    pub priority_class_initial: Option<String>,
    /// Priority class of pods pinned to a node.
    pub priority_class_targeted: Option<String>,
    /// Seconds the runtime sleeps before exiting after a failure (`WEKA_OPERATOR_DEBUG_SLEEP`).
    pub debug_sleep_seconds: i64,
    /// Syslog package the runtime installs (`SYSLOG_PACKAGE`).
    pub syslog_package: String,
    /// HTTPS proxy for drivers loaders (they may download drivers).
    pub proxy: Option<String>,
    /// OpenTelemetry collector endpoint handed to the runtime.
    pub otel_exporter_otlp_endpoint: String,
    /// Image of the init container that installs the OpenTelemetry Python packages (opt-in).
    pub otel_installer_image: Option<String>,
    /// The operator's version (`OTEL_SERVICE_VERSION`).
    pub operator_version: String,
    /// Small utility image (busybox) for helper init containers.
    pub maintenance_image: String,
    /// Pull secret of `maintenance_image`.
    pub maintenance_image_pull_secret: Option<String>,
    /// Pull secret of the OpenShift driver toolkit image (drivers builders on RHCOS).
    pub ocp_driver_toolkit_secret: Option<String>,
    /// GKE / Container-Optimized OS settings.
    pub gke: GkeSettings,
    /// Request `weka.io/nics` on OCI nodes too (always on AWS).
    pub oke_nics_allocation: bool,
    /// Hugepages (MiB) an SSD proxy keeps for itself when `spec.hugepagesOffset` is unset.
    pub ssd_proxy_hugepages_offset_mib: i64,
    /// Allow frontends of different protocols (and clusters) on one node.
    pub allow_multiple_protocols_per_node: bool,
    /// Do not tolerate the `not-ready`/`unreachable`/... NoExecute taints.
    pub skip_unhealthy_toleration: bool,
    /// Do not let clients tolerate every NoSchedule taint.
    pub skip_client_no_schedule_toleration: bool,
    /// Do not let helper pods (ad-hoc, drivers loader, discovery) tolerate every NoSchedule taint.
    pub skip_aux_no_schedule_toleration: bool,
}

impl Default for PodSettings {
    fn default() -> Self {
        PodSettings {
            dns_policy_k8s_network: None,
            dns_policy_host_network: None,
            priority_class_initial: Some("weka-initial-no-evict".to_string()),
            priority_class_targeted: Some("weka-targeted-no-evict".to_string()),
            debug_sleep_seconds: 3,
            syslog_package: "auto".to_string(),
            proxy: None,
            otel_exporter_otlp_endpoint: String::new(),
            otel_installer_image: None,
            operator_version: env!("CARGO_PKG_VERSION").to_string(),
            maintenance_image: "quay.io/weka.io/busybox".to_string(),
            maintenance_image_pull_secret: None,
            ocp_driver_toolkit_secret: None,
            gke: GkeSettings::default(),
            oke_nics_allocation: false,
            ssd_proxy_hugepages_offset_mib: 2048,
            allow_multiple_protocols_per_node: false,
            skip_unhealthy_toleration: false,
            skip_client_no_schedule_toleration: false,
            skip_aux_no_schedule_toleration: false,
        }
    }
}
