//! The pod builder's settings ([`PodSettings`]) from the operator's [`Config`].

use crate::config::Config;
use crate::pod::{CosHugepages, DnsPolicy, GkeSettings, PodSettings};

/// Maps the configuration onto what the pod builder reads.
pub fn pod_settings(config: &Config) -> PodSettings {
    let pods = &config.pods;
    let defaults = PodSettings::default();
    PodSettings {
        dns_policy_k8s_network: dns_policy(&pods.dns_policy_k8s_network),
        dns_policy_host_network: dns_policy(&pods.dns_policy_host_network),
        priority_class_initial: non_empty(&pods.priority_class_initial),
        priority_class_targeted: non_empty(&pods.priority_class_targeted),
        debug_sleep_seconds: i64::from(pods.debug_sleep_seconds),
        syslog_package: pods.syslog_package.clone(),
        proxy: non_empty(&pods.proxy),
        // No OpenTelemetry collector is configured by this operator (yet).
        otel_exporter_otlp_endpoint: defaults.otel_exporter_otlp_endpoint,
        otel_installer_image: non_empty(&config.maintenance.otel_packages_installer_image),
        operator_version: config.identity.version.clone(),
        maintenance_image: config.maintenance.image.clone(),
        maintenance_image_pull_secret: non_empty(&config.maintenance.image_pull_secret),
        ocp_driver_toolkit_secret: non_empty(&config.maintenance.ocp_pull_secret),
        gke: GkeSettings {
            disable_driver_signing: pods.cos_allow_disable_driver_signing,
            hugepages: CosHugepages {
                enabled: pods.cos_allow_hugepage_config,
                size: pods.cos_global_hugepage_size.clone(),
                count: i64::from(pods.cos_global_hugepage_count),
            },
            service_account_secret: non_empty(&pods.cos_service_account_secret),
        },
        oke_nics_allocation: pods.oke_enable_nics_allocation,
        ssd_proxy_hugepages_offset_mib: i64::from(config.drives.ssd_proxy_hugepages_offset_mib),
        allow_multiple_protocols_per_node: pods.allow_multiple_protocols_per_node,
        skip_unhealthy_toleration: config.tolerations.skip_unhealthy,
        skip_client_no_schedule_toleration: config.tolerations.skip_client_no_schedule,
        skip_aux_no_schedule_toleration: config.tolerations.skip_aux_no_schedule,
    }
}

fn non_empty(value: &str) -> Option<String> {
    Some(value.trim()).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A DNS policy by its Kubernetes name; empty (or one the builder cannot set) means unset.
fn dns_policy(value: &str) -> Option<DnsPolicy> {
    match value.trim() {
        "ClusterFirst" => Some(DnsPolicy::ClusterFirst),
        "ClusterFirstWithHostNet" => Some(DnsPolicy::ClusterFirstWithHostNet),
        "Default" => Some(DnsPolicy::Default),
        "" => None,
        other => {
            tracing::warn!(policy = other, "unsupported DNS policy in the configuration; ignored");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_builders_defaults() {
        let config = Config::try_parse_from(["weka-operator", "--operator-version=v1"]).unwrap();
        let settings = pod_settings(&config);
        let defaults = PodSettings { operator_version: "v1".into(), ..PodSettings::default() };
        assert_eq!(settings, defaults);
    }

    #[test]
    fn dns_policies_are_read_by_name() {
        assert_eq!(dns_policy("ClusterFirstWithHostNet"), Some(DnsPolicy::ClusterFirstWithHostNet));
        assert_eq!(dns_policy(""), None);
        assert_eq!(dns_policy("None"), None);
    }
}
