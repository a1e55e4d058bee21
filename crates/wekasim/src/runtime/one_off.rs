//! The one-off modes: discovery, drivers loading and building, ad-hoc operations (drive
//! signing in `signing.rs`). Each writes `/weka-runtime/results.json` (spec §3; upstream's
//! `debug` and `ensure-nics` write none) and then idles until the operator deletes its pod,
//! as upstream's runtime keeps its event loop running after `main()` returns.

use serde_json::{Value, json};

use super::disks::{RawDisk, fnv1a};
use super::error::RuntimeError;
use super::instance::Instance;
use super::paths::{HOST_OS_RELEASE, RESULTS_JSON};
use crate::world::local::ContainerKind;

/// Upstream's `DISCOVERY_SCHEMA`.
const DISCOVERY_SCHEMA: u32 = 1;
/// What `uname -r` says on a simulated node.
const NODE_KERNEL: &str = "6.8.0-kubesim";

impl Instance<'_> {
    pub(crate) fn discovery(&self) -> Result<(), RuntimeError> {
        self.log.info("discovery mode");
        let (os, build_id, distro) = self.host_os();
        self.write_results(json!({
            "is_ht": true,
            "kubernetes_distro": distro,
            "os": os,
            "os_build_id": build_id,
            "schema": DISCOVERY_SCHEMA,
        }))
    }

    /// The node's OS from the host's os-release (`ID`, and the build id the distribution
    /// uses); a simulated node without one runs Ubuntu 24.04.
    pub(crate) fn host_os(&self) -> (String, String, &'static str) {
        let Ok(text) = self.fs().read_string(HOST_OS_RELEASE) else {
            return ("ubuntu".into(), "24.04".into(), "k8s");
        };
        let field = |key: &str| {
            text.lines()
                .filter_map(|l| l.trim().split_once('='))
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.replace('"', ""))
                .unwrap_or_default()
        };
        let os = field("ID");
        match os.as_str() {
            "rhcos" => (os, field("VERSION"), "openshift"),
            "cos" => (os, field("BUILD_ID"), "gke"),
            "ubuntu" => (os, field("VERSION_ID"), "k8s"),
            _ => (os, String::new(), "k8s"),
        }
    }

    pub(crate) fn load_drivers(&self) -> Result<(), RuntimeError> {
        self.log.info("overriding dependencies flag");
        self.log.info("Ensuring driver signing is disabled");
        self.log.info("Setting up overlayfs for /lib/modules");
        self.log.info("Downloading and loading drivers");
        self.rt.set_drivers_loaded(self.node(), true);
        self.log.info("All drivers loaded successfully");
        self.write_results(json!({"err": null, "drivers_loaded": true}))?;
        self.log.info("Drivers loaded successfully");
        Ok(())
    }

    /// dist / drivers-builder: build, pack and serve drivers from a `dist` STEM container.
    pub(crate) fn build_drivers(&self) -> Result<(), RuntimeError> {
        self.log.info("dist-service flow");
        self.ensure_stem_container("dist", ContainerKind::Dist)?;
        self.log.info("Packing drivers");
        self.log.info("Drivers packed successfully");
        let version = match &self.env.version {
            Some(version) => version.clone(),
            None => self.world().release.clone(),
        };
        let signature = format!("{:08x}{:08x}", fnv1a(NODE_KERNEL), fnv1a(&version));
        self.write_results(json!({
            "driver_built": true,
            "err": "",
            "weka_version": version,
            "kernel_signature": signature,
            "weka_pack_not_supported": false,
            "no_weka_drivers_handling": false,
        }))
    }

    /// adhoc-op-with-container: an `adhoc` STEM container, then the instruction.
    pub(crate) fn adhoc_with_container(&self) -> Result<(), RuntimeError> {
        self.ensure_stem_container("adhoc", ContainerKind::Adhoc)?;
        let (kind, payload) = self.instruction()?;
        self.log.info(format!("adhoc-op-with-container instruction: {kind}"));
        match kind.as_str() {
            "ensure-nics" => match payload.get("type").and_then(Value::as_str) {
                Some("aws" | "oci") => {
                    self.log.info("Ensured NICs successfully");
                    Ok(())
                }
                other => Err(RuntimeError::Instruction(format!(
                    "Ensure NICs instruction type not supported: {}",
                    other.unwrap_or("none")
                ))),
            },
            "feature-flags-update" => {
                self.write_results(json!({"feature_flags": self.rt.config().feature_flags}))
            }
            other => Err(RuntimeError::Instruction(other.to_string())),
        }
    }

    /// adhoc-op (no agent): drive signing and discovery (`signing.rs`), and the small node
    /// operations.
    pub(crate) fn adhoc_op(&self) -> Result<(), RuntimeError> {
        let (kind, payload) = self.instruction()?;
        match kind.as_str() {
            "discover-drives" => self.discover_drives(),
            "sign-drives" => self.sign_drives_instruction(&payload),
            "force-resign-drives" => self.force_resign_drives(&payload),
            "debug" => {
                let raw: Vec<RawDisk> =
                    self.rt.node_disks(self.node()).iter().map(RawDisk::from).collect();
                self.log.info(format!(
                    "Raw disks: {}",
                    serde_json::to_string(&raw).unwrap_or_default()
                ));
                Ok(())
            }
            // Upstream's `umount_drivers` (the umount operation waits for its results): every
            // wekafs mount of the node's host is unmounted. The driver stays loaded: the
            // simulation's drivers serve the node's other containers too.
            "umount" => {
                self.log.info("Umounting driver");
                let unmounted = self.world().unmount_node(self.node());
                self.log.info("weka mounts umounted successfully");
                self.write_results(json!({"error": [], "umounted_paths": unmounted}))
            }
            _ => Err(RuntimeError::Instruction(self.env.instructions.clone().unwrap_or_default())),
        }
    }

    /// `INSTRUCTIONS`: `{"type": ..., "payload": <JSON text or object>}`.
    fn instruction(&self) -> Result<(String, Value), RuntimeError> {
        let text = self.env.instructions.clone().unwrap_or_default();
        let bad = || RuntimeError::Instruction(text.clone());
        let value: Value = serde_json::from_str(&text).map_err(|_| bad())?;
        let kind = value.get("type").and_then(Value::as_str).ok_or_else(bad)?.to_string();
        let payload = match value.get("payload") {
            Some(Value::String(inner)) => serde_json::from_str(inner).unwrap_or(Value::Null),
            Some(other) => other.clone(),
            None => Value::Null,
        };
        Ok((kind, payload))
    }

    pub(crate) fn write_results(&self, results: Value) -> Result<(), RuntimeError> {
        let text = results.to_string();
        self.log.info(format!("Writing result into {RESULTS_JSON}, results: \n{text}"));
        self.write(RESULTS_JSON, &text)?;
        self.progress().results_written = true;
        self.refresh_readiness();
        Ok(())
    }
}
