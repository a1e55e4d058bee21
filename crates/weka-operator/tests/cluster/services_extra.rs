//! The post-cluster services beyond S3 and NFS: the management proxy (an envoy ConfigMap,
//! Deployment and Service owned by the WekaCluster, fronting the WEKA management API of
//! active backends on a port allocated in `status.ports`) and telemetry (one telemetry
//! container per compute container, and the Splunk export configured in WEKA with the token
//! from its Secret, recorded by a hash in `TelemetryConfigured`); the proxy objects are
//! collected with the WekaCluster.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;
use kube::api::{Api, ObjectMeta, PostParams};
use serde_json::json;
use weka_api::wekacontainer::ContainerMode;
use weka_api::{WekaCluster, WekaContainer};

use crate::support::*;

const TOKEN: &str = "hec-T0KEN-value";

fn owned_by(owners: &[OwnerReference], cluster: &WekaCluster) -> bool {
    owners.iter().any(|o| {
        o.kind == "WekaCluster"
            && Some(&o.uid) == cluster.metadata.uid.as_ref()
            && o.controller == Some(true)
    })
}

async fn get<K>(env: &Env, name: &str) -> K
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned,
{
    let api: Api<K> = Api::namespaced(env.client.clone(), NS);
    let what = format!("{} {name}", K::kind(&()));
    env.wait_for(&what, || async { api.get_opt(name).await.ok().flatten() }).await
}

