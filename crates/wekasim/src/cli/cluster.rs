//! Cluster formation and cluster-wide settings: `weka cluster create | update | hot-spare |
//! start-io | join-token generate | process`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{
    Parsed, Spec, UsageError, parse_duration_secs, parse_host_id, parse_u32, short_value, value,
};
use crate::cli::{CmdResult, Command, Invocation};
use crate::ids::HostId;
use crate::world::CreateCluster;
use crate::world::members::ClusterUpdate;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "cluster create",
            args: &["hostnames..."],
            opts: &[
                value("host-ips"),
                value("join-secret"),
                value("admin-password"),
                value("leadership-size"),
            ],
            about: "Form a cluster from containers in STEM mode",
        },
        run: create,
    },
    Command {
        spec: Spec {
            path: "cluster update",
            args: &[],
            opts: &[
                value("cluster-name"),
                value("data-drives"),
                value("parity-drives"),
                value("bucket-raft-size"),
            ],
            about: "Change cluster settings",
        },
        run: update,
    },
    Command {
        spec: Spec {
            path: "cluster hot-spare",
            args: &["[count]"],
            opts: &[],
            about: "Show or set the hot spare count",
        },
        run: hot_spare,
    },
    Command {
        spec: Spec { path: "cluster start-io", args: &[], opts: &[], about: "Start IO services" },
        run: start_io,
    },
    Command {
        spec: Spec {
            path: "cluster join-token generate",
            args: &[],
            opts: &[value("access-token-timeout")],
            about: "Generate a token clients join with",
        },
        run: join_token,
    },
    Command {
        spec: Spec {
            path: "cluster process",
            args: &["[process-ids...]"],
            opts: &[short_value("filter", 'F')],
            about: "List the cluster's processes",
        },
        run: processes,
    },
];

fn create(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let host_ips: Vec<String> =
        p.required("host-ips")?.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let leadership_size =
        p.value("leadership-size").map(|v| parse_u32("--leadership-size", v)).transpose()?;
    let request = CreateCluster {
        hostnames: p.args.clone(),
        host_ips,
        join_secret: p.value("join-secret").map(str::to_string),
        admin_password: p.value("admin-password").map(str::to_string),
        leadership_size,
    };
    let agent = inv.agent()?;
    let guid = inv.world.create_cluster(&agent, request)?;
    Ok(Output::line(format!("Cluster created, GUID {guid}")))
}

fn update(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let number = |name: &str| p.value(name).map(|v| parse_u32(&format!("--{name}"), v)).transpose();
    let update = ClusterUpdate {
        name: p.value("cluster-name").map(str::to_string),
        data_drives: number("data-drives")?,
        parity_drives: number("parity-drives")?,
        bucket_raft_size: number("bucket-raft-size")?,
    };
    if update == ClusterUpdate::default() {
        return Err(UsageError::MissingOption(
            "cluster-name, --data-drives, --parity-drives or --bucket-raft-size".into(),
        )
        .into());
    }
    inv.op(|cluster, _| cluster.update_settings(update))?;
    Ok(Output::Empty)
}

fn hot_spare(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    match p.args.first() {
        Some(count) => {
            let count = parse_u32("hot spare count", count)?;
            inv.op(|cluster, _| {
                cluster.set_hot_spare(count);
                Ok(())
            })?;
            Ok(Output::Empty)
        }
        None => inv.read(|cluster, _| {
            Output::line(format!("Hot spare: {} failure domains", cluster.settings.hot_spare))
        }),
    }
}

fn start_io(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    inv.op(|cluster, ctx| cluster.start_io(ctx))?;
    Ok(Output::line("Starting IO"))
}

fn join_token(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    if let Some(timeout) = p.value("access-token-timeout") {
        parse_duration_secs("--access-token-timeout", timeout)?;
    }
    let token = inv.op(|cluster, ctx| {
        let token = format!("wekajt-{}", ctx.rng.token(48));
        cluster.config.join_tokens.push(token.clone());
        Ok(token)
    })?;
    Ok(if inv.json { Output::json(&token) } else { Output::line(token) })
}

