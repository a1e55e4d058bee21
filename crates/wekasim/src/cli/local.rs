//! The pod's own containers, answered by its agent without a cluster login:
//! `weka local ps | status | start | stop | restart | rm | resources [join-ips | apply] |
//! run wapi ... -W container-get-identity`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{Parsed, Spec, UsageError, flag, short_flag, short_value, value};
use crate::cli::{CliError, CmdResult, Command, Invocation};
use crate::clock::format_time;
use crate::error::WekaError;
use crate::ids::HostId;
use crate::rng::ZERO_GUID;
use crate::world::WekaWorld;
use crate::world::local::{AgentKey, LocalAgent, LocalContainer};

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec { path: "local ps", args: &[], opts: &[], about: "List this pod's containers" },
        run: ps,
    },
    Command {
        spec: Spec {
            path: "local status",
            args: &["[names...]"],
            opts: &[],
            about: "Show this pod's containers in detail",
        },
        run: status,
    },
    Command {
        spec: Spec {
            path: "local start",
            args: &["[names...]"],
            opts: &[],
            about: "Start containers",
        },
        run: start,
    },
    Command {
        spec: Spec {
            path: "local stop",
            args: &["[names...]"],
            opts: &[short_flag("graceful", 'g'), short_flag("force", 'f'), value("reason")],
            about: "Stop containers",
        },
        run: stop,
    },
    Command {
        spec: Spec {
            path: "local restart",
            args: &["[names...]"],
            opts: &[short_flag("graceful", 'g'), short_flag("force", 'f')],
            about: "Restart containers",
        },
        run: restart,
    },
    Command {
        spec: Spec {
            path: "local rm",
            args: &["[names...]"],
            opts: &[flag("all"), short_flag("force", 'f')],
            about: "Remove containers",
        },
        run: rm,
    },
    Command {
        spec: Spec {
            path: "local resources",
            args: &[],
            opts: &[short_value("container", 'C')],
            about: "Show a container's resources",
        },
        run: resources,
    },
    Command {
        spec: Spec {
            path: "local resources join-ips",
            args: &["[ips...]"],
            opts: &[short_value("container", 'C')],
            about: "Stage the join IPs",
        },
        run: join_ips,
    },
    Command {
        spec: Spec {
            path: "local resources apply",
            args: &[],
            opts: &[short_value("container", 'C'), short_flag("force", 'f')],
            about: "Apply staged resources",
        },
        run: apply,
    },
    Command {
        spec: Spec {
            path: "local run wapi",
            args: &[],
            opts: &[
                short_value("hostname", 'H'),
                short_value("method", 'W'),
                value("container-name"),
            ],
            about: "Call the agent's JSON-RPC API",
        },
        run: wapi,
    },
];

fn agent<'w>(inv: &'w Invocation) -> Result<(AgentKey, &'w LocalAgent), CliError> {
    let key = inv.agent()?;
    let agent = inv.world.agent(&key).filter(|a| a.running).ok_or(WekaError::AgentNotRunning)?;
    Ok((key, agent))
}

/// The named containers, or all of the pod's.
fn targets(inv: &Invocation, names: &[String]) -> Result<(AgentKey, Vec<String>), CliError> {
    let (key, agent) = agent(inv)?;
    if names.is_empty() {
        return Ok((key, agent.containers.keys().cloned().collect()));
    }
    if let Some(missing) = names.iter().find(|n| !agent.containers.contains_key(*n)) {
        return Err(WekaError::LocalContainerNotFound(missing.clone()).into());
    }
    Ok((key, names.to_vec()))
}

/// The `-C` container, or the pod's only one.
fn single_target(inv: &Invocation, p: &Parsed) -> Result<(AgentKey, String), CliError> {
    let (key, agent) = agent(inv)?;
    let name = match p.value("container") {
        Some(name) => name.to_string(),
        None => agent.containers.keys().next().cloned().ok_or(WekaError::NoLocalContainer)?,
    };
    if !agent.containers.contains_key(&name) {
        return Err(WekaError::LocalContainerNotFound(name).into());
    }
    Ok((key, name))
}

