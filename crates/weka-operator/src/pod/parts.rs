//! [`PodParts`]: what one aspect of a mode adds to the pod (volumes, mounts and env of the main
//! container, init containers, pull secrets), plus small constructors for Kubernetes values.

use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    HostPathVolumeSource, ObjectFieldSelector, SecretVolumeSource, Volume, VolumeMount,
};

/// An init container; the toolkit init container runs with the main container's environment.
#[derive(Clone, Debug, PartialEq)]
pub struct InitContainer {
    pub container: Container,
    pub inherits_main_env: bool,
}

/// Additions to the pod made by one aspect of a mode.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodParts {
    pub volumes: Vec<Volume>,
    /// Mounts of the main container.
    pub mounts: Vec<VolumeMount>,
    /// Environment of the main container.
    pub env: Vec<EnvVar>,
    pub init_containers: Vec<InitContainer>,
    pub image_pull_secrets: Vec<String>,
    /// The pod must share the host's PID and network namespaces (drivers pods on COS).
    pub host_pid_and_network: bool,
}

impl PodParts {
    pub fn volume(&mut self, volume: Volume) -> &mut Self {
        self.volumes.push(volume);
        self
    }

    pub fn mount(&mut self, mount: VolumeMount) -> &mut Self {
        self.mounts.push(mount);
        self
    }

    pub fn env(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.env.push(env_value(name, value));
        self
    }

    /// Appends `other`. A volume or a mount path already present is kept once (two aspects may
    /// need the same host file, e.g. `/proc/cmdline`).
    pub fn merge(&mut self, other: PodParts) {
        for volume in other.volumes {
            if !self.volumes.iter().any(|v| v.name == volume.name) {
                self.volumes.push(volume);
            }
        }
        for mount in other.mounts {
            if !self.mounts.iter().any(|m| m.mount_path == mount.mount_path) {
                self.mounts.push(mount);
            }
        }
        self.env.extend(other.env);
        self.init_containers.extend(other.init_containers);
        for secret in other.image_pull_secrets {
            if !self.image_pull_secrets.contains(&secret) {
                self.image_pull_secrets.push(secret);
            }
        }
        self.host_pid_and_network |= other.host_pid_and_network;
    }
}

pub fn env_value(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar { name: name.to_string(), value: Some(value.into()), value_from: None }
}

/// An env var from the downward API.
pub fn env_field(name: &str, field_path: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: field_path.to_string(),
                api_version: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// A hostPath volume; `type_` None leaves Kubernetes' "no check" default.
pub fn host_path(name: &str, path: impl Into<String>, type_: Option<&str>) -> Volume {
    Volume {
        name: name.to_string(),
        host_path: Some(HostPathVolumeSource {
            path: path.into(),
            type_: type_.map(str::to_string),
        }),
        ..Volume::default()
    }
}

pub const DIRECTORY_OR_CREATE: Option<&str> = Some("DirectoryOrCreate");
pub const FILE: Option<&str> = Some("File");

pub fn empty_dir(name: &str, medium: Option<String>) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource { medium, size_limit: None }),
        ..Volume::default()
    }
}

pub fn config_map(name: &str, config_map: &str, default_mode: Option<i32>) -> Volume {
    Volume {
        name: name.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.to_string(),
            default_mode,
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

pub fn secret_volume(name: &str, secret_name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret_name.to_string()),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

pub fn mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount { name: volume.to_string(), mount_path: path.to_string(), ..VolumeMount::default() }
}

pub fn sub_path_mount(volume: &str, path: &str, sub_path: &str) -> VolumeMount {
    VolumeMount { sub_path: Some(sub_path.to_string()), ..mount(volume, path) }
}

pub fn read_only_mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount { read_only: Some(true), ..mount(volume, path) }
}
