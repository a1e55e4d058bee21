//! The objects of the management proxy (spec `wekacluster-services.md` §3.3-§3.6): the envoy
//! configuration and its ConfigMap, the Deployment, the Service and the optional Ingress, all
//! owned by the WekaCluster.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, HTTPGetAction, PodSpec,
    PodTemplateSpec, Probe, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use weka_api::{WekaCluster, WekaContainer};

use super::super::config_hash::sha256_hex;
use crate::cluster::controller_reference;
use crate::controllers::cluster::selection::management_ips;

/// The envoy image (upstream's, fixed).
pub const ENVOY_IMAGE: &str = "envoyproxy/envoy:v1.31-latest";
/// The key of the envoy configuration in the ConfigMap.
pub const CONFIG_KEY: &str = "envoy.yaml";
/// On the ConfigMap: the names of the containers the configuration points at.
pub const PROXY_CONTAINERS_ANNOTATION: &str = "weka.io/proxy-containers";
/// On the pod template: the hash of the configuration, so that envoy restarts on a change.
pub const CONFIG_HASH_ANNOTATION: &str = "weka.io/envoy-config-hash";
/// Envoy's admin port (readiness and liveness).
pub const ADMIN_PORT: i32 = 9901;
const PORT_NAME: &str = "weka-api";
const REPLICAS: i32 = 2;

/// What the objects are made from.
#[derive(Clone, Debug)]
pub struct ProxyParams<'a> {
    pub cluster: &'a WekaCluster,
    /// `status.ports.basePort`: the WEKA management port of the backends.
    pub base_port: i64,
    /// `status.ports.managementProxyPort`.
    pub proxy_port: i32,
    /// `MANAGEMENT_PROXY_HOST_NETWORK`.
    pub host_network: bool,
    /// `MANAGEMENT_PROXY_INGRESS_BASE_DOMAIN`; no Ingress when empty.
    pub ingress_base_domain: &'a str,
    /// `MANAGEMENT_PROXY_INGRESS_CLASS`; the cluster's default class when empty.
    pub ingress_class: &'a str,
}

