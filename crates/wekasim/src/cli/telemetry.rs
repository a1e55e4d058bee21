//! `weka telemetry exports list | add | update | remove` and `weka audit cluster enable |
//! disable`, `weka audit fs enable`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{
    Parsed, Spec, UsageError, parse_sink_id, parse_yes_no, short_flag, value,
};
use crate::cli::{CmdResult, Command, Invocation};
use crate::ids::TelemetrySinkId;
use crate::world::telemetry::ExportSettings;

const EXPORT_OPTS: &[crate::cli::parser::Opt] = &[
    value("sources"),
    value("target"),
    value("auth-token"),
    value("ca-cert"),
    value("allow-unverified-certificate"),
    value("verify-with-cluster-cacert"),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "telemetry exports list",
            args: &[],
            opts: &[],
            about: "List telemetry exports",
        },
        run: list,
    },
    Command {
        spec: Spec {
            path: "telemetry exports add",
            args: &["type", "name"],
            opts: EXPORT_OPTS,
            about: "Add a telemetry export",
        },
        run: add,
    },
    Command {
        spec: Spec {
            path: "telemetry exports update",
            args: &["type", "id"],
            opts: EXPORT_OPTS,
            about: "Update a telemetry export",
        },
        run: update,
    },
    Command {
        spec: Spec {
            path: "telemetry exports remove",
            args: &["id"],
            opts: &[short_flag("force", 'f')],
            about: "Remove a telemetry export",
        },
        run: remove,
    },
    Command {
        spec: Spec {
            path: "audit cluster enable",
            args: &[],
            opts: &[],
            about: "Enable cluster audit",
        },
        run: audit_enable,
    },
    Command {
        spec: Spec {
            path: "audit cluster disable",
            args: &[],
            opts: &[],
            about: "Disable cluster audit",
        },
        run: audit_disable,
    },
    Command {
        spec: Spec {
            path: "audit fs enable",
            args: &["fs-name"],
            opts: &[],
            about: "Enable audit of a filesystem",
        },
        run: audit_fs_enable,
    },
];

#[derive(Serialize)]
struct ExportJson {
    id: TelemetrySinkId,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    target: String,
    sources: Vec<String>,
    enabled: bool,
}

fn list(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<ExportJson> = cluster
            .telemetry
            .exports
            .iter()
            .map(|e| ExportJson {
                id: e.id,
                name: e.name.clone(),
                kind: e.kind.clone(),
                target: e.target.clone(),
                sources: e.sources.clone(),
                enabled: e.enabled,
            })
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|e| vec![e.id.to_string(), e.name.clone(), e.kind.clone(), e.target.clone()])
                .collect();
            table(&["ID", "NAME", "TYPE", "TARGET"], &rows)
        }
    })
}

fn settings(p: &Parsed) -> Result<ExportSettings, UsageError> {
    let yes_no =
        |name: &str| p.value(name).map(|v| parse_yes_no(&format!("--{name}"), v)).transpose();
    Ok(ExportSettings {
        target: p.required("target")?.to_string(),
        auth_token: p.required("auth-token")?.to_string(),
        ca_cert: p.value("ca-cert").map(str::to_string),
        allow_unverified_certificate: yes_no("allow-unverified-certificate")?.unwrap_or(false),
        verify_with_cluster_cacert: yes_no("verify-with-cluster-cacert")?.unwrap_or(false),
    })
}

fn check_type(kind: &str) -> Result<String, UsageError> {
    let kind = kind.to_ascii_lowercase();
    if kind != "splunk" {
        return Err(UsageError::invalid("type", &kind, "expected splunk"));
    }
    Ok(kind)
}

fn add(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let kind = check_type(p.arg(0))?;
    let sources: Vec<String> =
        p.required("sources")?.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let settings = settings(p)?;
    let name = p.arg(1).to_string();
    let id = inv.op(|cluster, _| cluster.add_telemetry_export(&kind, &name, sources, settings))?;
    Ok(Output::line(format!("Export {id} added")))
}

fn update(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    check_type(p.arg(0))?;
    let id = parse_sink_id(p.arg(1))?;
    let settings = settings(p)?;
    inv.op(|cluster, _| cluster.update_telemetry_export(id, settings))?;
    Ok(Output::Empty)
}

fn remove(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let id = parse_sink_id(p.arg(0))?;
    inv.op(|cluster, _| cluster.remove_telemetry_export(id))?;
    Ok(Output::Empty)
}

fn audit_enable(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    inv.op(|cluster, _| cluster.set_cluster_audit(true))?;
    Ok(Output::Empty)
}

fn audit_disable(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    inv.op(|cluster, _| cluster.set_cluster_audit(false))?;
    Ok(Output::Empty)
}

fn audit_fs_enable(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let fs = p.arg(0).to_string();
    inv.op(|cluster, _| cluster.enable_fs_audit(&fs))?;
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::{Kit, assert_shape};

    #[test]
    fn exports_add_list_update_remove() {
        let mut kit = Kit::formed(1, 0);
        kit.ok("drive-0", "telemetry exports add splunk operator-main --sources audit,events --target 'https://splunk:8088' --auth-token 'tok' --allow-unverified-certificate yes");
        let err = kit.err("drive-0", "telemetry exports add splunk operator-main --sources audit --target 'https://x' --auth-token 'tok'");
        assert!(err.contains("already used by export TelemetrySinkId<0>"), "{err}");
        let list = kit.json("drive-0", "telemetry exports list -J");
        assert_shape(
            &list[0],
            &[
                ("id", 's'),
                ("name", 's'),
                ("type", 's'),
                ("target", 's'),
                ("sources", 'a'),
                ("enabled", 'b'),
            ],
        );
        assert_eq!(list[0]["id"], "TelemetrySinkId<0>");
        kit.ok(
            "drive-0",
            "telemetry exports update splunk 0 --target 'https://other:8088' --auth-token 'tok2'",
        );
        assert_eq!(
            kit.json("drive-0", "telemetry exports list -J")[0]["target"],
            "https://other:8088"
        );
        kit.ok("drive-0", "telemetry exports remove 0 --force");
        assert!(kit.err("drive-0", "telemetry exports remove 0 --force").contains("not found"));
        assert_eq!(
            kit.run("drive-0", "telemetry exports add splunk x --sources a --target t").exit_code,
            2
        );
        assert_eq!(
            kit.run(
                "drive-0",
                "telemetry exports add datadog x --sources a --target t --auth-token k"
            )
            .exit_code,
            2
        );
        assert_eq!(kit.run("drive-0", "telemetry exports remove sink").exit_code, 2);
    }

    #[test]
    fn audit_toggles_report_already_enabled_and_not_enabled() {
        let mut kit = Kit::running(6, 0);
        assert!(kit.err("drive-0", "audit cluster disable").contains("not enabled"));
        kit.ok("drive-0", "audit cluster enable");
        assert!(kit.err("drive-0", "audit cluster enable").contains("already enabled"));
        kit.ok("drive-0", "audit cluster disable");
        assert!(kit.err("drive-0", "audit fs enable default").contains("does not exist"));
        kit.ok("drive-0", "fs group create default");
        kit.ok("drive-0", "fs create default default 1TiB --thin-provision-max-ssd 1TiB --thin-provision-min-ssd 1GiB");
        kit.ok("drive-0", "audit fs enable default");
        assert!(kit.err("drive-0", "audit fs enable default").contains("already enabled"));
        assert_eq!(kit.run("drive-0", "audit fs enable").exit_code, 2);
    }
}
