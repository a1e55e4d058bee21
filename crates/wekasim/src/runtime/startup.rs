//! Start-up, phase by phase as upstream's `main()` (spec §4.2): persistency, resources, ports,
//! management IPs, drivers, the agent, then per mode the local container (`containers.rs`)
//! or the one-off work (`one_off.rs`).

use std::time::{Duration, UNIX_EPOCH};

use super::error::RuntimeError;
use super::instance::{Instance, kubernetes_uids};
use super::mode::Mode;
use super::paths::{
    DRIVER_INTERFACE, DRIVERS_LOG, GENERATION, MANAGEMENT_IPS, PERSISTENCE_DIR, PERSISTENCY_MARKER,
    RESOURCES_JSON, RUNTIME_DIR, VARS_AGENT_PORT, VARS_PORT,
};
use super::resources::Resources;
use crate::world::local::ContainerKind;

/// How often the runtime looks for `resources.json`.
const RESOURCES_POLL: Duration = Duration::from_secs(3);
const RESOURCES_READ_ATTEMPTS: u32 = 10;
/// How often it looks at the drivers.
const DRIVERS_POLL: Duration = Duration::from_secs(1);

impl Instance<'_> {
    pub(crate) async fn startup(&self) -> Result<(), RuntimeError> {
        let mode = self.mode();
        self.log.info(format!("OS_DISTRO={}", self.host_os().0));
        match mode {
            Mode::Discovery => return self.discovery(),
            Mode::DriversLoader => return self.load_drivers(),
            _ => {}
        }
        self.configure_persistency()?;
        self.wait_for_resources().await?;
        self.write_generation()?;
        self.write_management_ips()?;
        if mode.runs_agent() {
            self.log.info("reconfiguring agent with handle_drivers=False");
            self.log.info("Agent configured successfully");
        }
        if mode.needs_drivers() {
            self.ensure_drivers().await?;
        }
        if mode.runs_agent() {
            self.start_agent();
        }
        match mode {
            Mode::DriversDist => {
                self.log.info("dist-service flow");
                return self.ensure_stem_container("dist", ContainerKind::Dist);
            }
            Mode::AdhocOpWithContainer => return self.adhoc_with_container(),
            Mode::AdhocOp => return self.adhoc_op(),
            Mode::Dist | Mode::DriversBuilder => return self.build_drivers(),
            Mode::Envoy => return self.ensure_special_container(ContainerKind::Envoy),
            Mode::Telemetry => return self.ensure_special_container(ContainerKind::Telemetry),
            Mode::SsdProxy => return self.ensure_special_container(ContainerKind::SsdProxy),
            _ => {}
        }
        self.ensure_weka_container()?;
        self.start_weka_container()?;
        self.write_feature_flags()?;
        self.log.info("Container is UP and running");
        self.refresh_readiness();
        if mode == Mode::Drive {
            self.ensure_drives()?;
        }
        Ok(())
    }

    /// Binds the persistent directory: what an earlier container of this WekaContainer left
    /// in `k8s-runtime` (kept on the node) is there again.
    fn configure_persistency(&self) -> Result<(), RuntimeError> {
        let saved = format!("{PERSISTENCE_DIR}/k8s-runtime");
        if self.fs().is_dir(&saved) {
            copy_tree(self.fs(), &saved, RUNTIME_DIR);
        }
        self.write(PERSISTENCY_MARKER, "")?;
        self.log.info("Persistency configured successfully");
        Ok(())
    }

    /// Keeps `k8s-runtime` on the node, for the next container of this WekaContainer.
    pub(crate) fn persist_runtime_dir(&self) {
        if self.fs().is_dir(PERSISTENCE_DIR) {
            copy_tree(self.fs(), RUNTIME_DIR, &format!("{PERSISTENCE_DIR}/k8s-runtime"));
        }
    }

    async fn wait_for_resources(&self) -> Result<(), RuntimeError> {
        let mode = self.mode();
        if mode == Mode::Client {
            self.ensure_client_ports()?;
        }
        if !mode.waits_for_resources() {
            return Ok(());
        }
        self.log.info("waiting for controller to set resources");
        let mut polls = 0u32;
        while !self.fs().is_file(RESOURCES_JSON) {
            if polls.is_multiple_of(20) {
                self.log.info(format!("waiting for {RESOURCES_JSON}"));
            }
            polls += 1;
            self.sleep(RESOURCES_POLL).await;
            if self.instructions().allow_stop {
                return Err(RuntimeError::ShutdownRequested);
            }
        }
        let (text, resources) = self.read_resources().await?;
        self.log.info(format!("found resources.json: {text}"));
        if resources.machine_identifier.is_some() {
            self.log.info("found machineIdentifier override, applying");
        }
        let mut progress = self.progress();
        progress.resources = resources.clone();
        if mode == Mode::Client {
            return Ok(());
        }
        if let Some(domain) = &resources.failure_domain {
            progress.failure_domain = Some(domain.clone());
            self.log.info(format!("Failure Domain: {domain}"));
        }
        if progress.port == 0 && !matches!(mode, Mode::Envoy | Mode::Telemetry) {
            progress.port = resources.weka_port.ok_or(RuntimeError::MissingResource("wekaPort"))?;
        }
        if progress.agent_port == 0 && mode != Mode::Telemetry {
            progress.agent_port =
                resources.agent_port.ok_or(RuntimeError::MissingResource("agentPort"))?;
        }
        let (port, agent_port) = (progress.port, progress.agent_port);
        drop(progress);
        self.save_ports(port, agent_port)?;
        self.persist_runtime_dir();
        Ok(())
    }

    async fn read_resources(&self) -> Result<(String, Resources), RuntimeError> {
        for attempt in 1..=RESOURCES_READ_ATTEMPTS {
            let text = self.fs().read_string(RESOURCES_JSON).unwrap_or_default();
            let text = text.trim();
            if text.is_empty() {
                self.log.warn("resources.json is empty, waiting for content...");
            } else {
                match serde_json::from_str::<Resources>(text) {
                    Ok(resources) => return Ok((text.to_string(), resources)),
                    Err(e) => self.log.warn(format!(
                        "Invalid JSON in resources.json (attempt {attempt}/{RESOURCES_READ_ATTEMPTS}): {e}"
                    )),
                }
            }
            self.sleep(RESOURCES_POLL).await;
        }
        Err(RuntimeError::BadResources(RESOURCES_READ_ATTEMPTS))
    }

    /// Clients without ports in their environment take the first ones of their range.
    fn ensure_client_ports(&self) -> Result<(), RuntimeError> {
        self.log.info("Ensuring client ports");
        let (mut port, mut agent_port) = (self.env.port, self.env.agent_port);
        if port == 0 || agent_port == 0 {
            if self.env.base_port == 0 {
                return Err(RuntimeError::NoBasePort);
            }
            if agent_port == 0 {
                agent_port = self.env.base_port;
            }
            if port == 0 {
                port = self.env.base_port.saturating_add(1);
            }
        }
        {
            let mut progress = self.progress();
            progress.port = port;
            progress.agent_port = agent_port;
        }
        self.save_ports(port, agent_port)
    }

    fn save_ports(&self, port: u16, agent_port: u16) -> Result<(), RuntimeError> {
        self.write(VARS_PORT, port.to_string())?;
        self.write(VARS_AGENT_PORT, agent_port.to_string())?;
        self.log.info(format!("PORT={port}, AGENT_PORT={agent_port}"));
        Ok(())
    }

    fn write_generation(&self) -> Result<(), RuntimeError> {
        let now = std::time::SystemTime::from(self.ctx.clock().now());
        let generation = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        self.log.info(format!("Writing generation {generation}"));
        self.write(GENERATION, generation.to_string())
    }

    fn write_management_ips(&self) -> Result<(), RuntimeError> {
        let ip = self.management_ip();
        if !ip.is_empty() {
            self.progress().management_ips = vec![ip.clone()];
        }
        if !self.mode().writes_management_ips() {
            return Ok(());
        }
        if ip.is_empty() {
            return Err(RuntimeError::NoManagementIp);
        }
        self.write(MANAGEMENT_IPS, &ip)?;
        self.log.info(format!("Management IPs: ['{ip}']"));
        Ok(())
    }

    /// Waits for the node's WEKA drivers, naming the missing one in `/tmp/weka-drivers.log`
    /// (empty once all are loaded).
    async fn ensure_drivers(&self) -> Result<(), RuntimeError> {
        self.log.info("waiting for drivers");
        self.log
            .info(format!("validating drivers in mode {}, driver mode: False", self.mode_name()));
        let marker = self.mode().missing_driver_marker();
        let mut waiting = false;
        while !self.rt.drivers_loaded(self.node()) {
            self.write(DRIVERS_LOG, marker)?;
            if !waiting {
                self.log.warn(format!("Driver {marker} not loaded, waiting for it"));
                waiting = true;
            }
            self.sleep(DRIVERS_POLL).await;
        }
        self.write(DRIVERS_LOG, "")?;
        if !self.fs().exists(DRIVER_INTERFACE) {
            self.write(DRIVER_INTERFACE, "Active mounts: 0\n")?;
        }
        self.log.info("All drivers loaded successfully");
        Ok(())
    }

    fn start_agent(&self) {
        self.log.info("Starting daemon agent with cmd weka --agent");
        {
            let mut world = self.world();
            world.start_agent(&self.agent);
            for uid in kubernetes_uids(self.ctx.pod()) {
                world.bind_kubernetes_uid(&uid, &self.agent);
            }
        }
        self.progress().agent_started = true;
        self.log.info("Weka-agent started successfully");
        self.log.info("Weka version set successfully");
        self.refresh_readiness();
    }

    pub(crate) fn mode_name(&self) -> String {
        self.ctx.env("MODE").unwrap_or_default().trim().to_string()
    }
}

/// Copies the files under `from` to `to` (directories made as needed), best effort.
fn copy_tree(fs: &kubesim::nodes::behaviour::Fs, from: &str, to: &str) {
    let Ok(names) = fs.list(from) else {
        return;
    };
    if fs.mkdir_p(to).is_err() {
        return;
    }
    for name in names {
        let (source, target) = (format!("{from}/{name}"), format!("{to}/{name}"));
        if fs.is_dir(&source) {
            copy_tree(fs, &source, &target);
        } else if let Ok(data) = fs.read(&source) {
            let _ = fs.write(&target, data);
        }
    }
}