#[derive(Serialize)]
struct InternalStatus {
    action: &'static str,
    display_status: &'static str,
    message: &'static str,
    state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PsJson {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    run_status: &'static str,
    is_running: bool,
    is_disabled: bool,
    last_failure: String,
    last_failure_time: String,
    internal_status: InternalStatus,
    uptime: u64,
    port: u16,
    version_name: String,
}

fn ps_json(world: &WekaWorld, lc: &LocalContainer, now: SystemTime) -> PsJson {
    let display = world.display_status(lc);
    let (last_failure, last_failure_time) = match &lc.last_failure {
        Some((message, at)) => (message.clone(), format_time(*at)),
        None => (String::new(), String::new()),
    };
    PsJson {
        name: lc.spec.name.clone(),
        kind: lc.spec.kind.local_type(),
        run_status: lc.run.as_str(),
        is_running: lc.is_running(),
        is_disabled: false,
        last_failure,
        last_failure_time,
        internal_status: InternalStatus {
            action: "NONE",
            display_status: display.as_str(),
            message: display.message(),
            state: "READY",
        },
        uptime: lc
            .started_at
            .and_then(|at| now.duration_since(at).ok())
            .map(|d| d.as_secs())
            .unwrap_or(0),
        port: lc.spec.port,
        version_name: lc.spec.version.clone(),
    }
}

fn ps(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let (_, agent) = agent(inv)?;
    let now = inv.world.now();
    let rows: Vec<PsJson> =
        agent.containers.values().map(|lc| ps_json(inv.world, lc, now)).collect();
    if inv.json {
        return Ok(Output::json(&rows));
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.run_status.to_string(),
                "False".to_string(),
                format!("{}s", r.uptime),
                r.port.to_string(),
                r.internal_status.display_status.to_string(),
                r.version_name.clone(),
                r.last_failure.clone(),
            ]
        })
        .collect();
    Ok(table(
        &["CONTAINER", "STATE", "DISABLED", "UPTIME", "PORT", "STATUS", "VERSION", "LAST FAILURE"],
        &rows,
    ))
}

#[derive(Serialize)]
struct SlotJson {
    cluster_guid: String,
    host_id: Option<HostId>,
    mgmt_ips: Vec<String>,
    port: u16,
}

#[derive(Serialize)]
struct StatusJson {
    #[serde(flatten)]
    ps: PsJson,
    join_ips: Vec<String>,
    slots: Vec<SlotJson>,
}

/// A map from container name to details; `slots[].cluster_guid` is what upstream parses.
fn status(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let (key, names) = targets(inv, &p.args)?;
    let now = inv.world.now();
    let mut map = BTreeMap::new();
    for name in names {
        let Some(lc) = inv.world.local_container(&key, &name) else { continue };
        let slot = SlotJson {
            cluster_guid: lc
                .identity
                .as_ref()
                .map(|i| i.guid.clone())
                .unwrap_or_else(|| ZERO_GUID.to_string()),
            host_id: lc.identity.as_ref().map(|i| i.host),
            mgmt_ips: lc.spec.management_ips.clone(),
            port: lc.spec.port,
        };
        let entry = StatusJson {
            ps: ps_json(inv.world, lc, now),
            join_ips: lc.spec.join_ips.clone(),
            slots: vec![slot],
        };
        map.insert(name, entry);
    }
    if inv.json {
        return Ok(Output::json(&map));
    }
    let text: String = map
        .values()
        .map(|s| {
            format!(
                "{}: {} ({})\n",
                s.ps.name, s.ps.run_status, s.ps.internal_status.display_status
            )
        })
        .collect();
    Ok(Output::Text(text))
}

fn start(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let (key, names) = targets(inv, &p.args)?;
    for name in names {
        inv.world.start_local_container(&key, &name)?;
    }
    Ok(Output::Empty)
}

fn stop(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    if p.flag("graceful") && p.flag("force") {
        return Err(UsageError::invalid("--graceful", "", "cannot be combined with --force").into());
    }
    let (key, names) = targets(inv, &p.args)?;
    for name in names {
        inv.world.stop_local_container(&key, &name)?;
    }
    Ok(Output::Empty)
}

fn restart(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let (key, names) = targets(inv, &p.args)?;
    for name in names {
        inv.world.stop_local_container(&key, &name)?;
        inv.world.start_local_container(&key, &name)?;
    }
    Ok(Output::Empty)
}

fn rm(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    if p.args.is_empty() && !p.flag("all") {
        return Err(UsageError::MissingArgument("<names...> or --all".to_string()).into());
    }
    let (key, names) = targets(inv, &p.args)?;
    for name in names {
        inv.world.remove_local_container(&key, &name)?;
    }
    Ok(Output::Empty)
}

