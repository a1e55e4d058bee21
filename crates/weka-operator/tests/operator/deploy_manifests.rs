//! The kustomize base in `deploy/` renders with the real `kubectl kustomize`, every object
//! parses as its typed Kubernetes kind, and the RBAC is least-privilege (no wildcards).

use std::path::PathBuf;
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::rbac::v1::{ClusterRole, Role};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn rendered() -> Vec<Value> {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&deploy)
        .output()
        .expect("kubectl is installed");
    assert!(
        out.status.success(),
        "kubectl kustomize failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("rendered YAML parses"))
        .collect()
}

fn typed<T: DeserializeOwned>(doc: &Value) -> T {
    serde_json::from_value(doc.clone()).unwrap_or_else(|e| {
        panic!("{} {} does not parse: {e}", doc["kind"], doc["metadata"]["name"])
    })
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[test]
fn kustomize_renders_every_object_of_the_install() {
    let docs = rendered();
    for (kind, count) in [
        ("Namespace", 1),
        // The operator's and the node agents' (which never call the API).
        ("ServiceAccount", 2),
        ("ClusterRole", 1),
        ("ClusterRoleBinding", 1),
        ("Role", 1),
        ("RoleBinding", 1),
        ("Deployment", 1),
        ("DaemonSet", 1),
    ] {
        assert_eq!(of_kind(&docs, kind).len(), count, "expected {count} {kind}");
    }
    let crds: Vec<&str> = of_kind(&docs, "CustomResourceDefinition")
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    for name in
        ["wekaclusters", "wekacontainers", "wekaclients", "wekapolicies", "wekamanualoperations"]
    {
        assert!(crds.contains(&format!("{name}.weka.weka.io").as_str()), "CRD {name} missing");
    }
    for doc in &docs {
        let cluster_scoped = [
            "CustomResourceDefinition",
            "Namespace",
            "ClusterRole",
            "ClusterRoleBinding",
            "PriorityClass",
        ];
        if !cluster_scoped.iter().any(|k| doc["kind"] == *k) {
            assert_eq!(
                doc["metadata"]["namespace"], "weka-operator-system",
                "{} namespaced",
                doc["kind"]
            );
        }
    }
}

#[test]
fn rbac_has_no_wildcards() {
    let docs = rendered();
    let mut rules = Vec::new();
    for doc in of_kind(&docs, "ClusterRole") {
        rules.extend(typed::<ClusterRole>(doc).rules.unwrap_or_default());
    }
    for doc in of_kind(&docs, "Role") {
        rules.extend(typed::<Role>(doc).rules.unwrap_or_default());
    }
    assert!(!rules.is_empty());
    for rule in rules {
        let all = rule
            .verbs
            .iter()
            .chain(rule.resources.iter().flatten())
            .chain(rule.api_groups.iter().flatten());
        for item in all {
            assert!(!item.contains('*'), "wildcard in rule {rule:?}");
        }
    }
}

#[test]
fn deployment_runs_the_operator_as_non_root_with_probes() {
    let docs = rendered();
    let deployment: Deployment = typed(of_kind(&docs, "Deployment")[0]);
    let pod = deployment.spec.unwrap().template.spec.unwrap();
    assert_eq!(pod.service_account_name.as_deref(), Some("weka-operator"));
    let c = &pod.containers[0];
    assert_eq!(c.args.as_deref(), Some(&["run".to_string()][..]));
    assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
    let probe_path = |p: &Option<k8s_openapi::api::core::v1::Probe>| {
        p.as_ref().and_then(|p| p.http_get.as_ref()).and_then(|h| h.path.clone())
    };
    assert_eq!(probe_path(&c.liveness_probe).as_deref(), Some("/healthz"));
    assert_eq!(probe_path(&c.readiness_probe).as_deref(), Some("/readyz"));
    let env: Vec<&str> = c.env.iter().flatten().map(|e| e.name.as_str()).collect();
    for name in [
        "HEALTH_PROBE_BIND_ADDRESS",
        "OPERATOR_METRICS_BIND_ADDRESS",
        "ENABLE_LEADER_ELECTION",
        "POD_NAMESPACE",
    ] {
        assert!(env.contains(&name), "env {name} missing");
    }
}

#[test]
fn the_node_agent_daemonset_is_what_the_operator_looks_for() {
    use k8s_openapi::api::apps::v1::DaemonSet;
    use weka_operator::node_agent::protocol::{
        CONTAINER_NAME, DEFAULT_TOKEN_SECRET_NAME, POD_LABEL_APP, POD_LABEL_CONTROL_PLANE,
        TOKEN_FILE,
    };
    let docs = rendered();
    let ds: DaemonSet = typed(of_kind(&docs, "DaemonSet")[0]);
    let template = ds.spec.unwrap().template;
    let labels = template.metadata.unwrap().labels.unwrap();
    for (k, v) in [POD_LABEL_APP, POD_LABEL_CONTROL_PLANE] {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "pod label {k}");
    }
    let pod = template.spec.unwrap();
    let agent = pod.containers.iter().find(|c| c.name == CONTAINER_NAME).expect("agent");
    let deployment: Deployment = typed(of_kind(&docs, "Deployment")[0]);
    let operator_image =
        deployment.spec.unwrap().template.spec.unwrap().containers[0].image.clone();
    assert_eq!(agent.image, operator_image, "the agent runs the operator's image");
    assert_eq!(agent.args.as_deref(), Some(&["node-agent".to_string()][..]));
    let mount = agent
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| TOKEN_FILE.starts_with(&format!("{}/", m.mount_path)))
        .expect("the token is mounted where the agent reads it");
    let volume = pod.volumes.unwrap().into_iter().find(|v| v.name == mount.name).unwrap();
    assert_eq!(volume.secret.unwrap().secret_name.as_deref(), Some(DEFAULT_TOKEN_SECRET_NAME));
}
