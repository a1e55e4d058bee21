//! What a drivers distribution container serves: `weka version get --driver-only <version>
//! --from <url>` fetches a release's driver sources from a builder, `weka driver download
//! --without-agent --version <v> [--kernel-signature <sig>] [--from <url>]` fetches a built
//! package from a builder (with `--from`) or checks that this distribution has it (without).

use crate::cli::output::Output;
use crate::cli::parser::{Parsed, Spec, UsageError, flag, value};
use crate::cli::{CliError, CmdResult, Command, Invocation};
use crate::error::WekaError;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        spec: Spec {
            path: "version get",
            args: &["version"],
            opts: &[flag("driver-only"), value("from")],
            about: "Download a WEKA release (or only its drivers)",
        },
        run: version_get,
    },
    Command {
        spec: Spec {
            path: "driver download",
            args: &[],
            opts: &[
                flag("without-agent"),
                value("version"),
                value("kernel-signature"),
                value("from"),
            ],
            about: "Download the WEKA drivers of a version",
        },
        run: driver_download,
    },
];

/// The package a version and kernel signature name (`<version>-<signature>`, or the version
/// alone for builds without a signature).
fn package(version: &str, signature: Option<&str>) -> String {
    match signature {
        Some(sig) if !sig.is_empty() => format!("{version}-{sig}"),
        _ => version.to_string(),
    }
}

fn check_source(from: &str) -> Result<(), CliError> {
    if from.starts_with("http://") || from.starts_with("https://") {
        return Ok(());
    }
    Err(UsageError::invalid("--from", from, "expected an http(s) URL").into())
}

fn version_get(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let version = p.arg(0).to_string();
    if let Some(from) = p.value("from") {
        check_source(from)?;
    }
    let key = inv.agent()?;
    let agent = inv.world.agents.get_mut(&key).filter(|a| a.running);
    let agent = agent.ok_or(CliError::Weka(WekaError::AgentNotRunning))?;
    agent.dist_versions.insert(version.clone());
    let what = if p.flag("driver-only") { "drivers of " } else { "" };
    Ok(Output::line(format!("Downloaded the {what}version {version}")))
}

fn driver_download(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let version = p.required("version")?.to_string();
    let name = package(&version, p.value("kernel-signature"));
    let key = inv.agent()?;
    let from = p.value("from").map(str::to_string);
    if let Some(from) = &from {
        check_source(from)?;
    }
    let Some(agent) = inv.world.agents.get_mut(&key) else {
        return Err(CliError::Weka(WekaError::AgentNotRunning));
    };
    match from {
        Some(from) => {
            agent.dist_drivers.insert(name.clone());
            Ok(Output::line(format!("Downloaded drivers {name} from {from}")))
        }
        None if agent.dist_drivers.contains(&name) => {
            Ok(Output::line(format!("Drivers {name} are available")))
        }
        None if !agent.dist_versions.contains(&version) => {
            Err(CliError::Weka(WekaError::DistVersionMissing(version)))
        }
        None => Err(CliError::Weka(WekaError::DistDriversMissing(name))),
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::testkit::Kit;

    #[test]
    fn a_distribution_serves_what_was_uploaded_and_says_what_is_missing() {
        let mut kit = Kit::pods(1, 0);
        let missing = kit
            .run("drive-0", "driver download --without-agent --version 4.4 --kernel-signature abc");
        assert_eq!(missing.exit_code, 1);
        assert!(missing.stderr.contains("Version missing"), "{}", missing.stderr);

        kit.ok("drive-0", "version get --driver-only 4.4 --from https://10.0.0.9:60002");
        let unbuilt = kit
            .run("drive-0", "driver download --without-agent --version 4.4 --kernel-signature abc");
        assert!(unbuilt.stderr.contains("Failed to download the drivers"), "{}", unbuilt.stderr);

        kit.ok(
            "drive-0",
            "driver download --without-agent --version 4.4 --from https://10.0.0.9:60002 --kernel-signature abc",
        );
        kit.ok("drive-0", "driver download --without-agent --version 4.4 --kernel-signature abc");
        // Another kernel's package is still missing.
        let other = kit
            .run("drive-0", "driver download --without-agent --version 4.4 --kernel-signature def");
        assert_eq!(other.exit_code, 1);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let mut kit = Kit::pods(1, 0);
        assert_eq!(kit.run("drive-0", "version get").exit_code, 2);
        assert_eq!(kit.run("drive-0", "version get 4.4 --from ftp://x").exit_code, 2);
        assert_eq!(kit.run("drive-0", "driver download --without-agent").exit_code, 2);
    }
}