#[derive(Serialize)]
struct ResourcesJson {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    cores: u32,
    base_port: u16,
    agent_port: u16,
    management_ips: Vec<String>,
    join_ips: Vec<String>,
    staged_join_ips: Option<Vec<String>>,
    failure_domain: Option<String>,
    drives: Vec<String>,
}

fn resources(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let (key, name) = single_target(inv, p)?;
    let lc =
        inv.world.local_container(&key, &name).ok_or(WekaError::LocalContainerNotFound(name))?;
    let view = ResourcesJson {
        name: lc.spec.name.clone(),
        kind: lc.spec.kind.local_type(),
        cores: lc.spec.cores,
        base_port: lc.spec.port,
        agent_port: lc.spec.agent_port,
        management_ips: lc.spec.management_ips.clone(),
        join_ips: lc.spec.join_ips.clone(),
        staged_join_ips: lc.staged_join_ips.clone(),
        failure_domain: lc.spec.failure_domain.clone(),
        drives: lc.spec.block_devices.iter().map(|b| b.path.clone()).collect(),
    };
    Ok(if inv.json {
        Output::json(&view)
    } else {
        Output::line(format!(
            "{}: cores {}, port {}, join ips [{}]",
            view.name,
            view.cores,
            view.base_port,
            view.join_ips.join(", ")
        ))
    })
}

fn join_ips(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    if let Some(bad) = p.args.iter().find(|ip| crate::world::local::split_ip_port(ip).0.is_empty())
    {
        return Err(UsageError::invalid("join IP", bad, "expected ip:port").into());
    }
    let (key, name) = single_target(inv, p)?;
    inv.world.stage_join_ips(&key, &name, p.args.clone())?;
    Ok(Output::Empty)
}

fn apply(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let (key, name) = single_target(inv, p)?;
    inv.world.apply_local_resources(&key, &name)?;
    Ok(Output::Empty)
}

#[derive(Serialize)]
struct IdentityValue {
    cluster_guid: String,
    host_id: i64,
}

#[derive(Serialize)]
struct IdentityJson {
    has_value: bool,
    value: Option<IdentityValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: Option<String>,
}

/// `container-get-identity`: the GUID is all zeros (host id -1) until the container joins;
/// an unknown or stopped container answers `has_value: false` with an exception.
fn wapi(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let method = p.required("method")?;
    if method != "container-get-identity" {
        return Err(UsageError::invalid(
            "-W",
            method,
            "the simulator answers container-get-identity",
        )
        .into());
    }
    let name = p.required("container-name")?.to_string();
    let (key, _) = agent(inv)?;
    let answer = match inv.world.local_container(&key, &name) {
        None => IdentityJson {
            has_value: false,
            value: None,
            exception: Some(format!("Container {name} not found")),
        },
        Some(lc) if !lc.is_running() => IdentityJson {
            has_value: false,
            value: None,
            exception: Some(format!("Container {name} is not running")),
        },
        Some(lc) => {
            let value = match &lc.identity {
                Some(identity) => IdentityValue {
                    cluster_guid: identity.guid.clone(),
                    host_id: identity.host.0.into(),
                },
                None => IdentityValue { cluster_guid: ZERO_GUID.to_string(), host_id: -1 },
            };
            IdentityJson { has_value: true, value: Some(value), exception: None }
        }
    };
    Ok(Output::json(&answer))
}

#[cfg(test)]
mod tests {
    use crate::cli::ExecContext;
    use crate::cli::testkit::{Kit, assert_shape};
    use crate::world::local::{AgentKey, ContainerKind, LocalContainerSpec};

    #[test]
    fn ps_shows_stem_then_ready() {
        let mut kit = Kit::pods(1, 0);
        let ps = kit.json("drive-0", "local ps --json");
        let row = &ps[0];
        assert_shape(
            row,
            &[
                ("name", 's'),
                ("type", 's'),
                ("runStatus", 's'),
                ("isRunning", 'b'),
                ("lastFailure", 's'),
                ("lastFailureTime", 's'),
                ("internalStatus", 'o'),
            ],
        );
        assert_shape(
            &row["internalStatus"],
            &[("action", 's'), ("display_status", 's'), ("message", 's'), ("state", 's')],
        );
        assert_eq!(
            (row["runStatus"].as_str(), row["internalStatus"]["display_status"].as_str()),
            (Some("Running"), Some("STEM"))
        );
        kit.ok("drive-0", "cluster create 10.0.1.1 --host-ips 10.0.1.1:14000");
        assert_eq!(
            kit.json("drive-0", "local ps --json")[0]["internalStatus"]["display_status"],
            "READY"
        );
        assert!(kit.ok("drive-0", "local ps").contains("drive"));
    }