#[derive(Serialize)]
struct NodeInfoJson {
    host_id: HostId,
    container_name: String,
    slot: u32,
    mgmt_ips: Vec<String>,
    mgmt_port: u16,
}

#[derive(Serialize)]
struct ProcessJson {
    node_id: String,
    host_id: HostId,
    hostname: String,
    container_name: String,
    mode: &'static str,
    roles: Vec<&'static str>,
    slot: u32,
    status: &'static str,
    /// The Go struct embeds this untagged, so its JSON key is the field name `NodeInfo`.
    #[serde(rename = "NodeInfo")]
    node_info: NodeInfoJson,
}

/// `--filter containerId=<N>[,status=<S>]`.
fn processes(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let mut host_filter: Option<HostId> = None;
    let mut status_filter: Option<String> = None;
    for term in p.value("filter").into_iter().flat_map(|f| f.split(',')).filter(|t| !t.is_empty()) {
        let (key, val) = term
            .split_once('=')
            .ok_or_else(|| UsageError::invalid("--filter", term, "expected key=value"))?;
        match key {
            "containerId" | "container" | "hostId" | "host" => {
                host_filter = Some(parse_host_id(val)?)
            }
            "status" => status_filter = Some(val.to_ascii_uppercase()),
            _ => {
                return Err(UsageError::invalid(
                    "--filter",
                    term,
                    "known keys are containerId and status",
                )
                .into());
            }
        }
    }
    let ids: Vec<String> = p.args.clone();
    let json = inv.json;
    inv.read(|cluster, _| {
        let mut rows = Vec::new();
        for member in cluster.members().filter(|m| host_filter.is_none_or(|h| h == m.host)) {
            for process in &member.processes {
                let status = member.process_status(process);
                if status_filter.as_ref().is_some_and(|s| s != status) {
                    continue;
                }
                let node_id = process.node.to_string();
                if !ids.is_empty()
                    && !ids.iter().any(|i| *i == node_id || *i == process.node.0.to_string())
                {
                    continue;
                }
                rows.push(ProcessJson {
                    node_id,
                    host_id: member.host,
                    hostname: member.hostname.clone(),
                    container_name: member.name.clone(),
                    mode: if member.is_backend() { "backend" } else { "client" },
                    roles: process.roles.iter().map(|r| r.as_str()).collect(),
                    slot: process.slot,
                    status,
                    node_info: NodeInfoJson {
                        host_id: member.host,
                        container_name: member.name.clone(),
                        slot: process.slot,
                        mgmt_ips: member.ips.clone(),
                        mgmt_port: member.port,
                    },
                });
            }
        }
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.node_id.clone(),
                        r.host_id.0.to_string(),
                        r.hostname.clone(),
                        r.container_name.clone(),
                        r.roles.join(", "),
                        r.status.to_string(),
                    ]
                })
                .collect();
            table(
                &["PROCESS ID", "CONTAINER ID", "HOSTNAME", "CONTAINER", "ROLES", "STATUS"],
                &rows,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::{Kit, assert_shape};
    use crate::world::cluster::IoStatus;

    #[test]
    fn create_forms_a_cluster_with_ids_in_host_ip_order() {
        let mut kit = Kit::formed(2, 1);
        let cluster = kit.cluster();
        let names: Vec<(u32, &str)> =
            cluster.members().map(|m| (m.host.0, m.name.as_str())).collect();
        assert_eq!(names, vec![(0, "drive"), (1, "drive"), (2, "compute")]);
        assert!(cluster.members().all(|m| m.is_up()));
        assert!(cluster.authenticate("admin", "Adm1nPassw0rd").is_ok());
    }

    #[test]
    fn create_refuses_bad_host_lists() {
        let mut kit = Kit::pods(2, 0);
        let err = kit.err("drive-0", "cluster create 10.0.1.1 10.0.1.2 --host-ips 10.0.1.1:14000");
        assert!(err.contains("does not match"), "{err}");
        let err = kit.err("drive-0", "cluster create 10.0.9.9 --host-ips 10.0.9.9:14000");
        assert!(err.contains("Failed connecting to host 10.0.9.9:14000"), "{err}");
        let out = kit.run("drive-0", "cluster create 10.0.1.1");
        assert_eq!(out.exit_code, 2);
        assert!(out.stderr.contains("--host-ips is required"), "{out:?}");
        kit.ok("drive-0", "cluster create 10.0.1.1 --host-ips 10.0.1.1:14000");
        let err = kit.err("drive-1", "cluster create 10.0.1.1 --host-ips 10.0.1.1:14000");
        assert!(err.contains("already a member"), "{err}");
    }

    #[test]
    fn update_and_hot_spare_change_settings() {
        let mut kit = Kit::formed(6, 0);
        kit.ok("drive-0", "cluster update --cluster-name prod");
        kit.ok("drive-0", "cluster update --parity-drives 2");
        kit.ok("drive-0", "cluster update --data-drives 3");
        kit.ok("drive-0", "cluster update --bucket-raft-size 5");
        kit.ok("drive-0", "cluster hot-spare 1");
        let cluster = kit.cluster();
        assert_eq!(cluster.name, "prod");
        assert_eq!(cluster.stripe(), (3, 2));
        assert_eq!(cluster.settings.hot_spare, 1);
        assert!(kit.err("drive-0", "cluster update --data-drives 40").contains("between 3 and 16"));
        assert_eq!(kit.run("drive-0", "cluster update").exit_code, 2);
        assert_eq!(kit.run("drive-0", "cluster update --parity-drives two").exit_code, 2);
        assert_eq!(kit.run("drive-0", "cluster hot-spare -1x").exit_code, 2);
    }

    #[test]
    fn start_io_needs_active_drives_and_takes_its_latency() {
        let mut kit = Kit::formed(3, 0);
        assert!(kit.err("drive-0", "cluster start-io").contains("no active drives"));
        kit.ok("drive-0", "cluster drive add 0 /dev/nvme0n1");
        kit.world.set_latencies(crate::latency::Latencies {
            start_io: std::time::Duration::from_secs(5),
            ..crate::latency::Latencies::zero()
        });
        kit.ok("drive-0", "cluster start-io");
        assert_eq!(kit.cluster().io_status, IoStatus::Starting);
        kit.clock.advance_secs(5);
        assert_eq!(kit.cluster().io_status, IoStatus::Started);
        assert_eq!(kit.run("drive-0", "cluster start-io now").exit_code, 2);
    }

    #[test]
    fn join_token_prints_a_json_string() {
        let mut kit = Kit::formed(1, 0);
        let token =
            kit.json("drive-0", "cluster join-token generate --access-token-timeout 5200w --json");
        assert!(token.as_str().is_some_and(|t| t.starts_with("wekajt-")));
        assert_eq!(
            kit.run("drive-0", "cluster join-token generate --access-token-timeout forever")
                .exit_code,
            2
        );
    }

    #[test]
    fn process_lists_roles_and_filters_by_container() {
        let mut kit = Kit::formed(1, 1);
        let all = kit.json("drive-0", "cluster process --json");
        assert_eq!(all.as_array().unwrap().len(), 4);
        let compute = kit.json("drive-0", "cluster process --json --filter containerId=1");
        let rows = compute.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_shape(
            &rows[1],
            &[("status", 's'), ("node_id", 's'), ("roles", 'a'), ("NodeInfo", 'o')],
        );
        assert_shape(
            &rows[1]["NodeInfo"],
            &[
                ("host_id", 's'),
                ("container_name", 's'),
                ("slot", 'n'),
                ("mgmt_ips", 'a'),
                ("mgmt_port", 'n'),
            ],
        );
        assert_eq!(rows[0]["roles"][0], "MANAGEMENT");
        assert_eq!(rows[1]["roles"][0], "COMPUTE");
        assert_eq!(rows[1]["node_id"], "NodeId<101>");
        assert_eq!(rows[1]["status"], "UP");
        assert_eq!(kit.run("drive-0", "cluster process --filter bogus=1").exit_code, 2);
    }
}
