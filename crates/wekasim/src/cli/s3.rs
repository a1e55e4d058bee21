//! The S3 cluster: `weka s3 cluster [create | destroy | containers list | add | remove]`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{
    Opt, Parsed, Spec, flag, parse_host_id, parse_host_list, parse_port, short_flag, value,
};
use crate::cli::{CmdResult, Command, Invocation};
use crate::ids::HostId;
use crate::world::s3::S3Create;

/// `s3 cluster create` options: the four the operator always passes, then those
/// `spec.s3Config.clusterCreateArgs` may add (kept as extra arguments).
const CREATE_OPTS: &[Opt] = &[
    value("port"),
    value("envoy-admin-port"),
    value("internal-port"),
    value("container"),
    value("key"),
    value("secret"),
    value("anonymous-posix-uid"),
    value("anonymous-posix-gid"),
    value("domain"),
    value("max-buckets-limit"),
    value("policy"),
    flag("all-servers"),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec { path: "s3 cluster", args: &[], opts: &[], about: "Show the S3 cluster" },
        run: show,
    },
    Command {
        spec: Spec {
            path: "s3 cluster create",
            args: &["default-fs-name", "config-fs-name"],
            opts: CREATE_OPTS,
            about: "Create the S3 cluster",
        },
        run: create,
    },
    Command {
        spec: Spec {
            path: "s3 cluster destroy",
            args: &[],
            opts: &[short_flag("force", 'f')],
            about: "Destroy the S3 cluster",
        },
        run: destroy,
    },
    Command {
        spec: Spec {
            path: "s3 cluster containers list",
            args: &[],
            opts: &[],
            about: "List S3 cluster containers",
        },
        run: list_containers,
    },
    Command {
        spec: Spec {
            path: "s3 cluster containers add",
            args: &["container-ids..."],
            opts: &[],
            about: "Add containers to the S3 cluster",
        },
        run: add_containers,
    },
    Command {
        spec: Spec {
            path: "s3 cluster containers remove",
            args: &["container-ids..."],
            opts: &[short_flag("force", 'f')],
            about: "Remove containers from the S3 cluster",
        },
        run: remove_containers,
    },
];

/// Ports print as strings, as the operator's `S3Cluster` struct reads them.
#[derive(Serialize)]
struct S3Json {
    active: bool,
    s3_hosts: Vec<HostId>,
    port: String,
    internal_port: String,
    envoy_admin_port: String,
    filesystem_name: String,
    config_filesystem_name: String,
}

fn show(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let view = match &cluster.s3 {
            Some(s3) => S3Json {
                active: true,
                s3_hosts: s3.hosts.iter().copied().collect(),
                port: s3.port.to_string(),
                internal_port: s3.internal_port.to_string(),
                envoy_admin_port: s3.envoy_admin_port.to_string(),
                filesystem_name: s3.default_fs.clone(),
                config_filesystem_name: s3.config_fs.clone(),
            },
            None => S3Json {
                active: false,
                s3_hosts: Vec::new(),
                port: String::new(),
                internal_port: String::new(),
                envoy_admin_port: String::new(),
                filesystem_name: String::new(),
                config_filesystem_name: String::new(),
            },
        };
        if json {
            Output::json(&view)
        } else if view.active {
            Output::line(format!(
                "S3 cluster: active, {} hosts, port {}",
                view.s3_hosts.len(),
                view.port
            ))
        } else {
            Output::line("S3 cluster is not configured")
        }
    })
}

fn create(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let port = |name: &str| p.value(name).map(|v| parse_port(&format!("--{name}"), v)).transpose();
    let mut extra_args = Vec::new();
    for opt in &CREATE_OPTS[4..] {
        match (opt.takes_value, p.value(opt.long)) {
            (true, Some(v)) => extra_args.extend([format!("--{}", opt.long), v.to_string()]),
            (false, _) if p.flag(opt.long) => extra_args.push(format!("--{}", opt.long)),
            _ => {}
        }
    }
    let request = S3Create {
        default_fs: p.arg(0).to_string(),
        config_fs: p.arg(1).to_string(),
        port: port("port")?.unwrap_or(9000),
        envoy_admin_port: port("envoy-admin-port")?.unwrap_or(9901),
        internal_port: port("internal-port")?.unwrap_or(9001),
        hosts: p.value("container").map(parse_host_list).transpose()?.unwrap_or_default(),
        extra_args,
    };
    inv.op(|cluster, _| cluster.create_s3(request))?;
    Ok(Output::Empty)
}

fn destroy(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    inv.op(|cluster, _| cluster.destroy_s3())?;
    Ok(Output::Empty)
}

