//! Files the operator and the in-pod runtime exchange: `resources.json` (written by the
//! operator once persistency is configured), `management_ips`, `drives.json`, the drivers
//! marker, one-off results, feature flags, the stop markers, and the cluster metrics file of
//! the metrics pod.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use weka_api::wekacontainer::ContainerAllocations;

use super::cli::{WekaCli, failed, parse_json};
use super::command::Command;
use super::error::WekaError;
use super::exec::ExecError;
use super::json::nullable;
use super::shell::single_quoted;

pub const RUNTIME_DIR: &str = "/opt/weka/k8s-runtime";
pub const PERSISTENCY_MARKER: &str = "/opt/weka/k8s-runtime/persistency-configured";
pub const RESOURCES_JSON: &str = "/opt/weka/k8s-runtime/resources.json";
pub const MANAGEMENT_IPS: &str = "/opt/weka/k8s-runtime/management_ips";
pub const DRIVES_JSON: &str = "/opt/weka/k8s-runtime/drives.json";
pub const FEATURE_FLAGS_JSON: &str = "/opt/weka/k8s-runtime/feature_flags.json";
pub const DRIVERS_LOG: &str = "/tmp/weka-drivers.log";
pub const RESULTS_JSON: &str = "/weka-runtime/results.json";

/// Writing `resources.json` (and checking for persistency first) is allowed 30 s.
pub const RESOURCES_TIMEOUT: Duration = Duration::from_secs(30);
/// Quick reads of runtime files.
pub const SHORT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Reading the drivers marker.
pub const DRIVERS_TIMEOUT: Duration = Duration::from_secs(15);

/// A requested drive as the runtime found it in the kernel (`drives.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct KernelDrive {
    #[serde(deserialize_with = "nullable")]
    pub serial_id: String,
    #[serde(rename = "block_device", deserialize_with = "nullable")]
    pub device_path: String,
    #[serde(deserialize_with = "nullable")]
    pub partition: String,
    /// Already signed by WEKA: must not be added.
    pub is_signed: bool,
    #[serde(deserialize_with = "nullable")]
    pub weka_guid: String,
}

/// What `/tmp/weka-drivers.log` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriversState {
    /// The file is empty.
    Loaded,
    /// The name of the driver still missing (or `weka-drivers-loading`).
    Missing(String),
}

impl WekaCli {
    /// Whether the runtime has bound its persistent directory
    /// (`test -f /opt/weka/k8s-runtime/persistency-configured`).
    pub async fn persistency_configured(&self) -> Result<bool, WekaError> {
        let script = format!("test -f {PERSISTENCY_MARKER}");
        let cmd =
            Command::script("test persistency-configured", script).with_timeout(RESOURCES_TIMEOUT);
        Ok(self.exec(&cmd).await?.exit_code == 0)
    }

    /// Writes the allocations as `resources.json` atomically (base64 through the shell, then a
    /// rename), refusing while persistency is not configured, and reads it back to verify.
    pub async fn write_resources(
        &self,
        allocations: &ContainerAllocations,
    ) -> Result<(), WekaError> {
        if !self.persistency_configured().await? {
            return Err(WekaError::PersistencyNotConfigured);
        }
        let json = serde_json::to_vec(allocations)
            .map_err(|e| WekaError::InvalidInput(format!("allocations do not serialize: {e}")))?;
        let cmd =
            Command::script("write resources.json", write_resources_script(&BASE64.encode(json)))
                .with_timeout(RESOURCES_TIMEOUT);
        let out = self.exec(&cmd).await?;
        match out.exit_code {
            0 => {}
            1 => return Err(WekaError::PersistencyNotConfigured),
            _ => return Err(failed(&cmd, &out)),
        }
        self.verify_resources(allocations).await
    }

    /// `cat /opt/weka/k8s-runtime/resources.json`, parsed.
    pub async fn read_resources(&self) -> Result<ContainerAllocations, WekaError> {
        let cmd = Command::script("read resources.json", format!("cat {RESOURCES_JSON}"))
            .with_timeout(RESOURCES_TIMEOUT);
        self.run_json(&cmd).await
    }

    /// `resources.json` holds exactly `expected`; else [`WekaError::ResourcesMismatch`].
    pub async fn verify_resources(&self, expected: &ContainerAllocations) -> Result<(), WekaError> {
        if self.read_resources().await? != *expected {
            return Err(WekaError::ResourcesMismatch);
        }
        Ok(())
    }

