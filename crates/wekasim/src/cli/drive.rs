//! Cluster drives: `weka cluster drive [<uuids>] | add | deactivate | activate | remove`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{
    Parsed, Spec, UsageError, flag, parse_host_id, parse_host_list, short_flag, short_value, value,
};
use crate::cli::{CmdResult, Command, Invocation};
use crate::clock::format_time;
use crate::ids::{DiskId, HostId, NodeId};
use crate::world::cluster::Cluster;
use crate::world::drive::{Drive, DriveStatus};

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "cluster drive",
            args: &["[uuids...]"],
            opts: &[short_value("filter", 'F'), value("container")],
            about: "List drives",
        },
        run: list,
    },
    Command {
        spec: Spec {
            path: "cluster drive add",
            args: &["container-id", "device-paths..."],
            opts: &[value("pool"), short_flag("force", 'f'), value("timeout")],
            about: "Add drives of a container to the cluster",
        },
        run: add,
    },
    Command {
        spec: Spec {
            path: "cluster drive deactivate",
            args: &["uuids..."],
            opts: &[short_flag("force", 'f'), flag("skip-resource-validation")],
            about: "Phase drives out",
        },
        run: deactivate,
    },
    Command {
        spec: Spec {
            path: "cluster drive activate",
            args: &["uuids..."],
            opts: &[short_flag("force", 'f')],
            about: "Phase drives in",
        },
        run: activate,
    },
    Command {
        spec: Spec {
            path: "cluster drive remove",
            args: &["uuids..."],
            opts: &[short_flag("force", 'f')],
            about: "Remove inactive drives from the cluster",
        },
        run: remove,
    },
];

/// Keys follow the weka-k8s-api `Drive` struct (`uuid`, `added_time`, `device_path`,
/// `serial_number`, `size_bytes`, `status`) plus the CLI's placement keys.
#[derive(Serialize)]
struct DriveJson {
    uuid: String,
    disk_id: DiskId,
    host_id: HostId,
    hostname: String,
    node_id: NodeId,
    added_time: String,
    device_path: String,
    serial_number: String,
    size_bytes: u64,
    status: &'static str,
    pool: Option<String>,
    failure_domain: String,
    should_be_active: bool,
}

fn to_json(cluster: &Cluster, d: &Drive) -> DriveJson {
    let member = cluster.container(d.host);
    DriveJson {
        uuid: d.uuid.clone(),
        disk_id: d.disk,
        host_id: d.host,
        hostname: member.map(|m| m.hostname.clone()).unwrap_or_default(),
        node_id: d.node,
        added_time: format_time(d.added_at),
        device_path: d.device_path.clone(),
        serial_number: d.serial.clone(),
        size_bytes: d.size_bytes,
        status: d.status().as_str(),
        pool: d.pool.clone(),
        failure_domain: member
            .and_then(|m| m.failure_domain.clone())
            .unwrap_or_else(|| "AUTO".to_string()),
        should_be_active: matches!(
            d.status(),
            DriveStatus::Active | DriveStatus::PhasingIn | DriveStatus::Failed
        ),
    }
}

/// `--filter host=<N>,status=<S>`, `--container <N>[,<M>]`, or uuids; no match is `[]`.
fn list(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let mut hosts: Vec<HostId> = match p.value("container") {
        Some(list) => parse_host_list(list)?,
        None => Vec::new(),
    };
    let mut status: Option<DriveStatus> = None;
    for term in p.value("filter").into_iter().flat_map(|f| f.split(',')).filter(|t| !t.is_empty()) {
        let (key, val) = term
            .split_once('=')
            .ok_or_else(|| UsageError::invalid("--filter", term, "expected key=value"))?;
        match key {
            "host" | "container" | "containerId" | "hostId" => hosts.push(parse_host_id(val)?),
            "status" => {
                status = Some(DriveStatus::parse(val).ok_or_else(|| {
                    UsageError::invalid("--filter status", val, "unknown drive status")
                })?)
            }
            _ => {
                return Err(UsageError::invalid(
                    "--filter",
                    term,
                    "known keys are host and status",
                )
                .into());
            }
        }
    }
    let uuids = p.args.clone();
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<DriveJson> = cluster
            .drives
            .values()
            .filter(|d| hosts.is_empty() || hosts.contains(&d.host))
            .filter(|d| status.is_none_or(|s| s == d.status()))
            .filter(|d| uuids.is_empty() || uuids.contains(&d.uuid))
            .map(|d| to_json(cluster, d))
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.disk_id.0.to_string(),
                        r.uuid.clone(),
                        r.hostname.clone(),
                        r.device_path.clone(),
                        r.size_bytes.to_string(),
                        r.status.to_string(),
                    ]
                })
                .collect();
            table(&["DISK ID", "UUID", "HOSTNAME", "DEVICE", "SIZE", "STATUS"], &rows)
        }
    })
}

