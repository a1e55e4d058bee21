//! What drivers pods (dist, drivers-dist, drivers-loader, drivers-builder) need from the node:
//! kernel headers and modules, or on COS the `uio` loader and the reboot hooks; builders on
//! OpenShift get the driver toolkit (upstream `drivers.go`, `init_containers.go`).

use k8s_openapi::api::core::v1::VolumeMount;

use super::context::NodeOs;
use super::error::PodBuildError;
use super::init_containers::{self, DRIVER_TOOLKIT_SHARED, HOST_MODULES, SHARED_WEKA_VERSION_DATA};
use super::input::Input;
use super::mode_traits::{ModeTraits, instruction_type, instructions};
use super::parts::{
    PodParts, empty_dir, host_path, mount, read_only_mount, secret_volume, sub_path_mount,
};
use super::volumes::{BOOT_SCRIPTS, proc_files};

const GCLOUD_CREDENTIALS_DIR: &str = "/var/secrets/google";

pub fn dependencies(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if !input.mode.is_drivers() {
        return Ok(parts);
    }
    parts.merge(copy_weka_dist(input)?);
    match input.ctx.node.os {
        NodeOs::Cos => parts.merge(cos(input)?),
        NodeOs::Standard | NodeOs::Rhcos => parts.merge(kernel_sources()),
    }
    Ok(parts)
}

/// A drivers pod running an image other than the cluster's copies the cluster image's dist
/// files (the instruction's payload is that image).
fn copy_weka_dist(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if instruction_type(input.container) != Some(instructions::COPY_WEKA_FILES_TO_DRIVER_LOADER) {
        return Ok(parts);
    }
    let payload = input.spec.instructions.as_ref().and_then(|i| i.payload.as_deref());
    let Some(cluster_image) = payload.filter(|p| !p.trim().is_empty()) else {
        return Err(PodBuildError::invalid(
            "spec.instructions.payload",
            "copy-weka-files-to-driver-loader needs the cluster image as payload",
        ));
    };
    parts.env("CLUSTER_IMAGE_NAME", cluster_image);
    parts.init_containers.push(init_containers::copy_weka_dist(cluster_image));
    parts
        .mount(mount(SHARED_WEKA_VERSION_DATA, "/shared-weka-version-data"))
        .volume(empty_dir(SHARED_WEKA_VERSION_DATA, None));
    Ok(parts)
}

/// COS replaces `/lib/modules` in containers: `uio` is loaded by an init container in the
/// host's PID and network namespaces; the runtime may reboot the node after changing kernel
/// arguments.
fn cos(input: &Input) -> Result<PodParts, PodBuildError> {
    let settings = input.settings;
    let mut parts = PodParts::default();
    parts.init_containers.push(init_containers::uio_loader(&settings.maintenance_image));
    if let Some(secret) =
        settings.maintenance_image_pull_secret.as_deref().filter(|s| !s.is_empty())
    {
        parts.image_pull_secrets.push(secret.to_string());
    }
    parts.volume(host_path(HOST_MODULES, "/lib/modules", None));
    parts.host_pid_and_network = true;
    parts.mount(sub_path_mount(BOOT_SCRIPTS, "/devenv.sh", "devenv.sh"));
    parts.merge(proc_files());
    if settings.gke.disable_driver_signing {
        parts.env("WEKA_COS_ALLOW_DISABLE_DRIVER_SIGNING", "true");
    }
    if input.mode.is_drivers_builder() {
        let secret = settings.gke.service_account_secret.as_deref().filter(|s| !s.is_empty());
        let Some(secret) = secret else {
            return Err(PodBuildError::MissingSetting {
                setting: "GKE service account secret",
                why: "drivers builders on COS download kernel sources with it",
            });
        };
        parts
            .volume(secret_volume("gcloud-credentials", secret))
            .mount(mount("gcloud-credentials", GCLOUD_CREDENTIALS_DIR))
            .env(
                "GOOGLE_APPLICATION_CREDENTIALS",
                format!("{GCLOUD_CREDENTIALS_DIR}/service-account.json"),
            );
    }
    Ok(parts)
}

/// Host kernel modules (read-only) and headers.
fn kernel_sources() -> PodParts {
    let mut parts = PodParts::default();
    parts
        .volume(host_path("libmodules", "/lib/modules", None))
        .volume(host_path("usrsrc", "/usr/src", None))
        .mount(read_only_mount("libmodules", "/lib/modules"))
        .mount(mount("usrsrc", "/usr/src"));
    parts
}

/// Builders on OpenShift build against the kernel sources of the driver toolkit image that
/// discovery found for the node.
pub fn openshift_toolkit(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    if !(input.mode.is_drivers_builder() && input.ctx.node.os == NodeOs::Rhcos) {
        return Ok(parts);
    }
    let image = input.ctx.node.init_container_image.as_deref().filter(|i| !i.is_empty());
    let Some(image) = image else {
        return Err(PodBuildError::MissingNodeInfo {
            what: "the OpenShift driver toolkit image",
            why: "cannot create build container for OCP without Toolkit image",
        });
    };
    if let Some(secret) =
        input.settings.ocp_driver_toolkit_secret.as_deref().filter(|s| !s.is_empty())
    {
        parts.image_pull_secrets.push(secret.to_string());
    }
    parts.volume(empty_dir(DRIVER_TOOLKIT_SHARED, None));
    parts.mount(VolumeMount {
        mount_propagation: Some("HostToContainer".to_string()),
        ..mount(DRIVER_TOOLKIT_SHARED, "/driver-toolkit-shared")
    });
    parts.init_containers.push(init_containers::driver_toolkit(image));
    Ok(parts)
}
