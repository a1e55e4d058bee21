//! kube-rs clients for the simulated components, each with its own user agent so the request
//! log tells the scheduler, the kubelets and the node controller apart from users.

use http::{HeaderName, HeaderValue};

use super::node_spec::KUBELET_VERSION;

pub const SCHEDULER_AGENT: &str = "kube-scheduler";
pub const CONTROLLER_AGENT: &str = "kube-controller-manager";
pub const KUBELET_AGENT: &str = "kubelet";

/// How to reach the API server.
#[derive(Clone, Debug)]
pub struct ApiEndpoint {
    pub base_url: String,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid API server URL {0:?}")]
    Url(String),
    #[error("building a client: {0}")]
    Build(#[from] kube::Error),
}

impl ApiEndpoint {
    /// A client presenting `component/v1.32.0 (linux/amd64) kubernetes/kubesim` as its agent.
    pub fn client(&self, component: &str) -> Result<kube::Client, ClientError> {
        let uri: http::Uri =
            self.base_url.parse().map_err(|_| ClientError::Url(self.base_url.clone()))?;
        let mut config = kube::Config::new(uri);
        config.default_namespace = "default".into();
        config.auth_info.token = Some(self.token.clone().into());
        let agent = format!("{component}/{KUBELET_VERSION} (linux/amd64) kubernetes/kubesim");
        if let Ok(value) = HeaderValue::from_str(&agent) {
            config.headers.push((HeaderName::from_static("user-agent"), value));
        }
        Ok(kube::Client::try_from(config)?)
    }
}
