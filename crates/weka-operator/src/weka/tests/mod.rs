//! Unit tests of the WEKA service against a `wekasim` world through [`SimExec`]: the exact
//! command lines, parsing of the simulator's JSON, idempotency, redaction and timeouts.

mod commands;
mod idempotency;
mod parsing;
mod pod_files;
mod redaction;
mod scripts;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use wekasim::{
    BlockDevice, ContainerKind, ExecContext, Latencies, LocalContainerSpec, ManualClock, WekaWorld,
    WorldConfig, execute,
};

use super::exec::{ExecOutput, ExecTarget};
use super::sim_exec::SimExec;
use super::{WekaCli, WekaError};

pub const NAMESPACE: &str = "weka";
pub const ADMIN_PASSWORD: &str = "Adm1nPassw0rd";
pub const TIB: u64 = 1 << 40;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// A simulated WEKA: pods `drive-<i>` (10.0.1.<i+1>, devices `/dev/nvme{0,1}n1` with serials
/// `SN-<i>-<k>`) and `compute-<i>` (10.0.2.<i+1>), zero latencies.
pub struct Sim {
    pub exec: Arc<SimExec>,
    pub guid: String,
    _clock: ManualClock,
}

impl Sim {
    /// Pods started, not in a cluster (STEM).
    pub fn pods(drives: usize, computes: usize) -> Sim {
        let clock = ManualClock::new();
        let config = WorldConfig { latencies: Latencies::zero(), ..WorldConfig::default() };
        let mut world = WekaWorld::with_config(clock.shared(), config);
        for i in 0..drives {
            let mut spec =
                LocalContainerSpec::new("drive", ContainerKind::Drive, &drive_ip(i), 14000);
            spec.block_devices = (0..2)
                .map(|k| BlockDevice {
                    path: format!("/dev/nvme{k}n1"),
                    serial: format!("SN-{i}-{k}"),
                    size_bytes: TIB,
                })
                .collect();
            start_pod(&mut world, &format!("drive-{i}"), spec);
        }
        for i in 0..computes {
            let ip = format!("10.0.2.{}", i + 1);
            let spec = LocalContainerSpec::new("compute", ContainerKind::Compute, &ip, 14000);
            start_pod(&mut world, &format!("compute-{i}"), spec);
        }
        Sim { exec: SimExec::new(world), guid: String::new(), _clock: clock }
    }

    /// As [`Sim::pods`], formed into a cluster from `drive-0` (admin password
    /// [`ADMIN_PASSWORD`]); `wekaauthcli` logs in as admin.
    pub fn formed(drives: usize, computes: usize) -> Sim {
        let mut sim = Sim::pods(drives, computes);
        let mut names: Vec<String> = (0..drives).map(drive_ip).collect();
        names.extend((0..computes).map(|i| format!("10.0.2.{}", i + 1)));
        let host_ips: Vec<String> = names.iter().map(|ip| format!("{ip}:14000")).collect();
        let mut argv = vec!["weka".to_string(), "cluster".to_string(), "create".to_string()];
        argv.extend(names);
        argv.extend(["--host-ips".to_string(), host_ips.join(",")]);
        argv.extend(["--admin-password".to_string(), ADMIN_PASSWORD.to_string()]);
        sim.weka("drive-0", &argv);
        sim.guid = sim.exec.world().clusters().next().map(|c| c.guid.clone()).unwrap_or_default();
        sim.exec.set_credentials("admin", ADMIN_PASSWORD);
        sim
    }

    /// Formed, every drive added, io started.
    pub fn running(drives: usize, computes: usize) -> Sim {
        let sim = Sim::formed(drives, computes);
        for host in 0..drives {
            let line = format!("wekaauthcli cluster drive add {host} /dev/nvme0n1 /dev/nvme1n1");
            sim.line("drive-0", &line);
        }
        sim.line("drive-0", "wekaauthcli cluster start-io");
        sim
    }

    /// Starts another pod with its local container.
    pub fn add_pod(&self, pod: &str, spec: LocalContainerSpec) {
        start_pod(&mut self.exec.world(), pod, spec);
    }

    /// Running, with filesystems `.config_fs` and `default` and two S3 pods `s3-0`, `s3-1`
    /// joined (container ids `drives`, `drives + 1`).
    pub fn with_s3_pods(drives: usize) -> Sim {
        let sim = Sim::running(drives, 0);
        sim.line("drive-0", "weka fs group create default");
        sim.line("drive-0", "weka fs create .config_fs default 100GiB --thin-provision-max-ssd 100GiB --thin-provision-min-ssd 10GiB");
        sim.line("drive-0", "weka fs create default default 1TiB --thin-provision-max-ssd 1TiB --thin-provision-min-ssd 10GiB");
        for i in 0..2 {
            let ip = format!("10.0.3.{}", i + 1);
            let mut spec = LocalContainerSpec::new("s3", ContainerKind::S3, &ip, 14200);
            spec.join_ips = vec!["10.0.1.1:14000".to_string()];
            sim.add_pod(&format!("s3-{i}"), spec);
        }
        sim
    }

    /// The service for a pod, default timeout five minutes.
    pub fn cli(&self, pod: &str) -> WekaCli {
        WekaCli::new(self.exec.clone(), ExecTarget::weka(NAMESPACE, pod), DEFAULT_TIMEOUT)
    }

    /// Runs a command directly in the simulator (setup, not under test); must succeed.
    #[track_caller]
    pub fn weka(&self, pod: &str, argv: &[String]) -> String {
        let mut ctx = ExecContext::in_agent(SimExec::agent(NAMESPACE, pod));
        if argv[0] == "wekaauthcli" {
            ctx = ctx.with_credentials("admin", ADMIN_PASSWORD);
        }
        let out = execute(&mut self.exec.world(), &ctx, argv);
        assert!(out.success(), "{argv:?} failed: {out:?}");
        out.stdout
    }

    /// [`Sim::weka`] of a line split on spaces.
    #[track_caller]
    pub fn line(&self, pod: &str, line: &str) -> String {
        let argv: Vec<String> = line.split_whitespace().map(String::from).collect();
        self.weka(pod, &argv)
    }
}

fn drive_ip(i: usize) -> String {
    format!("10.0.1.{}", i + 1)
}

fn start_pod(world: &mut WekaWorld, pod: &str, spec: LocalContainerSpec) {
    let key = SimExec::agent(NAMESPACE, pod);
    let name = spec.name.clone();
    world.start_agent(&key);
    world.setup_local_container(&key, spec).unwrap();
    world.start_local_container(&key, &name).unwrap();
}

pub fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

pub fn ok(stdout: &str) -> Result<ExecOutput, super::ExecError> {
    Ok(ExecOutput { stdout: stdout.to_string(), ..ExecOutput::default() })
}

pub fn exit(code: i32, stderr: &str) -> Result<ExecOutput, super::ExecError> {
    Ok(ExecOutput { stderr: stderr.to_string(), exit_code: code, ..ExecOutput::default() })
}
