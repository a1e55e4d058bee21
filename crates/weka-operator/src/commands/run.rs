//! `weka-operator run`: the operator against a real cluster.

use std::sync::Arc;

use super::CommandError;
use super::node_agent::{self, OperatorMode};
use crate::cli::RunArgs;
use crate::controllers::cluster::WekaClusterController;
use crate::controllers::container::{ContainerObject, WekaContainerController};
use crate::metrics::Metrics;
use crate::runtime::{self, Operator, RunError};
use crate::shutdown::TerminationSignals;
use crate::telemetry;

pub fn run(args: RunArgs) -> Result<(), CommandError> {
    let mode = OperatorMode::parse(&args.config.mode.operator_mode)?;
    args.config.validate()?;
    telemetry::init(&args.config.logging)?;
    if mode == OperatorMode::NodeAgent {
        let mode = args.config.mode;
        return node_agent::start(mode.node_agent_bind_address, mode.node_name, Default::default());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RunError::Runtime)?;
    rt.block_on(serve(args))?;
    Ok(())
}

async fn serve(args: RunArgs) -> Result<(), RunError> {
    let mut signals = TerminationSignals::install().map_err(RunError::Signals)?;
    let config = args.config;
    tracing::info!(
        version = %config.identity.version,
        namespace = config.scope.namespace().unwrap_or("<all>"),
        leader_election = config.leader_election.enabled,
        "starting weka-operator"
    );
    let metrics = Arc::new(Metrics::new());
    let client = runtime::connect(&args.connect, &metrics).await?;
    runtime::check_crds(&client).await?;
    // The controllers register here as they are written (issues of the controllers).
    let mut operator = Operator::new(client, config, metrics);
    operator.register::<ContainerObject, _>(WekaContainerController::new());
    operator.register::<weka_api::WekaCluster, _>(WekaClusterController::new());
    let mut handle = operator.start().await?;
    if let Some(addr) = handle.health_addr() {
        tracing::info!(%addr, "serving /healthz and /readyz");
    }
    if let Some(addr) = handle.metrics_addr() {
        tracing::info!(%addr, "serving /metrics");
    }
    tokio::select! {
        signal = signals.recv() => tracing::info!(signal, "termination requested"),
        () = handle.stopped() => return Err(RunError::Stopped),
    }
    handle.shutdown().await;
    Ok(())
}
