//! Cluster formation and cluster-wide settings, run in one member (upstream's
//! `FormCluster` and the clusterization steps): create, name, hot spare, stripe, raft,
//! overrides, the post-form script, start-io and the client join token.

use std::time::Duration;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;

/// Where the operator's credentials are mounted in every WEKA pod.
pub const OPERATOR_USER_DIR: &str = "/var/run/secrets/weka-operator/operator-user";

/// `start-io` may take long: at least this, or the default exec timeout if longer.
pub const START_IO_MIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The members to form a cluster from, in order (envoy containers already left out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormCluster {
    /// The first management IP of each member: the "hostnames" of `cluster create`.
    pub management_ips: Vec<String>,
    /// The first host IP (`ip:port`) of each member.
    pub host_ips: Vec<String>,
    pub leadership_size: Option<u32>,
}

impl WekaCli {
    /// `weka status || weka cluster create ...`: a no-op once the pod reaches a cluster. The
    /// join secret and admin password are read from the mounted secret files in the pod, so
    /// the script itself carries no secret.
    pub async fn form_cluster(&self, form: &FormCluster) -> Result<(), WekaError> {
        if form.management_ips.is_empty() || form.management_ips.len() != form.host_ips.len() {
            return Err(WekaError::InvalidInput(format!(
                "forming a cluster needs one host IP per management IP, got {} and {}",
                form.host_ips.len(),
                form.management_ips.len()
            )));
        }
        let leadership =
            form.leadership_size.map(|n| format!("--leadership-size {n}")).unwrap_or_default();
        let script = format!(
            "weka status || weka cluster create {} --host-ips {} --join-secret=`cat {OPERATOR_USER_DIR}/join-secret` --admin-password `cat {OPERATOR_USER_DIR}/password` {leadership}",
            form.management_ips.join(" "),
            form.host_ips.join(","),
        );
        self.run(&Command::script("cluster create", script)).await.map(drop)
    }

    /// `weka cluster update --cluster-name <name>`.
    pub async fn set_cluster_name(&self, name: &str) -> Result<(), WekaError> {
        let script = format!("weka cluster update --cluster-name {name}");
        self.run(&Command::script("cluster update", script)).await.map(drop)
    }

    /// `weka cluster hot-spare <n>` (run even for 0).
    pub async fn set_hot_spare(&self, count: u32) -> Result<(), WekaError> {
        let script = format!("weka cluster hot-spare {count}");
        self.run(&Command::script("cluster hot-spare", script)).await.map(drop)
    }

    /// `weka cluster update --parity-drives <n>`.
    pub async fn set_parity_drives(&self, count: u32) -> Result<(), WekaError> {
        self.update_cluster("--parity-drives", count).await
    }

    /// `weka cluster update --data-drives <n>`.
    pub async fn set_data_drives(&self, count: u32) -> Result<(), WekaError> {
        self.update_cluster("--data-drives", count).await
    }

    /// `weka cluster update --bucket-raft-size <n>`.
    pub async fn set_bucket_raft_size(&self, size: u32) -> Result<(), WekaError> {
        self.update_cluster("--bucket-raft-size", size).await
    }

    async fn update_cluster(&self, option: &str, value: u32) -> Result<(), WekaError> {
        let script = format!("weka cluster update {option} {value}");
        self.run(&Command::script("cluster update", script)).await.map(drop)
    }

    /// `weka debug config override clusterInfo.nvmeEnabled false` (spec overrides.forceAio).
    pub async fn force_aio(&self) -> Result<(), WekaError> {
        let script = "weka debug config override clusterInfo.nvmeEnabled false";
        self.run(&Command::script("debug config override", script)).await.map(drop)
    }

    /// Requires clients to present the join secret; a no-op when the override is listed.
    pub async fn require_client_join_authentication(&self) -> Result<(), WekaError> {
        let script = "weka debug override list | grep authenticate_client_join || weka debug override add --key authenticate_client_join || weka debug override add --key authenticate_client_join --force";
        self.run(&Command::script("debug override add", script)).await.map(drop)
    }

    /// The user's post-form script from the spec overrides, as `/bin/sh -ec <script>`.
    pub async fn run_post_form_script(&self, script: &str) -> Result<(), WekaError> {
        let cmd = Command::argv("post-form script", ["/bin/sh", "-ec", script]);
        self.run(&cmd).await.map(drop)
    }

    /// `wekaauthcli cluster start-io`, allowed [`START_IO_MIN_TIMEOUT`] at least.
    pub async fn start_io(&self) -> Result<(), WekaError> {
        let cmd = Command::script("cluster start-io", "wekaauthcli cluster start-io")
            .with_timeout(self.timeout().max(START_IO_MIN_TIMEOUT));
        self.run(&cmd).await.map(drop)
    }

    /// A client join token valid for 100 years (5200 weeks). The token is a secret: the
    /// command is sensitive, so neither logs nor errors show what it printed.
    pub async fn generate_join_token(&self) -> Result<String, WekaError> {
        let argv = [
            "wekaauthcli",
            "cluster",
            "join-token",
            "generate",
            "--access-token-timeout",
            "5200w",
            "--json",
        ];
        self.run_json(&Command::argv("cluster join-token generate", argv).sensitive()).await
    }
}
