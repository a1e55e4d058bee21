//! Init containers: copying WEKA dist files for drivers pods, loading `uio` on COS, copying the
//! OpenShift driver toolkit's kernel sources, installing OpenTelemetry packages. Every init
//! container pins `imagePullPolicy: IfNotPresent` so that air-gapped nodes work from their cache.

use k8s_openapi::api::core::v1::{Container, SecurityContext, VolumeMount};

use super::error::PodBuildError;
use super::input::Input;
use super::parts::{InitContainer, PodParts, empty_dir, mount, read_only_mount};

pub const SHARED_WEKA_VERSION_DATA: &str = "shared-weka-version-data";
pub const HOST_MODULES: &str = "host-modules";
pub const DRIVER_TOOLKIT_SHARED: &str = "driver-toolkit-shared";
pub const OTEL_PACKAGES: &str = "otel-packages";
pub const OTEL_PACKAGES_DIR: &str = "/shared-python-packages";

fn init_container(name: &str, image: &str, script: &str, mounts: Vec<VolumeMount>) -> Container {
    Container {
        name: name.to_string(),
        image: Some(image.to_string()),
        image_pull_policy: Some("IfNotPresent".to_string()),
        command: Some(vec!["/bin/sh".to_string(), "-c".to_string(), script.to_string()]),
        volume_mounts: Some(mounts),
        ..Container::default()
    }
}

fn privileged() -> SecurityContext {
    SecurityContext { privileged: Some(true), ..SecurityContext::default() }
}

/// Copies `/opt/weka/dist` of the cluster image for a drivers pod running another image.
pub fn copy_weka_dist(cluster_image: &str) -> InitContainer {
    let script = "set -e\n\
        mkdir -p /shared-weka-version-data/dist\n\
        cp -r /opt/weka/dist/* /shared-weka-version-data/dist/\n\
        echo 'WEKA dist files copied'\n";
    InitContainer {
        container: init_container(
            "init-setup",
            cluster_image,
            script,
            vec![mount(SHARED_WEKA_VERSION_DATA, "/shared-weka-version-data")],
        ),
        inherits_main_env: false,
    }
}

/// Loads the `uio` module from the host's modules (COS cannot load it from the drivers pod).
pub fn uio_loader(image: &str) -> InitContainer {
    let script = "set -e\n\
        echo 'loading the uio kernel module'\n\
        modprobe uio\n\
        lsmod | grep uio\n";
    InitContainer {
        container: Container {
            security_context: Some(privileged()),
            ..init_container(
                "uio-loader-init",
                image,
                script,
                vec![read_only_mount(HOST_MODULES, "/lib/modules")],
            )
        },
        inherits_main_env: false,
    }
}

/// Copies kernel sources and modules out of the OpenShift driver toolkit image, with the main
/// container's environment and privileges.
pub fn driver_toolkit(image: &str) -> InitContainer {
    let script = "mkdir -p /driver-toolkit-shared/lib /driver-toolkit-shared/usr\n\
        cp -RLrf /usr/src /driver-toolkit-shared/usr\n\
        cp -RLrf /lib/modules /driver-toolkit-shared/lib\n";
    let shared = VolumeMount {
        mount_propagation: Some("Bidirectional".to_string()),
        ..mount(DRIVER_TOOLKIT_SHARED, "/driver-toolkit-shared")
    };
    InitContainer {
        container: Container {
            security_context: Some(privileged()),
            ..init_container("driver-toolkit-init", image, script, vec![shared])
        },
        inherits_main_env: true,
    }
}

/// Installs the OpenTelemetry Python packages for the runtime; never fails the pod: it leaves
/// a marker saying whether the install worked.
fn otel_installer(image: &str) -> InitContainer {
    let script = "mkdir -p /shared-python-packages\n\
        if pip3 install --target /shared-python-packages --no-cache-dir \
        'opentelemetry-api>=1.36.0' 'opentelemetry-sdk>=1.36.0' \
        'opentelemetry-exporter-otlp-proto-grpc>=1.36.0' \
        'opentelemetry-semantic-conventions>=0.57b0'; then\n\
        touch /shared-python-packages/.otel-packages-installed\n\
        else\n\
        echo 'OpenTelemetry packages not installed; the runtime logs without them'\n\
        touch /shared-python-packages/.otel-packages-failed\n\
        fi\n";
    InitContainer {
        container: init_container(
            "otel-packages-installer",
            image,
            script,
            vec![mount(OTEL_PACKAGES, OTEL_PACKAGES_DIR)],
        ),
        inherits_main_env: false,
    }
}

/// The OpenTelemetry packages init container, when an installer image is configured.
pub fn otel_packages(input: &Input) -> Result<PodParts, PodBuildError> {
    let mut parts = PodParts::default();
    let image = input.settings.otel_installer_image.as_deref().filter(|i| !i.is_empty());
    if let Some(image) = image {
        parts.init_containers.push(otel_installer(image));
        parts
            .volume(empty_dir(OTEL_PACKAGES, None))
            .mount(mount(OTEL_PACKAGES, OTEL_PACKAGES_DIR))
            // Literal: kubelet expands only $(VAR) references, so the image's PYTHONPATH is
            // replaced, as upstream does.
            .env("PYTHONPATH", "/shared-python-packages:$PYTHONPATH");
    }
    Ok(parts)
}
