//! The network block of the runtime environment, from `spec.network`.

use k8s_openapi::api::core::v1::EnvVar;
use weka_api::common::{Network, NetworkSelector};

use super::error::PodBuildError;
use super::parts::env_value;

/// `NETWORK_DEVICE`: `udp` unless devices are discovered (subnets or selectors) or named
/// (`ethDevice`, then `ethDevices`, the last one set wins).
pub fn network_device(network: &Network) -> String {
    let mut device = "udp".to_string();
    let subnets = network.device_subnets.as_deref().unwrap_or_default();
    let selectors = network.selectors.as_deref().unwrap_or_default();
    if !subnets.is_empty() || !selectors.is_empty() {
        device.clear();
    }
    if let Some(eth) = network.eth_device.as_deref().filter(|d| !d.is_empty()) {
        device = eth.to_string();
    }
    if let Some(eths) = network.eth_devices.as_deref().filter(|d| !d.is_empty()) {
        device = eths.join(",");
    }
    device
}

/// JSON of selectors, empty when there are none.
fn selectors_json(
    field: &'static str,
    selectors: Option<&[NetworkSelector]>,
) -> Result<String, PodBuildError> {
    match selectors {
        None | Some([]) => Ok(String::new()),
        Some(selectors) => serde_json::to_string(selectors)
            .map_err(|e| PodBuildError::invalid(field, e.to_string())),
    }
}

/// `NETWORK_DEVICE` .. `UDP_MODE`, in upstream's order.
pub fn network(network: Option<&Network>) -> Result<Vec<EnvVar>, PodBuildError> {
    let network = network.cloned().unwrap_or_default();
    let subnets = network.device_subnets.as_deref().unwrap_or_default().join(",");
    Ok(vec![
        env_value("NETWORK_DEVICE", network_device(&network)),
        env_value("SUBNETS", subnets),
        env_value(
            "NETWORK_SELECTORS",
            selectors_json("spec.network.selectors", network.selectors.as_deref())?,
        ),
        env_value(
            "MANAGEMENT_IPS_SELECTORS",
            selectors_json(
                "spec.network.managementIpsSelectors",
                network.management_ips_selectors.as_deref(),
            )?,
        ),
        env_value("BIND_MANAGEMENT_ALL", network.bind_management_all.unwrap_or(false).to_string()),
        env_value("NET_GATEWAY", network.gateway.clone().unwrap_or_default()),
        env_value("UDP_MODE", network.udp_mode.unwrap_or(false).to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(env: &[EnvVar], name: &str) -> String {
        let var = env.iter().find(|e| e.name == name).expect(name);
        var.value.clone().unwrap_or_default()
    }

    #[test]
    fn network_device_defaults_to_udp() {
        let env = network(None).unwrap();
        assert_eq!(value(&env, "NETWORK_DEVICE"), "udp");
        assert_eq!(value(&env, "UDP_MODE"), "false");
        assert_eq!(value(&env, "NETWORK_SELECTORS"), "");
        assert_eq!(value(&env, "BIND_MANAGEMENT_ALL"), "false");
    }

    #[test]
    fn subnets_leave_the_device_to_discovery() {
        let spec = Network {
            device_subnets: Some(vec!["10.0.0.0/24".into(), "10.0.1.0/24".into()]),
            ..Network::default()
        };
        let env = network(Some(&spec)).unwrap();
        assert_eq!(value(&env, "NETWORK_DEVICE"), "");
        assert_eq!(value(&env, "SUBNETS"), "10.0.0.0/24,10.0.1.0/24");
    }

    #[test]
    fn named_devices_win_over_subnets_and_the_list_over_one_device() {
        let spec = Network {
            device_subnets: Some(vec!["10.0.0.0/24".into()]),
            eth_device: Some("eth1".into()),
            ..Network::default()
        };
        assert_eq!(network_device(&spec), "eth1");
        let spec = Network { eth_devices: Some(vec!["mlx0".into(), "mlx1".into()]), ..spec };
        assert_eq!(network_device(&spec), "mlx0,mlx1");
    }

    #[test]
    fn selectors_are_passed_as_json_and_udp_mode_as_a_flag() {
        let spec = Network {
            selectors: Some(vec![NetworkSelector {
                subnet: Some("192.168.0.0/16".into()),
                min: Some(1),
                ..NetworkSelector::default()
            }]),
            management_ips_selectors: Some(vec![NetworkSelector {
                device_names: Some(vec!["eth0".into()]),
                ..NetworkSelector::default()
            }]),
            gateway: Some("192.168.0.1".into()),
            udp_mode: Some(true),
            bind_management_all: Some(true),
            ..Network::default()
        };
        let env = network(Some(&spec)).unwrap();
        assert_eq!(value(&env, "NETWORK_DEVICE"), "");
        assert_eq!(value(&env, "NETWORK_SELECTORS"), r#"[{"min":1,"subnet":"192.168.0.0/16"}]"#);
        assert_eq!(value(&env, "MANAGEMENT_IPS_SELECTORS"), r#"[{"deviceNames":["eth0"]}]"#);
        assert_eq!(value(&env, "NET_GATEWAY"), "192.168.0.1");
        assert_eq!(value(&env, "UDP_MODE"), "true");
        assert_eq!(value(&env, "BIND_MANAGEMENT_ALL"), "true");
    }
}
