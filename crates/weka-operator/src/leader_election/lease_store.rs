//! Where the Lease lives: the API server ([`KubeLeaseStore`]), or memory in unit tests.

use async_trait::async_trait;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::PostParams;

/// Why a Lease read or write failed.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// Someone else wrote the Lease first (stale resourceVersion, or it already exists).
    #[error("the Lease changed under us")]
    Conflict,
    #[error("Lease request failed: {0}")]
    Api(String),
}

/// Get, create and replace one Lease; replace carries `metadata.resourceVersion`, so a writer
/// that read an older version gets [`LeaseError::Conflict`] (optimistic concurrency).
#[async_trait]
pub trait LeaseStore: Send + Sync + 'static {
    async fn get(&self) -> Result<Option<Lease>, LeaseError>;
    async fn create(&self, lease: Lease) -> Result<Lease, LeaseError>;
    async fn replace(&self, lease: Lease) -> Result<Lease, LeaseError>;
    /// Name of the Lease, for logs and metrics.
    fn name(&self) -> &str;
}

/// The Lease `namespace/name` on the API server.
#[derive(Clone)]
pub struct KubeLeaseStore {
    api: Api<Lease>,
    name: String,
}

impl KubeLeaseStore {
    pub fn new(client: kube::Client, namespace: &str, name: &str) -> Self {
        KubeLeaseStore { api: Api::namespaced(client, namespace), name: name.to_string() }
    }
}

fn classify(err: kube::Error) -> LeaseError {
    match err {
        kube::Error::Api(status) if status.code == 409 => LeaseError::Conflict,
        other => LeaseError::Api(other.to_string()),
    }
}

#[async_trait]
impl LeaseStore for KubeLeaseStore {
    async fn get(&self) -> Result<Option<Lease>, LeaseError> {
        self.api.get_opt(&self.name).await.map_err(classify)
    }

    async fn create(&self, lease: Lease) -> Result<Lease, LeaseError> {
        self.api.create(&PostParams::default(), &lease).await.map_err(classify)
    }

    async fn replace(&self, lease: Lease) -> Result<Lease, LeaseError> {
        self.api.replace(&self.name, &PostParams::default(), &lease).await.map_err(classify)
    }

    fn name(&self) -> &str {
        &self.name
    }
}
