//! Filesystems: `weka fs [<names>] | fs group [create] | fs create`, and the data-services
//! configuration filesystem (`weka dataservice global-config set`).

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{Parsed, Spec, UsageError, flag, parse_capacity, value};
use crate::cli::{CmdResult, Command, Invocation};
use crate::ids::{FsGroupId, FsId};
use crate::world::cluster::Cluster;
use crate::world::fs::{Filesystem, FsCreate};

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec { path: "fs", args: &["[names...]"], opts: &[], about: "List filesystems" },
        run: list,
    },
    Command {
        spec: Spec { path: "fs group", args: &[], opts: &[], about: "List filesystem groups" },
        run: list_groups,
    },
    Command {
        spec: Spec {
            path: "fs group create",
            args: &["name"],
            opts: &[],
            about: "Create a filesystem group",
        },
        run: create_group,
    },
    Command {
        spec: Spec {
            path: "fs create",
            args: &["name", "group-name", "total-capacity"],
            opts: &[
                value("thin-provision-max-ssd"),
                value("thin-provision-min-ssd"),
                flag("encrypted"),
                flag("allow-no-kms"),
            ],
            about: "Create a filesystem",
        },
        run: create,
    },
    Command {
        spec: Spec {
            path: "dataservice global-config set",
            args: &[],
            opts: &[value("config-fs")],
            about: "Set the data services configuration filesystem",
        },
        run: dataservice_config,
    },
];

#[derive(Serialize)]
struct ObsBucketJson {
    name: String,
    uid: String,
    mode: String,
    state: String,
    status: String,
    #[serde(rename = "obsBucketId")]
    obs_bucket_id: String,
    #[serde(rename = "detachTaskId")]
    detach_task_id: String,
    #[serde(rename = "detachProgress")]
    detach_progress: Option<f64>,
}

#[derive(Serialize)]
struct FsJson {
    name: String,
    uid: String,
    fs_id: FsId,
    group_id: FsGroupId,
    group_name: String,
    is_ready: bool,
    status: &'static str,
    is_encrypted: bool,
    is_thin_provisioned: bool,
    available_ssd: u64,
    ssd_budget: u64,
    total_budget: u64,
    available_total: u64,
    used_ssd: u64,
    used_total: u64,
    obs_buckets: Vec<ObsBucketJson>,
}

fn to_json(cluster: &Cluster, fs: &Filesystem) -> FsJson {
    FsJson {
        name: fs.name.clone(),
        uid: fs.uid.clone(),
        fs_id: fs.id,
        group_id: fs.group,
        group_name: cluster.fs.group_by_id(fs.group).map(|g| g.name.clone()).unwrap_or_default(),
        is_ready: fs.is_ready,
        status: if fs.is_ready { "READY" } else { "CREATING" },
        is_encrypted: fs.encrypted,
        is_thin_provisioned: fs.thin_provisioned,
        available_ssd: fs.ssd_budget.saturating_sub(fs.used_ssd),
        ssd_budget: fs.ssd_budget,
        total_budget: fs.total_budget,
        available_total: fs.total_budget.saturating_sub(fs.used_total),
        used_ssd: fs.used_ssd,
        used_total: fs.used_total,
        obs_buckets: fs
            .obs_buckets
            .iter()
            .enumerate()
            .map(|(i, b)| ObsBucketJson {
                name: b.name.clone(),
                uid: b.uid.clone(),
                mode: b.mode.clone(),
                state: b.state.clone(),
                status: b.status.clone(),
                obs_bucket_id: format!("ObsBucketId<{i}>"),
                detach_task_id: String::new(),
                detach_progress: None,
            })
            .collect(),
    }
}

fn list(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let names = p.args.clone();
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<FsJson> = cluster
            .fs
            .filesystems
            .iter()
            .filter(|f| names.is_empty() || names.contains(&f.name))
            .map(|f| to_json(cluster, f))
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.fs_id.0.to_string(),
                        r.name.clone(),
                        r.group_name.clone(),
                        r.total_budget.to_string(),
                        r.ssd_budget.to_string(),
                    ]
                })
                .collect();
            table(
                &["FILESYSTEM ID", "FILESYSTEM NAME", "GROUP", "TOTAL CAPACITY", "SSD BUDGET"],
                &rows,
            )
        }
    })
}

#[derive(Serialize)]
struct GroupJson {
    group_id: FsGroupId,
    name: String,
}

fn list_groups(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<GroupJson> = cluster
            .fs
            .groups
            .iter()
            .map(|g| GroupJson { group_id: g.id, name: g.name.clone() })
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> =
                rows.iter().map(|g| vec![g.group_id.0.to_string(), g.name.clone()]).collect();
            table(&["GROUP ID", "NAME"], &rows)
        }
    })
}

