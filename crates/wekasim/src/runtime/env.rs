//! What the runtime reads from its environment (spec §4.1), parsed once at start.

use std::collections::BTreeMap;
use std::time::Duration;

use super::error::RuntimeError;
use super::mode::Mode;

/// Upstream's default `WEKA_OPERATOR_DEBUG_SLEEP`.
const DEFAULT_DEBUG_SLEEP: Duration = Duration::from_secs(3);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeEnv {
    pub mode: Mode,
    /// The weka local container name (`NAME`).
    pub name: String,
    /// `PORT` / `AGENT_PORT`; 0 means "from resources.json" (or allocated, for clients).
    pub port: u16,
    pub agent_port: u16,
    pub base_port: u16,
    pub port_range: u16,
    pub cores: u32,
    /// `JOIN_IPS`, `ip:port` each.
    pub join_ips: Vec<String>,
    pub failure_domain: Option<String>,
    pub machine_identifier: Option<String>,
    /// `MANAGEMENT_IP` (the pod IP through the downward API).
    pub management_ip: Option<String>,
    pub network_device: String,
    /// `INSTRUCTIONS` of the ad-hoc modes.
    pub instructions: Option<String>,
    /// `POD_ID`: the pod UID, naming the node agent's instruction directory.
    pub pod_id: String,
    /// `WEKA_OPERATOR_DEBUG_SLEEP`.
    pub debug_sleep: Duration,
    /// The WEKA version: the tag of `IMAGE_NAME` (or of the container's image).
    pub version: Option<String>,
}

impl RuntimeEnv {
    pub fn parse(env: &BTreeMap<String, String>, image: &str) -> Result<RuntimeEnv, RuntimeError> {
        let get = |key: &str| env.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mode_text = get("MODE").ok_or(RuntimeError::NoMode)?;
        let mode =
            Mode::parse(mode_text).ok_or_else(|| RuntimeError::UnknownMode(mode_text.into()))?;
        let name = match mode {
            Mode::AdhocOpWithContainer => "adhoc".to_string(),
            _ => get("NAME").ok_or(RuntimeError::NoName)?.to_string(),
        };
        let port = |key: &str| get(key).and_then(|v| v.parse::<u16>().ok()).unwrap_or(0);
        let image_name = get("IMAGE_NAME").unwrap_or(image);
        Ok(RuntimeEnv {
            mode,
            name,
            port: port("PORT"),
            agent_port: port("AGENT_PORT"),
            base_port: port("BASE_PORT"),
            port_range: port("PORT_RANGE"),
            cores: get("CORES").and_then(|v| v.parse().ok()).unwrap_or(0),
            join_ips: get("JOIN_IPS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            failure_domain: get("FAILURE_DOMAIN").map(String::from),
            machine_identifier: get("MACHINE_IDENTIFIER").map(String::from),
            management_ip: get("MANAGEMENT_IP").map(String::from),
            network_device: get("NETWORK_DEVICE").unwrap_or_default().to_string(),
            instructions: get("INSTRUCTIONS").map(String::from),
            pod_id: get("POD_ID").unwrap_or_default().to_string(),
            debug_sleep: get("WEKA_OPERATOR_DEBUG_SLEEP")
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(DEFAULT_DEBUG_SLEEP, Duration::from_secs),
            version: image_tag(image_name),
        })
    }
}

/// `quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4` -> `4.4.5.118-k8s.4`.
pub fn image_tag(image: &str) -> Option<String> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.rsplit_once(':').map(|(_, tag)| tag.to_string()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_drive_pod_environment_parses() {
        let parsed = RuntimeEnv::parse(
            &env(&[
                ("MODE", "drive"),
                ("NAME", "drivex3"),
                ("PORT", "15000"),
                ("AGENT_PORT", "0"),
                ("CORES", "2"),
                ("JOIN_IPS", "10.0.0.1:15000, 10.0.0.2:15000"),
                ("WEKA_OPERATOR_DEBUG_SLEEP", "30"),
                ("IMAGE_NAME", "quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4"),
            ]),
            "ignored:1",
        )
        .unwrap();
        assert_eq!(parsed.mode, Mode::Drive);
        assert_eq!((parsed.port, parsed.agent_port, parsed.cores), (15000, 0, 2));
        assert_eq!(parsed.join_ips, vec!["10.0.0.1:15000", "10.0.0.2:15000"]);
        assert_eq!(parsed.debug_sleep, Duration::from_secs(30));
        assert_eq!(parsed.version.as_deref(), Some("4.4.5.118-k8s.4"));
    }

    #[test]
    fn missing_or_bad_values_are_errors_or_defaults() {
        assert!(matches!(RuntimeEnv::parse(&env(&[]), "x"), Err(RuntimeError::NoMode)));
        assert!(matches!(
            RuntimeEnv::parse(&env(&[("MODE", "frobnicate")]), "x"),
            Err(RuntimeError::UnknownMode(_))
        ));
        assert!(matches!(
            RuntimeEnv::parse(&env(&[("MODE", "compute")]), "x"),
            Err(RuntimeError::NoName)
        ));
        let adhoc = RuntimeEnv::parse(
            &env(&[("MODE", "adhoc-op-with-container"), ("PORT", "x"), ("CORES", "-1")]),
            "registry:5000/weka",
        )
        .unwrap();
        assert_eq!((adhoc.name.as_str(), adhoc.port, adhoc.cores), ("adhoc", 0, 0));
        assert_eq!(adhoc.debug_sleep, Duration::from_secs(3));
        assert_eq!(adhoc.version, None, "a registry port is not a tag");
    }
}
