//! What `weka status` summarises: counters, capacity, protection/rebuild state, alerts and the
//! overall status word, all derived from members and drives.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use crate::world::cluster::{Cluster, IoStatus};
use crate::world::container::Activation;
use crate::world::drive::DriveStatus;
use crate::world::local::ProcessRole;

const MIB: u64 = 1024 * 1024;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counter {
    pub active: usize,
    pub total: usize,
}

impl Counter {
    fn count(&mut self, active: bool) {
        self.total += 1;
        if active {
            self.active += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContainerCounters {
    pub all: Counter,
    pub backends: Counter,
    pub clients: Counter,
    pub computes: Counter,
    pub drives: Counter,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capacity {
    pub total_bytes: u64,
    pub unprovisioned_bytes: u64,
    pub unavailable_bytes: u64,
    pub hot_spare_bytes: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProtectionEntry {
    pub mib: u64,
    pub num_failures: u32,
    pub percent: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rebuild {
    pub moving_data: bool,
    pub progress_percent: f64,
    pub protection: Vec<ProtectionEntry>,
    /// Failure domains currently failing (a member down, or a failed drive).
    pub failed_domains: usize,
}

impl Rebuild {
    /// As the operator decides it: no data with failures left to rebuild.
    pub fn is_fully_protected(&self) -> bool {
        !self.protection.iter().any(|p| p.percent > 0.0 && p.num_failures > 0)
    }
}

impl Cluster {
    /// `(data, parity)` drives per stripe: the settings, else what WEKA picks for the number of
    /// drive failure domains (parity 2, data filling the rest, 3 to 16).
    pub fn stripe(&self) -> (u32, u32) {
        let parity = self.settings.parity_drives.unwrap_or(2);
        let domains = self.drive_failure_domains().len() as u32;
        let data = self.settings.data_drives.unwrap_or_else(|| {
            domains.saturating_sub(parity.saturating_add(self.settings.hot_spare)).clamp(3, 16)
        });
        (data, parity)
    }

    /// Failure domains of members that hold drives and are in the active configuration.
    pub fn drive_failure_domains(&self) -> BTreeSet<String> {
        self.members()
            .filter(|c| c.has_role(ProcessRole::Drives) && c.activation != Activation::Inactive)
            .map(|c| c.failure_domain_key())
            .collect()
    }

    /// Domains with a drive member not reachable or a failed drive.
    pub fn failed_domains(&self) -> BTreeSet<String> {
        let mut failed: BTreeSet<String> = self
            .members()
            .filter(|c| c.has_role(ProcessRole::Drives) && c.is_active() && !c.is_reachable())
            .map(|c| c.failure_domain_key())
            .collect();
        for drive in self.drives.values().filter(|d| d.status() == DriveStatus::Failed) {
            if let Some(c) = self.containers.get(&drive.host) {
                failed.insert(c.failure_domain_key());
            }
        }
        failed
    }

    pub fn container_counters(&self) -> ContainerCounters {
        let mut counters = ContainerCounters::default();
        for c in self.members() {
            let up = c.is_up();
            counters.all.count(up);
            if c.is_backend() {
                counters.backends.count(up);
            } else {
                counters.clients.count(up);
            }
            if c.has_role(ProcessRole::Compute) {
                counters.computes.count(up);
            }
            if c.has_role(ProcessRole::Drives) {
                counters.drives.count(up);
            }
        }
        counters
    }

    pub fn drive_counter(&self) -> Counter {
        Counter { active: self.active_drive_count(), total: self.drives.len() }
    }

    pub fn process_counter(&self) -> Counter {
        let mut counter = Counter::default();
        for c in self.members() {
            for p in &c.processes {
                counter.count(c.process_status(p) == "UP");
            }
        }
        counter
    }

    pub fn capacity(&self) -> Capacity {
        let (data, parity) = self.stripe();
        let net = |raw: u64| {
            (raw as u128 * data as u128 / data.saturating_add(parity).max(1) as u128) as u64
        };
        let serving: Vec<_> = self.drives.values().filter(|d| self.drive_serves(d)).collect();
        let usable = net(serving.iter().map(|d| d.size_bytes).sum());
        let domains: BTreeSet<String> = serving
            .iter()
            .filter_map(|d| self.containers.get(&d.host))
            .map(|c| c.failure_domain_key())
            .collect();
        let hot_spare_bytes = match domains.len() as u64 {
            0 => 0,
            n => (usable / n).saturating_mul(self.settings.hot_spare.into()).min(usable),
        };
        let total_bytes = usable - hot_spare_bytes;
        let unavailable_raw: u64 = self
            .drives
            .values()
            .filter(|d| {
                !self.drive_serves(d) && (d.status() == DriveStatus::Failed || d.phase_is_active())
            })
            .map(|d| d.size_bytes)
            .sum();
        Capacity {
            total_bytes,
            unprovisioned_bytes: total_bytes.saturating_sub(self.fs.ssd_budget_total()),
            unavailable_bytes: net(unavailable_raw),
            hot_spare_bytes,
        }
    }

    pub fn rebuild(&self, now: SystemTime, rebuild_time: Duration) -> Rebuild {
        let (_, parity) = self.stripe();
        let failed = self.failed_domains().len();
        let elapsed = self
            .degraded_since
            .and_then(|since| now.duration_since(since).ok())
            .unwrap_or_default();
        let rebuilt = failed == 0 || elapsed >= rebuild_time;
        let total_mib = self.capacity().total_bytes / MIB;
        let affected = if rebuilt { 0 } else { (failed as u32).min(parity) };
        let protection = (0..=parity)
            .map(|n| ProtectionEntry {
                mib: if n == affected { total_mib } else { 0 },
                num_failures: n,
                percent: if n == affected { 100.0 } else { 0.0 },
            })
            .collect();
        let progress_percent = if rebuilt || rebuild_time.is_zero() {
            0.0
        } else {
            (elapsed.as_secs_f64() / rebuild_time.as_secs_f64() * 100.0).min(100.0)
        };
        Rebuild {
            moving_data: !rebuilt && self.io_status == IoStatus::Started,
            progress_percent,
            protection,
            failed_domains: failed,
        }
    }

    /// Derived alerts (members down, failed drives) plus injected ones.
    pub fn alerts(&self) -> Vec<String> {
        let mut alerts: Vec<String> = self
            .members()
            .filter(|c| c.is_active() && !c.is_reachable())
            .map(|c| format!("ContainerDown: {} ({}) is DOWN", c.host, c.name))
            .collect();
        alerts.extend(
            self.drives
                .values()
                .filter(|d| d.status() == DriveStatus::Failed)
                .map(|d| format!("DriveFailed: drive {} ({}) failed", d.uuid, d.serial)),
        );
        alerts.extend(self.injected_alerts.iter().cloned());
        alerts
    }

    /// The `status` word: `OK`, or `REBUILDING` while failed data has not been rebuilt.
    pub fn status_word(&self, now: SystemTime, rebuild_time: Duration) -> &'static str {
        if self.rebuild(now, rebuild_time).is_fully_protected() { "OK" } else { "REBUILDING" }
    }

    /// Keeps `degraded_since` in step with the failed domains; called on every settle.
    pub(crate) fn track_degradation(&mut self, now: SystemTime) {
        let failing = !self.failed_domains().is_empty();
        match (failing, self.degraded_since) {
            (true, None) => self.degraded_since = Some(now),
            (false, Some(_)) => self.degraded_since = None,
            _ => {}
        }
    }
}