fn add(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let host = parse_host_id(p.arg(0))?;
    let pool = p.value("pool").map(str::to_string);
    let mut added = Vec::new();
    for path in &p.args[1..] {
        let uuid = inv.op(|cluster, ctx| cluster.add_drive(ctx, host, path, pool.as_deref()))?;
        added.push(uuid);
    }
    Ok(if inv.json {
        Output::json(&added)
    } else {
        Output::line(format!("Drives added: {}", added.join(", ")))
    })
}

fn deactivate(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for uuid in &p.args {
        inv.op(|cluster, ctx| cluster.deactivate_drive(ctx, uuid))?;
    }
    Ok(Output::Empty)
}

fn activate(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for uuid in &p.args {
        inv.op(|cluster, ctx| cluster.activate_drive(ctx, uuid))?;
    }
    Ok(Output::Empty)
}

fn remove(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for uuid in &p.args {
        inv.op(|cluster, _| cluster.remove_drive(uuid))?;
    }
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cli::testkit::{Kit, TIB, assert_shape};
    use crate::latency::Latencies;
    use crate::world::local::{AgentKey, BlockDevice};

    #[test]
    fn added_drives_phase_in_then_are_active() {
        let mut kit = Kit::formed(1, 0);
        kit.world.set_latencies(Latencies {
            drive_activate: Duration::from_secs(3),
            ..Latencies::zero()
        });
        kit.ok("drive-0", "cluster drive add 0 /dev/nvme0n1 --pool iu4k");
        let drives = kit.json("drive-0", "cluster drive --container 0 --json");
        let drive = &drives[0];
        assert_shape(
            drive,
            &[
                ("uuid", 's'),
                ("serial_number", 's'),
                ("status", 's'),
                ("host_id", 's'),
                ("device_path", 's'),
                ("size_bytes", 'n'),
                ("added_time", 's'),
            ],
        );
        assert_eq!(drive["status"], "PHASING_IN");
        assert_eq!(drive["serial_number"], "SN-0-0");
        assert_eq!(drive["size_bytes"], TIB);
        assert_eq!(drive["host_id"], "HostId<0>");
        kit.clock.advance_secs(3);
        let uuid = drive["uuid"].as_str().unwrap().to_string();
        let one = kit.json("drive-0", &format!("cluster drive {uuid} --json"));
        assert_eq!(one[0]["status"], "ACTIVE");
        assert_eq!(kit.json("drive-0", "status --json")["drives"]["total"], 1);
    }

    #[test]
    fn adding_a_device_twice_is_already_in_use() {
        let mut kit = Kit::formed(1, 0);
        kit.ok("drive-0", "cluster drive add 0 /dev/nvme0n1");
        let err = kit.err("drive-0", "cluster drive add 0 /dev/nvme0n1");
        assert!(err.contains("Device is already in use"), "{err}");
        assert!(kit.err("drive-0", "cluster drive add 0 /dev/sdz").contains("was not found"));
        assert!(
            kit.err("drive-0", "cluster drive add 9 /dev/nvme0n1")
                .contains("Host HostId<9> not found")
        );
        assert_eq!(kit.run("drive-0", "cluster drive add 0").exit_code, 2);
        assert_eq!(kit.run("drive-0", "cluster drive add zero /dev/nvme0n1").exit_code, 2);
    }

    #[test]
    fn virtual_drives_are_added_by_uuid() {
        let mut kit = Kit::formed(1, 0);
        let uuid = "3b265a18-3e1a-45ab-abe3-a7729497cb1a";
        kit.ok("drive-0", &format!("cluster drive add 0 {uuid} --pool iubig"));
        let drive = kit.json("drive-0", &format!("cluster drive {uuid} --json"))[0].clone();
        assert_eq!(drive["uuid"], uuid);
        assert_eq!(drive["pool"], "iubig");
    }

    #[test]
    fn virtual_drives_of_one_physical_drive_are_distinct_drives() {
        let mut kit = Kit::formed(2, 0);
        let uuids = [
            "0f7c7c4e-6a0e-4d36-9a39-6c1b8f3a0001",
            "0f7c7c4e-6a0e-4d36-9a39-6c1b8f3a0002",
            "0f7c7c4e-6a0e-4d36-9a39-6c1b8f3a0003",
        ];
        let shared = |uuid: &str| BlockDevice {
            path: uuid.to_string(),
            serial: "SHARED-SN-0".to_string(),
            size_bytes: TIB / 4,
        };
        let devices = uuids.iter().map(|u| shared(u)).collect();
        kit.world.set_block_devices(&AgentKey::from("drive-0"), "drive", devices).unwrap();
        for uuid in &uuids[..2] {
            kit.ok("drive-0", &format!("cluster drive add 0 {uuid} --pool iu4k"));
        }
        kit.ok("drive-0", &format!("cluster drive add 0 {} --pool iubig", uuids[2]));
        let drives = kit.json("drive-0", "cluster drive --container 0 --json");
        let mut added: Vec<&str> =
            drives.as_array().unwrap().iter().map(|d| d["uuid"].as_str().unwrap()).collect();
        added.sort();
        assert_eq!(added, uuids);
        assert!(drives.as_array().unwrap().iter().all(|d| d["serial_number"] == "SHARED-SN-0"));
        let again = kit.err("drive-0", &format!("cluster drive add 0 {}", uuids[0]));
        assert!(again.contains("Device is already in use"), "{again}");
        let elsewhere = kit.err("drive-1", &format!("cluster drive add 1 {}", uuids[1]));
        assert!(elsewhere.contains("Device is already in use"), "{elsewhere}");
    }

    #[test]
    fn compute_containers_take_no_drives() {
        let mut kit = Kit::formed(1, 1);
        assert!(
            kit.err("drive-0", "cluster drive add 1 /dev/nvme0n1").contains("no drive processes")
        );
    }

    #[test]
    fn deactivate_then_remove_and_remove_unknown() {
        let mut kit = Kit::running(1, 0);
        let uuid =
            kit.json("drive-0", "cluster drive --json --filter host=0,status=ACTIVE")[0]["uuid"]
                .as_str()
                .unwrap()
                .to_string();
        let err = kit.err("drive-0", &format!("cluster drive remove {uuid} -f"));
        assert!(err.contains("only an INACTIVE drive can be removed"), "{err}");
        kit.ok("drive-0", &format!("cluster drive deactivate {uuid} -f"));
        assert_eq!(
            kit.json("drive-0", &format!("cluster drive {uuid} --json"))[0]["status"],
            "INACTIVE"
        );
        kit.ok("drive-0", &format!("cluster drive remove {uuid} -f"));
        assert_eq!(
            kit.json("drive-0", &format!("cluster drive {uuid} --json")),
            serde_json::json!([])
        );
        let err = kit.err("drive-0", &format!("cluster drive remove {uuid} -f"));
        assert!(err.contains(&format!("The given drive \"{uuid}\" does not exist")), "{err}");
        assert!(kit.err("drive-0", "cluster drive deactivate nope -f").contains("does not exist"));
        assert_eq!(kit.run("drive-0", "cluster drive --json --filter status=BROKEN").exit_code, 2);
    }
}
