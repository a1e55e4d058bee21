//! A container's start-up latency as a kubesim behaviour: in front of the behaviours that
//! really run containers (wekasim's WEKA runtime, kubesim's default shell), it waits the
//! start-up time on the nodes' clock, then hands the container to the behaviour its image
//! picks. kubesim's kubelets have no latency of their own; this keeps the simulation's
//! timing in one place without changing them.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use kubesim::nodes::behaviour::{
    BehaviourRegistry, CommandOutput, ContainerBehaviour, ContainerCtx,
};

pub struct StartupDelay {
    /// Where the behaviour of each container is picked after the delay.
    pub inner: Arc<BehaviourRegistry>,
    pub delay: Duration,
}

impl ContainerBehaviour for StartupDelay {
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32> {
        Box::pin(async move {
            // A SIGTERM meanwhile stays queued in `ctx` for the real behaviour to see.
            ctx.clock().sleep(self.delay).await;
            let behaviour = self.inner.pick(ctx.pod(), ctx.container());
            behaviour.run(ctx).await
        })
    }

    /// The picked behaviour's programs, unchanged. Whether it has one is asked first (making
    /// a command's future starts nothing), so that the shell's built-ins answer otherwise.
    fn command<'a>(
        &'a self,
        ctx: &'a ContainerCtx,
        argv: &'a [String],
        stdin: &'a [u8],
    ) -> Option<BoxFuture<'a, CommandOutput>> {
        let behaviour = self.inner.pick(ctx.pod(), ctx.container());
        drop(behaviour.command(ctx, argv, stdin)?);
        Some(Box::pin(async move {
            match behaviour.command(ctx, argv, stdin) {
                Some(running) => running.await,
                None => CommandOutput::code(127),
            }
        }))
    }

    /// The picked behaviour's servers, unchanged. As for commands, whether it serves the
    /// port is asked first with a copy of the request (making the future starts nothing).
    fn http<'a>(
        &'a self,
        ctx: &'a ContainerCtx,
        port: u16,
        request: http::Request<bytes::Bytes>,
    ) -> Option<BoxFuture<'a, http::Response<bytes::Bytes>>> {
        let behaviour = self.inner.pick(ctx.pod(), ctx.container());
        drop(behaviour.http(ctx, port, copy(&request)?)?);
        Some(Box::pin(async move {
            match behaviour.http(ctx, port, request) {
                Some(answer) => answer.await,
                None => refused(),
            }
        }))
    }
}

fn copy(request: &http::Request<bytes::Bytes>) -> Option<http::Request<bytes::Bytes>> {
    let mut builder = http::Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version());
    *builder.headers_mut()? = request.headers().clone();
    builder.body(request.body().clone()).ok()
}

/// The server went away between the two calls.
fn refused() -> http::Response<bytes::Bytes> {
    let mut response = http::Response::new(bytes::Bytes::from_static(b"connection refused\n"));
    *response.status_mut() = http::StatusCode::BAD_GATEWAY;
    response
}
