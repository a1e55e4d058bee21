//! The dispatcher: programs, unknown commands, help, and a sweep of every command with odd
//! arguments that must fail cleanly and never panic.

use crate::cli::testkit::Kit;
use crate::cli::{ExecContext, all_commands, execute};
use crate::rng::SimRng;

#[test]
fn only_weka_programs_run() {
    let mut kit = Kit::formed(1, 0);
    let ctx = ExecContext::in_agent("drive-0");
    let run = |kit: &mut Kit, argv: &[&str]| {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        execute(&mut kit.world, &ctx, &argv)
    };
    assert_eq!(run(&mut kit, &[]).exit_code, 127);
    assert_eq!(run(&mut kit, &["ls", "/"]).exit_code, 127);
    assert!(run(&mut kit, &["/usr/local/bin/wekaauthcli", "status"]).success());
    assert!(run(&mut kit, &["timeout", "10s", "weka", "status"]).success());
    assert_eq!(run(&mut kit, &["timeout", "soon", "weka", "status"]).exit_code, 125);
}

#[test]
fn unknown_commands_and_groups_are_usage_errors() {
    let mut kit = Kit::formed(1, 0);
    let out = kit.run("drive-0", "frobnicate now");
    assert_eq!(out.exit_code, 2);
    assert!(out.stderr.contains("unknown command 'weka frobnicate now'"), "{out:?}");
    let out = kit.run("drive-0", "nfs");
    assert_eq!(out.exit_code, 2);
    assert!(
        out.stderr.contains(
            "'weka nfs' needs a subcommand, one of: client-group, global-config, interface-group"
        ),
        "{out:?}"
    );
    let out = kit.run("drive-0", "");
    assert_eq!(out.exit_code, 2);
    assert!(out.stderr.contains("'weka' needs a subcommand"), "{out:?}");
    let out = kit.run("drive-0", "cluster drive add --help");
    assert!(
        out.success()
            && out
                .stdout
                .starts_with("Usage: weka cluster drive add <container-id> <device-paths...>"),
        "{out:?}"
    );
    let out = kit.run("drive-0", "cluster drive add 0");
    assert!(out.stderr.contains("Usage: weka cluster drive add"), "{out:?}");
}

#[test]
fn every_command_survives_odd_arguments() {
    const POOL: &[&str] = &[
        "0",
        "1",
        "-1",
        "x",
        "HostId<0>",
        "HostId<",
        "--json",
        "-J",
        "-f",
        "--force",
        "-",
        "--",
        "--filter",
        "a=b",
        "status=ACTIVE",
        "--pool",
        "--name",
        "-H",
        "10.0.1.1",
        "1.2.3.4-9",
        "9999999999999999999",
        "5200w",
        "100GiB",
        "--container",
        "-C",
        "drive",
        "--key",
        "k",
        "--value",
        "=",
        "--x=y",
        "é",
        "-é",
    ];
    let mut rng = SimRng::new(42);
    let paths: Vec<&str> = all_commands().map(|c| c.spec.path).collect();
    for path in paths {
        let mut kit = Kit::running(1, 1);
        for _ in 0..25 {
            let n = (rng.next_u64() % 5) as usize;
            let mut line = path.to_string();
            for _ in 0..n {
                line.push(' ');
                line.push_str(POOL[(rng.next_u64() % POOL.len() as u64) as usize]);
            }
            let out = kit.run("compute-0", &line);
            if !out.success() {
                assert!(!out.stderr.is_empty(), "`weka {line}` failed silently: {out:?}");
            }
        }
    }
}
