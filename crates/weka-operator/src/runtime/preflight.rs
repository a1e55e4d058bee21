//! Start-up check that the WEKA CRDs are served, through discovery (which every
//! authenticated client may read, so the operator needs no RBAC on CRDs).

use kube::Client;

use super::RunError;

/// The CRDs that the API server does not serve.
#[derive(Debug, thiserror::Error)]
#[error(
    "the WEKA CRDs are not installed: missing {}; install them with `kubectl apply -k deploy/crds` \
     or `weka-operator crds | kubectl apply -f -`",
    .missing.iter().map(|(name, kind)| format!("{name} ({kind})")).collect::<Vec<_>>().join(", ")
)]
pub struct MissingCrds {
    /// (CRD name, kind), e.g. (`wekaclusters.weka.weka.io`, `WekaCluster`).
    pub missing: Vec<(String, String)>,
}

/// Fails with [`MissingCrds`] naming every WEKA CRD the server does not serve.
pub async fn check_crds(client: &Client) -> Result<(), RunError> {
    let served: Vec<String> = match client.list_api_group_resources(weka_api::API_VERSION).await {
        Ok(list) => list.resources.into_iter().map(|r| r.name).collect(),
        Err(kube::Error::Api(status)) if status.code == 404 => Vec::new(),
        Err(err) => return Err(RunError::Connect(err.to_string())),
    };
    let missing: Vec<(String, String)> = weka_api::crds::all()
        .into_iter()
        .filter(|crd| !served.contains(&crd.spec.names.plural))
        .map(|crd| (crd.metadata.name.unwrap_or_default(), crd.spec.names.kind))
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(MissingCrds { missing }.into()) }
}
