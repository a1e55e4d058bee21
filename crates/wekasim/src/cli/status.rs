//! `weka status`: exit 0 only when the pod reaches a cluster (the operator's
//! `weka status || weka cluster create ...` depends on it); `--json` prints the summary the
//! operator parses, keys as in real output (`doc/weka/cli/weka.md` upstream).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::cli::output::Output;
use crate::cli::parser::{Parsed, Spec};
use crate::cli::{CmdResult, Command, Invocation};
use crate::clock::format_time;
use crate::rng::SimRng;
use crate::world::WekaWorld;
use crate::world::cluster::{Cluster, IoStatus};
use crate::world::health::{Counter, Rebuild};

pub(crate) const COMMANDS: &[Command] = &[Command {
    spec: Spec { path: "status", args: &[], opts: &[], about: "Show the cluster status" },
    run: status,
}];

#[derive(Serialize)]
struct CounterJson {
    active: usize,
    total: usize,
}

impl From<Counter> for CounterJson {
    fn from(c: Counter) -> Self {
        CounterJson { active: c.active, total: c.total }
    }
}

#[derive(Serialize)]
struct Activity {
    num_ops: f64,
    num_reads: f64,
    num_writes: f64,
    obs_download_bytes_per_second: f64,
    obs_upload_bytes_per_second: f64,
    sum_bytes_read: f64,
    sum_bytes_written: f64,
}

#[derive(Serialize)]
struct CapacityJson {
    hot_spare_bytes: u64,
    total_bytes: u64,
    unavailable_bytes: u64,
    unprovisioned_bytes: u64,
}

#[derive(Serialize)]
struct CloudJson {
    enabled: bool,
    healthy: bool,
    proxy: String,
    url: String,
}

#[derive(Serialize)]
struct ContainersJson {
    active: usize,
    backends: CounterJson,
    clients: CounterJson,
    computes: CounterJson,
    drives: CounterJson,
    total: usize,
}

#[derive(Serialize)]
struct HostsJson {
    active_count: usize,
    backends: CounterJson,
    clients: CounterJson,
    computes: CounterJson,
    drives: CounterJson,
    total_count: usize,
}

#[derive(Serialize)]
struct LicensingUsage {
    data_reduction: bool,
    drive_capacity_gb: u64,
    obs_capacity_gb: u64,
    usable_capacity_gb: u64,
}

#[derive(Serialize)]
struct Licensing {
    io_start_eligibility: bool,
    mode: String,
    usage: LicensingUsage,
}

