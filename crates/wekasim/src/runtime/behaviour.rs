//! The runtime as a kubesim [`ContainerBehaviour`]: the main process and the image's programs.

use futures::FutureExt;
use futures::future::BoxFuture;
use kubesim::nodes::behaviour::{CommandOutput, ContainerBehaviour, ContainerCtx};

use super::env::RuntimeEnv;
use super::exec;
use super::handle::WekaRuntime;
use super::instance::{AgentGuard, Instance};
use super::log::Log;

pub(crate) struct RuntimeBehaviour {
    rt: WekaRuntime,
}

impl RuntimeBehaviour {
    pub(crate) fn new(rt: WekaRuntime) -> Self {
        RuntimeBehaviour { rt }
    }
}

impl ContainerBehaviour for RuntimeBehaviour {
    fn run<'a>(&'a self, ctx: ContainerCtx) -> BoxFuture<'a, i32> {
        async move {
            let image = ctx.container().image.clone().unwrap_or_default();
            let env = match RuntimeEnv::parse(&ctx.info().env, &image) {
                Ok(env) => env,
                Err(error) => {
                    Log(&ctx).error(format!("runtime failed: {error}"));
                    return 1;
                }
            };
            let instance = Instance::new(&self.rt, &ctx, env);
            let _agent = AgentGuard { rt: &self.rt, agent: instance.agent.clone() };
            let code = instance.lifecycle().await;
            instance.debug_sleep().await;
            code
        }
        .boxed()
    }

    fn command<'a>(
        &'a self,
        ctx: &'a ContainerCtx,
        argv: &'a [String],
        _stdin: &'a [u8],
    ) -> Option<BoxFuture<'a, CommandOutput>> {
        exec::command(&self.rt, ctx, argv)
    }
}
