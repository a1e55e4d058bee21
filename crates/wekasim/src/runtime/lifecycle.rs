//! The main process from start to exit (spec §4.3): start-up runs while signals are watched;
//! SIGTERM makes client, s3, nfs, drive and compute pods wait for permission to stop
//! (`/tmp/.allow-stop`, `/tmp/.allow-force-stop` or the node agent's instruction file),
//! re-checked on every wake-up (`kill 1`) and every few seconds; then the local container
//! stops (gracefully when allowed), the agent stops, and the debug sleep runs.

use std::time::Duration;

use kubesim::nodes::behaviour::Signal;

use super::error::RuntimeError;
use super::instance::Instance;
use super::mode::Mode;
use super::paths::CANCEL_DEBUG_SLEEP;

/// How often stop flags and readiness are looked at without a wake-up.
const FLAG_POLL: Duration = Duration::from_secs(5);
/// `timeout 180 weka local stop ...`
const STOP_TIMEOUT: Duration = Duration::from_secs(180);
/// Between stop attempts.
const STOP_RETRY: Duration = Duration::from_secs(3);

impl Instance<'_> {
    /// Runs until the process exits; its exit code.
    pub(crate) async fn lifecycle(&self) -> i32 {
        let startup = self.startup();
        tokio::pin!(startup);
        let mut started = false;
        let mut terminating = false;
        loop {
            if terminating && self.may_exit() {
                break;
            }
            tokio::select! {
                result = &mut startup, if !started => {
                    started = true;
                    match result {
                        Ok(()) => self.refresh_readiness(),
                        Err(error) => return self.failed(&error),
                    }
                }
                signal = self.ctx.next_signal() => match signal {
                    Signal::Terminate if !terminating => {
                        terminating = true;
                        self.log.info("Received signal SIGTERM");
                        self.log.warn("Received signal, stopping all processes");
                        if self.mode().waits_for_stop_permission() && !self.may_exit() {
                            self.log.info("Waiting for shutdown instruction...");
                        }
                    }
                    Signal::Terminate => {}
                    Signal::Wake if terminating && !self.may_exit() => {
                        self.log.info("Waiting for shutdown instruction...");
                    }
                    Signal::Wake => self.refresh_readiness(),
                },
                _ = self.sleep(FLAG_POLL) => self.refresh_readiness(),
            }
        }
        self.stop().await;
        0
    }

    /// After SIGTERM: the modes that wait need a permission, the others go at once.
    fn may_exit(&self) -> bool {
        !self.mode().waits_for_stop_permission() || self.instructions().any()
    }

    /// Start-up failed: upstream's exception ends the process, exit code 1.
    fn failed(&self, error: &RuntimeError) -> i32 {
        self.log.error(format!("runtime failed: {error}"));
        self.ctx.set_ready(false);
        1
    }

    /// Stops the local container (graceful when the mode and the instructions allow it; a
    /// force flag appearing meanwhile switches to --force), then the agent.
    async fn stop(&self) {
        let mode = self.mode();
        let instructions = self.instructions();
        if instructions.allow_force_stop {
            self.log.info("Received 'allow-force-stop' instruction");
        } else if instructions.allow_stop {
            self.log.info("Received 'allow-stop' instruction");
        }
        self.ctx.set_ready(false);
        let mut force = instructions.allow_force_stop || !mode.may_stop_gracefully();
        if self.progress().local.is_some() {
            while self.local_running() {
                if !force && self.instructions().allow_force_stop {
                    self.log.info("Received 'allow-force-stop' instruction");
                    force = true;
                }
                let flag = if force { "--force" } else { "-g" };
                self.log.info(format!("Running command: timeout 180 weka local stop {flag}"));
                let out = self.weka(&["local", "stop", flag]);
                if out.timed_out {
                    self.log.warn(format!("weka local stop {flag} timed out"));
                    self.wait_for_stop_timeout(force).await;
                } else if !out.success() {
                    self.log
                        .error(format!("weka local stop {flag} failed: {}", out.stderr.trim_end()));
                }
                if self.local_running() {
                    self.sleep(STOP_RETRY).await;
                }
            }
            self.log.info("finished stopping weka container");
        }
        if mode == Mode::Drive {
            let requested = self.progress().resources.drives.clone();
            self.log.info(format!(
                "Waiting for {} requested drives to return to kernel: {requested:?}",
                requested.len()
            ));
            self.log.info("All requested drives returned to kernel");
        }
        if self.progress().agent_started {
            self.log.info("Stopping daemon agent");
            self.world().stop_agent(&self.agent);
        }
        self.persist_runtime_dir();
        self.log.info("All processes stopped, stopping main loop");
    }

    /// A hanging `weka local stop` lasts its `timeout 180`, unless a force permission shows
    /// up during a graceful attempt.
    async fn wait_for_stop_timeout(&self, force: bool) {
        let mut waited = Duration::ZERO;
        while waited < STOP_TIMEOUT {
            self.sleep(FLAG_POLL).await;
            waited += FLAG_POLL;
            if !force && self.instructions().allow_force_stop {
                return;
            }
        }
    }

    /// `WEKA_OPERATOR_DEBUG_SLEEP` seconds after exit, ended by `/tmp/.cancel-debug-sleep`.
    pub(crate) async fn debug_sleep(&self) {
        let total = self.env.debug_sleep;
        self.log.info(format!(
            "{} seconds exit-sleep to allow for debugging and ensure proper sync",
            total.as_secs()
        ));
        let mut slept = Duration::ZERO;
        while slept < total {
            if self.fs().exists(CANCEL_DEBUG_SLEEP) {
                break;
            }
            let step = (total - slept).min(Duration::from_secs(1));
            self.sleep(step).await;
            slept += step;
        }
    }
}
