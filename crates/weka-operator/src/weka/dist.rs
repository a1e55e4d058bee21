//! Driver distribution: moving drivers a builder pod built into the dist container that serves
//! them, and checking they can be downloaded from it. Run in the dist container.

use serde::Deserialize;

use super::cli::{WekaCli, failed};
use super::command::Command;
use super::error::WekaError;
use super::json::nullable;

/// Where the dist container keeps drivers.
pub const DIST_DRIVERS_DIR: &str = "/opt/weka/dist/drivers/";

/// A drivers-builder's `results.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DriversBuildResult {
    #[serde(deserialize_with = "nullable")]
    pub weka_version: String,
    #[serde(deserialize_with = "nullable")]
    pub kernel_signature: String,
    pub weka_pack_not_supported: bool,
    pub no_weka_drivers_handling: bool,
    #[serde(deserialize_with = "nullable")]
    pub err: String,
}

impl WekaCli {
    /// Legacy builders (no `weka driver` command): mirror the builder's drivers directory.
    pub async fn copy_legacy_drivers(
        &self,
        builder_ip: &str,
        builder_port: u16,
    ) -> Result<(), WekaError> {
        let script = format!(
            "cd {DIST_DRIVERS_DIR} && wget -r -nH --cut-dirs=3 --no-parent --reject=\"index.html*\" http://{builder_ip}:{builder_port}/dist/v1/drivers/"
        );
        self.run(&Command::script("copy drivers", script)).await.map(drop)
    }

    /// `weka version get --driver-only <version> --from <endpoint>`.
    pub async fn download_weka_version(
        &self,
        version: &str,
        endpoint: &str,
    ) -> Result<(), WekaError> {
        let script = format!("weka version get --driver-only {version} --from {endpoint}");
        self.run(&Command::script("version get", script)).await.map(drop)
    }

    /// `weka driver download --without-agent --version <v> [--from <endpoint>]
    /// [--kernel-signature <sig>]`. Drivers the source does not have are
    /// [`WekaError::NotFound`] (the builder must build them again).
    pub async fn download_drivers(
        &self,
        version: &str,
        from: Option<&str>,
        kernel_signature: Option<&str>,
    ) -> Result<(), WekaError> {
        let mut script = format!("weka driver download --without-agent --version {version}");
        if let Some(endpoint) = from {
            script.push_str(&format!(" --from {endpoint}"));
        }
        if let Some(signature) = kernel_signature {
            script.push_str(&format!(" --kernel-signature {signature}"));
        }
        let cmd = Command::script("driver download", script);
        let out = self.exec(&cmd).await?;
        match out.exit_code {
            0 => Ok(()),
            _ if out.stderr.contains("Failed to download the drivers")
                || out.stderr.contains("Version missing") =>
            {
                Err(WekaError::NotFound { what: format!("drivers of {version}") })
            }
            _ => Err(failed(&cmd, &out)),
        }
    }

    /// Builders without `weka driver pack`: fetch the drivers' sha256 file next to them.
    pub async fn fetch_drivers_checksum(
        &self,
        endpoint: &str,
        version: &str,
        kernel_signature: &str,
    ) -> Result<(), WekaError> {
        let script = format!(
            "cd {DIST_DRIVERS_DIR} && curl -kO {endpoint}/dist/v1/drivers/{version}-{kernel_signature}.tar.gz.sha256"
        );
        self.run(&Command::script("copy drivers checksum", script)).await.map(drop)
    }
}
