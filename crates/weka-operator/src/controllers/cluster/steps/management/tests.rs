//! Backend selection, the stale-configuration rule, and the rendered proxy objects.

use serde_yaml::Value;
use weka_api::{WekaCluster, WekaContainer};

use super::backends::{MAX_ENDPOINTS, config_outdated, names, select};
use super::objects::{
    CONFIG_HASH_ANNOTATION, CONFIG_KEY, PROXY_CONTAINERS_ANNOTATION, ProxyParams,
};

const BASE: i64 = 35000;

fn cluster() -> WekaCluster {
    serde_yaml::from_str(
        "apiVersion: weka.weka.io/v1alpha1
kind: WekaCluster
metadata: {name: prod, namespace: weka, uid: 4c1d2e3f-aaaa-4bbb-8ccc-0123456789ab}
spec: {image: quay.io/weka.io/weka-in-container:4.4.5.118-k8s.4}
",
    )
    .unwrap()
}

/// An operational container of `mode` (`status`, weka port, management IP as given).
fn container(name: &str, mode: &str, status: &str, port: i64, ip: &str) -> WekaContainer {
    serde_yaml::from_str(&format!(
        "apiVersion: weka.weka.io/v1alpha1
kind: WekaContainer
metadata: {{name: {name}, namespace: weka}}
spec: {{name: x, mode: {mode}, image: i, numCores: 1}}
status:
  status: {status}
  internalStatus: READY
  containerID: 1
  managementIPs: ['{ip}']
  allocations: {{wekaPort: {port}}}
"
    ))
    .unwrap()
}

fn running(name: &str, mode: &str, ip: &str) -> WekaContainer {
    container(name, mode, "Running", BASE, ip)
}

fn params(cluster: &WekaCluster) -> ProxyParams<'_> {
    ProxyParams {
        cluster,
        base_port: BASE,
        proxy_port: 35303,
        host_network: false,
        ingress_base_domain: "",
        ingress_class: "",
    }
}

fn selected_names(containers: &[WekaContainer]) -> Vec<String> {
    select(containers, BASE).iter().map(|c| c.metadata.name.clone().unwrap()).collect()
}

#[test]
fn drive_and_compute_containers_on_the_base_port_are_selected_running_first() {
    let mut not_joined = running("d-nojoin", "drive", "10.0.0.9");
    not_joined.status.as_mut().unwrap().container_id = None;
    let containers = vec![
        container("c-degraded", "compute", "Degraded", BASE, "10.0.0.1"),
        running("c-run", "compute", "10.0.0.2"),
        container("d-other-port", "drive", "Running", BASE + 100, "10.0.0.3"),
        running("d-run", "drive", "10.0.0.4"),
        running("s3-run", "s3", "10.0.0.5"),
        not_joined,
        container("d-stopped", "drive", "Stopped", BASE, "10.0.0.6"),
    ];
    assert_eq!(selected_names(&containers), ["c-run", "d-run", "c-degraded"]);
}

#[test]
fn no_base_port_selects_nothing_and_at_most_ten_are_selected() {
    let many: Vec<WekaContainer> =
        (0..14).map(|i| running(&format!("d-{i:02}"), "drive", &format!("10.0.0.{i}"))).collect();
    assert!(select(&many, 0).is_empty());
    let selected = selected_names(&many);
    assert_eq!(selected.len(), MAX_ENDPOINTS);
    assert_eq!(selected.first().map(String::as_str), Some("d-00"));
    assert_eq!(selected.last().map(String::as_str), Some("d-09"));
}

#[test]
fn the_configuration_follows_the_selection_only_when_outdated() {
    let three = vec![
        running("a", "drive", "10.0.0.1"),
        running("b", "drive", "10.0.0.2"),
        running("c", "compute", "10.0.0.3"),
    ];
    let selected = select(&three, BASE);
    assert!(config_outdated(None, &selected, &three, BASE), "no annotation");
    assert!(!config_outdated(Some("a,b,c"), &selected, &three, BASE), "same backends");
    assert!(!config_outdated(Some("c,a,b"), &selected, &three, BASE), "order is not a change");
    assert!(config_outdated(Some("a,b"), &selected, &three, BASE), "more backends available");
    assert!(config_outdated(Some("a,b,x"), &selected, &three, BASE), "a backend went away");

    // A full list stays while all its containers are eligible, even if others run now.
    let mut many: Vec<WekaContainer> =
        (0..12).map(|i| running(&format!("d-{i:02}"), "drive", &format!("10.0.1.{i}"))).collect();
    let full: String = (2..12).map(|i| format!("d-{i:02}")).collect::<Vec<_>>().join(",");
    assert_ne!(names(&select(&many, BASE)), full, "not the current first ten");
    assert!(!config_outdated(Some(&full), &select(&many, BASE), &many, BASE));
    many[5].status.as_mut().unwrap().internal_status = Some("DOWN".to_string());
    assert!(config_outdated(Some(&full), &select(&many, BASE), &many, BASE));
}

