//! Volumes and mounts of the main container: the base set every pod has, host persistence,
//! SSD proxy sockets, and the configMaps and secrets the spec names.

use k8s_openapi::api::core::v1::{PersistentVolumeClaimVolumeSource, Volume};
use weka_api::wekacontainer::ContainerMode;

use super::error::PodBuildError;
use super::input::Input;
use super::mode_traits::{ModeTraits, instruction_type, instructions, uses_drive_sharing};
use super::parts::{
    DIRECTORY_OR_CREATE, FILE, PodParts, config_map, empty_dir, host_path, mount, secret_volume,
    sub_path_mount,
};

/// In-pod directory of host binds.
pub const HOST_BINDS: &str = "/host-binds";
/// ConfigMap with the runtime script, CLI wrapper and syslog-ng config (copied by the
/// controller into the container's namespace).
pub const BOOT_SCRIPTS: &str = "weka-boot-scripts";

/// Host devices, run and sys dirs, the host's os-release, the boot scripts, and hugetlbfs
/// (not for ad-hoc pods, which run no WEKA process).
pub fn base(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    parts
        .volume(host_path("osrelease", "/etc/os-release", FILE))
        .volume(host_path("dev", "/dev", None))
        .volume(host_path("run", "/run", None))
        .volume(host_path("sys", "/sys", None))
        .volume(config_map(BOOT_SCRIPTS, BOOT_SCRIPTS, Some(0o777)));
    parts
        .mount(mount("dev", "/dev"))
        .mount(mount("run", "/host/run"))
        .mount(mount("sys", "/sys"))
        .mount(sub_path_mount(BOOT_SCRIPTS, "/opt/weka_runtime.py", "weka_runtime.py"))
        .mount(sub_path_mount(BOOT_SCRIPTS, "/etc/syslog-ng/syslog-ng.conf", "syslog-ng.conf"))
        .mount(sub_path_mount(BOOT_SCRIPTS, "/usr/local/bin/weka", "run-weka-cli.sh"))
        .mount(sub_path_mount(BOOT_SCRIPTS, "/usr/local/bin/wekaauthcli", "run-weka-cli.sh"))
        .mount(mount("osrelease", "/hostside/etc/os-release"));
    if !input.mode.is_adhoc() {
        parts
            .volume(empty_dir("hugepages", Some(input.hugepages.medium())))
            .mount(mount("hugepages", "/dev/hugepages"));
    }
    Ok(parts)
}

/// Host directories that keep the container's state across pod restarts: its own, the one
/// shared with the node agent, its cluster's; plus the global PVC when the spec names one.
pub fn persistence(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if !input.mode.has_persistent_storage() {
        return Ok(parts);
    }
    let node = &input.ctx.node;
    let own = "weka-container-persistence-dir";
    let shared = "weka-container-shared-dir";
    let cluster = "weka-cluster-persistence-dir";
    parts
        .mount(mount(own, &format!("{HOST_BINDS}/opt-weka")))
        .mount(sub_path_mount(own, "/var/log", "var/log"))
        .mount(sub_path_mount(own, &format!("{HOST_BINDS}/boot-level"), "tmpfss/boot-level"))
        .mount(mount(shared, &format!("{HOST_BINDS}/shared")))
        .mount(sub_path_mount(cluster, &format!("{HOST_BINDS}/shared-configs"), "shared-configs"));
    if input.mode == ContainerMode::Telemetry {
        // The telemetry gateway discovers its configuration there.
        parts.mount(sub_path_mount(
            cluster,
            "/opt/weka/external_mounts/shared_boot_level",
            "shared-configs",
        ));
    }
    let cluster_uid = input.ctx.cluster_uid.as_deref();
    parts
        .volume(host_path(own, node.container_persistence_path(input.uid), DIRECTORY_OR_CREATE))
        .volume(host_path(shared, node.container_shared_path(input.uid), DIRECTORY_OR_CREATE))
        .volume(host_path(
            cluster,
            node.cluster_persistence_path(cluster_uid),
            DIRECTORY_OR_CREATE,
        ));
    if let Some(pvc) = &input.spec.pvc {
        let global = "weka-container-global-persistence-dir";
        parts.mount(mount(global, "/opt/weka-global-persistence"));
        parts.volume(Volume {
            name: global.to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: pvc.name.clone(),
                read_only: None,
            }),
            ..Volume::default()
        });
        parts.env("WEKA_PERSISTENCE_MODE", "global");
    }
    Ok(parts)
}