    #[test]
    fn identity_is_zero_until_joined() {
        let mut kit = Kit::pods(1, 0);
        let line = "local run wapi -H localhost:14001/jrpc -W container-get-identity --container-name drive --json";
        let before = kit.json("drive-0", line);
        assert_shape(&before, &[("has_value", 'b'), ("value", 'o')]);
        assert_eq!(before["value"]["cluster_guid"], "00000000-0000-0000-0000-000000000000");
        kit.ok("drive-0", "cluster create 10.0.1.1 --host-ips 10.0.1.1:14000");
        let after = kit.json("drive-0", line);
        assert_eq!(after["value"]["host_id"], 0);
        assert_eq!(
            after["value"]["cluster_guid"].as_str(),
            kit.world.clusters().next().map(|c| c.guid.as_str())
        );
        let missing = kit.json("drive-0", "local run wapi -H localhost:1/jrpc -W container-get-identity --container-name nope --json");
        assert_eq!(missing["has_value"], false);
        assert!(missing["exception"].is_string());
        assert_eq!(
            kit.run("drive-0", "local run wapi -W other-method --container-name drive").exit_code,
            2
        );
        assert_eq!(kit.run("drive-0", "local run wapi -W container-get-identity").exit_code, 2);
    }

    #[test]
    fn stop_takes_the_member_down_and_start_reconnects() {
        let mut kit = Kit::formed(2, 0);
        kit.ok("drive-1", "local stop -g");
        assert_eq!(kit.json("drive-1", "local ps --json")[0]["runStatus"], "Stopped");
        assert_eq!(kit.json("drive-0", "cluster container 1 --json")[0]["status"], "DOWN");
        assert!(kit.err("drive-1", "status").contains("not running"));
        kit.ok("drive-1", "local start");
        assert_eq!(kit.json("drive-0", "cluster container 1 --json")[0]["status"], "UP");
        kit.ok("drive-1", "local restart --force");
        assert!(kit.err("drive-1", "local stop nope").contains("Container nope not found"));
        assert_eq!(kit.run("drive-1", "local stop -g --force").exit_code, 2);
        let out = kit.run_ctx(&ExecContext::default(), "local ps --json");
        assert!(out.stderr.contains("agent"), "{out:?}");
    }

    #[test]
    fn join_ips_staged_applied_and_restarted_join_the_cluster() {
        let mut kit = Kit::formed(1, 0);
        let spec = LocalContainerSpec::new("compute", ContainerKind::Compute, "10.0.2.9", 14000);
        kit.pod("late", spec);
        assert_eq!(
            kit.json("late", "local ps --json")[0]["internalStatus"]["display_status"],
            "STEM"
        );
        kit.ok("late", "local resources join-ips 10.0.1.1:14000");
        assert_eq!(
            kit.json("late", "local resources --json")["staged_join_ips"][0],
            "10.0.1.1:14000"
        );
        kit.ok("late", "local resources apply -f");
        kit.ok("late", "local restart --force");
        assert_eq!(
            kit.json("late", "local ps --json")[0]["internalStatus"]["display_status"],
            "READY"
        );
        let status = kit.json("late", "local status --json");
        assert_eq!(status["compute"]["slots"][0]["host_id"], "HostId<1>");
        assert_eq!(kit.run("late", "local resources join-ips :14000").exit_code, 2);
        assert!(kit.err("late", "local resources -C nope").contains("not found"));
    }

    #[test]
    fn rm_forgets_the_container() {
        let mut kit = Kit::pods(1, 0);
        assert_eq!(kit.run("drive-0", "local rm").exit_code, 2);
        kit.ok("drive-0", "local rm --all --force");
        assert_eq!(kit.json("drive-0", "local ps --json"), serde_json::json!([]));
        assert!(kit.world.local_container(&AgentKey::from("drive-0"), "drive").is_none());
    }
}
