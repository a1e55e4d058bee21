//! NFS: `weka nfs global-config set | interface-group [add | ip-range add/remove | port
//! add/delete] | client-group [add | delete]`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{
    Parsed, Spec, UsageError, parse_host_id, parse_ip_range, parse_on_off, parse_port, short_flag,
    value,
};
use crate::cli::{CmdResult, Command, Invocation};
use crate::ids::HostId;
use crate::world::cluster::Cluster;
use crate::world::nfs::{InterfaceGroup, NfsConfigUpdate};

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "nfs global-config set",
            args: &[],
            opts: &[
                value("config-fs"),
                value("supported-versions"),
                value("mountd-port"),
                value("lockmgr-port"),
                value("notify-port"),
                short_flag("force", 'f'),
            ],
            about: "Change the NFS global configuration",
        },
        run: set_global_config,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group",
            args: &[],
            opts: &[value("name")],
            about: "List interface groups",
        },
        run: list_groups,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group add",
            args: &["name", "type"],
            opts: &[value("subnet"), value("gateway"), value("allow-manage-gids")],
            about: "Create an interface group",
        },
        run: add_group,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group ip-range add",
            args: &["name", "ips"],
            opts: &[],
            about: "Add floating IPs",
        },
        run: add_ips,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group ip-range remove",
            args: &["name", "ips"],
            opts: &[short_flag("force", 'f')],
            about: "Remove floating IPs",
        },
        run: remove_ips,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group ip-range delete",
            args: &["name", "ips"],
            opts: &[short_flag("force", 'f')],
            about: "Remove floating IPs",
        },
        run: remove_ips,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group port add",
            args: &["name", "container-id", "port"],
            opts: &[],
            about: "Serve the group from a container's interface",
        },
        run: add_port,
    },
    Command {
        spec: Spec {
            path: "nfs interface-group port delete",
            args: &["name", "container-id", "port"],
            opts: &[short_flag("force", 'f')],
            about: "Stop serving the group from a container's interface",
        },
        run: delete_port,
    },
    Command {
        spec: Spec { path: "nfs client-group", args: &[], opts: &[], about: "List client groups" },
        run: list_client_groups,
    },
    Command {
        spec: Spec {
            path: "nfs client-group add",
            args: &["name"],
            opts: &[],
            about: "Create a client group",
        },
        run: add_client_group,
    },
    Command {
        spec: Spec {
            path: "nfs client-group delete",
            args: &["name"],
            opts: &[short_flag("force", 'f')],
            about: "Delete a client group",
        },
        run: delete_client_group,
    },
];

fn set_global_config(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let port = |name: &str| p.value(name).map(|v| parse_port(&format!("--{name}"), v)).transpose();
    let update = NfsConfigUpdate {
        config_fs: p.value("config-fs").map(str::to_string),
        supported_versions: p
            .value("supported-versions")
            .map(|v| v.split(',').map(str::to_string).collect()),
        mountd_port: port("mountd-port")?,
        lockmgr_port: port("lockmgr-port")?,
        notify_port: port("notify-port")?,
    };
    if let Some(bad) = update
        .supported_versions
        .iter()
        .flatten()
        .find(|v| !matches!(v.to_ascii_uppercase().as_str(), "V3" | "V4"))
    {
        return Err(
            UsageError::invalid("--supported-versions", bad, "expected V3 and/or V4").into()
        );
    }
    if update == NfsConfigUpdate::default() {
        return Err(UsageError::MissingOption(
            "config-fs, --supported-versions or a port option".into(),
        )
        .into());
    }
    inv.op(|cluster, _| cluster.set_nfs_config(update))?;
    Ok(Output::Empty)
}

#[derive(Serialize)]
struct PortJson {
    host_id: HostId,
    host_uid: String,
    port: String,
    status: &'static str,
}

#[derive(Serialize)]
struct GroupJson {
    name: String,
    uid: String,
    #[serde(rename = "type")]
    kind: String,
    status: &'static str,
    gateway: String,
    subnet_mask: String,
    allow_manage_gids: bool,
    ips: Vec<String>,
    ports: Vec<PortJson>,
}

