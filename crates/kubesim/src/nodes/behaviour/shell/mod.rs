//! The shell every simulated container has: `exec` argv runs a program (the behaviour's own, or
//! a built-in one), and `sh -c` / `bash -c` / `bash -ce` run scripts of them with `&&`, `||`,
//! `;`, pipes, redirections, variables, `$(...)` and here-documents, with real exit codes.

mod awk;
mod builtins;
mod net;
mod parse;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;

use super::{CommandOutput, ContainerBehaviour, ContainerCtx, Signal};
use builtins::Env;
use parse::{AndOr, Connector, Piece, Pipeline, Redirect, Simple, Word};

pub use parse::ParseError;

/// Why an exec could not start a process at all (the runtime's error, not an exit code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error(
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{0}\": executable file not found in $PATH: unknown"
    )]
    NotFound(String),
    #[error("no command given")]
    Empty,
}

/// Runs `argv` in the container as an exec would.
pub async fn exec(
    behaviour: &dyn ContainerBehaviour,
    ctx: &ContainerCtx,
    argv: &[String],
    stdin: &[u8],
) -> Result<CommandOutput, ExecError> {
    let program = argv.first().ok_or(ExecError::Empty)?;
    let mut shell = Shell::new(behaviour, ctx, "sh");
    match shell.program(argv, stdin).await {
        Some(output) => Ok(output),
        None => Err(ExecError::NotFound(program.clone())),
    }
}

/// Runs a script as `sh -c` would.
pub async fn run_script(
    behaviour: &dyn ContainerBehaviour,
    ctx: &ContainerCtx,
    script: &str,
    stdin: &[u8],
) -> CommandOutput {
    let mut shell = Shell::new(behaviour, ctx, "sh");
    shell.script(script, stdin).await
}

/// Whether `program` names something the shell can run without the behaviour.
pub fn is_builtin(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    builtins::NAMES.contains(&name)
        || matches!(
            name,
            "sh" | "bash" | "sleep" | "timeout" | "kill" | "exec" | "exit" | "nice" | "awk" | "ip"
        )
}

struct Shell<'a> {
    behaviour: &'a dyn ContainerBehaviour,
    ctx: &'a ContainerCtx,
    name: &'static str,
    vars: BTreeMap<String, String>,
    status: i32,
    errexit: bool,
    pipefail: bool,
    cwd: String,
    /// What commands that are not fed by a pipe or redirection read.
    stdin: Vec<u8>,
}

/// `exit` unwinds the whole script.
struct Exit(i32);

impl<'a> Shell<'a> {
    fn new(
        behaviour: &'a dyn ContainerBehaviour,
        ctx: &'a ContainerCtx,
        name: &'static str,
    ) -> Self {
        let mut vars = ctx.info().env.clone();
        vars.entry("HOME".into()).or_insert_with(|| "/root".into());
        vars.entry("PATH".into()).or_insert_with(|| {
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()
        });
        vars.entry("HOSTNAME".into())
            .or_insert_with(|| ctx.pod().metadata.name.clone().unwrap_or_default());
        Shell {
            behaviour,
            ctx,
            name,
            vars,
            status: 0,
            errexit: false,
            pipefail: false,
            cwd: "/".into(),
            stdin: Vec::new(),
        }
    }

