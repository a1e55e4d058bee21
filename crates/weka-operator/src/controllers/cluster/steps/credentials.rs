//! The credential steps (spec §1.1 #2 and §1.3): the operator, user, client and CSI Secrets
//! and their WEKA users. Passwords are read from the Secrets into the commands (which are
//! sensitive, see `weka::users`) and never logged.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use weka_api::constants::conditions as cond;
use weka_api::wekacontainer::ContainerMode;

use crate::cluster::operator_secret_name;
use crate::controllers::cluster::secrets::{self, INITIAL_OPERATOR_USERNAME, Login};
use crate::controllers::cluster::selection;
use crate::controllers::cluster::state::{ClusterState, api_error, now, weka_failed};
use crate::engine::{StepError, StepFuture};

fn secrets_api(s: &ClusterState) -> Api<Secret> {
    Api::namespaced(s.ctx.client.clone(), s.namespace())
}

/// `EnsureLoginCredentials`: the operator Secret (unless `spec.operatorSecretRef` names one)
/// and the user Secret, created once with random passwords.
pub fn ensure_login_credentials(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        if s.cluster.spec.operator_secret_ref.as_deref().is_some_and(|r| !r.is_empty()) {
            return Ok(());
        }
        let api = secrets_api(s);
        for secret in [secrets::operator_secret(&s.cluster), secrets::user_secret(&s.cluster)] {
            secrets::ensure(&api, &secret)
                .await
                .map_err(|e| api_error("SecretCreateFailed", "create a cluster secret", e))?;
        }
        Ok(())
    })
}

async fn read_login(s: &ClusterState, name: &str) -> Result<Login, StepError> {
    let secret = secrets_api(s)
        .get_opt(name)
        .await
        .map_err(|e| api_error("SecretReadFailed", "read a cluster secret", e))?
        .ok_or_else(|| {
            StepError::failed("SecretMissing", format!("secret {name} does not exist"))
        })?;
    secrets::login(&secret).ok_or_else(|| {
        StepError::failed("SecretInvalid", format!("secret {name} has no username or password"))
    })
}

/// `ApplyCredentials`: the operator's own user (`weka-operator-<guid part>`, replacing the
/// initial `admin`) and the user Secret's user, both `clusteradmin`; then the operator Secret
/// names the operator's user (same password).
pub fn apply_credentials(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let cli = s.active_cli()?;
        let operator_user = secrets::operator_username(&s.cluster);
        for name in [operator_secret_name(&s.cluster), secrets::user_secret_name(&s.cluster)] {
            let mut login = read_login(s, &name).await?;
            if login.username == INITIAL_OPERATOR_USERNAME {
                login.username = operator_user.clone();
            }
            cli.ensure_user(&login.username, &login.password, "clusteradmin")
                .await
                .map_err(|e| weka_failed("ApplyCredentialsFailed", e))?;
        }
        let name = operator_secret_name(&s.cluster);
        let current = read_login(s, &name).await?;
        if current.username != operator_user {
            let patch = json!({"stringData": {"username": operator_user}});
            secrets_api(s)
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| api_error("SecretUpdateFailed", "update the operator secret", e))?;
        }
        tracing::info!("cluster credentials applied");
        Ok(())
    })
}

/// `DeleteAdminUser` may run once the operator's users have existed this long (pods pick up
/// the operator Secret's new username meanwhile).
pub fn admin_grace_passed(s: &ClusterState) -> bool {
    let Some(applied) = s.condition(cond::CLUSTER_SECRETS_APPLIED) else { return false };
    if applied.status != "True" {
        return false;
    }
    let grace = s.shared.timing.admin_user_grace.as_secs() as i64;
    now().0.as_second() - applied.last_transition_time.0.as_second() >= grace
}

/// `DeleteAdminUser`: WEKA's default `admin` user does not exist.
pub fn delete_admin_user(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let cli = s.active_cli()?;
        cli.ensure_no_user(INITIAL_OPERATOR_USERNAME)
            .await
            .map_err(|e| weka_failed("DeleteAdminUserFailed", e))
    })
}