fn weka_port(c: &WekaContainer) -> Option<isize> {
    c.status.as_ref()?.allocations.as_ref()?.weka_port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_cluster_has_a_management_proxy_and_its_telemetry_export_configured() {
    let mut env = Env::new().await;
    env.args = vec!["--management-proxy-host-network=true".to_string()];
    env.add_backends(0, 5).await;
    env.start_operator().await;
    let secret = Secret {
        metadata: ObjectMeta { name: Some("splunk-hec".into()), ..Default::default() },
        string_data: Some(BTreeMap::from([("token".to_string(), TOKEN.to_string())])),
        ..Default::default()
    };
    env.secrets().create(&PostParams::default(), &secret).await.expect("Secret created");
    let telemetry = json!({"exports": [{
        "name": "audit",
        "sources": ["audit"],
        "splunk": {"endpoint": " https://splunk.example:8088 ", "authTokenSecretRef": "splunk-hec.token",
                   "allowUnverifiedCertificate": true},
    }]});
    env.create_cluster(small_cluster("svc", 5, 5, json!({"telemetry": telemetry}))).await;
    env.kubectl_wait_ready("svc", Duration::from_secs(120)).await;

    // --- the management proxy -----------------------------------------------------------
    let cluster = env.wait_condition("svc", "ManagementServiceConfigured", "True", None).await;
    let ports = cluster.status.clone().unwrap().ports.unwrap();
    let (base, proxy_port) = (ports.base_port.unwrap(), ports.management_proxy_port.unwrap());
    assert_eq!(proxy_port, 35303, "the next singleton after LB, LB admin and S3");

    let pod_labels = BTreeMap::from([
        ("app".to_string(), "weka-management-proxy".to_string()),
        ("weka.io/cluster".to_string(), "svc".to_string()),
        ("weka.io/component".to_string(), "management-proxy".to_string()),
    ]);
    let service: Service = get(&env, "svc-management-proxy").await;
    assert!(owned_by(service.owner_references(), &cluster));
    assert_eq!(
        service.labels().get("weka.io/service-type").map(String::as_str),
        Some("management")
    );
    let spec = service.spec.clone().unwrap();
    assert_eq!(spec.selector.as_ref(), Some(&pod_labels));
    let port = &spec.ports.unwrap()[0];
    assert_eq!((port.name.as_deref(), port.port as isize), (Some("weka-api"), proxy_port));
    assert_eq!(port.target_port, Some(IntOrString::String("weka-api".into())));

    let deployment: Deployment = get(&env, "svc-management-proxy").await;
    assert!(owned_by(deployment.owner_references(), &cluster));
    let spec = deployment.spec.clone().unwrap();
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&pod_labels));
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.host_network, Some(true), "--management-proxy-host-network asks for it");
    let ports: Vec<i32> =
        pod.containers[0].ports.iter().flatten().map(|p| p.container_port).collect();
    assert_eq!(ports, [proxy_port as i32, 9901]);

    // The ConfigMap lists drive and compute containers on the base port, the envoy
    // configuration their management IPs on it. The list is made from the containers
    // operational when it was written and only follows a new selection once a listed one is
    // no longer valid (spec §3.4): a container that became operational later may be missing.
    let config: ConfigMap = get(&env, "svc-management-proxy-config").await;
    assert!(owned_by(config.owner_references(), &cluster));
    let listed: Vec<String> =
        config.annotations()["weka.io/proxy-containers"].split(',').map(String::from).collect();
    let containers = env.owned_containers(&cluster).await;
    let on_base: Vec<&WekaContainer> = containers
        .iter()
        .filter(|c| matches!(c.spec.mode, ContainerMode::Drive | ContainerMode::Compute))
        .filter(|c| weka_port(c) == Some(base))
        .collect();
    assert!(!listed.is_empty());
    let envoy_yaml = &config.data.as_ref().unwrap()["envoy.yaml"];
    for name in &listed {
        let c = on_base.iter().find(|c| &c.name_any() == name);
        let c = c.unwrap_or_else(|| {
            panic!("{name} is listed but not a drive/compute container on {base}")
        });
        let ip = c.status.as_ref().and_then(|s| s.management_ips.clone()).unwrap()[0].clone();
        assert!(envoy_yaml.contains(&format!("address: \"{ip}\"")), "{ip} in {envoy_yaml}");
    }
    assert!(envoy_yaml.contains(&format!("port_value: {base}")));
    assert!(envoy_yaml.contains(&format!("port_value: {proxy_port}")));

    // --- telemetry ------------------------------------------------------------------------
    let telemetry_containers = env
        .wait_for("a running telemetry container per compute container", || async {
            let cluster = env.cluster("svc").await?;
            let containers = env.owned_containers(&cluster).await;
            let telemetry: Vec<String> = containers
                .iter()
                .filter(|c| c.spec.mode == ContainerMode::Telemetry)
                .filter(|c| c.status.as_ref().is_some_and(|s| s.status == "Running"))
                .map(|c| c.name_any())
                .collect();
            (telemetry.len() == 5).then_some(telemetry)
        })
        .await;
    assert_eq!(
        telemetry_containers,
        (0..5).map(|i| format!("svc-telemetry-{i}")).collect::<Vec<_>>()
    );

    let cluster =
        env.wait_condition("svc", "TelemetryConfigured", "True", Some("Configured")).await;
    let hash = condition(&cluster, "TelemetryConfigured").unwrap().message.clone();
    assert_eq!(hash.len(), 64, "a hex SHA-256: {hash}");
    let guid = cluster.status.clone().unwrap().cluster_id.unwrap();
    let telemetry = env.runtime.with_world(|w| w.cluster(&guid).unwrap().telemetry.clone());
    assert!(telemetry.audit_cluster, "cluster audit enabled");
    assert!(telemetry.audit_filesystems.contains("default"));
    let exports: Vec<_> = telemetry.exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(exports, ["operator-audit"]);
    let export = &telemetry.exports[0];
    assert_eq!(
        (export.kind.as_str(), export.target.as_str()),
        ("splunk", "https://splunk.example:8088")
    );
    assert_eq!(export.sources, ["audit"]);
    assert_eq!(export.auth_token, TOKEN, "the token travelled through a file in the pod");
    assert!(export.allow_unverified_certificate && !export.verify_with_cluster_cacert);

    // The token never shows in a command line.
    let leaked: Vec<String> = env
        .operator_execs()
        .into_iter()
        .map(|(_, argv)| argv.join(" "))
        .filter(|cmd| cmd.contains(TOKEN))
        .collect();
    assert!(leaked.is_empty(), "{leaked:#?}");

    // The proxy objects go with the WekaCluster (garbage collection of owned objects).
    env.delete_cluster("svc").await;
    env.wait_cluster_gone("svc", Duration::from_secs(120)).await;
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), NS);
    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), NS);
    let services: Api<Service> = Api::namespaced(env.client.clone(), NS);
    env.wait_for("the management proxy objects collected", || async {
        let gone = config_maps.get_opt("svc-management-proxy-config").await.ok()?.is_none()
            && deployments.get_opt("svc-management-proxy").await.ok()?.is_none()
            && services.get_opt("svc-management-proxy").await.ok()?.is_none();
        gone.then_some(())
    })
    .await;
    env.finish();
}
