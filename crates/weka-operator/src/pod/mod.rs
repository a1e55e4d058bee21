//! The pod of a WekaContainer: built from the container (one pure function per mode
//! difference), and compared with the pod that exists to decide between an in-place update
//! and a replacement through the stop protocol.
//!
//! [`build_pod`] reads the per-mode table ([`profile`]) and assembles the pod from aspects
//! ([`PARTS`]), each a pure function that decides from the mode whether it applies.
//! [`compare`] says what a live pod needs: nothing, a metadata or tolerations patch, or a
//! replacement (with reasons).

mod compare;
mod context;
mod drivers;
mod duration;
mod env;
mod error;
mod hugepages;
mod init_containers;
mod input;
mod metadata;
mod mode_traits;
mod network_env;
mod normalize;
mod parts;
mod profile;
mod quantity;
mod resources;
mod scheduling;
mod settings;
mod tolerations;
mod volumes;

#[cfg(test)]
mod build_tests;
#[cfg(test)]
mod compare_tests;
#[cfg(test)]
mod golden_data_path;
#[cfg(test)]
mod golden_helpers;
#[cfg(test)]
mod test_fixtures;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, LocalObjectReference, Pod, PodSpec, SecurityContext,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use weka_api::WekaContainer;

// The public interface for the WekaContainer controller, which is wired in next.
#[allow(unused_imports)]
pub use compare::{MetadataPatch, PodDrift, ReplaceReason, compare};
#[allow(unused_imports)]
pub use context::{CloudProvider, NodeInfo, NodeOs, PodContext, shutdown_instructions_path};
pub use error::PodBuildError;
#[allow(unused_imports)]
pub use mode_traits::{ModeTraits, has_frontend, is_host_network, uses_drive_sharing};
#[allow(unused_imports)]
pub use settings::{CosHugepages, DnsPolicy, GkeSettings, PodSettings};
#[allow(unused_imports)]
pub use tolerations::{expand_string_tolerations, pod_tolerations, tolerate_all_no_schedule};

use input::Input;
use parts::PodParts;

/// Name of the pod's only regular container.
pub const MAIN_CONTAINER: &str = "weka-container";

type Part = fn(&Input) -> Result<PodParts, PodBuildError>;

/// The aspects of a pod in assembly order (upstream's, so env and volume lists read like
/// upstream pods). Each one adds nothing where its mode does not need it.
const PARTS: &[Part] = &[
    env::runtime,
    volumes::base,
    env::pre_run_script,
    env::port_range,
    volumes::persistence,
    volumes::ssd_proxy_socket_dir,
    volumes::ssd_proxy_local_socket,
    env::cos_hugepages,
    env::instructions,
    env::cores,
    env::join_ips,
    env::nvidia_vf_single_ip,
    env::https_proxy,
    volumes::node_info,
    volumes::weka_credentials,
    volumes::additional_secrets,
    volumes::discovery_proc_files,
    drivers::dependencies,
    drivers::openshift_toolkit,
    init_containers::otel_packages,
    env::machine_identifier,
];

/// Builds the pod of `container`: same name and namespace, one privileged `weka-container`
/// running the WEKA runtime. The caller adds the controller owner reference.
pub fn build_pod(container: &WekaContainer, ctx: &PodContext) -> Result<Pod, PodBuildError> {
    let input = Input::new(container, ctx)?;
    let mut parts = PodParts::default();
    for part in PARTS {
        parts.merge(part(&input)?);
    }
    let host_network = is_host_network(container) || parts.host_pid_and_network;
    let host_pid = input.spec.host_pid.unwrap_or(false) || parts.host_pid_and_network;

    let main = Container {
        name: MAIN_CONTAINER.to_string(),
        image: Some(input.image.to_string()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        command: Some(vec!["python3".to_string(), "/opt/weka_runtime.py".to_string()]),
        security_context: Some(SecurityContext {
            privileged: Some(true),
            ..SecurityContext::default()
        }),
        ports: exposed_ports(&input)?,
        env: Some(parts.env),
        volume_mounts: Some(parts.mounts),
        resources: Some(resources::requirements(&input)?),
        ..Container::default()
    };
    let init_containers: Vec<Container> = parts
        .init_containers
        .into_iter()
        .map(|init| match init.inherits_main_env {
            true => Container { env: main.env.clone(), ..init.container },
            false => init.container,
        })
        .collect();
    let pull_secrets = image_pull_secrets(&input, parts.image_pull_secrets);
    let spec_tolerations = input.spec.tolerations.as_deref().unwrap_or_default();
    let annotations = metadata::pod_annotations(container.metadata.annotations.as_ref());

    Ok(Pod {
        metadata: ObjectMeta {
            name: Some(input.name.to_string()),
            namespace: container.metadata.namespace.clone(),
            labels: Some(metadata::pod_labels(
                container.metadata.labels.as_ref(),
                input.mode,
                ctx.cluster_uid.as_deref(),
            )),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            containers: vec![main],
            init_containers: (!init_containers.is_empty()).then_some(init_containers),
            volumes: Some(parts.volumes),
            tolerations: Some(tolerations::pod_tolerations(
                input.mode,
                spec_tolerations,
                input.settings,
            )),
            affinity: Some(scheduling::affinity(&input)),
            topology_spread_constraints: input.spec.topology_spread_constraints.clone(),
            image_pull_secrets: pull_secrets,
            termination_grace_period_seconds: Some(input.profile.grace_period_seconds),
            host_network: host_network.then_some(true),
            host_pid: host_pid.then_some(true),
            dns_policy: scheduling::dns_policy(&input, host_network)
                .map(|p| p.as_str().to_string()),
            priority_class_name: scheduling::priority_class(&input),
            service_account_name: input.spec.service_account_name.clone().filter(|s| !s.is_empty()),
            ..PodSpec::default()
        }),
        status: None,
    })
}

/// `spec.imagePullSecret`, then the secrets of helper images, each once.
fn image_pull_secrets(input: &Input, helpers: Vec<String>) -> Option<Vec<LocalObjectReference>> {
    let mut names: Vec<String> = Vec::new();
    for name in input.spec.image_pull_secret.iter().cloned().chain(helpers) {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    let secrets: Vec<_> = names.into_iter().map(|name| LocalObjectReference { name }).collect();
    (!secrets.is_empty()).then_some(secrets)
}

/// One TCP port per entry of the deprecated `spec.exposePorts` (upstream ignores
/// `exposedPorts` in the pod too; WEKA binds its ports on the host network).
fn exposed_ports(input: &Input) -> Result<Option<Vec<ContainerPort>>, PodBuildError> {
    let ports = input.spec.expose_ports.as_deref().unwrap_or_default();
    if ports.is_empty() {
        return Ok(None);
    }
    let ports = ports
        .iter()
        .map(|&port| match i32::try_from(port) {
            Ok(port @ 1..=65535) => Ok(ContainerPort {
                container_port: port,
                protocol: Some("TCP".to_string()),
                ..ContainerPort::default()
            }),
            _ => Err(PodBuildError::invalid(
                "spec.exposePorts",
                format!("{port} is not a port number"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ports))
}
