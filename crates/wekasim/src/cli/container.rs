//! Cluster members: `weka cluster container [<ids>] | deactivate | activate | remove`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{Parsed, Spec, flag, parse_host_id, short_flag};
use crate::cli::{CmdResult, Command, Invocation};
use crate::clock::format_time;
use crate::ids::HostId;
use crate::world::container::ClusterContainer;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "cluster container",
            args: &["[container-ids...]"],
            opts: &[],
            about: "List cluster containers",
        },
        run: list,
    },
    Command {
        spec: Spec {
            path: "cluster container deactivate",
            args: &["container-ids..."],
            opts: &[
                short_flag("force", 'f'),
                flag("allow-unavailable"),
                flag("skip-resource-validation"),
            ],
            about: "Deactivate containers (their drives phase out)",
        },
        run: deactivate,
    },
    Command {
        spec: Spec {
            path: "cluster container activate",
            args: &["container-ids..."],
            opts: &[short_flag("force", 'f')],
            about: "Return deactivated containers to the configuration",
        },
        run: activate,
    },
    Command {
        spec: Spec {
            path: "cluster container remove",
            args: &["container-ids..."],
            opts: &[flag("no-unimprint"), short_flag("force", 'f')],
            about: "Remove inactive containers from the cluster",
        },
        run: remove,
    },
];

#[derive(Serialize)]
struct ContainerJson {
    host_id: HostId,
    host_ip: String,
    hostname: String,
    container_name: String,
    uid: String,
    state: &'static str,
    status: &'static str,
    mode: &'static str,
    ips: Vec<String>,
    mgmt_port: u16,
    cores: usize,
    failure_domain: String,
    sw_release_string: String,
    added_time: String,
}

fn to_json(c: &ClusterContainer) -> ContainerJson {
    ContainerJson {
        host_id: c.host,
        host_ip: c.ips.first().cloned().unwrap_or_default(),
        hostname: c.hostname.clone(),
        container_name: c.name.clone(),
        uid: c.uid.clone(),
        state: c.state(),
        status: c.status().as_str(),
        mode: if c.is_backend() { "backend" } else { "client" },
        ips: c.ips.clone(),
        mgmt_port: c.port,
        cores: c.processes.len().saturating_sub(1),
        failure_domain: c.failure_domain.clone().unwrap_or_else(|| "AUTO".to_string()),
        sw_release_string: c.version.clone(),
        added_time: format_time(c.added_at),
    }
}

/// An unknown id lists nothing (exit 0): the operator reads an empty array as "not found".
fn list(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let ids: Vec<HostId> = p.args.iter().map(|a| parse_host_id(a)).collect::<Result<_, _>>()?;
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<ContainerJson> = cluster
            .members()
            .filter(|m| ids.is_empty() || ids.contains(&m.host))
            .map(to_json)
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.host_id.0.to_string(),
                        r.hostname.clone(),
                        r.container_name.clone(),
                        r.host_ip.clone(),
                        r.state.to_string(),
                        r.status.to_string(),
                    ]
                })
                .collect();
            table(&["CONTAINER ID", "HOSTNAME", "CONTAINER", "IPS", "STATE", "STATUS"], &rows)
        }
    })
}

fn deactivate(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for host in ids(p)? {
        inv.op(|cluster, ctx| cluster.deactivate_container(ctx, host))?;
    }
    Ok(Output::Empty)
}

fn activate(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    for host in ids(p)? {
        inv.op(|cluster, _| cluster.activate_container(host))?;
    }
    Ok(Output::Empty)
}

fn remove(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let unimprint = !p.flag("no-unimprint");
    for host in ids(p)? {
        let guid = inv.cluster_guid()?;
        inv.world.remove_container(&guid, host, unimprint)?;
    }
    Ok(Output::Empty)
}