#[derive(Serialize)]
struct Blacklistable {
    blacklisted: usize,
    total: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProtectionJson {
    #[serde(rename = "MiB")]
    mib: u64,
    num_failures: u32,
    percent: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RebuildJson {
    #[serde(rename = "enoughActiveFDs")]
    enough_active_fds: bool,
    moving_data: bool,
    #[serde(rename = "numActiveFDs")]
    num_active_fds: usize,
    num_protection_disks: u32,
    progress_percent: f64,
    protection_state: Vec<ProtectionJson>,
    stripe_disks: u32,
}

#[derive(Serialize)]
struct TimeJson {
    cluster_time: String,
}

#[derive(Serialize)]
struct UpgradeInfo {
    upgrade_paused: bool,
    upgrade_phase: String,
    upgrade_type: String,
}

#[derive(Serialize)]
struct StatusJson {
    active_alerts_count: usize,
    activity: Activity,
    capacity: CapacityJson,
    cloud: CloudJson,
    containers: ContainersJson,
    drives: CounterJson,
    guid: String,
    hosts: HostsJson,
    hot_spare: u32,
    init_stage: String,
    io_nodes: CounterJson,
    io_status: String,
    io_status_changed_time: String,
    is_cluster: bool,
    licensing: Licensing,
    name: String,
    nodes: Blacklistable,
    processes: Blacklistable,
    rebuild: RebuildJson,
    release: String,
    status: String,
    stripe_data_drives: u32,
    stripe_protection_drives: u32,
    time: TimeJson,
    upgrade_info: UpgradeInfo,
}

const GB: u64 = 1_000_000_000;

fn status(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, world| {
        let summary = summarize(cluster, world);
        if json { Output::json(&summary) } else { Output::Text(text(&summary)) }
    })
}

fn summarize(cluster: &Cluster, world: &WekaWorld) -> StatusJson {
    let now = world.now();
    let rebuild_time = world.latencies().rebuild;
    let counters = cluster.container_counters();
    let capacity = cluster.capacity();
    let rebuild: Rebuild = cluster.rebuild(now, rebuild_time);
    let (data, parity) = cluster.stripe();
    let processes = cluster.process_counter();
    let io_nodes = {
        let mut c = Counter::default();
        for m in cluster.members() {
            for p in m.processes.iter().filter(|p| p.slot > 0) {
                c.total += 1;
                c.active += usize::from(m.process_status(p) == "UP");
            }
        }
        c
    };
    let raw_bytes: u64 = cluster.drives.values().map(|d| d.size_bytes).sum();
    let cloud = &cluster.config.cloud;
    let upgrade = &cluster.config.upgrade;
    StatusJson {
        active_alerts_count: cluster.alerts().len(),
        activity: activity(cluster, counters.computes.active, now),
        capacity: CapacityJson {
            hot_spare_bytes: capacity.hot_spare_bytes,
            total_bytes: capacity.total_bytes,
            unavailable_bytes: capacity.unavailable_bytes,
            unprovisioned_bytes: capacity.unprovisioned_bytes,
        },
        cloud: CloudJson {
            enabled: cloud.enabled,
            healthy: cloud.enabled,
            proxy: cloud.proxy.clone(),
            url: cloud.url.clone(),
        },
        containers: ContainersJson {
            active: counters.all.active,
            backends: counters.backends.into(),
            clients: counters.clients.into(),
            computes: counters.computes.into(),
            drives: counters.drives.into(),
            total: counters.all.total,
        },
        drives: cluster.drive_counter().into(),
        guid: cluster.guid.clone(),
        hosts: HostsJson {
            active_count: counters.all.active,
            backends: counters.backends.into(),
            clients: counters.clients.into(),
            computes: counters.computes.into(),
            drives: counters.drives.into(),
            total_count: counters.all.total,
        },
        hot_spare: cluster.settings.hot_spare,
        init_stage: "INITIALIZED".to_string(),
        io_nodes: io_nodes.into(),
        io_status: cluster.io_status.as_str().to_string(),
        io_status_changed_time: format_time(cluster.io_status_changed_at),
        is_cluster: true,
        licensing: Licensing {
            io_start_eligibility: true,
            mode: cluster.license_mode.clone(),
            usage: LicensingUsage {
                data_reduction: false,
                drive_capacity_gb: raw_bytes / GB,
                obs_capacity_gb: 0,
                usable_capacity_gb: capacity.total_bytes / GB,
            },
        },
        name: cluster.name.clone(),
        nodes: Blacklistable { blacklisted: 0, total: processes.total },
        processes: Blacklistable { blacklisted: 0, total: processes.total },
        rebuild: RebuildJson {
            enough_active_fds: cluster.drive_failure_domains().len() as u32 >= data + parity,
            moving_data: rebuild.moving_data,
            num_active_fds: cluster.drive_failure_domains().len()
                - rebuild.failed_domains.min(cluster.drive_failure_domains().len()),
            num_protection_disks: parity,
            progress_percent: rebuild.progress_percent,
            protection_state: rebuild
                .protection
                .iter()
                .map(|p| ProtectionJson {
                    mib: p.mib,
                    num_failures: p.num_failures,
                    percent: p.percent,
                })
                .collect(),
            stripe_disks: data,
        },
        release: cluster.release.clone(),
        status: cluster.status_word(now, rebuild_time).to_string(),
        stripe_data_drives: data,
        stripe_protection_drives: parity,
        time: TimeJson { cluster_time: format_time(now) },
        upgrade_info: UpgradeInfo {
            upgrade_paused: false,
            upgrade_phase: upgrade.phase.map(|p| p.as_str().to_string()).unwrap_or_default(),
            upgrade_type: "agent-driven".to_string(),
        },
    }
}

/// Average sizes of the background load's reads and writes.
const READ_SIZE: f64 = 64.0 * 1024.0;
const WRITE_SIZE: f64 = 32.0 * 1024.0;

/// The IO rates of the last second. Nothing mounts a simulated cluster: an idle cluster shows
/// no IO, so its readings stay the same (and the operator, which records them in the
/// WekaCluster's status, has nothing to write). With a workload ([`Cluster::workload`], set by
/// tests) a cluster that serves IO shows a light load: per active compute container 20-80
/// reads, 10-40 writes and 5-20 metadata operations per second, drawn from the cluster's GUID
/// and the clock's second (the same second reads the same; successive readings differ, as a
/// live cluster's do). No object store is attached, so nothing moves to or from one. A
/// cluster that does not serve IO, or has no compute container up, shows none.
fn activity(cluster: &Cluster, computes: usize, now: SystemTime) -> Activity {
    let idle = Activity {
        num_ops: 0.0,
        num_reads: 0.0,
        num_writes: 0.0,
        obs_download_bytes_per_second: 0.0,
        obs_upload_bytes_per_second: 0.0,
        sum_bytes_read: 0.0,
        sum_bytes_written: 0.0,
    };
    if !cluster.workload || cluster.io_status != IoStatus::Started || computes == 0 {
        return idle;
    }
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let guid = cluster.guid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let mut rng = SimRng::new(guid ^ second);
    let mut per_second = |low: u64, high: u64| -> f64 {
        (0..computes).map(|_| low + rng.next_u64() % (high - low + 1)).sum::<u64>() as f64
    };
    let (reads, writes, metadata) = (per_second(20, 80), per_second(10, 40), per_second(5, 20));
    Activity {
        num_ops: reads + writes + metadata,
        num_reads: reads,
        num_writes: writes,
        sum_bytes_read: reads * READ_SIZE,
        sum_bytes_written: writes * WRITE_SIZE,
        ..idle
    }
}

fn text(s: &StatusJson) -> String {
    format!(
        "WekaIO v{release}\n       cluster: {name} ({guid})\n        status: {status} ({bu}/{bt} backend containers UP, {du}/{dt} drives UP)\n    protection: {d}+{p}\n     hot spare: {hs} failure domains\n drive storage: {total} bytes total, {unprov} bytes unprovisioned\n       clients: {cu} connected\n     io status: {io}\n",
        release = s.release,
        name = s.name,
        guid = s.guid,
        status = s.status,
        bu = s.containers.backends.active,
        bt = s.containers.backends.total,
        du = s.drives.active,
        dt = s.drives.total,
        d = s.stripe_data_drives,
        p = s.stripe_protection_drives,
        hs = s.hot_spare,
        total = s.capacity.total_bytes,
        unprov = s.capacity.unprovisioned_bytes,
        cu = s.containers.clients.active,
        io = s.io_status,
    )
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::{Kit, assert_shape};

    #[test]
    fn status_fails_outside_a_cluster_and_succeeds_inside() {
        let mut kit = Kit::pods(1, 0);
        let stderr = kit.err("drive-0", "status");
        assert!(stderr.contains("not part of a cluster"), "{stderr}");
        let mut kit = Kit::formed(1, 0);
        assert!(kit.ok("drive-0", "status").contains("status: OK"));
    }

    #[test]
    fn status_json_has_the_keys_and_types_the_operator_reads() {
        let mut kit = Kit::running(6, 2);
        let s = kit.json("compute-1", "status --json");
        assert_shape(
            &s,
            &[
                ("status", 's'),
                ("io_status", 's'),
                ("active_alerts_count", 'n'),
                ("activity", 'o'),
                ("capacity", 'o'),
                ("cloud", 'o'),
                ("containers", 'o'),
                ("drives", 'o'),
                ("rebuild", 'o'),
                ("hot_spare", 'n'),
                ("stripe_data_drives", 'n'),
                ("stripe_protection_drives", 'n'),
                ("upgrade_info", 'o'),
            ],
        );
        assert_shape(
            &s["activity"],
            &[("num_ops", 'n'), ("sum_bytes_written", 'n'), ("obs_upload_bytes_per_second", 'n')],
        );
        assert_shape(
            &s["capacity"],
            &[
                ("unprovisioned_bytes", 'n'),
                ("total_bytes", 'n'),
                ("unavailable_bytes", 'n'),
                ("hot_spare_bytes", 'n'),
            ],
        );
        assert_shape(
            &s["cloud"],
            &[("enabled", 'b'), ("healthy", 'b'), ("proxy", 's'), ("url", 's')],
        );
        assert_shape(
            &s["rebuild"],
            &[("movingData", 'b'), ("progressPercent", 'n'), ("protectionState", 'a')],
        );
        assert_shape(
            &s["rebuild"]["protectionState"][0],
            &[("MiB", 'n'), ("numFailures", 'n'), ("percent", 'n')],
        );
        assert_eq!(s["status"], "OK");
        assert_eq!(s["io_status"], "STARTED");
        assert_eq!(s["drives"]["active"], 12);
        assert_eq!(s["drives"]["total"], 12);
        assert_eq!(s["containers"]["drives"]["active"], 6);
        assert_eq!(s["containers"]["computes"]["total"], 2);
        assert_eq!(s["containers"]["total"], 8);
        assert_eq!(s["stripe_protection_drives"], 2);
        assert!(s["capacity"]["total_bytes"].as_u64().unwrap() > 0);
        assert_eq!(s["upgrade_info"]["upgrade_phase"], "");
    }

    #[test]
    fn activity_shows_a_workload_once_io_is_started_and_none_when_idle() {
        let mut kit = Kit::formed(6, 2);
        let guid = kit.guid.clone();
        kit.world.faults().run_workload(&guid, true).unwrap();
        let not_started = kit.json("compute-1", "status --json");
        assert_eq!(not_started["activity"]["num_ops"], 0.0);
        assert_eq!(not_started["activity"]["sum_bytes_read"], 0.0);
        let mut kit = Kit::running(6, 2);
        let idle = kit.json("compute-1", "status --json");
        assert_eq!(idle["activity"]["num_ops"], 0.0, "no workload, no IO");
        let guid = kit.guid.clone();
        kit.world.faults().run_workload(&guid, true).unwrap();
        let s = kit.json("compute-1", "status --json");
        let a = &s["activity"];
        let value = |key: &str| a[key].as_f64().unwrap();
        let (reads, writes) = (value("num_reads"), value("num_writes"));
        assert!((40.0..=160.0).contains(&reads), "2 computes x 20-80 reads: {a}");
        assert!((20.0..=80.0).contains(&writes), "{a}");
        assert!(value("num_ops") > reads + writes, "metadata operations too: {a}");
        assert_eq!(value("sum_bytes_read"), reads * 65536.0);
        assert_eq!(value("sum_bytes_written"), writes * 32768.0);
        assert_eq!(value("obs_upload_bytes_per_second"), 0.0);
        assert_eq!(
            kit.json("compute-1", "status --json")["activity"],
            s["activity"],
            "same second"
        );
    }

    #[test]
    fn status_rejects_wrong_credentials_and_extra_arguments() {
        let mut kit = Kit::formed(1, 0);
        let ctx = crate::cli::ExecContext::in_agent("drive-0").with_credentials("admin", "wrong");
        let out = kit.run_ctx(&ctx, "status");
        assert_eq!(out.exit_code, 1);
        assert!(out.stderr.contains("Login failed"));
        let ctx =
            crate::cli::ExecContext::in_agent("drive-0").with_credentials("admin", "Adm1nPassw0rd");
        assert!(kit.run_ctx(&ctx, "status --json").success());
        let out = kit.run("drive-0", "status extra");
        assert_eq!(out.exit_code, 2);
        assert!(out.stderr.contains("unexpected extra argument"));
        assert_eq!(kit.run("drive-0", "status --bogus").exit_code, 2);
    }
}
