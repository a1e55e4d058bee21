//! The kubesim binary:
//! `kubesim serve --listen 127.0.0.1:PORT --kubeconfig PATH [--nodes N] [--state FILE]`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use kubesim::{Kubesim, KubesimConfig};

#[derive(Parser)]
#[command(name = "kubesim", version, about = "An in-memory Kubernetes API server for tests")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Kubernetes API until SIGINT or SIGTERM.
    #[command(
        after_help = "State is kept in memory unless --state FILE is given: then every acknowledged write is in FILE (an append-only log, compacted into snapshots), and a restart - after a crash too - restores every object and goes on with higher resourceVersions."
    )]
    Serve {
        /// Address to listen on (plain HTTP).
        #[arg(long, default_value = "127.0.0.1:6443")]
        listen: SocketAddr,
        /// Where to write the kubeconfig, once the server is ready.
        #[arg(long)]
        kubeconfig: PathBuf,
        /// Number of Ready nodes to register (node-1 ... node-N).
        #[arg(long, default_value_t = 0)]
        nodes: usize,
        /// Bearer token clients present (random if not given).
        #[arg(long, env = "KUBESIM_TOKEN")]
        token: Option<String>,
        /// Node-spec YAML (labels, taints, capacity per node; see `kubesim::nodes::node_spec`):
        /// its nodes come first, `--nodes` adds default ones up to N.
        #[arg(long)]
        node_spec: Option<PathBuf>,
        /// Keep the state in FILE (created if missing, restored if present).
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Compact the state file when this many bytes were logged since its snapshot.
        #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
        state_compact_bytes: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve { listen, kubeconfig, nodes, token, node_spec, state, state_compact_bytes } =
        Cli::parse().command;
    // Signals are taken over before anything is served: a SIGTERM sent as soon as the
    // kubeconfig exists must stop the server cleanly, not kill it.
    let stop = stop_signals()?;
    let mut node_sim = kubesim::nodes::NodesConfig::default();
    if let Some(path) = node_spec {
        node_sim.spec = kubesim::nodes::node_spec::NodeSpecFile::load(&path.to_string_lossy())?;
    }
    let handle = Kubesim::start(KubesimConfig {
        listen,
        kubeconfig_path: Some(kubeconfig.clone()),
        nodes,
        token,
        node_sim,
        state_file: state,
        state_compact_after_bytes: state_compact_bytes,
        ..Default::default()
    })
    .await?;
    eprintln!(
        "kubesim serving on {} (kubeconfig {}); pod network proxy {}",
        handle.base_url(),
        kubeconfig.display(),
        handle.pod_network_url()
    );
    stop.await;
    drop(handle);
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; both are handled from the moment this returns.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
