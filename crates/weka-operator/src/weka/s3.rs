//! The S3 cluster: show, create, membership, destroy.

use serde::Deserialize;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::json::{host_id, nullable, parse_weka_id};

/// `wekaauthcli s3 cluster --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct S3Cluster {
    pub active: bool,
    /// `HostId<N>` of each member.
    #[serde(deserialize_with = "nullable")]
    pub s3_hosts: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub port: String,
    #[serde(deserialize_with = "nullable")]
    pub internal_port: String,
    #[serde(rename = "filesystem_name", deserialize_with = "nullable")]
    pub filesystem: String,
}

impl S3Cluster {
    pub fn container_ids(&self) -> Vec<i64> {
        self.s3_hosts.iter().filter_map(|h| parse_weka_id(h)).collect()
    }
}

/// What `s3 cluster create` gets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3ClusterParams {
    pub envoy_port: u16,
    pub envoy_admin_port: u16,
    pub s3_port: u16,
    pub container_ids: Vec<i64>,
    /// `spec.s3Config.clusterCreateArgs`, appended verbatim.
    pub extra_args: Vec<String>,
}

impl WekaCli {
    /// `wekaauthcli s3 cluster --json`.
    pub async fn get_s3_cluster(&self) -> Result<S3Cluster, WekaError> {
        self.run_json(&Command::argv("s3 cluster", ["wekaauthcli", "s3", "cluster", "--json"]))
            .await
    }

    /// `wekaauthcli s3 cluster create default .config_fs --port .. --envoy-admin-port ..
    /// --internal-port .. --container <ids> [extra]`; [`WekaError::AlreadyExists`] when it
    /// exists.
    pub async fn create_s3_cluster(&self, params: &S3ClusterParams) -> Result<(), WekaError> {
        let ids: Vec<String> = params.container_ids.iter().map(i64::to_string).collect();
        let mut argv: Vec<String> =
            ["wekaauthcli", "s3", "cluster", "create", "default", ".config_fs"]
                .map(String::from)
                .to_vec();
        argv.extend([
            "--port".to_string(),
            params.envoy_port.to_string(),
            "--envoy-admin-port".to_string(),
            params.envoy_admin_port.to_string(),
            "--internal-port".to_string(),
            params.s3_port.to_string(),
            "--container".to_string(),
            ids.join(","),
        ]);
        argv.extend(params.extra_args.iter().cloned());
        let cmd = Command::argv("s3 cluster create", argv);
        self.run_creating(&cmd, "already exists", "S3 cluster".to_string()).await
    }

    /// `wekaauthcli s3 cluster containers list --json`: the member container ids.
    pub async fn list_s3_containers(&self) -> Result<Vec<i64>, WekaError> {
        let argv = ["wekaauthcli", "s3", "cluster", "containers", "list", "--json"];
        let cmd = Command::argv("s3 cluster containers list", argv);
        let hosts: Vec<String> = self.run_json(&cmd).await?;
        hosts
            .iter()
            .map(|h| {
                parse_weka_id(h).ok_or_else(|| WekaError::BadJson {
                    command: cmd.display(),
                    error: format!("{h:?} is not a container id"),
                })
            })
            .collect()
    }

    /// `wekaauthcli s3 cluster containers add <id>`; a member already is done.
    pub async fn join_s3_cluster(&self, container_id: i64) -> Result<(), WekaError> {
        let id = container_id.to_string();
        let argv = ["wekaauthcli", "s3", "cluster", "containers", "add", id.as_str()];
        self.run_accepting(&Command::argv("s3 cluster containers add", argv), |stderr| {
            stderr.contains("already part of the S3 cluster")
        })
        .await
    }

    /// `wekaauthcli s3 cluster containers remove <id>`; done when the container is not a
    /// member, not known, or there is no S3 cluster.
    pub async fn remove_from_s3_cluster(&self, container_id: i64) -> Result<(), WekaError> {
        let id = container_id.to_string();
        let argv = ["wekaauthcli", "s3", "cluster", "containers", "remove", id.as_str()];
        let unknown_typed = format!("error: Unrecognized host ID {}", host_id(container_id));
        let unknown_bare = format!("error: Unrecognized host ID {container_id}");
        self.run_accepting(&Command::argv("s3 cluster containers remove", argv), |stderr| {
            stderr.contains("is not part of the S3 cluster")
                || stderr.contains(&unknown_typed)
                || stderr.contains(&unknown_bare)
                || stderr.contains("S3 cluster is not configured")
        })
        .await
    }

    /// `wekaauthcli s3 cluster destroy -f`.
    pub async fn destroy_s3_cluster(&self) -> Result<(), WekaError> {
        let argv = ["wekaauthcli", "s3", "cluster", "destroy", "-f"];
        self.run(&Command::argv("s3 cluster destroy", argv)).await.map(drop)
    }
}
