//! The Kubernetes client: kube-rs's usual configuration rules, and the request metrics layer.

use kube::Client;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::RunError;
use crate::cli::ConnectArgs;
use crate::metrics::{ApiMetricsLayer, Metrics};

/// In-cluster service account, else `KUBECONFIG` / `~/.kube/config`; `--kubeconfig` and
/// `--context` choose explicitly. Every request is counted in `rest_client_requests_total`.
pub async fn connect(args: &ConnectArgs, metrics: &Metrics) -> Result<Client, RunError> {
    let config_error = |e: &dyn std::fmt::Display| RunError::KubeConfig(e.to_string());
    let options =
        KubeConfigOptions { context: args.context.clone(), ..KubeConfigOptions::default() };
    let config = match (&args.kubeconfig, &args.context) {
        (None, None) => kube::Config::infer().await.map_err(|e| config_error(&e))?,
        (Some(path), _) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| RunError::KubeConfig(format!("{}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| config_error(&e))?
        }
        (None, Some(_)) => {
            kube::Config::from_kubeconfig(&options).await.map_err(|e| config_error(&e))?
        }
    };
    let builder = ClientBuilder::try_from(config).map_err(|e| config_error(&e))?;
    Ok(builder.with_layer(&ApiMetricsLayer::new(metrics.api.clone())).build())
}