    /// `cat /opt/weka/k8s-runtime/management_ips`: one IP per line.
    pub async fn management_ips(&self) -> Result<Vec<String>, WekaError> {
        let cmd = Command::argv("read management_ips", ["cat", MANAGEMENT_IPS])
            .with_timeout(SHORT_READ_TIMEOUT);
        let out = self.run(&cmd).await?;
        Ok(out.stdout.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
    }

    /// `cat /opt/weka/k8s-runtime/drives.json`.
    pub async fn kernel_drives(&self) -> Result<Vec<KernelDrive>, WekaError> {
        let cmd = Command::script("read drives.json", format!("cat {DRIVES_JSON}"));
        self.run_json(&cmd).await
    }

    /// `cat /tmp/weka-drivers.log`. A missing file is [`WekaError::CommandFailed`] (the
    /// runtime has not checked drivers yet, or lacks its resources).
    pub async fn drivers_state(&self) -> Result<DriversState, WekaError> {
        let cmd = Command::script("read weka-drivers.log", format!("cat {DRIVERS_LOG}"))
            .with_timeout(DRIVERS_TIMEOUT);
        let missing = self.run(&cmd).await?.stdout.trim().to_string();
        Ok(if missing.is_empty() { DriversState::Loaded } else { DriversState::Missing(missing) })
    }

    /// `cat /weka-runtime/results.json` of a one-off container, unparsed (its shape depends
    /// on the mode); [`WekaError::EmptyOutput`] when empty.
    pub async fn results(&self) -> Result<String, WekaError> {
        let cmd = Command::argv("read results.json", ["cat", RESULTS_JSON]);
        let out = self.run(&cmd).await?;
        if out.stdout.trim().is_empty() {
            return Err(WekaError::EmptyOutput { command: cmd.display() });
        }
        Ok(out.stdout)
    }

    /// `cat /opt/weka/k8s-runtime/feature_flags.json`: flag name to value.
    pub async fn feature_flags(&self) -> Result<BTreeMap<String, serde_json::Value>, WekaError> {
        let cmd = Command::argv("read feature_flags.json", ["cat", FEATURE_FLAGS_JSON])
            .with_timeout(SHORT_READ_TIMEOUT);
        let out = self.run(&cmd).await?;
        parse_json(&cmd, &out.stdout)
    }
}

/// Upstream's script, verbatim: the persistency check and the write in one exec, so a pod
/// restarting in between cannot get a file outside its persistent directory.
pub(super) fn write_resources_script(b64: &str) -> String {
    format!(
        "
test -f {PERSISTENCY_MARKER} || exit 1
mkdir -p {RUNTIME_DIR}/tmp
echo '{b64}' | base64 -d > {RUNTIME_DIR}/tmp/resources.json
mv {RUNTIME_DIR}/tmp/resources.json {RESOURCES_JSON}
"
    )
}

/// Allowed for writing a stop marker or shutdown instructions.
pub const STOP_MARKER_TIMEOUT: Duration = Duration::from_secs(60);
/// Allowed for writing the cluster metrics file.
pub const METRICS_WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the runtime may do on SIGTERM, as the node agent hands it over when the pod cannot be
/// exec'ed into.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShutdownInstructions {
    pub allow_stop: bool,
    pub allow_force_stop: bool,
}

/// The node agent's directory for one pod's instructions on one boot.
pub fn shutdown_instructions_dir(owner_uid: &str, pod_uid: &str, boot_id: &str) -> String {
    format!("/host-binds/shared/containers/{owner_uid}/instructions/{pod_uid}/{boot_id}")
}

impl WekaCli {
    /// `touch /tmp/.allow-stop && kill 1`: the runtime may stop gracefully. A container that
    /// is already gone is done.
    pub async fn allow_stop(&self) -> Result<(), WekaError> {
        self.write_stop_marker("allow-stop", "touch /tmp/.allow-stop && kill 1").await
    }

    /// `touch /tmp/.allow-force-stop && kill 1`: the runtime stops with `--force`.
    pub async fn allow_force_stop(&self) -> Result<(), WekaError> {
        self.write_stop_marker("allow-force-stop", "touch /tmp/.allow-force-stop && kill 1").await
    }

    /// `test -f /tmp/.allow-force-stop`.
    pub async fn force_stop_allowed(&self) -> Result<bool, WekaError> {
        let cmd = Command::script("test allow-force-stop", "test -f /tmp/.allow-force-stop");
        Ok(self.exec(&cmd).await?.exit_code == 0)
    }

    /// In the node-agent pod (a [`WekaCli`] targeting its `node-agent` container): writes
    /// `<dir>/shutdown_instructions.json` for the runtime to read.
    pub async fn write_shutdown_instructions(
        &self,
        dir: &str,
        instructions: ShutdownInstructions,
    ) -> Result<(), WekaError> {
        let json = serde_json::to_vec(&instructions)
            .map_err(|e| WekaError::InvalidInput(format!("instructions do not serialize: {e}")))?;
        let script = format!(
            "mkdir -p {} && echo '{}' | base64 -d > {}",
            single_quoted(dir),
            BASE64.encode(json),
            single_quoted(&format!("{dir}/shutdown_instructions.json"))
        );
        let cmd = Command::script("write shutdown instructions", script)
            .with_timeout(STOP_MARKER_TIMEOUT);
        self.run(&cmd).await.map(drop)
    }

    /// In the cluster metrics pod (container `weka-cluster-metrics`): replaces `/data/metrics`
    /// with `data` (Prometheus text) through a temporary file.
    pub async fn write_cluster_metrics(&self, data: &str) -> Result<(), WekaError> {
        let script = format!(
            "cat <<EOF > /data/metrics.tmp\n{data}\nEOF\nmv /data/metrics.tmp /data/metrics\n"
        );
        let cmd = Command::argv("write metrics", ["/bin/sh", "-ec", script.as_str()])
            .with_timeout(METRICS_WRITE_TIMEOUT);
        self.run(&cmd).await.map(drop)
    }

    async fn write_stop_marker(&self, op: &'static str, script: &str) -> Result<(), WekaError> {
        let cmd = Command::script(op, script).with_timeout(STOP_MARKER_TIMEOUT);
        match self.run(&cmd).await {
            Err(WekaError::Transport { source: ExecError::ContainerNotFound(_), .. }) => Ok(()),
            other => other.map(drop),
        }
    }
}
