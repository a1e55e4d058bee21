//! The local containers a pod runs: a cluster member (`weka local setup container` from the
//! pod's env and resources, then `weka local start`), a STEM container (dist, adhoc) or a
//! special one (envoy, telemetry, SSD proxy); and the files written once it runs
//! (`feature_flags.json`, `drives.json`).

use super::disks::KernelDrive;
use super::error::RuntimeError;
use super::instance::Instance;
use super::paths::{DRIVES_JSON, FEATURE_FLAGS_JSON, OPERATOR_USER_DIR};
use crate::world::local::{ContainerKind, LocalContainerSpec};

/// Port of STEM containers (dist, adhoc) started without one.
const DEFAULT_STEM_PORT: u16 = 14000;

impl Instance<'_> {
    /// `weka local setup container` for a cluster member: created, or reconfigured when a
    /// previous pod of this WekaContainer left one.
    pub(crate) fn ensure_weka_container(&self) -> Result<(), RuntimeError> {
        let kind =
            self.mode().member_kind().ok_or_else(|| RuntimeError::UnknownMode(self.mode_name()))?;
        let spec = self.member_spec(kind);
        let exists = self.world().local_container(&self.agent, &spec.name).is_some();
        if exists {
            self.log.info("Found 1 existing containers");
            self.log.info("Container already exists, reconfiguring");
        } else {
            self.log.info("no pre-existing containers, creating");
            let cores: Vec<String> = (0..spec.cores).map(|c| c.to_string()).collect();
            self.log.info(format!("Creating container with cores: {}", cores.join(",")));
            self.log.info(format!("Creating container with command: {}", setup_command(&spec)));
        }
        let name = spec.name.clone();
        self.world().setup_local_container(&self.agent, spec)?;
        self.progress().local = Some(name);
        self.log.info("Container created successfully");
        Ok(())
    }

    fn member_spec(&self, kind: ContainerKind) -> LocalContainerSpec {
        let progress = self.progress().clone();
        let ip = progress.management_ips.first().cloned().unwrap_or_else(|| self.management_ip());
        let mut spec = LocalContainerSpec::new(&self.env.name, kind, &ip, progress.port);
        spec.hostname = self.node().to_string();
        spec.management_ips = progress.management_ips.clone();
        spec.agent_port = progress.agent_port;
        spec.cores = self.env.cores.max(1);
        spec.failure_domain = progress.failure_domain.clone();
        spec.join_ips = self.env.join_ips.clone();
        spec.join_secret = self
            .fs()
            .read_string(&format!("{OPERATOR_USER_DIR}/join-secret"))
            .ok()
            .map(|s| s.trim_end().to_string());
        if kind == ContainerKind::Drive {
            spec.block_devices = progress.resources.block_devices(&self.rt.node_disks(self.node()));
        }
        if let Some(version) = &self.env.version {
            spec.version = version.clone();
        } else {
            spec.version = self.world().release.clone();
        }
        spec
    }

    pub(crate) fn start_weka_container(&self) -> Result<(), RuntimeError> {
        let name = self.env.name.clone();
        self.weka_ok(&["local", "start", &name])?;
        self.log.info("finished applying new config");
        self.log.info("Container reconfigured successfully: ");
        self.log.info("ensuring container exec");
        self.log.info("container exec ensured");
        Ok(())
    }

    pub(crate) fn write_feature_flags(&self) -> Result<(), RuntimeError> {
        let flags = &self.rt.config().feature_flags;
        let json = serde_json::to_string(flags).unwrap_or_else(|_| "{}".into());
        self.write(FEATURE_FLAGS_JSON, &json)?;
        self.log.info(format!("Feature flags written to {FEATURE_FLAGS_JSON}: {json}"));
        Ok(())
    }

    /// `drives.json`: the requested drives as found in the kernel.
    pub(crate) fn ensure_drives(&self) -> Result<(), RuntimeError> {
        let requested = self.progress().resources.drives.clone();
        let kernel = self.kernel_drives();
        let chosen: Vec<&KernelDrive> =
            kernel.iter().filter(|d| requested.contains(&d.serial_id)).collect();
        let json = serde_json::to_string(&chosen).unwrap_or_else(|_| "[]".into());
        self.write(DRIVES_JSON, &json)?;
        let devices: Vec<&str> = chosen.iter().map(|d| d.block_device.as_str()).collect();
        self.log
            .info(format!("sys_drives: {}", serde_json::to_string(&kernel).unwrap_or_default()));
        self.log.info(format!("requested_drives: {requested:?}"));
        self.log.info(format!("in-kernel drives are: {devices:?}"));
        self.persist_runtime_dir();
        Ok(())
    }

    /// The node's WEKA-signed disks as the kernel shows them.
    pub(crate) fn kernel_drives(&self) -> Vec<KernelDrive> {
        self.rt.kernel_drives(self.node())
    }

    /// A STEM container (`dist`, `adhoc`): set up and started, never joining a cluster.
    pub(crate) fn ensure_stem_container(
        &self,
        name: &str,
        kind: ContainerKind,
    ) -> Result<(), RuntimeError> {
        self.log.info(format!("ensuring {name} container"));
        let port = match self.progress().port {
            0 => DEFAULT_STEM_PORT,
            port => port,
        };
        let mut spec = LocalContainerSpec::new(name, kind, &self.management_ip(), port);
        spec.hostname = self.node().to_string();
        if let Some(version) = &self.env.version {
            spec.version = version.clone();
        }
        self.world().setup_local_container(&self.agent, spec)?;
        self.progress().local = Some(name.to_string());
        self.log.info(format!("{name} container created successfully"));
        self.log.info(format!("starting {name} container"));
        self.weka_ok(&["local", "start", name])?;
        self.log.info("stem container started");
        self.refresh_readiness();
        Ok(())
    }

    /// Envoy, telemetry and SSD-proxy pods run a local container of their own kind.
    pub(crate) fn ensure_special_container(&self, kind: ContainerKind) -> Result<(), RuntimeError> {
        self.log.info(format!("ensuring {} container", self.mode_name()));
        let progress = self.progress().clone();
        let mut spec =
            LocalContainerSpec::new(&self.env.name, kind, &self.management_ip(), progress.port);
        spec.hostname = self.node().to_string();
        spec.agent_port = progress.agent_port;
        if let Some(version) = &self.env.version {
            spec.version = version.clone();
        }
        let name = spec.name.clone();
        self.world().setup_local_container(&self.agent, spec)?;
        self.progress().local = Some(name.clone());
        self.weka_ok(&["local", "start", &name])?;
        self.log.info(format!("{} container is running", self.mode_name()));
        self.refresh_readiness();
        Ok(())
    }
}

/// The command line upstream logs for `weka local setup container`.
fn setup_command(spec: &LocalContainerSpec) -> String {
    let mut parts = vec![format!(
        "weka local setup container --name {} --no-start --disable --cores {} --base-port {}",
        spec.name, spec.cores, spec.port
    )];
    parts.push(format!("--management-ips {}", spec.management_ips.join(",")));
    if spec.join_secret.is_some() {
        parts.push(format!("--join-secret $(cat {OPERATOR_USER_DIR}/join-secret)"));
    }
    if !spec.join_ips.is_empty() {
        parts.push(format!("--join-ips {}", spec.join_ips.join(",")));
    }
    if spec.kind.is_client() {
        parts.push("--client --restricted".to_string());
    }
    if let Some(domain) = &spec.failure_domain {
        parts.push(format!("--failure-domain {domain}"));
    }
    parts.join(" ")
}
