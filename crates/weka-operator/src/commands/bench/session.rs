//! One benchmark run, from the empty simulator to the report.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use wekasim::runtime::RuntimeConfig;

use super::critical_path::CriticalPath;
use super::plan::{self, Plan};
use super::recreate;
use super::report::{Report, SteadyState};
use super::requests::{self, RequestStats};
use super::{BenchArgs, BenchError};
use crate::commands::simulate::environment::{Environment, EnvironmentOptions};
use crate::commands::simulate::manifests::Manifest;
use crate::commands::simulate::node_layout::NodeLayout;
use crate::commands::simulate::operator_process::{OperatorOptions, OperatorProcess};
use crate::commands::simulate::progress::{Header, Observer, Progress, Sink, Snapshot, line_to};
use crate::commands::simulate::waiting::{self, Waited, Watch};
use crate::commands::simulate::{
    OPERATOR_STOP_GRACE, RunDir, SimulateError, apply, logging, prepare,
};
use crate::shutdown::TerminationSignals;
use weka_api::WekaContainerStatus;

/// Enough for a 1,000-container bring-up and the kubelets' heartbeats meanwhile.
const REQUEST_LOG: usize = 3_000_000;
/// Manifests applied at once.
const APPLY_CONCURRENCY: usize = 16;

fn say(text: &str) {
    line_to(Sink::Stderr, text);
}

/// Every compute and drive container of the benchmark's clusters is Running.
fn containers_running(snapshot: &Snapshot, wanted: usize) -> bool {
    let backends = snapshot.containers.iter().filter(|c| {
        c.target.namespace == plan::NAMESPACE && matches!(c.role.as_str(), "compute" | "drive")
    });
    let (mut all, mut running) = (0, 0);
    for container in backends {
        all += 1;
        running += usize::from(container.phase == WekaContainerStatus::RUNNING);
    }
    all == wanted && running == wanted
}

