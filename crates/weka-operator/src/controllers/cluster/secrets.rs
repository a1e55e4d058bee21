//! The cluster's credentials (spec §4.4, upstream `services/secrets.go`): the Secrets' names
//! and keys, their random passwords, creating them once (never overwritten, so never rotated)
//! and reading them back. Values never reach logs, errors or events: only Secret names do.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};
use weka_api::WekaCluster;
use weka_api::constants::labels;

use crate::cluster::{controller_reference, operator_secret_name};

/// The WEKA organisation every user belongs to.
pub const ORG: &str = "Root";
/// The username the operator's Secret starts with, before the operator's own user exists.
pub const INITIAL_OPERATOR_USERNAME: &str = "admin";

/// The last dash-separated part of the cluster UID (upstream `GetLastGuidPart`).
pub fn last_guid_part(cluster: &WekaCluster) -> String {
    let uid = cluster.metadata.uid.as_deref().unwrap_or_default();
    uid.rsplit('-').next().unwrap_or_default().to_string()
}

/// `weka-operator-<last GUID part>`: the operator's WEKA user.
pub fn operator_username(cluster: &WekaCluster) -> String {
    format!("weka-operator-{}", last_guid_part(cluster))
}

/// `weka<last GUID part>`: the cluster admin user handed to the user.
pub fn user_username(cluster: &WekaCluster) -> String {
    format!("weka{}", last_guid_part(cluster))
}

pub fn client_username(cluster: &WekaCluster) -> String {
    format!("wekaclient{}", last_guid_part(cluster))
}

pub fn csi_username(cluster: &WekaCluster) -> String {
    format!("wekacsi{}", last_guid_part(cluster))
}

pub fn user_secret_name(cluster: &WekaCluster) -> String {
    format!("weka-cluster-{}", cluster.metadata.name.as_deref().unwrap_or_default())
}

pub fn client_secret_name(cluster: &WekaCluster) -> String {
    format!("weka-client-{}", cluster.metadata.name.as_deref().unwrap_or_default())
}

pub fn csi_secret_name(cluster: &WekaCluster) -> String {
    format!("weka-csi-{}", cluster.metadata.name.as_deref().unwrap_or_default())
}

/// The Secrets the operator creates for `cluster` (the operator Secret only when the spec
/// names none of its own): the ones teardown removes.
pub fn owned_secret_names(cluster: &WekaCluster) -> Vec<String> {
    let mut names = Vec::new();
    if cluster.spec.operator_secret_ref.as_deref().is_none_or(str::is_empty) {
        names.push(operator_secret_name(cluster));
    }
    names.extend([
        user_secret_name(cluster),
        client_secret_name(cluster),
        csi_secret_name(cluster),
    ]);
    names
}

/// A Secret of the cluster with these string values, owned by the cluster.
pub fn secret(cluster: &WekaCluster, name: &str, data: BTreeMap<&str, String>) -> Secret {
    let cluster_labels = BTreeMap::from([
        (labels::CLUSTER_NAME.to_string(), cluster.metadata.name.clone().unwrap_or_default()),
        (labels::CLUSTER_ID.to_string(), cluster.metadata.uid.clone().unwrap_or_default()),
        (labels::APP_MANAGED_BY.to_string(), labels::OPERATOR_NAME.to_string()),
    ]);
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: cluster.metadata.namespace.clone(),
            labels: Some(cluster_labels),
            owner_references: Some(vec![controller_reference(cluster)]),
            ..ObjectMeta::default()
        },
        string_data: Some(data.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        ..Secret::default()
    }
}

/// The operator's login: `admin` until the operator's own user exists (the cluster is
/// created with this password as the admin password), and the cluster's join secret.
pub fn operator_secret(cluster: &WekaCluster) -> Secret {
    let data = BTreeMap::from([
        ("username", INITIAL_OPERATOR_USERNAME.to_string()),
        ("password", password(32)),
        ("join-secret", password(64)),
        ("org", ORG.to_string()),
    ]);
    secret(cluster, &operator_secret_name(cluster), data)
}

pub fn user_secret(cluster: &WekaCluster) -> Secret {
    let data = BTreeMap::from([
        ("username", user_username(cluster)),
        ("password", password(32)),
        ("org", ORG.to_string()),
    ]);
    secret(cluster, &user_secret_name(cluster), data)
}

/// The client login, with the join secret WEKA generated.
pub fn client_secret(cluster: &WekaCluster, join_secret: String) -> Secret {
    let data = BTreeMap::from([
        ("username", client_username(cluster)),
        ("password", password(32)),
        ("org", ORG.to_string()),
        ("join-secret", join_secret),
    ]);
    secret(cluster, &client_secret_name(cluster), data)
}

