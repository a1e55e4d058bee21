//! CSI group and driver names (spec `wekaclient-and-ops.md` §2, naming table).
//!
//! Several WekaClients can share one CSI deployment by naming the same group; the driver
//! registered with Kubernetes is `<group>.weka.io`, and every per-driver object (topology
//! labels, controller, node DaemonSet) is keyed by it, so all callers must agree on it.

use kube::ResourceExt;
use weka_api::common::ObjectReference;
use weka_api::{WekaClient, WekaCluster};

/// The group of a client with no target cluster and no `csiConfig.csiGroup`; its driver,
/// `csi.weka.io`, is also the fixed name legacy CSI installs used.
pub const DEFAULT_CLIENT_GROUP: &str = "csi";

/// The DNS suffix every driver name carries.
const DRIVER_SUFFIX: &str = "weka.io";

/// A configured group, treating an empty string as unset (as upstream does).
fn configured(group: Option<&String>) -> Option<&str> {
    group.map(String::as_str).filter(|g| !g.is_empty())
}

/// The default group of a cluster: `<name>.<namespace>`, unique per cluster.
pub fn default_cluster_group(name: &str, namespace: &str) -> String {
    format!("{name}.{namespace}")
}

/// The group of a client's target cluster: its `csiConfig.csiGroup`, else the default.
pub fn group_of_cluster(cluster: &WekaCluster) -> String {
    let custom = cluster.spec.csi_config.as_ref().and_then(|c| configured(c.csi_group.as_ref()));
    match custom {
        Some(group) => group.to_string(),
        None => {
            default_cluster_group(&cluster.name_any(), &cluster.namespace().unwrap_or_default())
        }
    }
}

/// The group of a client without a target cluster: its `csiConfig.csiGroup`, else
/// [`DEFAULT_CLIENT_GROUP`].
pub fn group_of_client(client: &WekaClient) -> String {
    let custom = client.spec.csi_config.as_ref().and_then(|c| configured(c.csi_group.as_ref()));
    custom.unwrap_or(DEFAULT_CLIENT_GROUP).to_string()
}

/// The target cluster a client names, if any (a reference without a name names nothing).
pub fn target_cluster_of(client: &WekaClient) -> Option<&ObjectReference> {
    client.spec.target_cluster.as_ref().filter(|t| !t.name.is_empty())
}

/// Where the target cluster lives: the reference's namespace, else the client's own.
pub fn target_namespace(client: &WekaClient, target: &ObjectReference) -> String {
    if target.namespace.is_empty() {
        client.namespace().unwrap_or_default()
    } else {
        target.namespace.clone()
    }
}

/// How the group of a client container's CSI deployment is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Group {
    /// Known for certain.
    Known(String),
    /// The client names a target cluster that could not be read: its group is the cluster's
    /// default unless the cluster set `csiConfig.csiGroup`, which is no longer knowable.
    Guessed(String),
}

impl Group {
    /// The group name, known or guessed.
    pub fn name(&self) -> &str {
        match self {
            Group::Known(name) | Group::Guessed(name) => name,
        }
    }
}

/// The group of a client container's CSI deployment: from the target cluster when the client
/// names one, else from the client (upstream `GetCSIGroup`).
pub fn group(client: &WekaClient, cluster: Option<&WekaCluster>) -> Group {
    if let Some(cluster) = cluster {
        return Group::Known(group_of_cluster(cluster));
    }
    match target_cluster_of(client) {
        Some(target) => {
            Group::Guessed(default_cluster_group(&target.name, &target_namespace(client, target)))
        }
        None => Group::Known(group_of_client(client)),
    }
}

/// The CSI driver name of a group: `<group>.weka.io`.
pub fn driver_name(group: &str) -> String {
    format!("{group}.{DRIVER_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client(spec: serde_json::Value) -> WekaClient {
        let mut spec = spec;
        spec["image"] = json!("quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4");
        serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaClient",
            "metadata": {"name": "clients", "namespace": "apps"},
            "spec": spec,
        }))
        .unwrap()
    }

    fn cluster(spec: serde_json::Value) -> WekaCluster {
        let mut spec = spec;
        spec["image"] = json!("quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4");
        serde_json::from_value(json!({
            "apiVersion": "weka.weka.io/v1alpha1",
            "kind": "WekaCluster",
            "metadata": {"name": "prod", "namespace": "storage"},
            "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn a_cluster_group_is_its_csi_group_or_name_dot_namespace() {
        assert_eq!(group_of_cluster(&cluster(json!({}))), "prod.storage");
        let custom = cluster(json!({"csiConfig": {"csiGroup": "fast"}}));
        assert_eq!(group_of_cluster(&custom), "fast");
        let empty = cluster(json!({"csiConfig": {"csiGroup": ""}}));
        assert_eq!(group_of_cluster(&empty), "prod.storage");
    }

    #[test]
    fn a_client_group_is_its_csi_group_or_csi() {
        assert_eq!(group_of_client(&client(json!({}))), "csi");
        let custom = client(json!({"csiConfig": {"csiGroup": "team-a"}}));
        assert_eq!(group_of_client(&custom), "team-a");
        let empty = client(json!({"csiConfig": {"csiGroup": ""}}));
        assert_eq!(group_of_client(&empty), "csi");
    }

    #[test]
    fn the_target_cluster_decides_when_the_client_has_one() {
        let targeting = client(json!({
            "targetCluster": {"name": "prod", "namespace": "storage"},
            "csiConfig": {"csiGroup": "ignored"},
        }));
        let target = cluster(json!({}));
        assert_eq!(group(&targeting, Some(&target)), Group::Known("prod.storage".into()));
        // The cluster could not be read: its default group, from the reference.
        assert_eq!(group(&targeting, None), Group::Guessed("prod.storage".into()));
        let same_namespace = client(json!({"targetCluster": {"name": "prod", "namespace": ""}}));
        assert_eq!(group(&same_namespace, None), Group::Guessed("prod.apps".into()));
    }

    #[test]
    fn without_a_target_cluster_the_client_decides() {
        let custom = client(json!({"csiConfig": {"csiGroup": "team-a"}}));
        assert_eq!(group(&custom, None), Group::Known("team-a".into()));
        let unnamed = client(json!({"targetCluster": {"name": "", "namespace": "x"}}));
        assert_eq!(group(&unnamed, None), Group::Known("csi".into()));
    }

    #[test]
    fn target_namespace_defaults_to_the_clients() {
        let c = client(json!({"targetCluster": {"name": "prod", "namespace": ""}}));
        let target = target_cluster_of(&c).unwrap();
        assert_eq!(target_namespace(&c, target), "apps");
        let c = client(json!({"targetCluster": {"name": "prod", "namespace": "storage"}}));
        assert_eq!(target_namespace(&c, target_cluster_of(&c).unwrap()), "storage");
    }

    #[test]
    fn driver_names_end_in_weka_io() {
        assert_eq!(driver_name("csi"), "csi.weka.io");
        assert_eq!(driver_name("prod.storage"), "prod.storage.weka.io");
    }
}
