//! The behaviour of any image nothing else claims: ready at once; a container whose command is
//! a shell program (`sh -c '...'`, `sleep 3600`, `echo hi`) runs it, logs its output and exits
//! with its code; any other container idles until SIGTERM and then exits 0.

use std::collections::BTreeMap;

use futures::FutureExt;
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Container;

use super::{ContainerBehaviour, ContainerCtx, Signal, shell};

/// Exit code of a process ended by SIGTERM.
const SIGTERM_EXIT: i32 = 143;

pub struct DefaultBehaviour;

impl ContainerBehaviour for DefaultBehaviour {
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32> {
        async move {
            ctx.set_ready(true);
            let argv = command_line(ctx.container(), &ctx.info().env);
            if let Some(argv) = argv.filter(|a| shell::is_builtin(&a[0])) {
                let run = shell::exec(self, &ctx, &argv, &[]);
                tokio::select! {
                    result = run => {
                        let output = match result {
                            Ok(output) => output,
                            Err(e) => super::CommandOutput::fail(127, format!("{e}\n")),
                        };
                        for stream in [&output.stdout, &output.stderr] {
                            if !stream.is_empty() {
                                ctx.log(String::from_utf8_lossy(stream));
                            }
                        }
                        return output.code;
                    }
                    _ = until_terminated(&ctx) => return SIGTERM_EXIT,
                }
            }
            let image = ctx.container().image.clone().unwrap_or_default();
            ctx.log(format!("kubesim: container {} started (image {image})", ctx.container().name));
            until_terminated(&ctx).await;
            ctx.log("kubesim: received SIGTERM, exiting");
            0
        }
        .boxed()
    }
}

async fn until_terminated(ctx: &ContainerCtx) {
    while ctx.next_signal().await != Signal::Terminate {}
}

/// The container's command and args with `$(VAR)` references expanded as the kubelet does;
/// None when the image's own entrypoint would run.
pub fn command_line(container: &Container, env: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let mut argv: Vec<String> = container.command.clone().unwrap_or_default();
    argv.extend(container.args.clone().unwrap_or_default());
    if argv.is_empty() {
        return None;
    }
    Some(argv.iter().map(|a| expand_references(a, env)).collect())
}

/// `$(NAME)` -> its value if defined, `$$(NAME)` -> `$(NAME)`, anything else unchanged.
pub fn expand_references(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(escaped) = after.strip_prefix("$(") {
            out.push_str("$(");
            rest = escaped;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) if env.contains_key(&inner[..end]) => {
                    out.push_str(&env[&inner[..end]]);
                    rest = &inner[end + 1..];
                }
                _ => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}