fn group_json(cluster: &Cluster, group: &InterfaceGroup) -> GroupJson {
    let ports: Vec<PortJson> = group
        .ports
        .iter()
        .map(|p| {
            let member = cluster.container(p.host);
            PortJson {
                host_id: p.host,
                host_uid: member.map(|m| m.uid.clone()).unwrap_or_default(),
                port: p.port.clone(),
                status: if member.is_some_and(|m| m.is_up()) { "UP" } else { "DOWN" },
            }
        })
        .collect();
    GroupJson {
        name: group.name.clone(),
        uid: group.uid.clone(),
        kind: group.kind.clone(),
        status: if ports.iter().any(|p| p.status == "UP") { "OK" } else { "Inactive" },
        gateway: group.gateway.clone(),
        subnet_mask: group.subnet.clone(),
        allow_manage_gids: group.allow_manage_gids,
        ips: group.ips.iter().map(|ip| ip.to_string()).collect(),
        ports,
    }
}

/// `--name` filters; an unknown name prints `[]`.
fn list_groups(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let name = p.value("name").map(str::to_string);
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<GroupJson> = cluster
            .nfs
            .interface_groups
            .iter()
            .filter(|g| name.as_ref().is_none_or(|n| *n == g.name))
            .map(|g| group_json(cluster, g))
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|g| {
                    vec![g.name.clone(), g.kind.clone(), g.status.to_string(), g.ips.join(", ")]
                })
                .collect();
            table(&["NAME", "TYPE", "STATUS", "IPS"], &rows)
        }
    })
}

fn add_group(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let kind = p.arg(1).to_ascii_uppercase();
    if !matches!(kind.as_str(), "NFS" | "SMB") {
        return Err(UsageError::invalid("type", p.arg(1), "expected NFS or SMB").into());
    }
    let allow_manage_gids =
        p.value("allow-manage-gids").map(|v| parse_on_off("--allow-manage-gids", v)).transpose()?;
    let name = p.arg(0).to_string();
    let subnet = p.value("subnet").unwrap_or("255.255.255.255").to_string();
    let gateway = p.value("gateway").unwrap_or("255.255.255.255").to_string();
    inv.op(|cluster, ctx| {
        cluster.add_interface_group(ctx, &name, &kind, &subnet, &gateway)?;
        if let (Some(allow), Some(group)) =
            (allow_manage_gids, cluster.nfs.interface_groups.iter_mut().find(|g| g.name == name))
        {
            group.allow_manage_gids = allow;
        }
        Ok(())
    })?;
    Ok(Output::Empty)
}

fn add_ips(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let ips = parse_ip_range(p.arg(1))?;
    let group = p.arg(0).to_string();
    inv.op(|cluster, _| cluster.add_interface_group_ips(&group, &ips))?;
    Ok(Output::Empty)
}

fn remove_ips(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let ips = parse_ip_range(p.arg(1))?;
    let group = p.arg(0).to_string();
    inv.op(|cluster, _| cluster.remove_interface_group_ips(&group, &ips))?;
    Ok(Output::Empty)
}

fn add_port(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let host = parse_host_id(p.arg(1))?;
    let (group, port) = (p.arg(0).to_string(), p.arg(2).to_string());
    inv.op(|cluster, _| cluster.add_interface_group_port(&group, host, &port))?;
    Ok(Output::Empty)
}

fn delete_port(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let host = parse_host_id(p.arg(1))?;
    let (group, port) = (p.arg(0).to_string(), p.arg(2).to_string());
    inv.op(|cluster, _| cluster.delete_interface_group_port(&group, host, &port))?;
    Ok(Output::Empty)
}

#[derive(Serialize)]
struct ClientGroupJson {
    name: String,
    uid: String,
}

fn list_client_groups(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<ClientGroupJson> = cluster
            .nfs
            .client_groups
            .iter()
            .map(|g| ClientGroupJson { name: g.name.clone(), uid: g.uid.clone() })
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> =
                rows.iter().map(|g| vec![g.name.clone(), g.uid.clone()]).collect();
            table(&["NAME", "UID"], &rows)
        }
    })
}

fn add_client_group(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let name = p.arg(0).to_string();
    inv.op(|cluster, ctx| cluster.add_client_group(ctx, &name))?;
    Ok(Output::Empty)
}

