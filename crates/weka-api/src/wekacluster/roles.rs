//! Per-role settings of a WekaCluster: each replaces (or adds to) the cluster-wide setting for
//! the containers of one role. An unset role falls back to the cluster-wide value.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::{GoInt, Labels, Network};
use crate::wekacontainer::ContainerMode;

/// Node selectors per role, replacing `spec.nodeSelector` for that role.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleNodeSelector {
    pub compute: Option<Labels>,
    pub drive: Option<Labels>,
    pub s3: Option<Labels>,
    pub nfs: Option<Labels>,
    pub smbw: Option<Labels>,
    pub data_services: Option<Labels>,
}

/// Pod annotations per role.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAnnotations {
    pub compute: Option<Labels>,
    pub drive: Option<Labels>,
    pub s3: Option<Labels>,
    pub nfs: Option<Labels>,
    pub smbw: Option<Labels>,
    pub data_services: Option<Labels>,
}

/// Host CPU IDs per role; every container of the role gets the whole list.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleCoreIds {
    pub compute: Option<Vec<GoInt>>,
    pub drive: Option<Vec<GoInt>>,
    pub s3: Option<Vec<GoInt>>,
    pub nfs: Option<Vec<GoInt>>,
    pub smbw: Option<Vec<GoInt>>,
    pub data_services: Option<Vec<GoInt>>,
}

/// Networking per role, replacing `spec.network` for that role.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleNetworkSelector {
    pub compute: Option<Network>,
    pub drive: Option<Network>,
    pub s3: Option<Network>,
    pub nfs: Option<Network>,
    pub smbw: Option<Network>,
    pub data_services: Option<Network>,
}

/// Megabytes added to (or, if negative, taken from) the computed memory, per role.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalMemory {
    pub compute: Option<GoInt>,
    pub drive: Option<GoInt>,
    pub s3: Option<GoInt>,
    pub nfs: Option<GoInt>,
    pub envoy: Option<GoInt>,
    pub smbw: Option<GoInt>,
    pub data_services: Option<GoInt>,
    pub data_services_fe: Option<GoInt>,
}

/// A Kubernetes `affinity` object per role (kept as written).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct RoleAffinity {
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub compute: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub drive: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub s3: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub nfs: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub smbw: Option<serde_json::Value>,
}

/// A list of Kubernetes topology spread constraints per role (kept as written).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct RoleTopologySpreadConstraints {
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub compute: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub drive: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub s3: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub nfs: Option<serde_json::Value>,
    #[serde(default)]
    #[schemars(schema_with = "crate::schema::k8s::preserve_unknown")]
    pub smbw: Option<serde_json::Value>,
}

/// `for_mode` on the structs whose roles are compute, drive, s3, nfs, smbw and data services.
macro_rules! six_roles {
    ($ty:ty, $item:ty) => {
        impl $ty {
            /// The value set for the role of `mode`; `None` for unset roles and other modes.
            pub fn for_mode(&self, mode: ContainerMode) -> Option<&$item> {
                match mode {
                    ContainerMode::Compute => self.compute.as_ref(),
                    ContainerMode::Drive => self.drive.as_ref(),
                    ContainerMode::S3 => self.s3.as_ref(),
                    ContainerMode::Nfs => self.nfs.as_ref(),
                    ContainerMode::Smbw => self.smbw.as_ref(),
                    ContainerMode::DataServices => self.data_services.as_ref(),
                    _ => None,
                }
            }
        }
    };
}

six_roles!(RoleNodeSelector, Labels);
six_roles!(RoleAnnotations, Labels);
six_roles!(RoleCoreIds, Vec<GoInt>);
six_roles!(RoleNetworkSelector, Network);

/// `for_mode` on the scheduling structs (roles compute, drive, s3, nfs and smbw).
macro_rules! five_roles {
    ($ty:ty) => {
        impl $ty {
            /// The raw value set for the role of `mode`; `None` for unset roles and other modes.
            pub fn for_mode(&self, mode: ContainerMode) -> Option<&serde_json::Value> {
                match mode {
                    ContainerMode::Compute => self.compute.as_ref(),
                    ContainerMode::Drive => self.drive.as_ref(),
                    ContainerMode::S3 => self.s3.as_ref(),
                    ContainerMode::Nfs => self.nfs.as_ref(),
                    ContainerMode::Smbw => self.smbw.as_ref(),
                    _ => None,
                }
            }
        }
    };
}

five_roles!(RoleAffinity);
five_roles!(RoleTopologySpreadConstraints);

impl AdditionalMemory {
    /// Extra megabytes for containers of `mode` (0 when unset).
    pub fn for_mode(&self, mode: ContainerMode) -> GoInt {
        let value = match mode {
            ContainerMode::Compute => self.compute,
            ContainerMode::Drive => self.drive,
            ContainerMode::S3 => self.s3,
            ContainerMode::Nfs => self.nfs,
            ContainerMode::Envoy => self.envoy,
            ContainerMode::Smbw => self.smbw,
            ContainerMode::DataServices => self.data_services,
            ContainerMode::DataServicesFe => self.data_services_fe,
            _ => None,
        };
        value.unwrap_or(0)
    }
}
