//! The WEKA programs of the image, as exec and the shell run them: `weka` / `wekaauthcli`
//! (the `run-weka-cli.sh` wrapper: the operator's credentials from the mounted secret, then
//! the CLI; `/usr/bin/weka` is the CLI itself) and `lsmod` (the node's WEKA drivers).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use kubesim::nodes::behaviour::{CommandOutput, ContainerCtx};

use super::handle::WekaRuntime;
use super::instance::agent_key;
use super::paths::OPERATOR_USER_DIR;
use crate::cli::{ExecContext, execute};
use crate::world::cluster::IoStatus;
use crate::world::local::{AgentKey, DisplayStatus};

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
    if out.success() && is_command(argv, &["cluster", "start-io"]) {
        wait_for_io(rt, ctx, exec.agent.as_ref()).await;
    }
    if out.success() && is_command(argv, &["cluster", "create"]) {
        wait_for_formation(rt, ctx, exec.agent.as_ref()).await;
    }
    CommandOutput {
        stdout: out.stdout.into_bytes(),
        stderr: out.stderr.into_bytes(),
        code: out.exit_code,
    }
}

/// Whether `argv` runs the subcommand `words` (possibly behind options). Two of them block
/// like the real ones: `cluster start-io` returns once IO runs, `cluster create` once the
/// cluster is formed (upstream configures the new cluster right after it returns).
fn is_command(argv: &[String], words: &[&str]) -> bool {
    let given: Vec<&str> =
        argv[1..].iter().map(String::as_str).filter(|w| !w.starts_with('-')).collect();
    given.starts_with(words)
}

/// How often a blocking command looks at the simulated cluster again.
const BLOCKING_POLL: Duration = Duration::from_millis(200);

/// Waits (on the simulation's clock) while the cluster of this pod's container is still
/// STARTING IO; a cluster that cannot be found ends the wait at once.
async fn wait_for_io(rt: &WekaRuntime, ctx: &ContainerCtx, agent: Option<&AgentKey>) {
    let Some(agent) = agent else { return };
    loop {
        let starting = {
            let mut world = rt.lock_world();
            let world = world.settled();
            let guid = world.agent(agent).and_then(|a| {
                a.containers.values().find_map(|c| c.identity.as_ref().map(|i| i.guid.clone()))
            });
            guid.and_then(|g| world.cluster(&g)).is_some_and(|c| c.io_status == IoStatus::Starting)
        };
        if !starting {
            return;
        }
        ctx.clock().sleep(BLOCKING_POLL).await;
    }
}

/// Waits (on the simulation's clock) while this pod's container is still CLUSTERIZING into
/// the cluster it just created.
async fn wait_for_formation(rt: &WekaRuntime, ctx: &ContainerCtx, agent: Option<&AgentKey>) {
    let Some(agent) = agent else { return };
    loop {
        let forming = {
            let mut world = rt.lock_world();
            let world = world.settled();
            world.agent(agent).is_some_and(|a| {
                a.containers
                    .values()
                    .any(|lc| world.display_status(lc) == DisplayStatus::Clusterizing)
            })
        };
        if !forming {
            return;
        }
        ctx.clock().sleep(BLOCKING_POLL).await;
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