fn delete_client_group(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let name = p.arg(0).to_string();
    inv.op(|cluster, _| cluster.delete_client_group(&name))?;
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::{Kit, assert_shape};
    use crate::world::local::{ContainerKind, LocalContainerSpec};

    const IG: &str = "MgmtInterfaceGroup";

    fn kit_with_nfs() -> Kit {
        let mut kit = Kit::running(6, 0);
        kit.ok("drive-0", "fs group create default");
        kit.ok("drive-0", "fs create .config_fs default 100GiB --thin-provision-max-ssd 100GiB --thin-provision-min-ssd 10GiB");
        let mut spec = LocalContainerSpec::new("nfs", ContainerKind::Nfs, "10.0.4.1", 14300);
        spec.join_ips = vec!["10.0.1.2:14000".to_string()];
        kit.pod("nfs-0", spec);
        kit
    }

    #[test]
    fn global_config_and_group_creation() {
        let mut kit = kit_with_nfs();
        kit.ok("drive-0", "nfs global-config set --config-fs .config_fs");
        kit.ok("drive-0", "nfs global-config set --supported-versions V3,V4");
        kit.ok("drive-0", "nfs global-config set -f --mountd-port 20048 --lockmgr-port 32803");
        let nfs = kit.cluster().nfs.clone();
        assert_eq!(nfs.config_fs.as_deref(), Some(".config_fs"));
        assert_eq!(nfs.mountd_port, Some(20048));
        assert!(
            kit.err("drive-0", "nfs global-config set --config-fs nofs").contains("does not exist")
        );
        assert_eq!(
            kit.run("drive-0", "nfs global-config set --supported-versions V9").exit_code,
            2
        );
        assert_eq!(kit.run("drive-0", "nfs global-config set").exit_code, 2);
        kit.ok("drive-0", &format!("nfs interface-group add {IG} NFS --subnet 0.0.0.0"));
        assert!(
            kit.err("drive-0", &format!("nfs interface-group add {IG} NFS --subnet 0.0.0.0"))
                .contains("already exists")
        );
        assert_eq!(kit.run("drive-0", "nfs interface-group add other FTP").exit_code, 2);
    }

    #[test]
    fn ip_ranges_and_ports_reconcile_like_the_operator_expects() {
        let mut kit = kit_with_nfs();
        kit.ok("drive-0", &format!("nfs interface-group add {IG} NFS --subnet 0.0.0.0"));
        kit.ok("drive-0", &format!("nfs interface-group ip-range add {IG} 10.0.9.1-3"));
        kit.ok("drive-0", &format!("nfs interface-group ip-range remove {IG} 10.0.9.2 -f"));
        kit.ok("nfs-0", &format!("nfs interface-group port add {IG} 6 eth1"));
        let err = kit.err("nfs-0", &format!("nfs interface-group port add {IG} 6 eth1"));
        assert!(err.contains("port eth1 is already part of group"), "{err}");
        let err = kit.err("nfs-0", &format!("nfs interface-group port add {IG} 6 eth2"));
        assert!(
            err.contains("host can't be added more than once to the same interface group"),
            "{err}"
        );
        let groups = kit.json("nfs-0", &format!("nfs interface-group --name {IG} --json"));
        let group = &groups[0];
        assert_shape(
            group,
            &[
                ("name", 's'),
                ("uid", 's'),
                ("type", 's'),
                ("status", 's'),
                ("gateway", 's'),
                ("subnet_mask", 's'),
                ("allow_manage_gids", 'b'),
                ("ips", 'a'),
                ("ports", 'a'),
            ],
        );
        assert_eq!(group["ips"], serde_json::json!(["10.0.9.1", "10.0.9.3"]));
        assert_shape(
            &group["ports"][0],
            &[("host_id", 's'), ("host_uid", 's'), ("port", 's'), ("status", 's')],
        );
        assert_eq!(group["ports"][0]["host_id"], "HostId<6>");
        kit.ok("nfs-0", &format!("nfs interface-group port delete -f {IG} 6 eth1"));
        assert!(
            kit.err("nfs-0", &format!("nfs interface-group port delete -f {IG} 6 eth1"))
                .contains("is not part of group")
        );
        assert_eq!(
            kit.json("nfs-0", "nfs interface-group --name nope --json"),
            serde_json::json!([])
        );
        assert_eq!(
            kit.run("drive-0", &format!("nfs interface-group ip-range add {IG} 10.0.9.300"))
                .exit_code,
            2
        );
        assert!(
            kit.err("drive-0", "nfs interface-group ip-range add nope 10.0.9.7")
                .contains("does not exist")
        );
        assert!(
            kit.err("drive-0", &format!("nfs interface-group port add {IG} 77 eth0"))
                .contains("Host HostId<77> not found")
        );
    }

    #[test]
    fn client_groups() {
        let mut kit = kit_with_nfs();
        kit.ok("drive-0", "nfs client-group add k8s");
        assert!(kit.err("drive-0", "nfs client-group add k8s").contains("already exists"));
        assert_eq!(kit.json("drive-0", "nfs client-group --json")[0]["name"], "k8s");
        kit.ok("drive-0", "nfs client-group delete k8s -f");
        assert!(kit.err("drive-0", "nfs client-group delete k8s").contains("does not exist"));
        assert_eq!(kit.run("drive-0", "nfs client-group add").exit_code, 2);
    }
}
