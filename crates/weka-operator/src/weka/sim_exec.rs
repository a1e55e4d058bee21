//! A [`PodExec`] backed by an in-process `wekasim` world, for unit tests of the service.
//!
//! Each pod `namespace/name` is the wekasim agent of that key. `weka`/`wekaauthcli`/`timeout`
//! argvs run in the simulator, and so does a `bash -c` script that is a single weka command
//! (no pipes, `||`, redirections or substitutions): it is split into words, quotes honoured.
//! Any other script, and in-pod files, are not simulated: tests give their replies with
//! [`SimExec::reply`]. Every exec is recorded so tests can assert the exact command line.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use wekasim::world::local::AgentKey;
use wekasim::{ExecContext, WekaWorld, execute};

use super::exec::{ExecError, ExecOutput, ExecTarget, PodExec};

/// One exec as the service sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub target: ExecTarget,
    pub argv: Vec<String>,
    pub timeout: Duration,
}

type Reply = Result<ExecOutput, ExecError>;

/// Which execs a canned reply answers.
enum Matcher {
    Argv(Vec<String>),
    /// A `bash -c`/`-ce` script starting with this.
    ScriptPrefix(String),
}

impl Matcher {
    fn matches(&self, argv: &[String]) -> bool {
        match self {
            Matcher::Argv(exact) => exact == argv,
            Matcher::ScriptPrefix(prefix) => match argv {
                [bash, flag, script] => {
                    bash == "bash" && flag.starts_with("-c") && script.starts_with(prefix.as_str())
                }
                _ => false,
            },
        }
    }
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    replies: Vec<(Matcher, Reply)>,
    gone_pods: BTreeSet<String>,
    credentials: Option<(String, String)>,
}

pub struct SimExec {
    world: Mutex<WekaWorld>,
    state: Mutex<State>,
}

impl SimExec {
    pub fn new(world: WekaWorld) -> Arc<Self> {
        Arc::new(SimExec { world: Mutex::new(world), state: Mutex::default() })
    }

    pub fn world(&self) -> MutexGuard<'_, WekaWorld> {
        self.world.lock().unwrap()
    }

    /// The wekasim agent of a target pod.
    pub fn agent(namespace: &str, pod: &str) -> AgentKey {
        AgentKey::new(format!("{namespace}/{pod}"))
    }

    /// What the mounted operator-user secret gives `wekaauthcli`.
    pub fn set_credentials(&self, username: &str, password: &str) {
        self.state().credentials = Some((username.to_string(), password.to_string()));
    }

    /// Answers execs of exactly this argv with `reply` (the latest registration wins).
    pub fn reply(&self, argv: &[&str], reply: Reply) {
        let argv = argv.iter().map(|s| s.to_string()).collect();
        self.state().replies.push((Matcher::Argv(argv), reply));
    }

    /// Answers every `bash -c`/`-ce` script starting with `prefix`.
    pub fn reply_script_prefix(&self, prefix: &str, reply: Reply) {
        self.state().replies.push((Matcher::ScriptPrefix(prefix.to_string()), reply));
    }

    /// As [`SimExec::reply`] for `bash -ce <script>`.
    pub fn reply_script(&self, script: &str, reply: Reply) {
        self.reply(&["bash", "-ce", script], reply);
    }

    /// Execs in this pod fail as Kubernetes fails them for a container that is not there.
    pub fn remove_pod(&self, pod: &str) {
        self.state().gone_pods.insert(pod.to_string());
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    pub fn argvs(&self) -> Vec<Vec<String>> {
        self.state().calls.iter().map(|c| c.argv.clone()).collect()
    }

    pub fn last_argv(&self) -> Vec<String> {
        self.argvs().pop().unwrap_or_default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Runs a weka argv in the pod's agent; `None` when it hangs.
    fn run_weka(&self, target: &ExecTarget, argv: &[String]) -> Option<ExecOutput> {
        let mut ctx = ExecContext::in_agent(Self::agent(&target.namespace, &target.pod));
        if argv.iter().any(|word| word == "wekaauthcli")
            && let Some((username, password)) = self.state().credentials.clone()
        {
            ctx = ctx.with_credentials(&username, &password);
        }
        let out = execute(&mut self.world(), &ctx, argv);
        (!out.timed_out).then_some(ExecOutput {
            stdout: out.stdout,
            stderr: out.stderr,
            exit_code: out.exit_code,
        })
    }
}

#[async_trait]
impl PodExec for SimExec {
    async fn exec(&self, target: &ExecTarget, argv: &[String], timeout: Duration) -> Reply {
        let call = Call { target: target.clone(), argv: argv.to_vec(), timeout };
        let (canned, gone) = {
            let mut state = self.state();
            state.calls.push(call);
            let canned =
                state.replies.iter().rev().find(|(m, _)| m.matches(argv)).map(|(_, r)| r.clone());
            (canned, state.gone_pods.contains(&target.pod))
        };
        if gone {
            return Err(ExecError::ContainerNotFound(format!(
                "container not found (\"{}\")",
                target.container
            )));
        }
        if let Some(reply) = canned {
            return reply;
        }
        let Some(weka_argv) = weka_argv(argv) else {
            return Ok(ExecOutput {
                exit_code: 127,
                stderr: format!("sim exec: not simulated: {argv:?}\n"),
                ..ExecOutput::default()
            });
        };
        match self.run_weka(target, &weka_argv) {
            Some(out) => Ok(out),
            None => {
                tokio::time::sleep(timeout).await;
                Err(ExecError::Timeout(timeout))
            }
        }
    }
}

/// The weka command line an argv runs: itself, or the single command of a `bash -c` script.
fn weka_argv(argv: &[String]) -> Option<Vec<String>> {
    let program = argv.first()?.as_str();
    if matches!(program, "weka" | "wekaauthcli" | "timeout") {
        return Some(argv.to_vec());
    }
    match argv {
        [bash, flag, script] if bash == "bash" && flag.starts_with("-c") => {
            let words = single_command_words(script.trim())?;
            matches!(words.first()?.as_str(), "weka" | "wekaauthcli").then_some(words)
        }
        _ => None,
    }
}

/// The words of a script that is one simple command; `None` if it uses any shell syntax
/// beyond quoting.
fn single_command_words(script: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        '$' | '`' => return None,
                        q => word.push(q),
                    }
                }
            }
            '|' | '&' | ';' | '<' | '>' | '$' | '`' | '(' | ')' | '\n' | '\\' => return None,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_single_weka_commands_run_from_scripts() {
        let script = |s: &str| strings(&["bash", "-ce", s]);
        assert_eq!(
            weka_argv(&script("wekaauthcli events trigger-event \"K8s: a b\"")),
            Some(strings(&["wekaauthcli", "events", "trigger-event", "K8s: a b"]))
        );
        assert_eq!(weka_argv(&script("weka status || weka cluster create x")), None);
        assert_eq!(weka_argv(&script("cat /tmp/weka-drivers.log")), None);
        assert_eq!(weka_argv(&script("weka local run wapi -H localhost:$(cat x)/jrpc")), None);
        assert_eq!(weka_argv(&strings(&["cat", "/x"])), None);
    }
}