    fn child(&self, name: &'static str) -> Shell<'a> {
        Shell {
            behaviour: self.behaviour,
            ctx: self.ctx,
            name,
            vars: self.vars.clone(),
            status: 0,
            errexit: false,
            pipefail: false,
            cwd: self.cwd.clone(),
            stdin: Vec::new(),
        }
    }

    /// Parses and runs a script; its output and final status.
    fn script<'s>(&'s mut self, text: &'s str, stdin: &'s [u8]) -> BoxFuture<'s, CommandOutput> {
        async move {
            let script = match parse::parse(text) {
                Ok(s) => s,
                Err(e) => return CommandOutput::fail(2, format!("{}: 1: {e}\n", self.name)),
            };
            self.stdin = stdin.to_vec();
            let mut out = CommandOutput::default();
            for list in &script {
                match self.and_or(list, &mut out).await {
                    Ok(()) => {}
                    Err(Exit(code)) => {
                        out.code = code;
                        return out;
                    }
                }
            }
            out.code = self.status;
            out
        }
        .boxed()
    }

    async fn and_or(&mut self, list: &AndOr, out: &mut CommandOutput) -> Result<(), Exit> {
        self.pipeline(&list.first, out).await?;
        let mut last_ran_final = list.rest.is_empty();
        let mut last_negated = list.first.negated;
        for (i, (connector, pipeline)) in list.rest.iter().enumerate() {
            let run = match connector {
                Connector::And => self.status == 0,
                Connector::Or => self.status != 0,
            };
            if run {
                self.pipeline(pipeline, out).await?;
                last_ran_final = i + 1 == list.rest.len();
                last_negated = pipeline.negated;
            } else {
                last_ran_final = false;
            }
        }
        if self.errexit && self.status != 0 && last_ran_final && !last_negated {
            return Err(Exit(self.status));
        }
        Ok(())
    }

    async fn pipeline(&mut self, pipeline: &Pipeline, out: &mut CommandOutput) -> Result<(), Exit> {
        let mut input = self.stdin.clone();
        let mut worst = 0;
        let count = pipeline.commands.len();
        for (i, command) in pipeline.commands.iter().enumerate() {
            let mut stage = CommandOutput::default();
            let result = self.simple(command, &input, &mut stage).await;
            out.stderr.extend_from_slice(&stage.stderr);
            if let Err(exit) = result {
                if count == 1 {
                    out.stdout.extend_from_slice(&stage.stdout);
                    return Err(exit);
                }
                // `exit` in a pipeline ends only its own stage (a subshell).
                self.status = exit.0;
            }
            if self.status != 0 {
                worst = self.status;
            }
            if i + 1 == count {
                out.stdout.extend_from_slice(&stage.stdout);
            } else {
                input = stage.stdout;
            }
        }
        if self.pipefail && worst != 0 && self.status == 0 {
            self.status = worst;
        }
        if pipeline.negated {
            self.status = i32::from(self.status == 0);
        }
        Ok(())
    }

    fn expand<'s>(&'s mut self, word: &'s Word) -> BoxFuture<'s, String> {
        async move {
            let mut text = String::new();
            for piece in word {
                match piece {
                    Piece::Text(t) => text.push_str(t),
                    Piece::Var(name) => text.push_str(&self.var(name)),
                    Piece::Subst(script) => {
                        let mut sub = self.child(self.name);
                        let output = sub.script(script, &[]).await;
                        self.status = output.code;
                        let value = String::from_utf8_lossy(&output.stdout).into_owned();
                        text.push_str(value.trim_end_matches('\n'));
                    }
                }
            }
            text
        }
        .boxed()
    }

    fn var(&self, name: &str) -> String {
        match name {
            "?" => self.status.to_string(),
            "$" => "1".into(),
            "#" => "0".into(),
            "0" => self.name.into(),
            _ => self.vars.get(name).cloned().unwrap_or_default(),
        }
    }

    async fn simple(
        &mut self,
        cmd: &Simple,
        pipe_in: &[u8],
        out: &mut CommandOutput,
    ) -> Result<(), Exit> {
        let mut assignments = Vec::new();
        for (name, word) in &cmd.assignments {
            assignments.push((name.clone(), self.expand(word).await));
        }
        let mut argv = Vec::new();
        for word in &cmd.words {
            let value = self.expand(word).await;
            // An unquoted expansion to nothing is no argument at all.
            let only_expansion = word.iter().all(|p| !matches!(p, Piece::Text(_)));
            if !(value.is_empty() && only_expansion) {
                argv.push(value);
            }
        }
        let mut stdin = pipe_in.to_vec();
        for redirect in &cmd.redirects {
            match redirect {
                Redirect::In(target) => {
                    let path = self.expand(target).await;
                    match self.ctx.fs().read(&self.path(&path)) {
                        Ok(data) => stdin = data,
                        Err(e) => {
                            out.stderr.extend(
                                format!("{}: can't open '{path}': {}\n", self.name, reason(&e))
                                    .bytes(),
                            );
                            self.status = 1;
                            return Ok(());
                        }
                    }
                }
                Redirect::Here(body) => stdin = self.expand(body).await.into_bytes(),
                _ => {}
            }
        }
        if argv.is_empty() {
            self.vars.extend(assignments);
            self.status = 0;
            return self.route(cmd, CommandOutput::default(), out).await;
        }
        let saved: Vec<_> =
            assignments.iter().map(|(k, _)| (k.clone(), self.vars.get(k).cloned())).collect();
        self.vars.extend(assignments);
        let result = self.special(&argv).await;
        for (k, v) in saved {
            match v {
                Some(v) => self.vars.insert(k, v),
                None => self.vars.remove(&k),
            };
        }
        let output = match result {
            Ok(Some(output)) => output,
            Ok(None) => match self.program(&argv, &stdin).await {
                Some(output) => output,
                None => {
                    let message = if self.name == "bash" {
                        format!("bash: line 1: {}: command not found\n", argv[0])
                    } else {
                        format!("{}: {}: not found\n", self.name, argv[0])
                    };
                    CommandOutput::fail(127, message)
                }
            },
            Err(exit) => {
                self.status = exit.0;
                return Err(exit);
            }
        };
        self.status = output.code;
        self.route(cmd, output, out).await
    }

    /// Sends a command's output where its redirections say.
    async fn route(
        &mut self,
        cmd: &Simple,
        output: CommandOutput,
        out: &mut CommandOutput,
    ) -> Result<(), Exit> {
        #[derive(Clone, PartialEq)]
        enum Dest {
            Out,
            Err,
            File(String, bool),
        }
        let mut fd1 = Dest::Out;
        let mut fd2 = Dest::Err;
        for redirect in &cmd.redirects {
            match redirect {
                Redirect::Out { fd, target, append } => {
                    let path = self.expand(target).await;
                    let dest = Dest::File(path, *append);
                    if *fd == 2 {
                        fd2 = dest;
                    } else {
                        fd1 = dest;
                    }
                }
                Redirect::Both(target) => {
                    let path = self.expand(target).await;
                    fd1 = Dest::File(path, false);
                    fd2 = fd1.clone();
                }
                Redirect::ErrToOut => fd2 = fd1.clone(),
                Redirect::OutToErr => fd1 = fd2.clone(),
                Redirect::In(_) | Redirect::Here(_) => {}
            }
        }
        let mut truncated: Vec<String> = Vec::new();
        for (dest, data) in [(fd1, output.stdout), (fd2, output.stderr)] {
            match dest {
                Dest::Out => out.stdout.extend(data),
                Dest::Err => out.stderr.extend(data),
                Dest::File(path, append) => {
                    if path == "/dev/null" {
                        continue;
                    }
                    if matches!(path.as_str(), "/dev/stderr" | "/proc/self/fd/2") {
                        out.stderr.extend(data);
                        continue;
                    }
                    if matches!(path.as_str(), "/dev/stdout" | "/proc/self/fd/1") {
                        out.stdout.extend(data);
                        continue;
                    }
                    let full = self.path(&path);
                    let append = append || truncated.contains(&full);
                    if let Err(e) = self.ctx.fs().write_with(&full, &data, append) {
                        out.stderr.extend(
                            format!("{}: can't create {path}: {}\n", self.name, reason(&e)).bytes(),
                        );
                        self.status = 2;
                        return Ok(());
                    }
                    truncated.push(full);
                }
            }
        }
        Ok(())
    }

    fn path(&self, path: &str) -> String {
        if path.starts_with('/') { path.to_string() } else { format!("{}/{path}", self.cwd) }
    }

    /// Builtins that change the shell itself, or wait.
    async fn special(&mut self, argv: &[String]) -> Result<Option<CommandOutput>, Exit> {
        let name = argv[0].as_str();
        let args = &argv[1..];
        Ok(Some(match name {
            "exit" => {
                let code = args.first().map_or(Some(self.status), |a| a.parse().ok());
                return Err(Exit(code.unwrap_or(2)));
            }
            "set" => {
                let mut i = 0;
                while i < args.len() {
                    match args[i].as_str() {
                        "-e" => self.errexit = true,
                        "+e" => self.errexit = false,
                        "-o" if args.get(i + 1).map(String::as_str) == Some("pipefail") => {
                            self.pipefail = true;
                            i += 1;
                        }
                        "-eo" if args.get(i + 1).map(String::as_str) == Some("pipefail") => {
                            self.errexit = true;
                            self.pipefail = true;
                            i += 1;
                        }
                        flag if flag.starts_with('-') && flag.contains('e') => self.errexit = true,
                        _ => {}
                    }
                    i += 1;
                }
                CommandOutput::default()
            }
            "export" | "readonly" | "local" => {
                for arg in args {
                    if let Some((k, v)) = arg.split_once('=') {
                        self.vars.insert(k.to_string(), v.to_string());
                    }
                }
                CommandOutput::default()
            }
            "unset" => {
                for arg in args {
                    self.vars.remove(arg);
                }
                CommandOutput::default()
            }
            "cd" => {
                let target = args.first().cloned().unwrap_or_else(|| self.var("HOME"));
                let full = super::fs::normalise(&self.path(&target));
                if self.ctx.fs().is_dir(&full) {
                    self.cwd = full;
                    CommandOutput::default()
                } else {
                    CommandOutput::fail(2, format!("{}: 1: cd: can't cd to {target}\n", self.name))
                }
            }
            "pwd" => CommandOutput::ok(format!("{}\n", self.cwd)),
            _ => return Ok(None),
        }))
    }

    /// Runs a program: the behaviour's, then the shells and waiting builtins, then the rest
    /// of the builtins. `None` if there is no such program.
    fn program<'s>(
        &'s mut self,
        argv: &'s [String],
        stdin: &'s [u8],
    ) -> BoxFuture<'s, Option<CommandOutput>> {
        async move {
            if let Some(fut) = self.behaviour.command(self.ctx, argv, stdin) {
                return Some(fut.await);
            }
            let name = argv[0].rsplit('/').next().unwrap_or(&argv[0]);
            let args = &argv[1..];
            match name {
                "sh" | "bash" | "ash" | "dash" => {
                    let shell_name = if name == "bash" { "bash" } else { "sh" };
                    Some(self.run_shell(shell_name, args, stdin).await)
                }
                "sleep" => Some(self.sleep(args).await),
                "timeout" => Some(self.timeout(args, stdin).await),
                "exec" | "nice" | "nohup" if !args.is_empty() => self.program(args, stdin).await,
                "kill" => Some(self.kill(args)),
                "awk" => Some(awk::run(self.ctx.fs(), &self.cwd, args, stdin)),
                "ip" => Some(net::ip(self.ctx, args)),
                _ => {
                    let env = Env {
                        fs: self.ctx.fs(),
                        cwd: &self.cwd,
                        vars: &self.vars,
                        pod: self.ctx.pod(),
                        now: self.ctx.clock().now(),
                    };
                    builtins::run(&env, name, args, stdin)
                }
            }
        }
        .boxed()
    }

    async fn run_shell(
        &mut self,
        name: &'static str,
        args: &[String],
        stdin: &[u8],
    ) -> CommandOutput {
        let mut child = self.child(name);
        let mut script: Option<&str> = None;
        let mut i = 0;
        while i < args.len() {
            let arg = args[i].as_str();
            if arg == "-o" && args.get(i + 1).map(String::as_str) == Some("pipefail") {
                child.pipefail = true;
                i += 2;
                continue;
            }
            if let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) {
                if flags.contains('e') {
                    child.errexit = true;
                }
                if flags.contains('c') {
                    i += 1;
                    script = args.get(i).map(String::as_str);
                    break;
                }
                i += 1;
                continue;
            }
            // `sh FILE`: run a script file.
            return match self.ctx.fs().read_string(&self.path(arg)) {
                Ok(text) => child.script(&text, stdin).await,
                Err(_) => {
                    CommandOutput::fail(2, format!("{name}: 0: cannot open {arg}: No such file\n"))
                }
            };
        }
        match script {
            Some(text) => child.script(text, stdin).await,
            None if i > 0 && args.get(i - 1).is_some_and(|a| a.contains('c')) => {
                CommandOutput::fail(2, format!("{name}: -c: option requires an argument\n"))
            }
            None => {
                let text = String::from_utf8_lossy(stdin).into_owned();
                child.script(&text, &[]).await
            }
        }
    }

    async fn sleep(&mut self, args: &[String]) -> CommandOutput {
        let mut total = Duration::ZERO;
        for arg in args {
            if arg == "infinity" {
                std::future::pending::<()>().await;
            }
            match parse_duration(arg) {
                Some(d) => total += d,
                None => return CommandOutput::fail(1, format!("sleep: invalid number '{arg}'\n")),
            }
        }
        if args.is_empty() {
            return CommandOutput::fail(1, "sleep: missing operand\n");
        }
        self.ctx.clock().sleep(total).await;
        CommandOutput::default()
    }

    async fn timeout(&mut self, args: &[String], stdin: &[u8]) -> CommandOutput {
        let mut args = args;
        while args.first().is_some_and(|a| a.starts_with('-')) {
            args = &args[1..];
        }
        let (Some(limit), Some(_)) = (args.first().and_then(|a| parse_duration(a)), args.get(1))
        else {
            return CommandOutput::fail(125, "timeout: invalid time interval\n");
        };
        let clock = self.ctx.clock().clone();
        let command = &args[1..];
        tokio::select! {
            output = self.program(command, stdin) => output.unwrap_or_else(|| {
                CommandOutput::fail(127, format!("timeout: failed to run command '{}': No such file or directory\n", command[0]))
            }),
            _ = clock.sleep(limit) => CommandOutput::code(124),
        }
    }

    fn kill(&mut self, args: &[String]) -> CommandOutput {
        let pids: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if pids.is_empty() {
            return CommandOutput::fail(
                2,
                "kill: usage: kill [-s sigspec | -signum | -sigspec] pid\n",
            );
        }
        let mut out = CommandOutput::default();
        for pid in pids {
            if pid == "1" {
                self.ctx.signal(Signal::Wake);
            } else {
                out.stderr.extend(format!("kill: ({pid}) - No such process\n").bytes());
                out.code = 1;
            }
        }
        out
    }
}

fn reason(e: &super::FsError) -> &'static str {
    match e {
        super::FsError::NotFound(_) => "nonexistent directory",
        super::FsError::IsADirectory(_) => "Is a directory",
        super::FsError::NotADirectory(_) => "Not a directory",
        super::FsError::NotEmpty(_) => "Directory not empty",
        super::FsError::Exists(_) => "File exists",
    }
}

/// `5`, `1.5`, `10s`, `2m`, `1h`, `1d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number.parse().ok()?;
    let factor = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    };
    (value >= 0.0).then(|| Duration::from_secs_f64(value * factor))
}

#[cfg(test)]
mod tests;
