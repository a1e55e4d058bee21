//! Weka Home and other one-line settings: `weka cloud enable | proxy`,
//! `weka events trigger-event`, `weka security kms set`.

use crate::cli::output::Output;
use crate::cli::parser::{Parsed, Spec, UsageError, parse_on_off, value};
use crate::cli::{CmdResult, Command, Invocation};
use crate::world::config::Kms;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "cloud enable",
            args: &[],
            opts: &[value("cloud-url"), value("cloud-stats")],
            about: "Enable Weka Home",
        },
        run: enable,
    },
    Command {
        spec: Spec {
            path: "cloud proxy",
            args: &[],
            opts: &[value("set")],
            about: "Show or set the Weka Home proxy",
        },
        run: proxy,
    },
    Command {
        spec: Spec {
            path: "events trigger-event",
            args: &["text"],
            opts: &[],
            about: "Emit a custom event",
        },
        run: trigger_event,
    },
    Command {
        spec: Spec {
            path: "security kms set",
            args: &["type", "address", "key-identifier"],
            opts: &[
                value("kubernetes-role"),
                value("auth-path"),
                value("transit-path"),
                value("token"),
                value("namespace"),
            ],
            about: "Configure the KMS",
        },
        run: kms_set,
    },
];

fn enable(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let url = p.value("cloud-url").unwrap_or("https://api.home.weka.io").to_string();
    let stats = p
        .value("cloud-stats")
        .map(|v| parse_on_off("--cloud-stats", v))
        .transpose()?
        .unwrap_or(true);
    inv.op(|cluster, _| {
        cluster.enable_cloud(&url, stats);
        Ok(())
    })?;
    Ok(Output::Empty)
}

fn proxy(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    match p.value("set") {
        Some(proxy) => {
            let proxy = proxy.to_string();
            inv.op(|cluster, _| {
                cluster.set_cloud_proxy(&proxy);
                Ok(())
            })?;
            Ok(Output::Empty)
        }
        None => {
            inv.read(|cluster, _| Output::line(format!("Proxy: {}", cluster.config.cloud.proxy)))
        }
    }
}

fn trigger_event(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let text = p.arg(0).to_string();
    inv.op(|cluster, ctx| {
        cluster.trigger_event(&text, ctx.now);
        Ok(())
    })?;
    Ok(Output::Empty)
}

fn kms_set(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let kind = p.arg(0).to_ascii_lowercase();
    if kind != "vault" && kind != "kmip" {
        return Err(UsageError::invalid("type", p.arg(0), "expected vault or kmip").into());
    }
    let kms = Kms {
        kind,
        address: p.arg(1).to_string(),
        key_name: p.arg(2).to_string(),
        kubernetes_role: p.value("kubernetes-role").map(str::to_string),
        auth_path: p.value("auth-path").map(str::to_string),
        transit_path: p.value("transit-path").map(str::to_string),
    };
    inv.op(|cluster, _| {
        cluster.set_kms(kms);
        Ok(())
    })?;
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::Kit;

    #[test]
    fn weka_home_settings_show_in_status() {
        let mut kit = Kit::formed(1, 0);
        kit.ok("drive-0", "cloud proxy --set http://proxy:3128");
        kit.ok("drive-0", "cloud enable --cloud-url https://home.example --cloud-stats off");
        let cloud = kit.json("drive-0", "status --json")["cloud"].clone();
        assert_eq!(cloud["enabled"], true);
        assert_eq!(cloud["url"], "https://home.example");
        assert_eq!(cloud["proxy"], "http://proxy:3128");
        assert!(!kit.cluster().config.cloud.stats);
        assert_eq!(kit.run("drive-0", "cloud enable --cloud-stats maybe").exit_code, 2);
    }

    #[test]
    fn events_and_kms() {
        let mut kit = Kit::formed(1, 0);
        kit.ok(
            "drive-0",
            "events trigger-event 'K8s_Operator: upgrade started (operator: v1, k8s: v1.33)'",
        );
        assert_eq!(
            kit.cluster().config.events[0].text,
            "K8s_Operator: upgrade started (operator: v1, k8s: v1.33)"
        );
        assert_eq!(kit.run("drive-0", "events trigger-event").exit_code, 2);
        kit.ok("drive-0", "security kms set vault 'https://vault:8200' 'weka-key' --kubernetes-role 'weka' --auth-path 'kubernetes' --transit-path 'transit'");
        assert_eq!(
            kit.cluster().config.kms.as_ref().map(|k| k.key_name.as_str()),
            Some("weka-key")
        );
        assert_eq!(kit.run("drive-0", "security kms set hsm a b").exit_code, 2);
    }
}
