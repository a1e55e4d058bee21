//! The pod's own WEKA containers, answered by its agent: `weka local ps`, the cluster
//! identity, stop and drain, re-pointing join IPs, envoy liveness, driver upgrade prepare.

use std::time::Duration;

use serde::Deserialize;

use super::cli::{WekaCli, failed, parse_json};
use super::command::Command;
use super::error::WekaError;
use super::exec::ExecError;
use super::json::{nullable, weka_id};

/// The GUID a container reports before it joins a cluster.
pub const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";
/// Reading the identity is quick or not worth waiting for.
pub const IDENTITY_TIMEOUT: Duration = Duration::from_secs(15);
/// `weka local stop` runs under `timeout 10s`, the exec is allowed 12 s.
pub const LOCAL_STOP_TIMEOUT: Duration = Duration::from_secs(12);

/// One row of `weka local ps --json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LocalContainer {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    /// `Running`, `Stopped`.
    #[serde(rename = "runStatus", deserialize_with = "nullable")]
    pub run_status: String,
    #[serde(rename = "isRunning")]
    pub is_running: bool,
    #[serde(rename = "lastFailure", deserialize_with = "nullable")]
    pub last_failure: String,
    #[serde(rename = "lastFailureTime", deserialize_with = "nullable")]
    pub last_failure_time: String,
    #[serde(rename = "internalStatus")]
    pub internal_status: InternalStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct InternalStatus {
    #[serde(deserialize_with = "nullable")]
    pub action: String,
    /// `READY` (in a cluster), `CLUSTERIZING` (joining), `STEM` (not joined).
    #[serde(deserialize_with = "nullable")]
    pub display_status: String,
    #[serde(deserialize_with = "nullable")]
    pub message: String,
    #[serde(deserialize_with = "nullable")]
    pub state: String,
}

/// A joined container's cluster GUID and container (host) id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterIdentity {
    pub cluster_guid: String,
    pub container_id: i64,
}

#[derive(Deserialize)]
struct IdentityReply {
    #[serde(default)]
    has_value: bool,
    value: Option<IdentityValue>,
    exception: Option<String>,
}

#[derive(Deserialize)]
struct IdentityValue {
    #[serde(default, deserialize_with = "nullable")]
    cluster_guid: String,
    #[serde(default, deserialize_with = "weka_id")]
    host_id: Option<i64>,
}

impl WekaCli {
    /// `weka local ps --json`.
    pub async fn local_ps(&self) -> Result<Vec<LocalContainer>, WekaError> {
        self.run_json(&Command::argv("local ps", ["weka", "local", "ps", "--json"])).await
    }

    /// The cluster identity of local container `name` through the agent's JSON-RPC
    /// (`container-get-identity`); [`WekaError::NotJoined`] until it is a member. A container
    /// given join IPs asks through `wekaauthcli` at `127.0.0.1`.
    pub async fn container_identity(
        &self,
        name: &str,
        has_join_ips: bool,
    ) -> Result<ClusterIdentity, WekaError> {
        let agent_port = "$(cat /opt/weka/k8s-runtime/vars/agent_port)";
        let (cli, host) =
            if has_join_ips { ("wekaauthcli", "127.0.0.1") } else { ("weka", "localhost") };
        let script = format!(
            "{cli} local run wapi -H {host}:{agent_port}/jrpc -W container-get-identity --container-name {name} --json"
        );
        let cmd = Command::script("local run wapi", script).with_timeout(IDENTITY_TIMEOUT);
        let out = self.run(&cmd).await?;
        let reply: IdentityReply = parse_json(&cmd, &out.stdout)?;
        let not_joined = |reason: &str| WekaError::NotJoined {
            container: name.to_string(),
            reason: reason.to_string(),
        };
        if let (false, Some(exception)) = (reply.has_value, &reply.exception) {
            return Err(not_joined(exception));
        }
        let value =
            reply.value.ok_or_else(|| not_joined("container-get-identity returned no value"))?;
        match value.host_id {
            Some(id)
                if !value.cluster_guid.is_empty() && value.cluster_guid != ZERO_GUID && id >= 0 =>
            {
                Ok(ClusterIdentity { cluster_guid: value.cluster_guid, container_id: id })
            }
            _ => Err(not_joined("the container is not part of the cluster yet")),
        }
    }

    /// `timeout 10s weka local stop --force|-g`; a pod without its container is done.
    pub async fn stop_local(&self, force: bool) -> Result<(), WekaError> {
        let mode = if force { "--force" } else { "-g" };
        let cmd = Command::argv("local stop", ["timeout", "10s", "weka", "local", "stop", mode])
            .with_timeout(LOCAL_STOP_TIMEOUT);
        match self.run(&cmd).await {
            Err(WekaError::Transport { source: ExecError::ContainerNotFound(_), .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Force-stops the client and drains the driver so remaining mounts let go.
    pub async fn drain_client(&self) -> Result<(), WekaError> {
        let script = "weka local stop --force && echo drain > /proc/wekafs/interface";
        self.run(&Command::script("local stop", script)).await.map(drop)
    }

    /// For a container stuck in STEM: stage `join_ips` (`ip:port`), apply, restart.
    pub async fn rejoin_with_ips(&self, join_ips: &[String]) -> Result<(), WekaError> {
        let mut argv: Vec<String> =
            ["weka", "local", "resources", "join-ips"].map(String::from).to_vec();
        argv.extend(join_ips.iter().cloned());
        self.run(&Command::argv("local resources join-ips", argv)).await?;
        let apply = ["weka", "local", "resources", "apply", "-f"];
        self.run(&Command::argv("local resources apply", apply)).await?;
        let restart = ["weka", "local", "restart", "--force"];
        self.run(&Command::argv("local restart", restart)).await.map(drop)
    }

    /// Whether an envoy process runs in the pod (`pgrep -f 'envoy' || true` printed a pid).
    pub async fn envoy_running(&self) -> Result<bool, WekaError> {
        let out = self.run(&Command::script("pgrep envoy", "pgrep -f 'envoy' || true")).await?;
        Ok(!out.stdout.trim().is_empty())
    }

    /// Before a hot upgrade: asks a loaded wekafsio driver to prepare (or unloads it).
    /// [`WekaError::NotFound`] when there is no driver interface.
    pub async fn prepare_driver_for_upgrade(&self) -> Result<(), WekaError> {
        let cmd = Command::script("prepare-upgrade", PREPARE_UPGRADE_SCRIPT);
        let out = self.exec(&cmd).await?;
        match out.exit_code {
            0 => Ok(()),
            _ if out.stderr.contains("No such file or directory") => {
                Err(WekaError::NotFound { what: "wekafs driver".to_string() })
            }
            _ => Err(failed(&cmd, &out)),
        }
    }
}

pub(super) const PREPARE_UPGRADE_SCRIPT: &str = "
if lsmod | grep wekafsio; then
\tif [ -e /proc/wekafs/interface ]; then
\t\tif ! echo prepare-upgrade > /proc/wekafs/interface; then
\t\t\techo \"Failed to run prepare-upgrade command attempting rmmod instead\"
\t\t\trmmod wekafsio
\t\tfi 
\tfi
fi
";
