//! The shared token, re-read from its source at most once a minute (upstream's cadence), so
//! that a rotated Secret takes effect without restarting the agent and requests do not hit
//! the filesystem each time.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::host::{HostError, NodeHost};

/// How long a read token is trusted before the source is read again.
pub const TOKEN_REFRESH: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct TokenCache {
    cached: Mutex<Option<(String, Instant)>>,
}

impl TokenCache {
    /// The current token: the cached one if younger than [`TOKEN_REFRESH`], else re-read.
    pub async fn current(&self, host: &dyn NodeHost) -> Result<String, HostError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, read_at)) = cached.as_ref()
            && read_at.elapsed() < TOKEN_REFRESH
        {
            return Ok(token.clone());
        }
        let token = host.read_token().await?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

/// Whether an `Authorization` header value carries `token`. An empty token never matches:
/// an unreadable-but-empty Secret must not open the agent to everyone.
pub fn authorized(header: Option<&str>, token: &str) -> bool {
    !token.is_empty() && header == Some(super::protocol::authorization_value(token).as_str())
}