pub async fn bench(args: &BenchArgs) -> Result<Report, BenchError> {
    let mut signals = TerminationSignals::install().map_err(SimulateError::Signals)?;
    let plan = Plan::new(args.containers, args.nodes, args.clusters)?;
    let manifests = plan.manifests()?;
    let run_dir = RunDir::create("bench", None)?;
    logging::init(Some(&run_dir.simulator_log))?;
    let runtime = RuntimeConfig { disks_per_node: plan.disks(), ..Default::default() };
    let nodes = NodeLayout::backends_sized(args.nodes, runtime.disks_per_node, &plan.capacity());
    let started = Instant::now();
    let env = Environment::start(EnvironmentOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        kubeconfig: run_dir.kubeconfig.clone(),
        nodes,
        latency: args.latency,
        runtime,
        state: None,
        request_log_capacity: REQUEST_LOG,
    })
    .await?;
    let kubeconfig = run_dir.kubeconfig.display();
    say(&format!("{} nodes up in {:.1?}; kubeconfig {kubeconfig}", args.nodes, started.elapsed()));
    prepare(&env, &manifests).await?;
    let mut operator = OperatorProcess::spawn(&OperatorOptions {
        kubeconfig: &run_dir.kubeconfig,
        pod_network: env.kubesim.pod_network_url(),
        log: Some(&run_dir.operator_log),
        extra_args: &args.operator_args,
    })?;
    say(&format!("operator pid {}, log {}", operator.pid(), run_dir.operator_log.display()));

    let applied_at = Instant::now();
    apply_all(&env, &manifests).await?;
    let shapes: Vec<String> =
        plan.clusters.iter().map(|s| format!("{} ({}+{})", s.name, s.compute, s.drive)).collect();
    say(&format!("applied {}", shapes.join(", ")));
    let header = Header {
        title: "bench".into(),
        nodes: args.nodes,
        latency: args.latency.name(),
        faults: "none",
    };
    let observer = Observer::start(&env.client);
    let mut progress =
        Progress::new(observer, plan.targets(), header, false).with_sink(Sink::Stderr);
    let mut background = Box::pin(std::future::pending::<()>());
    let mut watch =
        Watch { signals: &mut signals, operator: &mut operator, background: &mut background };
    let mut running_at: Option<Duration> = None;
    let deadline = Some(applied_at + args.timeout);
    let waited = waiting::until_ready(&mut progress, deadline, &mut watch, |snapshot| {
        if running_at.is_none() && containers_running(snapshot, plan.containers()) {
            running_at = Some(applied_at.elapsed());
        }
    })
    .await;
    let time_to_ready = applied_at.elapsed();
    let (ready, snapshot) = match waited {
        Waited::Ready(snapshot) => (true, snapshot),
        Waited::TimedOut { reason } => {
            say(&format!("not Ready after {:.0?}:\n{reason}", args.timeout));
            (false, progress.observer.snapshot(&progress.targets))
        }
        Waited::Signal(signal) => return Err(BenchError::Interrupted(signal)),
        Waited::OperatorExited(status) => {
            let tail = watch.operator.log_tail(20);
            return Err(SimulateError::OperatorExited { status, tail }.into());
        }
    };
    if ready {
        say(&format!("Ready after {time_to_ready:.1?}"));
    }

    let log = env.kubesim.request_log();
    let bring_up = RequestStats::of(&log.entries(), plan.containers());
    let conditions: Vec<usize> = snapshot.clusters.iter().map(|c| c.conditions.len()).collect();
    let (compute, drive) = plan.roles();
    let nodes_used = nodes_with_pods(&env.client).await?;
    let minimum = requests::minimum_writes(compute, drive, &conditions, nodes_used);

    log.clear();
    say(&format!("steady state: counting the operator's writes for {:.0?}", args.steady_state));
    tokio::select! {
        () = tokio::time::sleep(args.steady_state) => {}
        signal = watch.signals.recv() => return Err(BenchError::Interrupted(signal)),
    }
    let steady = RequestStats::of(&log.entries(), plan.containers());
    let steady_writes = steady.rows.into_iter().filter(requests::Row::is_write).collect();

    let size = if running_at.is_some() { args.recreate_sample } else { 0 };
    let sample = recreate::sample(&progress.observer, size);
    say(&format!("deleting {} pods one after the other", sample.len()));
    let recreation = recreate::measure(&env.client, &progress.observer, &sample).await?;
    let rss = operator.peak_rss_bytes();
    let _ = operator.stop(OPERATOR_STOP_GRACE).await;

    let path = CriticalPath::of(&plan, args.latency);
    let total = path.total();
    Ok(Report {
        nodes: args.nodes,
        containers: plan.containers(),
        clusters: plan.clusters.len(),
        latency: args.latency.name(),
        ready,
        time_to_ready,
        containers_running: running_at,
        critical_path_total: total,
        ready_over_critical_path: (ready && !total.is_zero())
            .then(|| time_to_ready.as_secs_f64() / total.as_secs_f64()),
        critical_path: path,
        writes_over_minimum: bring_up.writes as f64 / minimum.max(1) as f64,
        bring_up_requests: bring_up,
        minimum_writes: minimum,
        steady_state: SteadyState {
            duration: args.steady_state,
            clock: "real",
            operator_writes: steady.writes,
            writes: steady_writes,
        },
        operator_peak_rss_bytes: rss,
        rss_source: "VmHWM of the operator's own process (`weka-operator run`, a child of bench)",
        recreation,
        operator_args: args.operator_args.clone(),
        operator_log: run_dir.operator_log.display().to_string(),
    })
}

async fn apply_all(env: &Environment, manifests: &[Manifest]) -> Result<(), SimulateError> {
    futures::stream::iter(manifests)
        .map(|m| apply(&env.client, m))
        .buffer_unordered(APPLY_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await
        .map(drop)
}

/// The nodes the benchmark's pods run on.
async fn nodes_with_pods(client: &kube::Client) -> Result<usize, SimulateError> {
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), plan::NAMESPACE);
    let list = pods
        .list(&Default::default())
        .await
        .map_err(|source| SimulateError::Api { what: "list the benchmark's pods", source })?;
    let nodes: std::collections::BTreeSet<String> =
        list.items.into_iter().filter_map(|p| p.spec?.node_name).collect();
    Ok(nodes.len())
}
