//! `weka debug override list | add`, `weka debug config override`, and the JSON-RPC calls of the
//! rolling upgrade (`weka debug jrpc <method> key=value...`).

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{Parsed, Spec, UsageError, flag, value};
use crate::cli::{CmdResult, Command, Invocation};
use crate::error::WekaError;
use crate::world::config::UpgradePhase;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "debug override list",
            args: &[],
            opts: &[],
            about: "List active overrides",
        },
        run: list_overrides,
    },
    Command {
        spec: Spec {
            path: "debug override add",
            args: &[],
            opts: &[value("key"), value("value"), flag("force")],
            about: "Add an override",
        },
        run: add_override,
    },
    Command {
        spec: Spec {
            path: "debug config override",
            args: &["key", "value"],
            opts: &[],
            about: "Override a cluster configuration value",
        },
        run: config_override,
    },
    Command {
        spec: Spec {
            path: "debug jrpc",
            args: &["method", "[params...]"],
            opts: &[],
            about: "Call a cluster JSON-RPC method",
        },
        run: jrpc,
    },
];

#[derive(Serialize)]
struct OverrideJson {
    key: String,
    value: Option<String>,
    enabled: bool,
}

/// Text lists one key per line, so `grep <key>` finds active overrides.
fn list_overrides(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<OverrideJson> = cluster
            .config
            .debug_overrides
            .iter()
            .map(|(k, v)| OverrideJson { key: k.clone(), value: v.clone(), enabled: true })
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|o| vec![o.key.clone(), o.value.clone().unwrap_or_else(|| "true".to_string())])
                .collect();
            table(&["KEY", "VALUE"], &rows)
        }
    })
}

fn add_override(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let key = p.required("key")?.to_string();
    let value = p.value("value").map(str::to_string);
    let force = p.flag("force");
    inv.op(|cluster, _| cluster.add_debug_override(&key, value.as_deref(), force))?;
    Ok(Output::Empty)
}

fn config_override(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let (key, value) = (p.arg(0).to_string(), p.arg(1).to_string());
    if !key.contains('.') {
        return Err(UsageError::invalid(
            "key",
            &key,
            "expected section.field, e.g. clusterInfo.nvmeEnabled",
        )
        .into());
    }
    inv.op(|cluster, _| {
        cluster.set_config_override(&key, &value);
        Ok(())
    })?;
    Ok(Output::Empty)
}

/// Upgrade methods; `upgrade_phase_finish` and the prepare calls may repeat harmlessly.
fn jrpc(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let method = p.arg(0).to_string();
    let mut params = std::collections::BTreeMap::new();
    for param in &p.args[1..] {
        let (k, v) = param
            .split_once('=')
            .ok_or_else(|| UsageError::invalid("parameter", param, "expected key=value"))?;
        params.insert(k.to_string(), v.to_string());
    }
    let param = |name: &str| {
        params
            .get(name)
            .cloned()
            .ok_or_else(|| UsageError::MissingArgument(format!("{name}=<value>")))
    };
    match method.as_str() {
        "prepare_leader_for_upgrade" | "unprepare_leader_for_upgrade" => {
            let prepared = method == "prepare_leader_for_upgrade";
            inv.op(|cluster, _| {
                cluster.prepare_leader_for_upgrade(prepared);
                Ok(())
            })?;
        }
        "upgrade_phase_start" => {
            let phase_name = param("target_phase_type")?;
            let phase = UpgradePhase::parse(&phase_name).ok_or_else(|| {
                UsageError::invalid(
                    "target_phase_type",
                    &phase_name,
                    "expected DrivePhase, ComputeRollingPhase or FrontendPhase",
                )
            })?;
            let version = param("target_version_name")?;
            inv.op(|cluster, _| cluster.start_upgrade_phase(phase, &version))?;
        }
        "upgrade_phase_finish" => inv.op(|cluster, _| {
            cluster.finish_upgrade_phase();
            Ok(())
        })?,
        _ => return Err(WekaError::UnknownJrpcMethod(method).into()),
    }
    Ok(Output::json(&serde_json::Value::Null))
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::Kit;

    #[test]
    fn overrides_list_as_text_and_refuse_duplicates_without_force() {
        let mut kit = Kit::formed(1, 0);
        assert!(!kit.ok("drive-0", "debug override list").contains("authenticate_client_join"));
        kit.ok("drive-0", "debug override add --key authenticate_client_join");
        assert!(kit.ok("drive-0", "debug override list").contains("authenticate_client_join"));
        assert!(
            kit.err("drive-0", "debug override add --key authenticate_client_join")
                .contains("already exists")
        );
        kit.ok(
            "drive-0",
            "debug override add --key auto_start_telemetry_container --value false --force",
        );
        kit.ok(
            "drive-0",
            "debug override add --key auto_start_telemetry_container --value false --force",
        );
        assert_eq!(
            kit.json("drive-0", "debug override list -J")[0]["key"],
            "authenticate_client_join"
        );
        assert_eq!(kit.run("drive-0", "debug override add").exit_code, 2);
        assert_eq!(kit.run("drive-0", "debug override add --key").exit_code, 2);
    }

    #[test]
    fn config_overrides_are_stored() {
        let mut kit = Kit::formed(1, 0);
        kit.ok("drive-0", "debug config override clusterInfo.nvmeEnabled false");
        kit.ok("drive-0", "debug config override telemetryInfo.enabled true");
        let overrides = kit.cluster().config.config_overrides.clone();
        assert_eq!(overrides.get("clusterInfo.nvmeEnabled").map(String::as_str), Some("false"));
        assert_eq!(kit.run("drive-0", "debug config override nvmeEnabled false").exit_code, 2);
        assert_eq!(
            kit.run("drive-0", "debug config override clusterInfo.nvmeEnabled").exit_code,
            2
        );
    }

    #[test]
    fn upgrade_phases_show_in_status() {
        let mut kit = Kit::formed(1, 0);
        let phase = |kit: &mut Kit| {
            kit.json("drive-0", "status --json")["upgrade_info"]["upgrade_phase"].clone()
        };
        assert!(
            kit.err(
                "drive-0",
                "debug jrpc upgrade_phase_start target_phase_type=DrivePhase target_version_name=v2"
            )
            .contains("not prepared")
        );
        kit.ok("drive-0", "debug jrpc prepare_leader_for_upgrade");
        kit.ok(
            "drive-0",
            "debug jrpc upgrade_phase_start target_phase_type=DrivePhase target_version_name=v2",
        );
        assert_eq!(phase(&mut kit), "DrivePhase");
        assert!(
            kit.ok("drive-0", "status --json")
                .lines()
                .any(|l| l.contains("upgrade_phase") && l.contains("Drive"))
        );
        assert!(kit.err("drive-0", "debug jrpc upgrade_phase_start target_phase_type=ComputeRollingPhase target_version_name=v2").contains("already in progress"));
        kit.ok("drive-0", "debug jrpc upgrade_phase_finish");
        kit.ok("drive-0", "debug jrpc upgrade_phase_finish");
        assert_eq!(phase(&mut kit), "");
        kit.ok("drive-0", "debug jrpc unprepare_leader_for_upgrade");
        assert!(
            kit.err("drive-0", "debug jrpc no_such_method").contains("Unknown JSON-RPC method")
        );
        assert_eq!(
            kit.run(
                "drive-0",
                "debug jrpc upgrade_phase_start target_phase_type=Nope target_version_name=v"
            )
            .exit_code,
            2
        );
        assert_eq!(kit.run("drive-0", "debug jrpc upgrade_phase_start DrivePhase").exit_code, 2);
    }
}