/// `HostId<N>` strings; `[]` when S3 is not configured.
fn list_containers(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let hosts: Vec<HostId> =
            cluster.s3.iter().flat_map(|s3| s3.hosts.iter().copied()).collect();
        if json {
            Output::json(&hosts)
        } else {
            let rows: Vec<Vec<String>> = hosts.iter().map(|h| vec![h.0.to_string()]).collect();
            table(&["CONTAINER ID"], &rows)
        }
    })
}

fn add_containers(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for arg in &p.args {
        let host = parse_host_id(arg)?;
        inv.op(|cluster, _| cluster.add_s3_host(host))?;
    }
    Ok(Output::Empty)
}

fn remove_containers(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for arg in &p.args {
        let host = parse_host_id(arg)?;
        inv.op(|cluster, _| cluster.remove_s3_host(host))?;
    }
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::{Kit, assert_shape};
    use crate::world::local::{ContainerKind, LocalContainerSpec};

    /// Running cluster with `.config_fs` and `default`, plus two S3 containers (ids 6, 7).
    fn kit_with_s3_pods() -> Kit {
        let mut kit = Kit::running(6, 0);
        kit.ok("drive-0", "fs group create default");
        kit.ok("drive-0", "fs create .config_fs default 100GiB --thin-provision-max-ssd 100GiB --thin-provision-min-ssd 10GiB");
        kit.ok("drive-0", "fs create default default 1TiB --thin-provision-max-ssd 1TiB --thin-provision-min-ssd 10GiB");
        for i in 0..2 {
            let mut spec = LocalContainerSpec::new(
                "s3",
                ContainerKind::S3,
                &format!("10.0.3.{}", i + 1),
                14200,
            );
            spec.join_ips = vec!["10.0.1.1:14000".to_string()];
            kit.pod(&format!("s3-{i}"), spec);
        }
        kit
    }

    #[test]
    fn create_show_and_membership() {
        let mut kit = kit_with_s3_pods();
        assert_eq!(kit.json("drive-0", "s3 cluster --json")["active"], false);
        kit.ok("drive-0", "s3 cluster create default .config_fs --port 32000 --envoy-admin-port 32001 --internal-port 32002 --container 6 --max-buckets-limit 100");
        let err = kit.err("drive-0", "s3 cluster create default .config_fs --container 6");
        assert!(err.contains("already exists"), "{err}");
        let s3 = kit.json("drive-0", "s3 cluster --json");
        assert_shape(
            &s3,
            &[
                ("active", 'b'),
                ("s3_hosts", 'a'),
                ("port", 's'),
                ("internal_port", 's'),
                ("filesystem_name", 's'),
            ],
        );
        assert_eq!(s3["port"], "32000");
        assert_eq!(s3["filesystem_name"], "default");
        assert_eq!(s3["s3_hosts"][0], "HostId<6>");
        kit.ok("s3-1", "s3 cluster containers add 7");
        assert!(
            kit.err("s3-1", "s3 cluster containers add 7")
                .contains("already part of the S3 cluster")
        );
        assert_eq!(
            kit.json("drive-0", "s3 cluster containers list --json"),
            serde_json::json!(["HostId<6>", "HostId<7>"])
        );
        kit.ok("drive-0", "s3 cluster containers remove 7");
        assert!(
            kit.err("drive-0", "s3 cluster containers remove 7")
                .contains("is not part of the S3 cluster")
        );
        assert!(
            kit.err("drive-0", "s3 cluster containers remove 42")
                .contains("error: Unrecognized host ID HostId<42>")
        );
        kit.ok("drive-0", "s3 cluster destroy -f");
        assert!(
            kit.err("drive-0", "s3 cluster containers remove 6")
                .contains("S3 cluster is not configured")
        );
        assert!(
            kit.err("drive-0", "s3 cluster destroy -f").contains("S3 cluster is not configured")
        );
    }

    #[test]
    fn bad_s3_arguments() {
        let mut kit = kit_with_s3_pods();
        assert_eq!(kit.run("drive-0", "s3 cluster create default").exit_code, 2);
        assert_eq!(
            kit.run("drive-0", "s3 cluster create default .config_fs --port http").exit_code,
            2
        );
        assert_eq!(
            kit.run("drive-0", "s3 cluster create default .config_fs --bogus 1").exit_code,
            2
        );
        assert!(
            kit.err("drive-0", "s3 cluster create default .config_fs --container 0")
                .contains("Unrecognized host ID HostId<0>")
        );
        assert!(
            kit.err("drive-0", "s3 cluster create nofs .config_fs")
                .contains("Filesystem nofs does not exist")
        );
        assert_eq!(kit.run("drive-0", "s3 cluster containers add").exit_code, 2);
    }
}
