//! Environment of the main container: the fixed list every pod carries, then the variables
//! that depend on the mode or on the spec.

use base64::Engine as _;
use weka_api::common::{DumperConfigMode, TracesConfiguration};
use weka_api::wekacontainer::ContainerMode;

use super::duration;
use super::error::PodBuildError;
use super::input::Input;
use super::mode_traits::ModeTraits;
use super::network_env;
use super::parts::{PodParts, env_field};

/// Traces defaults of the CRD (`maxCapacityPerIoNode` 10, `ensureFreeSpace` 20, `auto`).
fn traces(spec: Option<&TracesConfiguration>) -> (i64, i64, &'static str) {
    let spec = spec.cloned().unwrap_or_default();
    let mode = match spec.dumper_config_mode.unwrap_or_default() {
        DumperConfigMode::Auto => "auto",
        DumperConfigMode::Override => "override",
        DumperConfigMode::PartialOverride => "partial-override",
        DumperConfigMode::Cluster => "cluster",
    };
    (
        spec.max_capacity_per_io_node.unwrap_or(10) as i64,
        spec.ensure_free_space.unwrap_or(20) as i64,
        mode,
    )
}

/// The variables every pod carries, in upstream's order.
pub fn runtime(input: &Input) -> Result<PodParts, PodBuildError> {
    let spec = input.spec;
    let mut parts = PodParts::default();
    let port = input.weka_port().to_string();
    let (trace_capacity, free_space, dumper_mode) = traces(spec.traces_configuration.as_ref());
    let debug_sleep = match spec.overrides.as_ref().and_then(|o| o.debug_sleep_on_terminate) {
        Some(seconds) if seconds > 0 => seconds as i64,
        _ => input.settings.debug_sleep_seconds,
    };
    let auto_remove = match spec.auto_remove_timeout.as_deref() {
        None => 0,
        Some(text) => duration::whole_seconds(text).ok_or_else(|| {
            PodBuildError::invalid("spec.autoRemoveTimeout", format!("{text:?} is not a duration"))
        })?,
    };
    let cpu_policy = spec.cpu_policy.unwrap_or_default();

    parts
        .env("AGENT_PORT", input.agent_port().to_string())
        .env("WEKA_CONTAINER_ID", input.uid)
        .env("NAME", spec.name.as_str())
        .env("MODE", input.mode.as_str())
        .env("PORT", port.as_str())
        .env("MEMORY", input.hugepages.weka_memory.as_str())
        .env("IS_IPV6", spec.ipv6.unwrap_or(false).to_string());
    parts.env.extend(network_env::network(spec.network.as_ref())?);
    parts
        .env("WEKA_PORT", port)
        .env("WEKA_CLI_DEBUG", "0")
        .env("DIST_SERVICE", spec.drivers_dist_service.clone().unwrap_or_default())
        .env("DRIVERS_BUILD_ID", spec.drivers_build_id.as_deref().unwrap_or("auto"))
        .env("MAX_TRACE_CAPACITY_GB", (trace_capacity * (spec.num_cores as i64 + 1)).to_string())
        .env("ENSURE_FREE_SPACE_GB", free_space.to_string())
        .env("DUMPER_CONFIG_MODE", dumper_mode)
        .env("IMAGE_NAME", input.image)
        .env("WEKA_OPERATOR_DEBUG_SLEEP", debug_sleep.to_string());
    parts.env.extend([
        env_field("NODE_NAME", "spec.nodeName"),
        env_field("MANAGEMENT_IP", "status.podIP"),
        env_field("POD_ID", "metadata.uid"),
        env_field("POD_NAME", "metadata.name"),
        env_field("POD_NAMESPACE", "metadata.namespace"),
    ]);
    parts
        .env("AUTO_REMOVE_TIMEOUT", auto_remove.to_string())
        .env("CPU_POLICY", cpu_policy_name(cpu_policy))
        .env("SYSLOG_PACKAGE", input.settings.syslog_package.as_str())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", input.settings.otel_exporter_otlp_endpoint.as_str())
        .env("OTEL_SERVICE_NAME", "weka-operator-runtime")
        .env("OTEL_SERVICE_VERSION", input.settings.operator_version.as_str())
        .env("OTEL_LOGS_ENABLED", "true");
    Ok(parts)
}