/// The node's SSD proxy state directory, for the proxy and for drives that share drives
/// through it.
pub fn ssd_proxy_socket_dir(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let wanted = input.mode == ContainerMode::Ssdproxy
        || (input.mode == ContainerMode::Drive && uses_drive_sharing(input.container));
    if wanted {
        let path = format!("{}/ssdproxy/", input.ctx.node.persistence_base());
        parts
            .volume(host_path("weka-proxy-socket-dir", path, DIRECTORY_OR_CREATE))
            .mount(mount("weka-proxy-socket-dir", &format!("{HOST_BINDS}/ssdproxy")));
    }
    Ok(parts)
}

/// The local socket of the SSD proxy a shared `sign-drives` operation talks to. Upstream
/// also mounts it when the payload lacks the proxy's UID (a path without the UID); here the
/// UID must be present.
pub fn ssd_proxy_local_socket(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if !input.mode.is_adhoc()
        || instruction_type(input.container) != Some(instructions::SIGN_DRIVES)
    {
        return Ok(parts);
    }
    let payload = input.spec.instructions.as_ref().and_then(|i| i.payload.as_deref());
    let proxy_uid = payload
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v.get("ssd_proxy_container_uuid")?.as_str().map(str::to_string))
        .filter(|uid| !uid.is_empty());
    if let Some(uid) = proxy_uid {
        let path = format!("{}/local-sockets/ssdproxy", input.ctx.node.container_shared_path(&uid));
        parts.volume(host_path("weka-ssdproxy-local-socket", path, DIRECTORY_OR_CREATE)).mount(
            mount("weka-ssdproxy-local-socket", &format!("{HOST_BINDS}/ssdproxy-local-socket")),
        );
    }
    Ok(parts)
}

/// `spec.nodeInfoConfigMap` at `/etc/wekaio/node-info`.
pub fn node_info(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if let Some(name) = input.spec.node_info_config_map.as_deref().filter(|n| !n.is_empty()) {
        parts
            .volume(config_map("node-info", name, None))
            .mount(mount("node-info", "/etc/wekaio/node-info"));
    }
    Ok(parts)
}

/// The WEKA operator user's credentials. Upstream quirk kept for wire compatibility: the
/// secret's NAME is read from `spec.wekaSecretRef.secretKeyRef.key`.
pub fn weka_credentials(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let key_ref = input.spec.weka_secret_ref.as_ref().and_then(|r| r.secret_key_ref.as_ref());
    if let Some(secret_name) = key_ref.map(|k| k.key.as_str()).filter(|k| !k.is_empty()) {
        parts
            .volume(secret_volume("weka-credentials", secret_name))
            .mount(mount("weka-credentials", "/var/run/secrets/weka-operator/operator-user"));
    }
    Ok(parts)
}

/// Each `spec.additionalSecrets` entry `name: secret` as volume `<name>-secret`, in name order
/// (upstream iterates a Go map, in random order).
pub fn additional_secrets(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    for (name, secret) in input.spec.additional_secrets.iter().flatten() {
        let volume = format!("{name}-secret");
        if !is_dns_label(&volume) {
            return Err(PodBuildError::invalid(
                "spec.additionalSecrets",
                format!("{name:?} does not make a valid volume name ({volume:?})"),
            ));
        }
        parts
            .volume(secret_volume(&volume, secret))
            .mount(mount(&volume, &format!("/var/run/secrets/weka-operator/{name}")));
    }
    Ok(parts)
}

/// Host `/proc/sysrq-trigger` and `/proc/cmdline`: the discovery pod (and drivers pods on
/// COS) change kernel arguments and reboot the node.
pub fn proc_files() -> PodParts {
    let mut parts = PodParts::default();
    parts
        .mount(mount("proc-sysrq-trigger", "/hostside/proc/sysrq-trigger"))
        .mount(mount("proc-cmdline", "/hostside/proc/cmdline"))
        .volume(host_path("proc-sysrq-trigger", "/proc/sysrq-trigger", FILE))
        .volume(host_path("proc-cmdline", "/proc/cmdline", FILE));
    parts
}

pub fn discovery_proc_files(input: &Input) -> Result<PodParts, PodBuildError> {
    Ok(match input.mode {
        ContainerMode::Discovery => proc_files(),
        _ => PodParts::default(),
    })
}

/// A DNS-1123 label, as volume names must be.
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

#[cfg(test)]
mod tests {
    use super::is_dns_label;

    #[test]
    fn volume_names_must_be_dns_labels() {
        assert!(is_dns_label("tls-secret"));
        assert!(!is_dns_label("My_Secret-secret"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }
}
