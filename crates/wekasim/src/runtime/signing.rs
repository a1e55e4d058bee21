//! The drive-signing instructions of `adhoc-op` pods (what the drive-signing image runs on a
//! node): `discover-drives`, `sign-drives` and `force-resign-drives`. Each writes
//! `/weka-runtime/results.json`, which the operator waits for:
//! - discover-drives, sign-drives: `{"err": null, "drives": [<drives.json entries>],
//!   "raw_drives": [{"path", "is_mounted", "serial_id"}]}`; a shared (drive-proxy)
//!   sign-drives: `{"err": null, "proxy_drives": [...]}`.
//! - force-resign-drives: `{"err": null, "drives": [<device paths re-signed>]}` (upstream's
//!   `force_resign_drives_by_paths`: paths, also when the payload names serials).

use serde_json::{Value, json};

use super::disks::RawDisk;
use super::error::RuntimeError;
use super::instance::Instance;

/// The string list `key` of an instruction payload (absent or not a list: empty).
fn strings(payload: &Value, key: &str) -> Vec<String> {
    payload
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default()
}

impl Instance<'_> {
    /// The WEKA-signed drives of the node and all its disks.
    pub(crate) fn discover_drives(&self) -> Result<(), RuntimeError> {
        let drives = self.kernel_drives();
        let raw: Vec<RawDisk> = self.rt.node_disks(self.node()).iter().map(RawDisk::from).collect();
        self.write_results(json!({"err": null, "drives": drives, "raw_drives": raw}))
    }

    /// sign-drives: signs, then reports the node's drives (a shared signing reports the
    /// drive proxy's drives instead).
    pub(crate) fn sign_drives_instruction(&self, payload: &Value) -> Result<(), RuntimeError> {
        self.log.info(format!("sign-drives instruction: {payload}"));
        let signed = self.sign_drives(payload);
        self.log.info(format!("signed_drives: {signed:?}"));
        if payload.get("shared").and_then(Value::as_bool).unwrap_or(false) {
            self.write_results(json!({"err": null, "proxy_drives": []}))
        } else {
            self.discover_drives()
        }
    }

    /// Signs the node's disks the payload names (`devicePaths` / `deviceSerials`, else all),
    /// except excluded serials that belong to a cluster; returns the signed device paths.
    fn sign_drives(&self, payload: &Value) -> Vec<String> {
        let (paths, serials, excluded) = (
            strings(payload, "devicePaths"),
            strings(payload, "deviceSerials"),
            strings(payload, "excludedSerialIds"),
        );
        let claimed: Vec<String> = self
            .kernel_drives()
            .into_iter()
            .filter(|d| !d.weka_guid.is_empty() && excluded.contains(&d.serial_id))
            .map(|d| d.serial_id)
            .collect();
        let chosen: Vec<_> = self
            .rt
            .node_disks(self.node())
            .into_iter()
            .filter(|d| paths.is_empty() || paths.contains(&d.device))
            .filter(|d| serials.is_empty() || serials.contains(&d.serial))
            .filter(|d| !claimed.contains(&d.serial))
            .collect();
        self.rt.sign_disks(self.node(), chosen.iter().map(|d| d.serial.clone()));
        chosen.into_iter().map(|d| d.device).collect()
    }

    /// force-resign-drives: the disks named by `devicePaths` (else by `deviceSerials`) are
    /// signed anew, erasing the WEKA partitions of any cluster they were in. A path or serial
    /// that names no disk of the node is logged and skipped, as upstream skips a drive the
    /// signing tool fails on.
    pub(crate) fn force_resign_drives(&self, payload: &Value) -> Result<(), RuntimeError> {
        self.log.info(format!("force-resign-drives instruction: {payload}"));
        let disks = self.rt.node_disks(self.node());
        let paths = match strings(payload, "devicePaths") {
            paths if !paths.is_empty() => paths,
            _ => {
                let serials = strings(payload, "deviceSerials");
                self.log.info(format!("Force resigning drives by serials: {serials:?}"));
                let path_of = |serial: &String| {
                    let disk = disks.iter().find(|d| &d.serial == serial);
                    if disk.is_none() {
                        self.log
                            .error(format!("Failed to get block device path by serial {serial}"));
                    }
                    disk.map_or_else(String::new, |d| d.device.clone())
                };
                serials.iter().map(path_of).collect()
            }
        };
        if paths.is_empty() {
            // Upstream writes nothing here and its operator would wait forever; an error
            // result lets the operator's retry show why.
            return self.write_results(json!({
                "err": "force-resign-drives: the payload names no devicePaths or deviceSerials",
                "drives": [],
            }));
        }
        self.log.info(format!("Force resigning drives by paths: {paths:?}"));
        let mut resigned = Vec::new();
        for path in paths {
            match disks.iter().find(|d| d.device == path) {
                Some(disk) => {
                    self.log.info(format!("Signing drive {path}"));
                    self.rt.resign_disks(self.node(), std::slice::from_ref(&disk.serial));
                    resigned.push(path);
                }
                None => self.log.error(format!("Failed to sign drive {path}: no such device")),
            }
        }
        self.log.info(format!("resigned drives: {resigned:?}"));
        self.write_results(json!({"err": null, "drives": resigned}))
    }
}
