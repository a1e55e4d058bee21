//! The shared node-agent token: a Secret in the operator's namespace (`token` key) that the
//! operator creates once and the agents mount; every call to an agent carries it as
//! `Authorization: Token <token>`. The value never reaches a log.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use super::AgentError;
use crate::node_agent::protocol::TOKEN_SECRET_KEY as TOKEN_KEY;
/// A token read from the Secret is used for this long before it is read again (upstream).
const TOKEN_TTL: Duration = Duration::from_secs(60);

/// The token, read from its Secret at most once a minute.
#[derive(Default)]
pub struct TokenCache {
    cached: Mutex<Option<(String, Instant)>>,
}

impl TokenCache {
    pub async fn get(
        &self,
        client: &Client,
        namespace: &str,
        name: &str,
    ) -> Result<String, AgentError> {
        if let Some((token, at)) = self.cached.lock().unwrap().as_ref()
            && at.elapsed() < TOKEN_TTL
        {
            return Ok(token.clone());
        }
        let token = read(client, namespace, name).await?;
        *self.cached.lock().unwrap() = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

async fn read(client: &Client, namespace: &str, name: &str) -> Result<String, AgentError> {
    let missing = |reason: &str| AgentError::Token {
        secret: format!("{namespace}/{name}"),
        reason: reason.to_string(),
    };
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret = secrets
        .get_opt(name)
        .await
        .map_err(|e| missing(&format!("cannot be read: {e}")))?
        .ok_or_else(|| missing("does not exist"))?;
    let token = secret
        .data
        .as_ref()
        .and_then(|d| d.get(TOKEN_KEY))
        .map(|b| String::from_utf8_lossy(&b.0).trim().to_string())
        .unwrap_or_default();
    if token.is_empty() {
        return Err(missing("has no token"));
    }
    Ok(token)
}

/// A new random token: 32 bytes from the system's CSPRNG, hex.
fn new_token() -> Result<String, AgentError> {
    let mut bytes = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).map_err(|_| {
        AgentError::Token { secret: String::new(), reason: "no randomness for a token".into() }
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates the token Secret unless it exists (an existing token is kept: the running agents
/// use it). Returns whether it was created.
pub async fn ensure_secret(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<bool, AgentError> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let failed =
        |reason: String| AgentError::Token { secret: format!("{namespace}/{name}"), reason };
    if secrets.get_opt(name).await.map_err(|e| failed(format!("cannot be read: {e}")))?.is_some() {
        return Ok(false);
    }
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/created-by".to_string(),
                "weka-operator".to_string(),
            )])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([(
            TOKEN_KEY.to_string(),
            ByteString(new_token()?.into_bytes()),
        )])),
        type_: Some("Opaque".to_string()),
        ..Default::default()
    };
    match secrets.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok(true),
        // Another replica made it first: theirs is the token.
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
        Err(e) => Err(failed(format!("cannot be created: {e}"))),
    }
}

/// Keeps trying [`ensure_secret`] every second until it succeeds (upstream's background
/// one-shot of the manager): the agents cannot start without it.
pub async fn ensure_secret_until_done(client: Client, namespace: String, name: String) {
    loop {
        match ensure_secret(&client, &namespace, &name).await {
            Ok(created) => {
                if created {
                    tracing::info!(secret = %name, %namespace, "created the node-agent token secret");
                }
                return;
            }
            Err(err) => {
                tracing::warn!(secret = %name, %namespace, error = %err, "node-agent token secret");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
