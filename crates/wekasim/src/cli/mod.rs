//! The weka CLI as the operator runs it in a pod: `execute` takes an argv (`weka ...`,
//! `wekaauthcli ...`, or either behind `timeout <d>`) and answers with stdout, stderr and an
//! exit code. Commands live in modules by area; `parser` holds the grammar.

mod cloud;
mod cluster;
mod container;
mod debug;
mod drive;
mod drivers;
mod fs;
mod local;
mod nfs;
mod output;
mod parser;
mod s3;
mod status;
mod telemetry;
mod user;

#[cfg(test)]
mod dispatch_tests;
#[cfg(test)]
pub(crate) mod testkit;

use std::collections::BTreeMap;

use crate::error::WekaError;
use crate::faults::CommandFault;
use crate::world::OpCtx;
use crate::world::WekaWorld;
use crate::world::cluster::Cluster;
use crate::world::local::{AgentKey, split_ip_port};
use output::Output;
use parser::{Parsed, Spec, UsageError};

/// Where a command runs: the pod's agent (none for a pod without WEKA) and its environment.
/// `wekaauthcli` reads the operator's credentials from mounted files into `WEKA_USERNAME` /
/// `WEKA_PASSWORD`; the caller (the in-pod runtime) puts them in `env` the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecContext {
    pub agent: Option<AgentKey>,
    pub env: BTreeMap<String, String>,
}

impl ExecContext {
    pub fn in_agent(agent: impl Into<AgentKey>) -> Self {
        ExecContext { agent: Some(agent.into()), env: BTreeMap::new() }
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    pub fn with_credentials(self, username: &str, password: &str) -> Self {
        self.with_env("WEKA_USERNAME", username).with_env("WEKA_PASSWORD", password)
    }
}

/// A command's result. `timed_out` means it never returns: the caller makes the exec hang
/// until its own timeout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub timed_out: bool,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.exit_code == 0 && !self.timed_out
    }

    fn failed(exit_code: i32, stderr: String) -> Self {
        CommandOutput { stdout: String::new(), stderr, exit_code, timed_out: false }
    }

    fn hanging() -> Self {
        CommandOutput { timed_out: true, ..CommandOutput::default() }
    }
}

/// Runs one command line against the world. Transitions due by now complete before it runs;
/// those it starts with zero latency complete before it returns.
pub fn execute(world: &mut WekaWorld, ctx: &ExecContext, argv: &[String]) -> CommandOutput {
    world.settle();
    let output = run_program(world, ctx, argv);
    world.settle();
    output
}

fn run_program(world: &mut WekaWorld, ctx: &ExecContext, argv: &[String]) -> CommandOutput {
    let Some((program, args)) = argv.split_first() else {
        return CommandOutput::failed(127, "missing command\n".to_string());
    };
    match program.rsplit('/').next().unwrap_or_default() {
        "weka" | "wekaauthcli" => run_weka(world, ctx, args),
        "timeout" => run_timeout(world, ctx, args),
        other => CommandOutput::failed(127, format!("{other}: command not found\n")),
    }
}

/// `timeout <duration> <command...>`: a hanging command ends with exit code 124.
fn run_timeout(world: &mut WekaWorld, ctx: &ExecContext, args: &[String]) -> CommandOutput {
    let Some((duration, command)) = args.split_first() else {
        return CommandOutput::failed(125, "timeout: missing operand\n".to_string());
    };
    if parser::parse_duration_secs("duration", duration).is_err() {
        return CommandOutput::failed(
            125,
            format!("timeout: invalid time interval '{duration}'\n"),
        );
    }
    let output = run_program(world, ctx, command);
    if output.timed_out {
        CommandOutput { exit_code: 124, timed_out: false, ..output }
    } else {
        output
    }
}

fn run_weka(world: &mut WekaWorld, ctx: &ExecContext, args: &[String]) -> CommandOutput {
    if let Some(fault) = world.faults.command_fault(ctx.agent.as_ref(), args) {
        return match fault {
            CommandFault::Timeout => CommandOutput::hanging(),
            CommandFault::Fail { exit_code, stderr } => CommandOutput::failed(exit_code, stderr),
        };
    }
    match dispatch(world, ctx, args) {
        Ok(output) => CommandOutput { stdout: output.render(), ..CommandOutput::default() },
        Err(CliError::Weka(e)) => CommandOutput::failed(1, format!("error: {e}\n")),
        Err(CliError::Usage { error, usage }) => {
            let usage = usage.map(|u| format!("Usage: {u}\n")).unwrap_or_default();
            CommandOutput::failed(2, format!("error: {error}\n{usage}"))
        }
    }
}

/// A command failed: refused by WEKA (exit 1) or badly invoked (exit 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error(transparent)]
    Weka(#[from] WekaError),
    #[error("{error}")]
    Usage { error: UsageError, usage: Option<String> },
}

impl From<UsageError> for CliError {
    fn from(error: UsageError) -> Self {
        CliError::Usage { error, usage: None }
    }
}

pub(crate) type CmdResult = Result<Output, CliError>;

/// One command: its grammar and what runs it.
pub(crate) struct Command {
    pub spec: Spec,
    pub run: fn(&mut Invocation, &Parsed) -> CmdResult,
}