/// The CSI login with the endpoints the CSI driver reaches the cluster at.
pub fn csi_secret(
    cluster: &WekaCluster,
    endpoints: &[String],
    nfs_target_ips: &[String],
) -> Secret {
    let mut data = BTreeMap::from([
        ("username", csi_username(cluster)),
        ("password", password(32)),
        ("organization", ORG.to_string()),
        ("endpoints", endpoints.join(",")),
        ("scheme", "https".to_string()),
    ]);
    if nfs_target_ips.first().is_some_and(|ip| !ip.is_empty()) {
        data.insert("nfsTargetIps", nfs_target_ips.join(","));
    }
    secret(cluster, &csi_secret_name(cluster), data)
}

/// Creates the Secret unless it exists (an existing one is never overwritten).
pub async fn ensure(api: &Api<Secret>, secret: &Secret) -> Result<(), kube::Error> {
    let name = secret.metadata.name.as_deref().unwrap_or_default();
    if api.get_opt(name).await?.is_some() {
        return Ok(());
    }
    match api.create(&PostParams::default(), secret).await {
        Ok(_) => {
            tracing::info!(secret = name, "created secret");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(err) => Err(err),
    }
}

/// A login read from a Secret.
pub struct Login {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login").field("username", &self.username).finish_non_exhaustive()
    }
}

/// The value of `key` in the Secret (`data`, or `stringData` of an object not yet stored).
pub fn value(secret: &Secret, key: &str) -> Option<String> {
    if let Some(ByteString(bytes)) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return String::from_utf8(bytes.clone()).ok();
    }
    secret.string_data.as_ref().and_then(|d| d.get(key)).cloned()
}

/// `username` and `password` of a Secret.
pub fn login(secret: &Secret) -> Option<Login> {
    Some(Login { username: value(secret, "username")?, password: value(secret, "password")? })
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

/// A random password of `length` characters: 10 digits, the rest upper- and lower-case
/// letters, in random order, no symbols (upstream's go-password settings).
pub fn password(length: usize) -> String {
    let mut random = Entropy::default();
    let digits = 10.min(length);
    let mut chars: Vec<u8> = (0..length)
        .map(|i| {
            let set = if i < digits { DIGITS } else { LETTERS };
            set[random.below(set.len())]
        })
        .collect();
    for i in (1..chars.len()).rev() {
        chars.swap(i, random.below(i + 1));
    }
    String::from_utf8(chars).expect("ASCII")
}

/// Random bytes from the operating system (through v4 UUIDs, whose 122 random bits come from
/// the OS generator; only the fully random bytes are used).
#[derive(Default)]
struct Entropy {
    buffer: Vec<u8>,
}

impl Entropy {
    fn byte(&mut self) -> u8 {
        if self.buffer.is_empty() {
            let uuid = uuid::Uuid::new_v4();
            let bytes = uuid.as_bytes();
            // Byte 6 carries the version and byte 8 the variant: skip both.
            self.buffer.extend(bytes[..6].iter().chain(&bytes[7..8]).chain(&bytes[9..]));
        }
        self.buffer.pop().expect("refilled")
    }

    /// A uniform value in `0..n` (`n` ≤ 256), by rejection sampling.
    fn below(&mut self, n: usize) -> usize {
        let limit = 256 - 256 % n;
        loop {
            let b = self.byte() as usize;
            if b < limit {
                return b % n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_have_ten_digits_letters_and_no_symbols() {
        for length in [32, 64] {
            let p = password(length);
            assert_eq!(p.len(), length);
            assert_eq!(p.bytes().filter(u8::is_ascii_digit).count(), 10, "{length}");
            assert!(p.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert_ne!(password(32), password(32), "random");
    }

    #[test]
    fn names_follow_upstream() {
        let mut cluster = WekaCluster::new(
            "prod",
            serde_json::from_value(serde_json::json!({"image": "i:4.4.1"})).unwrap(),
        );
        cluster.metadata.uid = Some("4f1c2e3a-0d7e-11ef-8f6b-0242ac120002".into());
        assert_eq!(operator_username(&cluster), "weka-operator-0242ac120002");
        assert_eq!(user_username(&cluster), "weka0242ac120002");
        assert_eq!(client_username(&cluster), "wekaclient0242ac120002");
        assert_eq!(csi_username(&cluster), "wekacsi0242ac120002");
        assert_eq!(
            owned_secret_names(&cluster),
            [
                "weka-operator-4f1c2e3a-0d7e-11ef-8f6b-0242ac120002",
                "weka-cluster-prod",
                "weka-client-prod",
                "weka-csi-prod"
            ]
        );
    }

    #[test]
    fn a_login_does_not_print_its_password() {
        let login = Login { username: "u".into(), password: "s3cret".into() };
        assert!(!format!("{login:?}").contains("s3cret"));
    }
}