fn ids(p: &Parsed) -> Result<Vec<HostId>, crate::cli::CliError> {
    Ok(p.args.iter().map(|a| parse_host_id(a)).collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cli::testkit::{Kit, assert_shape};
    use crate::latency::Latencies;
    use crate::world::local::{AgentKey, DisplayStatus};

    #[test]
    fn container_json_has_the_operator_keys() {
        let mut kit = Kit::formed(2, 0);
        let one = kit.json("drive-0", "cluster container 1 --json");
        let rows = one.as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_shape(
            &rows[0],
            &[
                ("host_id", 's'),
                ("host_ip", 's'),
                ("hostname", 's'),
                ("container_name", 's'),
                ("uid", 's'),
                ("state", 's'),
                ("status", 's'),
                ("ips", 'a'),
                ("mgmt_port", 'n'),
            ],
        );
        assert_eq!(rows[0]["host_id"], "HostId<1>");
        assert_eq!(rows[0]["status"], "UP");
        assert_eq!(kit.json("drive-0", "cluster container 7 --json"), serde_json::json!([]));
        assert_eq!(kit.run("drive-0", "cluster container seven --json").exit_code, 2);
    }

    #[test]
    fn deactivate_goes_through_deactivating_and_takes_the_drives_along() {
        let mut kit = Kit::running(3, 0);
        kit.world.set_latencies(Latencies {
            container_deactivate: Duration::from_secs(10),
            ..Latencies::zero()
        });
        kit.ok("drive-0", "cluster container deactivate 2");
        let status = kit.json("drive-0", "cluster container 2 --json")[0]["status"].clone();
        assert_eq!(status, "DEACTIVATING");
        kit.clock.advance_secs(10);
        let row = kit.json("drive-0", "cluster container 2 --json")[0].clone();
        assert_eq!(
            (row["state"].as_str(), row["status"].as_str()),
            (Some("INACTIVE"), Some("INACTIVE"))
        );
        let drives = kit.json("drive-0", "cluster drive --container 2 --json");
        assert!(drives.as_array().unwrap().iter().all(|d| d["status"] == "INACTIVE"));
        kit.ok("drive-0", "cluster container deactivate 2");
    }

    #[test]
    fn unknown_containers_report_host_not_found() {
        let mut kit = Kit::formed(1, 0);
        assert!(
            kit.err("drive-0", "cluster container deactivate 15")
                .contains("Host HostId<15> not found")
        );
        assert!(
            kit.err("drive-0", "cluster container remove 15 --no-unimprint")
                .contains("Host HostId<15> not found")
        );
        assert_eq!(kit.run("drive-0", "cluster container remove").exit_code, 2);
    }

    #[test]
    fn remove_needs_inactive_and_unimprints_the_local_container() {
        let mut kit = Kit::running(3, 0);
        assert!(kit.err("drive-0", "cluster container remove 2").contains("deactivate it first"));
        kit.ok("drive-0", "cluster container deactivate 2");
        kit.ok("drive-0", "cluster container remove 2");
        let cluster = kit.cluster();
        assert!(cluster.container(crate::ids::HostId(2)).is_none());
        assert_eq!(cluster.drives_of(crate::ids::HostId(2)).count(), 0);
        let key = AgentKey::from("drive-2");
        let lc = kit.world.local_container(&key, "drive").unwrap().clone();
        assert!(lc.identity.is_none());
        assert_eq!(kit.world.display_status(&lc), DisplayStatus::Stem);
    }

    #[test]
    fn remove_without_unimprint_leaves_a_stale_identity() {
        let mut kit = Kit::formed(2, 0);
        kit.ok("drive-0", "cluster container deactivate 1");
        kit.ok("drive-0", "cluster container remove 1 --no-unimprint");
        let lc = kit.world.local_container(&AgentKey::from("drive-1"), "drive").unwrap().clone();
        assert!(lc.identity.is_some());
        assert_eq!(kit.world.display_status(&lc), DisplayStatus::Clusterizing);
    }
}