fn create_group(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let name = p.arg(0).to_string();
    inv.op(|cluster, _| cluster.create_fs_group(&name))?;
    Ok(Output::Empty)
}

fn create(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let total = parse_capacity("total capacity", p.arg(2))?;
    let max = p
        .value("thin-provision-max-ssd")
        .map(|v| parse_capacity("--thin-provision-max-ssd", v))
        .transpose()?;
    let min = p
        .value("thin-provision-min-ssd")
        .map(|v| parse_capacity("--thin-provision-min-ssd", v))
        .transpose()?;
    if max.is_some() != min.is_some() {
        let given =
            if max.is_some() { "--thin-provision-max-ssd" } else { "--thin-provision-min-ssd" };
        return Err(UsageError::invalid(
            given,
            "",
            "--thin-provision-min-ssd and --thin-provision-max-ssd go together",
        )
        .into());
    }
    if p.flag("allow-no-kms") && !p.flag("encrypted") {
        return Err(
            UsageError::invalid("--allow-no-kms", "", "only applies with --encrypted").into()
        );
    }
    let request = FsCreate {
        total,
        thin_min_ssd: min,
        encrypted: p.flag("encrypted"),
        allow_no_kms: p.flag("allow-no-kms"),
    };
    let (name, group) = (p.arg(0).to_string(), p.arg(1).to_string());
    inv.op(|cluster, ctx| cluster.create_fs(ctx, &name, &group, &request))?;
    Ok(Output::Empty)
}

fn dataservice_config(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let fs = p.required("config-fs")?.to_string();
    inv.op(|cluster, _| cluster.set_dataservice_config_fs(&fs))?;
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::{Kit, assert_shape};

    const GIB: u64 = 1 << 30;

    #[test]
    fn default_filesystems_as_the_operator_creates_them() {
        let mut kit = Kit::running(6, 0);
        kit.ok("drive-0", "fs group create default");
        assert!(kit.err("drive-0", "fs group create default").contains("already exists"));
        let total =
            kit.json("drive-0", "status --json")["capacity"]["total_bytes"].as_u64().unwrap();
        kit.ok("drive-0", &format!("fs create .config_fs default {} --thin-provision-max-ssd {} --thin-provision-min-ssd {}", 100 * GIB, 100 * GIB, 10 * GIB));
        kit.ok("drive-0", &format!("fs create default default {} --thin-provision-max-ssd {} --thin-provision-min-ssd {}", total / 10, total / 10, total / 100));
        assert!(kit.err("drive-0", "fs create default default 1GiB").contains("already exists"));
        let list = kit.json("drive-0", "fs --json");
        let fs = &list[0];
        assert_shape(
            fs,
            &[
                ("name", 's'),
                ("uid", 's'),
                ("fs_id", 's'),
                ("group_id", 's'),
                ("group_name", 's'),
                ("is_ready", 'b'),
                ("status", 's'),
                ("available_ssd", 'n'),
                ("ssd_budget", 'n'),
                ("total_budget", 'n'),
                ("used_ssd", 'n'),
                ("used_total", 'n'),
                ("obs_buckets", 'a'),
            ],
        );
        assert_eq!(fs["ssd_budget"], 10 * GIB);
        assert_eq!(fs["total_budget"], 100 * GIB);
        let unprovisioned = kit.json("drive-0", "status --json")["capacity"]["unprovisioned_bytes"]
            .as_u64()
            .unwrap();
        assert_eq!(unprovisioned, total - 10 * GIB - total / 100);
        kit.ok("drive-0", "dataservice global-config set --config-fs .config_fs");
    }

    #[test]
    fn fs_create_refuses_bad_requests() {
        let mut kit = Kit::formed(1, 0);
        assert!(
            kit.err("drive-0", "fs create a nogroup 1GiB")
                .contains("Filesystem group nogroup does not exist")
        );
        kit.ok("drive-0", "fs group create default");
        assert!(kit.err("drive-0", "fs create a default 1GiB").contains("Not enough SSD capacity"));
        assert!(kit.err("drive-0", "fs create a default 1GiB --thin-provision-max-ssd 1GiB --thin-provision-min-ssd 0 --encrypted").contains("KMS"));
        assert_eq!(kit.run("drive-0", "fs create a default lots").exit_code, 2);
        assert_eq!(
            kit.run("drive-0", "fs create a default 1GiB --thin-provision-max-ssd 1GiB").exit_code,
            2
        );
        assert_eq!(kit.run("drive-0", "fs create a default").exit_code, 2);
        assert!(
            kit.err("drive-0", "dataservice global-config set --config-fs .config_fs")
                .contains("does not exist")
        );
        assert_eq!(kit.run("drive-0", "dataservice global-config set").exit_code, 2);
    }
}