fn all_commands() -> impl Iterator<Item = &'static Command> {
    [
        status::COMMANDS,
        cluster::COMMANDS,
        container::COMMANDS,
        drive::COMMANDS,
        drivers::COMMANDS,
        fs::COMMANDS,
        s3::COMMANDS,
        nfs::COMMANDS,
        user::COMMANDS,
        local::COMMANDS,
        debug::COMMANDS,
        cloud::COMMANDS,
        telemetry::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

fn dispatch(world: &mut WekaWorld, ctx: &ExecContext, args: &[String]) -> CmdResult {
    let (command, consumed) = find_command(args)?;
    let rest = &args[consumed..];
    if rest.iter().any(|t| t == "--help" || t == "-h") {
        return Ok(Output::Text(format!(
            "Usage: {}\n\n{}\n",
            command.spec.usage(),
            command.spec.about
        )));
    }
    let with_usage =
        |error: UsageError| CliError::Usage { error, usage: Some(command.spec.usage()) };
    let parsed = parser::parse(&command.spec, rest).map_err(with_usage)?;
    let mut invocation = Invocation {
        world,
        ctx,
        json: parsed.flag("json") || parsed.value("format") == Some("json"),
        host: parsed.value("hostname").map(str::to_string),
    };
    (command.run)(&mut invocation, &parsed).map_err(|e| match e {
        CliError::Usage { error, usage: None } => with_usage(error),
        other => other,
    })
}

/// The command whose path is the longest prefix of the leading words.
fn find_command(args: &[String]) -> Result<(&'static Command, usize), UsageError> {
    let words: Vec<&str> =
        args.iter().map(String::as_str).take_while(|t| !t.starts_with('-')).collect();
    let best = all_commands()
        .filter_map(|c| {
            let path: Vec<&str> = c.spec.path.split(' ').collect();
            words.starts_with(&path).then_some((c, path.len()))
        })
        .max_by_key(|(_, len)| *len);
    if let Some(found) = best {
        return Ok(found);
    }
    let typed = words.join(" ");
    let mut choices: Vec<&str> = all_commands()
        .filter_map(|c| {
            let path: Vec<&str> = c.spec.path.split(' ').collect();
            (path.len() > words.len() && path.starts_with(&words)).then(|| path[words.len()])
        })
        .collect();
    if choices.is_empty() {
        return Err(UsageError::UnknownCommand(typed));
    }
    choices.sort_unstable();
    choices.dedup();
    Err(UsageError::MissingSubcommand { path: typed, choices: choices.join(", ") })
}

/// One running command: the world, where it runs, and the output format asked for.
pub(crate) struct Invocation<'a> {
    pub world: &'a mut WekaWorld,
    pub ctx: &'a ExecContext,
    pub json: bool,
    /// `-H <host>`: talk to the container at that IP instead of this pod's.
    host: Option<String>,
}

impl Invocation<'_> {
    /// This pod's agent.
    pub fn agent(&self) -> Result<AgentKey, CliError> {
        self.ctx.agent.clone().ok_or(CliError::Weka(WekaError::AgentNotRunning))
    }

    /// The cluster this command reaches, after checking `WEKA_USERNAME`/`WEKA_PASSWORD` when
    /// set (without them the pod's local login is used, as a backend's root user has).
    pub fn cluster_guid(&mut self) -> Result<String, CliError> {
        let remote =
            self.host.as_deref().map(|h| split_ip_port(h).0).filter(|ip| !is_local_host(ip));
        let agent = match remote {
            Some(ip) => self
                .world
                .agent_by_ip(ip)
                .cloned()
                .ok_or_else(|| WekaError::CreateHostUnreachable(ip.to_string()))?,
            None => self.agent()?,
        };
        let guid = self.world.cluster_for_agent(&agent)?;
        if let Some(username) = self.ctx.env.get("WEKA_USERNAME").filter(|u| !u.is_empty()) {
            let password =
                self.ctx.env.get("WEKA_PASSWORD").map(String::as_str).unwrap_or_default();
            let cluster = self
                .world
                .cluster(&guid)
                .ok_or_else(|| WekaError::ClusterNotFound(guid.clone()))?;
            cluster.authenticate(username, password)?;
        }
        Ok(guid)
    }

    /// Reads the reached cluster.
    pub fn read<R>(&mut self, f: impl FnOnce(&Cluster, &WekaWorld) -> R) -> Result<R, CliError> {
        let guid = self.cluster_guid()?;
        let world = &*self.world;
        let cluster =
            world.cluster(&guid).ok_or_else(|| WekaError::ClusterNotFound(guid.clone()))?;
        Ok(f(cluster, world))
    }

    /// Changes the reached cluster.
    pub fn op<R>(
        &mut self,
        f: impl FnOnce(&mut Cluster, &mut OpCtx) -> Result<R, WekaError>,
    ) -> Result<R, CliError> {
        let guid = self.cluster_guid()?;
        Ok(self.world.op(&guid, f)?)
    }
}

fn is_local_host(host: &str) -> bool {
    matches!(host, "" | "localhost" | "127.0.0.1" | "::1")
}
