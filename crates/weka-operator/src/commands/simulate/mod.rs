//! `weka-operator simulate`: the whole system on one machine. It starts kubesim (API server,
//! scheduler, kubelets) with simulated backend nodes and wekasim as the WEKA pods' runtime
//! ([`environment`]), installs what an administrator would through the API
//! ([`prerequisites`]), starts the operator as `weka-operator run` in a child process against
//! the simulator's kubeconfig ([`operator_process`]), applies the default WekaCluster or the
//! `--apply` files ([`manifests`], [`apply`]), shows progress until Ready ([`progress`],
//! [`waiting`]), prints kubectl commands to try ([`hints`]) and serves until Ctrl-C.
//!
//! `bench` builds on the same parts.

mod apply;
mod args;
pub mod environment;
mod error;
pub mod faults;
mod hints;
pub mod latency;
pub mod logging;
pub mod manifests;
pub mod node_layout;
pub mod operator_process;
pub mod prerequisites;
pub mod progress;
mod run_dir;
mod startup_delay;
pub mod waiting;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use wekasim::runtime::RuntimeConfig;

pub use apply::{Applied, apply};
pub use args::SimulateArgs;
pub use error::SimulateError;
pub use run_dir::RunDir;

use super::CommandError;
use crate::config::DEFAULT_OPERATOR_NAMESPACE;
use crate::shutdown::TerminationSignals;
use environment::{Environment, EnvironmentOptions};
use manifests::Manifest;
use node_layout::NodeLayout;
use operator_process::{OperatorOptions, OperatorProcess};
use progress::{Header, Observer, Progress, plain_line};
use waiting::{Waited, Watch};

/// How long the operator may take to stop after SIGTERM (its own default is 20 s).
pub const OPERATOR_STOP_GRACE: Duration = Duration::from_secs(30);
/// Requests kept in the request log of an interactive simulation.
const REQUEST_LOG: usize = 100_000;

pub fn run(args: SimulateArgs) -> Result<(), CommandError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(SimulateError::Runtime)?;
    rt.block_on(simulate(args))?;
    Ok(())
}

async fn simulate(args: SimulateArgs) -> Result<(), SimulateError> {
    let mut signals = TerminationSignals::install().map_err(SimulateError::Signals)?;
    let run_dir = RunDir::create("simulate", args.kubeconfig.as_deref())?;
    let logs = !args.verbose;
    logging::init(logs.then_some(run_dir.simulator_log.as_path()))?;
    let manifests = manifests::load(&args.apply)?;
    let targets = manifests::targets(&manifests);
    let runtime = RuntimeConfig::default();
    let nodes =
        NodeLayout::from_flags(args.node_spec.as_deref(), args.nodes, runtime.disks_per_node)?;
    let node_count = nodes.count;
    let live = std::io::stdout().is_terminal() && !args.verbose;
    let say = |text: &str| if live { println!("{text}") } else { plain_line(text) };

    let env = Environment::start(EnvironmentOptions {
        listen: args.listen,
        kubeconfig: run_dir.kubeconfig.clone(),
        nodes,
        latency: args.latency,
        runtime,
        state: args.state.clone(),
        request_log_capacity: REQUEST_LOG,
    })
    .await?;
    say(&format!(
        "kubesim serving {} with {node_count} nodes; kubeconfig {}",
        env.kubesim.base_url(),
        run_dir.kubeconfig.display()
    ));
    prepare(&env, &manifests).await?;
    let mut operator = OperatorProcess::spawn(&OperatorOptions {
        kubeconfig: &run_dir.kubeconfig,
        pod_network: env.kubesim.pod_network_url(),
        log: logs.then_some(run_dir.operator_log.as_path()),
        extra_args: &args.operator_args,
    })?;
    let log_note =
        if logs { format!(", log {}", run_dir.operator_log.display()) } else { String::new() };
    say(&format!("operator started (weka-operator run, pid {}{log_note})", operator.pid()));
    for manifest in &manifests {
        let applied = apply(&env.client, manifest).await?;
        say(&format!(
            "{} {}/{} {applied:?}",
            manifest.kind(),
            manifest.namespace(),
            manifest.name()
        ));
    }

    // After simulate's own requests: the faults are the operator's (and the kubelets') to face.
    args.faults.install(env.kubesim.faults());
    let header = Header {
        title: format!("weka-operator simulate: {}", manifests::describe(&args.apply)),
        nodes: node_count,
        latency: args.latency.name(),
        faults: args.faults.name(),
    };
    let mut progress = Progress::new(Observer::start(&env.client), targets.clone(), header, live);
    let (ready_tx, ready_rx) = watch::channel(false);
    let backends = env.backend_nodes().await?;
    let faults = args.faults;
    let mut background = Box::pin(faults.run(
        env.kubesim.faults(),
        env.kubesim.nodes().cloned(),
        backends,
        ready_rx,
    ));
    let mut watch =
        Watch { signals: &mut signals, operator: &mut operator, background: &mut background };
    let deadline = args.until_ready.then(|| Instant::now() + args.timeout);

    let waited = waiting::until_ready(&mut progress, deadline, &mut watch, |_| {}).await;
    progress.stop_live();
    let outcome = match waited {
        Waited::Ready(_) if args.until_ready => {
            let took = progress::render::elapsed(progress.elapsed());
            say(&format!("every applied cluster is Ready after {took}"));
            Ok(())
        }
        Waited::Ready(snapshot) => {
            let _ = ready_tx.send(true);
            let paths = hints::Paths {
                kubeconfig: &run_dir.kubeconfig,
                operator_log: logs.then_some(run_dir.operator_log.as_path()),
                simulator_log: logs.then_some(run_dir.simulator_log.as_path()),
            };
            print!("{}", hints::ready_message(&snapshot, &targets, &paths, progress.elapsed()));
            match waiting::serve(&mut progress, &mut watch).await {
                Waited::OperatorExited(status) => Err(operator_exited(watch.operator, status)),
                _ => Ok(()),
            }
        }
        Waited::TimedOut { reason } => {
            let waited = crate::config::parse::format_duration(args.timeout);
            Err(SimulateError::NotReady { waited, reason })
        }
        Waited::Signal(signal) if args.until_ready => Err(SimulateError::Interrupted { signal }),
        Waited::Signal(_) => Ok(()),
        Waited::OperatorExited(status) => Err(operator_exited(watch.operator, status)),
    };
    drop(background);
    say("stopping the operator");
    let stopped = operator.stop(OPERATOR_STOP_GRACE).await;
    drop(env);
    outcome?;
    stopped.map(drop)
}

/// The operator's namespace and those of the manifests, with the pull secrets they name;
/// CRDs, priority classes and boot scripts.
pub async fn prepare(env: &Environment, manifests: &[Manifest]) -> Result<(), SimulateError> {
    prerequisites::install(&env.client).await?;
    let pull_secrets = manifests::pull_secrets(manifests);
    let mut namespaces = manifests::namespaces(manifests);
    namespaces.insert(DEFAULT_OPERATOR_NAMESPACE.to_string());
    for namespace in namespaces {
        prerequisites::prepare_namespace(&env.client, &namespace, &pull_secrets).await?;
    }
    Ok(())
}

fn operator_exited(operator: &OperatorProcess, status: String) -> SimulateError {
    SimulateError::OperatorExited { status, tail: operator.log_tail(20) }
}