#[test]
fn envoy_proxies_tcp_on_the_proxy_port_to_the_first_management_ip_of_each_backend() {
    let cluster = cluster();
    let mut two_ips = running("b", "compute", "10.0.0.2");
    two_ips.status.as_mut().unwrap().management_ips =
        Some(vec!["10.0.0.2".to_string(), "10.0.9.2".to_string()]);
    let containers = vec![running("a", "drive", "fd00::1"), two_ips];
    let backends = select(&containers, BASE);
    let text = params(&cluster).envoy_config(&backends);
    let yaml: Value = serde_yaml::from_str(&text).expect("envoy.yaml is YAML");

    let listener = &yaml["static_resources"]["listeners"][0];
    assert_eq!(listener["name"], "listener_0");
    assert_eq!(listener["address"]["socket_address"]["address"], "0.0.0.0");
    assert_eq!(listener["address"]["socket_address"]["port_value"], 35303);
    let filter = &listener["filter_chains"][0]["filters"][0];
    assert_eq!(filter["name"], "envoy.filters.network.tcp_proxy");
    assert_eq!(filter["typed_config"]["stat_prefix"], "weka_management");
    assert_eq!(filter["typed_config"]["cluster"], "weka_backend");

    let backend = &yaml["static_resources"]["clusters"][0];
    assert_eq!(backend["name"], "weka_backend");
    assert_eq!(
        (&backend["type"], &backend["lb_policy"]),
        (&"STATIC".into(), &"ROUND_ROBIN".into())
    );
    assert_eq!(backend["connect_timeout"], "5s");
    let endpoints: Vec<(String, i64)> = backend["load_assignment"]["endpoints"][0]["lb_endpoints"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| {
            let address = &e["endpoint"]["address"]["socket_address"];
            (
                address["address"].as_str().unwrap().to_string(),
                address["port_value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(endpoints, [("fd00::1".to_string(), BASE), ("10.0.0.2".to_string(), BASE)]);
    let check = &backend["health_checks"][0];
    assert_eq!(check["http_health_check"]["path"], "/api/v2/healthcheck");
    assert_eq!(check["http_health_check"]["host"], "localhost");
    assert_eq!((check["timeout"].as_str(), check["interval"].as_str()), (Some("5s"), Some("10s")));
    assert_eq!(
        (check["unhealthy_threshold"].as_i64(), check["healthy_threshold"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(check["tls_options"]["alpn_protocols"][0], "h2");
    assert_eq!(backend["transport_socket"]["typed_config"]["sni"], "localhost");
    assert!(backend["transport_socket"]["typed_config"].get("common_tls_context").is_none());
    assert_eq!(yaml["admin"]["address"]["socket_address"]["port_value"], 9901);
}

#[test]
fn the_config_map_names_its_backends_and_everything_is_owned_by_the_cluster() {
    let cluster = cluster();
    let containers = vec![running("a", "drive", "10.0.0.1"), running("b", "compute", "10.0.0.2")];
    let p = params(&cluster);
    let cm = p.config_map(&select(&containers, BASE));
    assert_eq!(cm.metadata.name.as_deref(), Some("prod-management-proxy-config"));
    assert_eq!(cm.metadata.annotations.as_ref().unwrap()[PROXY_CONTAINERS_ANNOTATION], "a,b");
    assert!(cm.data.as_ref().unwrap()[CONFIG_KEY].contains("10.0.0.2"));
    let yaml = &cm.data.as_ref().unwrap()[CONFIG_KEY];
    let owners = [
        cm.metadata.owner_references.clone(),
        p.deployment(yaml).metadata.owner_references,
        p.service().metadata.owner_references,
    ];
    for owner in owners {
        let owner = &owner.unwrap()[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("WekaCluster", "prod"));
        assert_eq!(
            (owner.controller, owner.uid.as_str()),
            (Some(true), "4c1d2e3f-aaaa-4bbb-8ccc-0123456789ab")
        );
    }
}

#[test]
fn the_deployment_runs_two_envoys_restarted_when_their_configuration_changes() {
    let cluster = cluster();
    let p = params(&cluster);
    let deployment = p.deployment("config one");
    assert_eq!(deployment.metadata.name.as_deref(), Some("prod-management-proxy"));
    let spec = deployment.spec.unwrap();
    assert_eq!(spec.replicas, Some(2));
    let labels = p.pod_labels();
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&labels));
    assert_eq!(labels["app"], "weka-management-proxy");
    assert_eq!(labels["weka.io/cluster"], "prod");
    assert_eq!(labels["weka.io/component"], "management-proxy");
    let template = spec.template;
    let meta = template.metadata.unwrap();
    assert_eq!(meta.labels.as_ref(), Some(&labels));
    let hash = meta.annotations.unwrap()[CONFIG_HASH_ANNOTATION].clone();
    let other = p.deployment("config two").spec.unwrap().template.metadata.unwrap();
    assert_ne!(other.annotations.unwrap()[CONFIG_HASH_ANNOTATION], hash);
    let pod = template.spec.unwrap();
    assert_eq!(pod.host_network, Some(false));
    let envoy = &pod.containers[0];
    assert_eq!(envoy.name, "envoy");
    assert_eq!(envoy.image.as_deref(), Some("envoyproxy/envoy:v1.31-latest"));
    assert_eq!(envoy.command.clone().unwrap(), ["envoy", "-c", "/etc/envoy/envoy.yaml"]);
    let ports: Vec<(Option<String>, i32)> =
        envoy.ports.iter().flatten().map(|p| (p.name.clone(), p.container_port)).collect();
    assert_eq!(ports, [(Some("weka-api".to_string()), 35303), (Some("admin".to_string()), 9901)]);
    let mount = &envoy.volume_mounts.as_ref().unwrap()[0];
    assert_eq!((mount.mount_path.as_str(), mount.read_only), ("/etc/envoy", Some(true)));
    let volume = &pod.volumes.unwrap()[0];
    assert_eq!(volume.config_map.as_ref().unwrap().name, "prod-management-proxy-config");
    let probe = envoy.readiness_probe.as_ref().unwrap();
    assert_eq!(probe.http_get.as_ref().unwrap().path.as_deref(), Some("/ready"));
    assert_eq!((probe.initial_delay_seconds, probe.period_seconds), (Some(3), Some(5)));
    let live = envoy.liveness_probe.as_ref().unwrap();
    assert_eq!((live.initial_delay_seconds, live.period_seconds), (Some(5), Some(10)));
}

#[test]
fn the_service_selects_the_envoys_and_the_ingress_comes_only_with_a_base_domain() {
    let cluster = cluster();
    let p = params(&cluster);
    let service = p.service();
    assert_eq!(service.metadata.name.as_deref(), Some("prod-management-proxy"));
    let labels = service.metadata.labels.clone().unwrap();
    assert_eq!(labels["weka.io/service-type"], "management");
    assert_eq!(labels["weka.io/cluster"], "prod");
    let spec = service.spec.unwrap();
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    assert_eq!(spec.selector, Some(p.pod_labels()));
    let port = &spec.ports.unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port, port.protocol.as_deref()),
        (Some("weka-api"), 35303, Some("TCP"))
    );
    assert_eq!(
        port.target_port,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("weka-api".into()))
    );
    assert!(p.ingress().is_none());

    let with_domain =
        ProxyParams { ingress_base_domain: "weka.example.com", ingress_class: "nginx", ..p };
    let ingress = with_domain.ingress().unwrap();
    let spec = ingress.spec.unwrap();
    assert_eq!(spec.ingress_class_name.as_deref(), Some("nginx"));
    let rule = &spec.rules.unwrap()[0];
    assert_eq!(rule.host.as_deref(), Some("weka--prod.weka.example.com"));
    let path = &rule.http.as_ref().unwrap().paths[0];
    assert_eq!((path.path.as_deref(), path.path_type.as_str()), (Some("/"), "Prefix"));
    let backend = path.backend.service.as_ref().unwrap();
    assert_eq!(backend.name, "prod-management-proxy");
    assert_eq!(backend.port.as_ref().unwrap().number, Some(35303));
    let default_class = ProxyParams { ingress_class: "", ..with_domain };
    assert_eq!(default_class.ingress().unwrap().spec.unwrap().ingress_class_name, None);
}
