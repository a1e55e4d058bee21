//! The WEKA programs of the image, as exec and the shell run them: `weka` / `wekaauthcli`
//! (the `run-weka-cli.sh` wrapper: the operator's credentials from the mounted secret, then
//! the CLI; `/usr/bin/weka` is the CLI itself) and `lsmod` (the node's WEKA drivers).

use std::collections::BTreeMap;

use futures::FutureExt;
use futures::future::BoxFuture;
use kubesim::nodes::behaviour::{CommandOutput, ContainerCtx};

use super::handle::WekaRuntime;
use super::instance::agent_key;
use super::paths::OPERATOR_USER_DIR;
use crate::cli::{ExecContext, execute};

/// `Some` when `argv[0]` is one of the image's WEKA programs.
pub(crate) fn command<'a>(
    rt: &'a WekaRuntime,
    ctx: &'a ContainerCtx,
    argv: &'a [String],
) -> Option<BoxFuture<'a, CommandOutput>> {
    let program = argv.first()?;
    match program.rsplit('/').next().unwrap_or(program) {
        "weka" | "wekaauthcli" => Some(run_weka(rt, ctx, argv).boxed()),
        "lsmod" => Some(futures::future::ready(lsmod(rt, ctx)).boxed()),
        _ => None,
    }
}

async fn run_weka(rt: &WekaRuntime, ctx: &ContainerCtx, argv: &[String]) -> CommandOutput {
    let wrapper = argv[0] != "/usr/bin/weka";
    let exec = ExecContext { agent: Some(agent_key(ctx.pod())), env: credentials(ctx, wrapper) };
    let out = execute(&mut rt.lock_world(), &exec, argv);
    if out.timed_out {
        // The command never returns; the caller's timeout ends the exec.
        std::future::pending::<()>().await;
    }
    CommandOutput {
        stdout: out.stdout.into_bytes(),
        stderr: out.stderr.into_bytes(),
        code: out.exit_code,
    }
}

/// The wrapper exports `WEKA_USERNAME` / `WEKA_PASSWORD` / `WEKA_ORG` from the mounted
/// operator-user secret when it is there; otherwise the container's own environment counts.
fn credentials(ctx: &ContainerCtx, wrapper: bool) -> BTreeMap<String, String> {
    let read = |key: &str| {
        ctx.fs()
            .read_string(&format!("{OPERATOR_USER_DIR}/{key}"))
            .ok()
            .map(|v| v.trim_end_matches('\n').to_string())
    };
    let mut env = BTreeMap::new();
    if wrapper && let Some(username) = read("username") {
        env.insert("WEKA_USERNAME".to_string(), username);
        env.insert("WEKA_PASSWORD".to_string(), read("password").unwrap_or_default());
        env.insert("WEKA_ORG".to_string(), read("org").unwrap_or_default());
        return env;
    }
    for key in ["WEKA_USERNAME", "WEKA_PASSWORD", "WEKA_ORG"] {
        if let Some(value) = ctx.env(key) {
            env.insert(key.to_string(), value.to_string());
        }
    }
    env
}

/// The node's kernel modules: the WEKA drivers once loaded.
fn lsmod(rt: &WekaRuntime, ctx: &ContainerCtx) -> CommandOutput {
    let mut text = String::from("Module                  Size  Used by\n");
    if rt.drivers_loaded(&ctx.info().node_name) {
        text.push_str(
            "wekafsio             1466368  0\n\
             wekafsgw               49152  1 wekafsio\n\
             mpin_user              16384  0\n\
             igb_uio                20480  0\n\
             uio_pci_generic        16384  0\n\
             uio                    24576  2 igb_uio,uio_pci_generic\n",
        );
    }
    CommandOutput::ok(text)
}