/// `ensureClientLoginCredentials`: the client Secret, with a join secret WEKA generates in an
/// active drive container.
pub fn ensure_client_credentials(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let api = secrets_api(s);
        let name = secrets::client_secret_name(&s.cluster);
        if api
            .get_opt(&name)
            .await
            .map_err(|e| api_error("SecretReadFailed", "read the client secret", e))?
            .is_some()
        {
            return Ok(());
        }
        let cli = s.active_cli_with_role(ContainerMode::Drive)?;
        let token =
            cli.generate_join_token().await.map_err(|e| weka_failed("JoinTokenFailed", e))?;
        let secret = secrets::client_secret(&s.cluster, token);
        secrets::ensure(&api, &secret)
            .await
            .map_err(|e| api_error("SecretCreateFailed", "create the client secret", e))
    })
}

/// `applyClientLoginCredentials`: the client user, role `regular`.
pub fn apply_client_credentials(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let login = read_login(s, &secrets::client_secret_name(&s.cluster)).await?;
        let cli = s.active_cli()?;
        cli.ensure_user(&login.username, &login.password, "regular")
            .await
            .map_err(|e| weka_failed("ApplyClientCredentialsFailed", e))
    })
}

/// `EnsureCsiLoginCredentials`: the CSI Secret, then (throttled) its `endpoints` and
/// `nfsTargetIps` kept current.
pub fn ensure_csi_credentials(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let (endpoints, nfs_ips) = csi_targets(s);
        let api = secrets_api(s);
        let name = secrets::csi_secret_name(&s.cluster);
        let existing = api
            .get_opt(&name)
            .await
            .map_err(|e| api_error("SecretReadFailed", "read the CSI secret", e))?;
        let Some(existing) = existing else {
            let secret = secrets::csi_secret(&s.cluster, &endpoints, &nfs_ips);
            return secrets::ensure(&api, &secret)
                .await
                .map_err(|e| api_error("SecretCreateFailed", "create the CSI secret", e));
        };
        let mut data = serde_json::Map::new();
        let joined = endpoints.join(",");
        if secrets::value(&existing, "endpoints").as_deref() != Some(joined.as_str()) {
            data.insert("endpoints".into(), json!(joined));
        }
        if !nfs_ips.is_empty() {
            let joined = nfs_ips.join(",");
            if secrets::value(&existing, "nfsTargetIps").as_deref() != Some(joined.as_str()) {
                data.insert("nfsTargetIps".into(), json!(joined));
            }
        }
        if data.is_empty() {
            return Ok(());
        }
        let patch = json!({"stringData": data});
        api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(drop)
            .map_err(|e| api_error("SecretUpdateFailed", "update the CSI secret", e))
    })
}

/// What the CSI secret publishes: the management endpoints (restricted to the spec's CSI
/// subnets when set) and the NFS targets, from the operational containers.
fn csi_targets(s: &ClusterState) -> (Vec<String>, Vec<String>) {
    let subnets = s
        .cluster
        .spec
        .csi_config
        .as_ref()
        .and_then(|c| c.endpoints_subnets.clone())
        .unwrap_or_default();
    let endpoints = selection::endpoints(&s.containers, 30, &subnets);
    let nfs_ips = selection::operational(&s.containers, 30, &[ContainerMode::Nfs])
        .into_iter()
        .filter(|c| c.spec.mode == ContainerMode::Nfs)
        .filter_map(|c| selection::management_ips(c).into_iter().next())
        .collect();
    (endpoints, nfs_ips)
}

/// A fingerprint of `csi_targets`: `UpdateCsiLoginCredentials` runs as soon as it changes
/// (a container became operational or left), not only every `CSI_REFRESH`.
pub fn csi_targets_fingerprint(s: &ClusterState) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&csi_targets(s), &mut hasher);
    std::hash::Hasher::finish(&hasher)
}

/// `applyCsiLoginCredentials`: the CSI user, role `clusteradmin`.
pub fn apply_csi_credentials(s: &mut ClusterState) -> StepFuture<'_> {
    Box::pin(async move {
        let login = read_login(s, &secrets::csi_secret_name(&s.cluster)).await?;
        let cli = s.active_cli()?;
        cli.ensure_user(&login.username, &login.password, "clusteradmin")
            .await
            .map_err(|e| weka_failed("ApplyCsiCredentialsFailed", e))
    })
}