impl ProxyParams<'_> {
    fn cluster_name(&self) -> &str {
        self.cluster.metadata.name.as_deref().unwrap_or_default()
    }

    /// `<cluster>-management-proxy`: the Deployment, Service and Ingress.
    pub fn proxy_name(&self) -> String {
        format!("{}-management-proxy", self.cluster_name())
    }

    /// `<cluster>-management-proxy-config`.
    pub fn config_map_name(&self) -> String {
        format!("{}-management-proxy-config", self.cluster_name())
    }

    fn meta(&self, name: String, labels: BTreeMap<String, String>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: self.cluster.metadata.namespace.clone(),
            labels: Some(labels),
            owner_references: Some(vec![controller_reference(self.cluster)]),
            ..ObjectMeta::default()
        }
    }

    /// The labels of the Deployment, its pods, and the Service's selector.
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app".to_string(), "weka-management-proxy".to_string()),
            ("weka.io/cluster".to_string(), self.cluster_name().to_string()),
            ("weka.io/component".to_string(), "management-proxy".to_string()),
        ])
    }

    /// The labels of the Service and the Ingress.
    pub fn service_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("weka.io/cluster".to_string(), self.cluster_name().to_string()),
            ("weka.io/service-type".to_string(), "management".to_string()),
        ])
    }

    /// The envoy configuration: a TCP proxy on the proxy port, round robin over the first
    /// management IP of each backend on the base port, with HTTPS health checks (the
    /// backends' certificates are not verified; TLS passes through to the clients).
    pub fn envoy_config(&self, backends: &[&WekaContainer]) -> String {
        let endpoints: String = backends
            .iter()
            .filter_map(|c| management_ips(c).into_iter().next())
            .map(|ip| {
                format!(
                    "        - endpoint:\n            address:\n              socket_address:\n                address: \"{ip}\"\n                port_value: {}\n",
                    self.base_port
                )
            })
            .collect();
        format!(
            r#"static_resources:
  listeners:
  - name: listener_0
    address:
      socket_address:
        address: 0.0.0.0
        port_value: {proxy_port}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: weka_management
          cluster: weka_backend
  clusters:
  - name: weka_backend
    connect_timeout: 5s
    type: STATIC
    lb_policy: ROUND_ROBIN
    load_assignment:
      cluster_name: weka_backend
      endpoints:
      - lb_endpoints:
{endpoints}    health_checks:
    - timeout: 5s
      interval: 10s
      unhealthy_threshold: 2
      healthy_threshold: 1
      http_health_check:
        path: /api/v2/healthcheck
        host: localhost
      tls_options:
        alpn_protocols: ["h2", "http/1.1"]
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: localhost
admin:
  address:
    socket_address:
      address: 0.0.0.0
      port_value: {ADMIN_PORT}
"#,
            proxy_port = self.proxy_port,
        )
    }

    /// The ConfigMap with `envoy.yaml` for `backends`, annotated with their names.
    pub fn config_map(&self, backends: &[&WekaContainer]) -> ConfigMap {
        let mut metadata = self.meta(self.config_map_name(), self.pod_labels());
        metadata.annotations =
            Some(BTreeMap::from([(PROXY_CONTAINERS_ANNOTATION.to_string(), names(backends))]));
        ConfigMap {
            metadata,
            data: Some(BTreeMap::from([(CONFIG_KEY.to_string(), self.envoy_config(backends))])),
            ..ConfigMap::default()
        }
    }

    /// Two envoy replicas reading `envoy_yaml` from the ConfigMap; the pod template carries
    /// the configuration's hash, so that a new configuration rolls the pods.
    pub fn deployment(&self, envoy_yaml: &str) -> Deployment {
        let labels = self.pod_labels();
        let ready = |initial_delay_seconds, period_seconds| Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/ready".to_string()),
                port: IntOrString::Int(ADMIN_PORT),
                ..HTTPGetAction::default()
            }),
            initial_delay_seconds: Some(initial_delay_seconds),
            period_seconds: Some(period_seconds),
            ..Probe::default()
        };
        let port = |name: &str, container_port| ContainerPort {
            name: Some(name.to_string()),
            container_port,
            protocol: Some("TCP".to_string()),
            ..ContainerPort::default()
        };
        let envoy = Container {
            name: "envoy".to_string(),
            image: Some(ENVOY_IMAGE.to_string()),
            command: Some(["envoy", "-c", "/etc/envoy/envoy.yaml"].map(String::from).to_vec()),
            ports: Some(vec![port(PORT_NAME, self.proxy_port), port("admin", ADMIN_PORT)]),
            volume_mounts: Some(vec![VolumeMount {
                name: "config".to_string(),
                mount_path: "/etc/envoy".to_string(),
                read_only: Some(true),
                ..VolumeMount::default()
            }]),
            liveness_probe: Some(ready(5, 10)),
            readiness_probe: Some(ready(3, 5)),
            ..Container::default()
        };
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(labels.clone()),
                annotations: Some(BTreeMap::from([(
                    CONFIG_HASH_ANNOTATION.to_string(),
                    sha256_hex(envoy_yaml),
                )])),
                ..ObjectMeta::default()
            }),
            spec: Some(PodSpec {
                containers: vec![envoy],
                volumes: Some(vec![Volume {
                    name: "config".to_string(),
                    config_map: Some(ConfigMapVolumeSource {
                        name: self.config_map_name(),
                        ..ConfigMapVolumeSource::default()
                    }),
                    ..Volume::default()
                }]),
                host_network: Some(self.host_network),
                ..PodSpec::default()
            }),
        };
        Deployment {
            metadata: self.meta(self.proxy_name(), labels.clone()),
            spec: Some(DeploymentSpec {
                replicas: Some(REPLICAS),
                selector: LabelSelector { match_labels: Some(labels), ..LabelSelector::default() },
                template,
                ..DeploymentSpec::default()
            }),
            ..Deployment::default()
        }
    }

    /// A ClusterIP Service on the proxy port, selecting the envoy pods.
    pub fn service(&self) -> Service {
        Service {
            metadata: self.meta(self.proxy_name(), self.service_labels()),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".to_string()),
                selector: Some(self.pod_labels()),
                ports: Some(vec![ServicePort {
                    name: Some(PORT_NAME.to_string()),
                    port: self.proxy_port,
                    target_port: Some(IntOrString::String(PORT_NAME.to_string())),
                    protocol: Some("TCP".to_string()),
                    ..ServicePort::default()
                }]),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    }

    /// The Ingress `<namespace>--<cluster>.<base domain>` → the Service, when a base domain is
    /// configured.
    pub fn ingress(&self) -> Option<Ingress> {
        if self.ingress_base_domain.is_empty() {
            return None;
        }
        let namespace = self.cluster.metadata.namespace.as_deref().unwrap_or_default();
        let host = format!("{namespace}--{}.{}", self.cluster_name(), self.ingress_base_domain);
        let backend = IngressBackend {
            service: Some(IngressServiceBackend {
                name: self.proxy_name(),
                port: Some(ServiceBackendPort {
                    number: Some(self.proxy_port),
                    ..ServiceBackendPort::default()
                }),
            }),
            ..IngressBackend::default()
        };
        Some(Ingress {
            metadata: self.meta(self.proxy_name(), self.service_labels()),
            spec: Some(IngressSpec {
                ingress_class_name: Some(self.ingress_class.to_string()).filter(|c| !c.is_empty()),
                rules: Some(vec![IngressRule {
                    host: Some(host),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![HTTPIngressPath {
                            path: Some("/".to_string()),
                            path_type: "Prefix".to_string(),
                            backend,
                        }],
                    }),
                }]),
                ..IngressSpec::default()
            }),
            ..Ingress::default()
        })
    }
}

fn names(backends: &[&WekaContainer]) -> String {
    super::backends::names(backends)
}