fn cpu_policy_name(policy: weka_api::common::CpuPolicy) -> &'static str {
    use weka_api::common::CpuPolicy::*;
    match policy {
        Auto => "auto",
        Shared => "shared",
        Dedicated => "dedicated",
        DedicatedHt => "dedicated_ht",
        Manual => "manual",
    }
}

/// `PRE_RUN_SCRIPT`: the override script, base64, run by the runtime before WEKA starts.
pub fn pre_run_script(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let script = input.spec.overrides.as_ref().and_then(|o| o.pre_run_script.as_deref());
    if let Some(script) = script.filter(|s| !s.is_empty()) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(script);
        parts.env("PRE_RUN_SCRIPT", encoded);
    }
    Ok(parts)
}

/// `BASE_PORT`/`PORT_RANGE`: clients pick their ports from this range themselves.
pub fn port_range(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if let Some(range) = input.spec.port_range {
        parts
            .env("BASE_PORT", range.base_port.to_string())
            .env("PORT_RANGE", range.port_range.unwrap_or(0).to_string());
    }
    Ok(parts)
}

/// GKE: the discovery pod may configure the node's hugepages (and reboot it).
pub fn cos_hugepages(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let config = &input.settings.gke.hugepages;
    if input.mode == ContainerMode::Discovery && config.enabled {
        parts
            .env("WEKA_COS_ALLOW_HUGEPAGE_CONFIG", "true")
            .env("WEKA_COS_GLOBAL_HUGEPAGE_SIZE", config.size.as_str())
            .env("WEKA_COS_GLOBAL_HUGEPAGE_COUNT", config.count.to_string());
    }
    Ok(parts)
}

/// `INSTRUCTIONS`: the operation of an ad-hoc pod, as JSON (`null` when there is none).
pub fn instructions(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if input.mode.is_adhoc() {
        let json = match &input.spec.instructions {
            None => "null".to_string(),
            Some(instructions) => {
                let mut object = serde_json::Map::new();
                object.insert("type".into(), instructions.type_.clone().into());
                if let Some(payload) = instructions.payload.as_ref().filter(|p| !p.is_empty()) {
                    object.insert("payload".into(), payload.clone().into());
                }
                serde_json::Value::Object(object).to_string()
            }
        };
        parts.env("INSTRUCTIONS", json);
    }
    Ok(parts)
}

/// `CORES` (without extra cores) and `CORE_IDS` (from the resolved CPU policy).
pub fn cores(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    parts.env("CORES", input.spec.num_cores.to_string());
    if let Some(core_ids) = &input.cpu.core_ids {
        parts.env("CORE_IDS", core_ids.as_str());
    }
    Ok(parts)
}

/// `JOIN_IPS`, refreshed by the controller from the cluster when it can.
pub fn join_ips(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if !input.ctx.join_ips.is_empty() {
        parts.env("JOIN_IPS", input.ctx.join_ips.join(","));
    }
    Ok(parts)
}

/// `NVIDIA_VF_SINGLE_IP`, when the network spec sets it either way.
pub fn nvidia_vf_single_ip(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let network = input.spec.network.as_ref();
    if let Some(single) = network.and_then(|n| n.nvidia_vf_single_ip) {
        parts.env("NVIDIA_VF_SINGLE_IP", single.to_string());
    }
    Ok(parts)
}

/// `HTTPS_PROXY` for drivers loaders, which may download drivers.
pub fn https_proxy(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let proxy = input.settings.proxy.as_deref().filter(|p| !p.is_empty());
    if let (ContainerMode::DriversLoader, Some(proxy)) = (input.mode, proxy) {
        parts.env("HTTPS_PROXY", proxy);
    }
    Ok(parts)
}

/// `MACHINE_IDENTIFIER`: without the operator's anti-affinity several containers may share a
/// node, so each presents its own UID as machine to WEKA.
pub fn machine_identifier(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if input.spec.drop_affinity_constraints.unwrap_or(false) {
        parts.env("MACHINE_IDENTIFIER", input.uid);
    }
    Ok(parts)
}
