//! Services of a WekaCluster: protocols (S3, NFS, SMB-W), telemetry export, CSI, encryption
//! at rest and WEKA Home.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::common::{CsiAdvanced, GoInt};

/// How the CSI driver finds and reaches the cluster.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CsiConfig {
    /// Subnets (CIDR) of the management IPs given to CSI; empty gives all of them.
    pub endpoints_subnets: Option<Vec<String>>,
    /// Group name scoping the CSI resources when several clusters share a namespace.
    pub csi_group: Option<String>,
    /// Labels, tolerations and behaviour of the CSI pods (change only when told to).
    pub advanced: Option<CsiAdvanced>,
}

/// Encryption of data at rest: a Vault KMS (production) or an internal key (evaluation).
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct EncryptionConfig {
    /// HashiCorp Vault holding the encryption key.
    pub vault: Option<VaultConfig>,
    /// Key kept in the WEKA configuration itself; for evaluation, not production.
    pub internal: Option<InternalEncryptionConfig>,
}

/// How WEKA logs in to Vault; only Kubernetes auth is supported.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum VaultAuthMethod {
    #[default]
    #[serde(rename = "kubernetes")]
    Kubernetes,
}

/// A HashiCorp Vault KMS with a transit engine.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VaultConfig {
    /// Vault URL, e.g. `https://vault.example.com:8200`.
    pub address: String,
    /// Vault role to log in as.
    pub role: String,
    /// Mount path of the auth method under `auth/`.
    #[schemars(extend("default" = "kubernetes"))]
    pub auth_path: Option<String>,
    /// Mount path of the transit engine.
    #[schemars(extend("default" = "transit"))]
    pub transit_path: Option<String>,
    /// Auth method used to log in.
    #[schemars(extend("default" = "kubernetes"))]
    pub method: Option<VaultAuthMethod>,
    /// Name of the transit key.
    #[schemars(extend("default" = "weka-key"))]
    pub key_name: Option<String>,
}

/// Encryption with a key kept inside the WEKA cluster.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct InternalEncryptionConfig {
    /// Turn internal encryption on.
    pub enabled: bool,
}

/// NFS protocol settings.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "message": "NFS allows only 1 interface per host",
    "rule": "!has(self.interfaces) || self.interfaces.size() <= 1"
}]))]
pub struct NfsConfig {
    /// The network interface NFS serves on (at most one per host).
    pub interfaces: Option<Vec<String>>,
    /// Floating IP ranges of the NFS service.
    pub ip_ranges: Option<Vec<String>>,
}

/// S3 protocol settings.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct S3Config {
    /// Arguments appended as they are to the S3 cluster creation command (creation only).
    pub cluster_create_args: Option<Vec<String>>,
}

/// Encryption level of SMB connections.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmbwEncryption {
    Enabled,
    Disabled,
    Desired,
    Required,
}

/// Scale-out mode of the SMB-W cluster.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmbwScaleOutMode {
    None,
    Full,
    Partial,
}

/// SMB-W protocol settings; most apply only when the SMB-W cluster is created.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmbwConfig {
    /// Name of the SMB-W cluster (`default` when unset).
    pub cluster_name: Option<String>,
    /// Active Directory domain to join.
    pub domain_name: String,
    /// Name of the Secret with the credentials used to join the domain.
    pub domain_join_secret: String,
    /// User name for the domain join.
    pub user_name: Option<String>,
    /// NetBIOS name of the domain.
    pub domain_netbios_name: Option<String>,
    /// Floating IP ranges for high availability.
    pub ip_ranges: Option<Vec<String>>,
    /// IP pools the SMB-W service assigns from.
    pub ip_pools: Option<Vec<String>>,
    /// Allow symbolic links on shares.
    pub symlink: Option<bool>,
    /// Identity mapping backend (`ad`, `rfc2307`, ...).
    pub idmap_backend: Option<String>,
    /// First UID/GID of the default domain mapping.
    pub default_domain_mapping_from_id: Option<GoInt>,
    /// Last UID/GID of the default domain mapping.
    pub default_domain_mapping_to_id: Option<GoInt>,
    /// First UID/GID of the joined domain mapping.
    pub joined_domain_mapping_from_id: Option<GoInt>,
    /// Last UID/GID of the joined domain mapping.
    pub joined_domain_mapping_to_id: Option<GoInt>,
    /// Encryption level of SMB connections.
    pub encryption: Option<SmbwEncryption>,
    /// Scale-out mode of the SMB-W cluster.
    pub scale_out_mode: Option<SmbwScaleOutMode>,
    /// Extra lines for `smb.conf`.
    pub smb_conf_extra: Option<String>,
}

/// Export of telemetry (audit logs, ...) to external systems.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct TelemetryConfig {
    /// The export destinations.
    pub exports: Option<Vec<TelemetryExport>>,
}

/// One telemetry export destination.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct TelemetryExport {
    /// Unique name of the export.
    pub name: String,
    /// Telemetry sources to export (e.g. `audit`).
    pub sources: Vec<String>,
    /// Export to a Splunk HTTP Event Collector.
    pub splunk: Option<SplunkExport>,
}

/// A Splunk HTTP Event Collector destination; secret references read `secretName.keyName`.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SplunkExport {
    /// The HEC endpoint URL.
    pub endpoint: String,
    /// `secretName.keyName` of the HEC token.
    pub auth_token_secret_ref: String,
    /// `secretName.keyName` of a CA certificate (PEM) to verify the endpoint with.
    pub ca_cert_secret_ref: Option<String>,
    /// Skip verification of the endpoint's certificate.
    pub allow_unverified_certificate: Option<bool>,
    /// Verify the endpoint with the WEKA cluster's own CA (exclusive with `caCertSecretRef`).
    #[serde(rename = "verifyWithClusterCACert")]
    pub verify_with_cluster_ca_cert: Option<bool>,
}

/// WEKA Home (call-home) settings of the cluster.
#[skip_serializing_none]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WekaHomeConfig {
    /// WEKA Home URL; WEKA's cloud service when unset.
    pub endpoint: Option<String>,
    /// Skip TLS verification of the endpoint.
    pub allow_insecure: Option<bool>,
    /// Name of a Secret with a CA certificate (PEM) for the endpoint.
    pub cacert_secret: Option<String>,
    /// Also send performance statistics (upstream's default: yes).
    pub enable_stats: Option<bool>,
}
