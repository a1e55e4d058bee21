//! Cluster integrations configured once the cluster runs: Weka Home (cloud), custom events
//! and the KMS.

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::shell::{in_double_quotes, single_quoted};

/// Where the runtime mounts the Weka Home CA certificate when one is configured.
pub const WEKA_HOME_CA_CERT_PATH: &str = "/opt/weka/k8s-runtime/vars/wh-cacert/cert.pem";

/// The cluster's Weka Home settings (spec `wekaHome`, plus the operator's proxy setting).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WekaHome {
    pub endpoint: String,
    pub enable_stats: bool,
    pub allow_insecure: bool,
    /// A CA certificate secret is configured (mounted at [`WEKA_HOME_CA_CERT_PATH`]).
    pub custom_ca_cert: bool,
    /// The operator's HTTPS proxy, if any.
    pub proxy: Option<String>,
}

/// The vault KMS of spec `encryption.vaultConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultKms {
    pub address: String,
    pub key_name: String,
    pub role: String,
    pub auth_path: String,
    pub transit_path: String,
}

impl WekaCli {
    /// Enables Weka Home: optional overrides (insecure calls, CA certificate), the proxy, then
    /// `wekaauthcli cloud enable --cloud-url <endpoint> --cloud-stats on|off`.
    pub async fn set_weka_home(&self, home: &WekaHome) -> Result<(), WekaError> {
        self.run(&Command::script("cloud enable", weka_home_script(home))).await.map(drop)
    }

    /// `wekaauthcli events trigger-event "K8s_Operator: <msg> (operator: <v>, k8s: <v>)"`.
    pub async fn emit_custom_event(
        &self,
        message: &str,
        operator_version: &str,
        k8s_version: &str,
    ) -> Result<(), WekaError> {
        let text =
            format!("K8s_Operator: {message} (operator: {operator_version}, k8s: {k8s_version})");
        let script = format!("wekaauthcli events trigger-event \"{}\"", in_double_quotes(&text));
        self.run(&Command::script("events trigger-event", script)).await.map(drop)
    }

    /// `weka security kms set vault '<address>' '<key>' --kubernetes-role ... --auth-path ...
    /// --transit-path ...`.
    pub async fn configure_kms(&self, kms: &VaultKms) -> Result<(), WekaError> {
        let script = format!(
            "weka security kms set vault {} {} --kubernetes-role {} --auth-path {} --transit-path {}",
            single_quoted(&kms.address),
            single_quoted(&kms.key_name),
            single_quoted(&kms.role),
            single_quoted(&kms.auth_path),
            single_quoted(&kms.transit_path),
        );
        self.run(&Command::script("security kms set", script)).await.map(drop)
    }
}

/// Upstream's script: blocks joined by newlines, each override block a no-op when the
/// override is listed. (Upstream writes the CA path as `\"path\"` inside a Go raw string,
/// which hands WEKA a quoted value; the path is quoted properly here.)
pub(super) fn weka_home_script(home: &WekaHome) -> String {
    let mut blocks = Vec::new();
    if home.allow_insecure {
        blocks.push(
            "\nif ! wekaauthcli debug override list | grep insecure_weka_cloud_https_call; then\n\twekaauthcli debug override add --key insecure_weka_cloud_https_call || wekaauthcli debug override add --key insecure_weka_cloud_https_call --force || true\nfi\n"
                .to_string(),
        );
    }
    if home.custom_ca_cert {
        let path = single_quoted(WEKA_HOME_CA_CERT_PATH);
        blocks.push(format!(
            "\nif ! wekaauthcli debug override list | grep weka_cloud_ca_cert_path; then\n\tweka debug override add --key weka_cloud_ca_cert_path --value {path} || weka debug override add --key weka_cloud_ca_cert_path --value {path} --force || true\nfi\n"
        ));
    }
    if let Some(proxy) = home.proxy.as_deref().filter(|p| !p.is_empty()) {
        blocks.push(format!("wekaauthcli cloud proxy --set {proxy}"));
    }
    let stats = if home.enable_stats { "on" } else { "off" };
    blocks.push(format!(
        "wekaauthcli cloud enable --cloud-url {} --cloud-stats {stats}",
        home.endpoint
    ));
    blocks.join("\n")
}
